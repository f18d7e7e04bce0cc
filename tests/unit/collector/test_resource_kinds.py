"""The resource-kind catalogue and the collector's readers stay one table that agrees with itself."""

from __future__ import annotations

from services.collector.kinds import LISTED_KINDS, METASTORE_KINDS, SCHEMA_CHILD_KINDS, TREE_KINDS
from services.events.resource_kinds import (
    RESOURCE_KINDS,
    is_privileged_access,
    kind_for_request_type,
    resource_kind,
)


def test_names_are_unique_and_privileged_levels_are_real_levels() -> None:
    names = [kind.name for kind in RESOURCE_KINDS]
    assert len(names) == len(set(names))
    for kind in RESOURCE_KINDS:
        if kind.family == "object":
            # terraform-provider-databricks permissions/permission_definitions.go: every object type
            # has its allowed levels; a privileged level must be one of them (OWNER is UC's spelling).
            assert kind.levels, kind.name
            assert kind.privileged - {"OWNER"} <= set(kind.levels), kind.name


def test_every_reader_names_a_catalogue_kind_with_the_path_it_calls() -> None:
    for entry in (*LISTED_KINDS, *TREE_KINDS.values()):
        assert resource_kind(entry.kind.name) is entry.kind
        if getattr(entry, "read_acl", None) is None:  # secret scopes and tokens have ACLs of their own
            assert kind_for_request_type(entry.permissions_path) is entry.kind
    for child in SCHEMA_CHILD_KINDS:
        assert child.kind.family == "unity_catalog" and child.kind.securable_type is not None
    # terraform catalog/permissions/permissions.go Mappings: "model" is granted as "function"
    assert resource_kind("model").securable_type == "function"  # type: ignore[union-attr]
    for kind, grants in METASTORE_KINDS:
        assert kind.family == "unity_catalog" and (kind.securable_type is not None) == grants, kind.name


def test_privileged_follows_the_catalogue() -> None:
    assert is_privileged_access("workspace", "ADMIN", False)
    assert not is_privileged_access("workspace", "USER", True)
    assert is_privileged_access("job", "CAN_MANAGE", True)
    assert not is_privileged_access("job", "CAN_MANAGE", False)  # jobs: production only
    assert not is_privileged_access("job", "CAN_VIEW", True)
    assert is_privileged_access("catalog", "ALL_PRIVILEGES", False)
    assert not is_privileged_access("table", "SELECT", True)
    assert not is_privileged_access("no-such-kind", "ADMIN", True)
    assert resource_kind("cluster") is not None and resource_kind("cluster").accepts("CAN_RESTART")  # type: ignore[union-attr]
    assert not resource_kind("cluster").accepts("CAN_RUN")  # type: ignore[union-attr]


def test_membership_of_a_workspace_admins_group_is_privileged() -> None:
    assert is_privileged_access("workspace_group", "MEMBER", False, "admins")
    assert not is_privileged_access("workspace_group", "MEMBER", True, "users")
    assert not is_privileged_access("group", "MEMBER", True, "admins")  # an account group named so is not
