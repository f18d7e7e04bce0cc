"""The resource-kind catalogue: every kind of thing an entitlement can grant access to.

One entry per kind, shared by every service the way the topic catalogue is: the collector
reads its permissions path and levels, the campaign asks which privileges are privileged, the
sandbox validates writes against the levels. The collector's listers and transforms for each
kind live beside it, in ``services/collector/kinds.py``, keyed by the same name.

Permission levels per object type and the object types the permissions API answers with are
those of terraform-provider-databricks ``permissions/permission_definitions.go``
(``allowedPermissionLevels``, ``objectType``, ``requestObjectType``); a level the API returns
that is not listed here is counted as an unknown value, never silently kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["account", "workspace", "object", "unity_catalog", "identity"]
UC_PRIVILEGED = frozenset({"ALL_PRIVILEGES", "MANAGE", "OWNER", "OWNERSHIP", "IS_OWNER"})
RUN_AS = "RUN_AS"  # the identity a job runs as: reviewed, and guarded by the enforcer


@dataclass(frozen=True)
class ResourceKind:
    """``name`` is the entitlement's resource type. ``privileged`` levels make an item privileged
    (everywhere, or only on production resources when ``privileged_in_production_only``)."""

    name: str
    family: Family
    levels: tuple[str, ...] = ()  # every level the API may answer with, lowest first
    privileged: frozenset[str] = frozenset()
    privileged_in_production_only: bool = False
    request_object_type: str | None = None  # /api/2.0/permissions/<request_object_type>/<id>
    object_type: str | None = None  # the permissions API's "object_type" in its answer
    securable_type: str | None = None  # Unity Catalog securable type (grants API)
    label: str = ""
    derived: tuple[str, ...] = ()  # privileges the collector derives, not ACL levels (a job's RUN_AS)
    privileged_names: frozenset[str] = frozenset()  # resources whose every level is privileged (admins)

    def is_privileged(self, privilege: str, production: bool, name: str | None = None) -> bool:
        if self.privileged_in_production_only and not production:
            return False
        return privilege in self.privileged or (name is not None and name in self.privileged_names)

    def accepts(self, level: str) -> bool:
        """Whether the permissions API accepts ``level`` on this kind (writes are validated)."""
        return not self.levels or level in self.levels


def _uc(name: str, label: str) -> ResourceKind:
    return ResourceKind(name, "unity_catalog", privileged=UC_PRIVILEGED, securable_type=name, label=label)


_WORKSPACE_OBJECT_LEVELS = ("CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE")

RESOURCE_KINDS: tuple[ResourceKind, ...] = (
    ResourceKind("account", "account", ("ADMIN",), frozenset({"ADMIN"}), label="Account"),
    ResourceKind("workspace", "workspace", ("USER", "ADMIN"), frozenset({"ADMIN"}), label="Workspace"),
    ResourceKind("group", "identity", ("MEMBER",), label="Group membership"),
    # account rule sets (AccountAccessControlAPI.get_rule_set): a group manager may change its
    # members; a service principal's users may run jobs as it, its managers may also change it
    ResourceKind("group_role", "account", ("MANAGER",), frozenset({"MANAGER"}), label="Group manager"),
    ResourceKind(
        "service_principal_role", "account", ("USER", "MANAGER"), frozenset({"MANAGER"}), label="Service principal role"
    ),
    # a workspace's local built-in groups: membership of "admins" is workspace admin
    ResourceKind(
        "workspace_group",
        "identity",
        ("MEMBER",),
        privileged_names=frozenset({"admins"}),
        label="Workspace group membership",
    ),
    ResourceKind(
        "job",
        "object",
        ("CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"),
        frozenset({"CAN_MANAGE", "IS_OWNER", "OWNER"}),
        privileged_in_production_only=True,
        request_object_type="jobs",
        object_type="job",
        label="Job",
        derived=(RUN_AS,),
    ),
    ResourceKind(
        "cluster",
        "object",
        ("CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"),
        request_object_type="clusters",
        object_type="cluster",
        label="Cluster",
    ),
    ResourceKind(
        "warehouse",
        "object",
        ("CAN_VIEW", "CAN_MONITOR", "CAN_USE", "CAN_MANAGE", "IS_OWNER"),
        request_object_type="sql/warehouses",
        object_type="warehouses",
        label="SQL warehouse",
    ),
    ResourceKind(
        "notebook",
        "object",
        _WORKSPACE_OBJECT_LEVELS,
        request_object_type="notebooks",
        object_type="notebook",
        label="Notebook",
    ),
    ResourceKind(
        "directory",
        "object",
        _WORKSPACE_OBJECT_LEVELS,
        request_object_type="directories",
        object_type="directory",
        label="Folder",
    ),
    ResourceKind(
        "pipeline",
        "object",
        ("CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER"),
        frozenset({"CAN_MANAGE", "IS_OWNER"}),
        privileged_in_production_only=True,
        request_object_type="pipelines",
        object_type="pipelines",
        label="Pipeline",
        derived=(RUN_AS,),
    ),
    ResourceKind(
        "cluster_policy",
        "object",
        ("CAN_USE",),
        request_object_type="cluster-policies",
        object_type="cluster-policy",
        label="Cluster policy",
    ),
    ResourceKind(
        "instance_pool",
        "object",
        ("CAN_ATTACH_TO", "CAN_MANAGE"),
        request_object_type="instance-pools",
        object_type="instance-pool",
        label="Instance pool",
    ),
    ResourceKind(
        "serving_endpoint",
        "object",
        ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"),
        frozenset({"CAN_MANAGE"}),
        privileged_in_production_only=True,
        request_object_type="serving-endpoints",
        object_type="serving-endpoint",
        label="Model serving endpoint",
    ),
    ResourceKind(
        "registered_model",
        "object",
        ("CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE"),
        frozenset({"CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE"}),
        privileged_in_production_only=True,
        request_object_type="registered-models",
        object_type="registered-model",
        label="Registered model (workspace registry)",
    ),
    ResourceKind(
        "experiment",
        "object",
        ("CAN_READ", "CAN_EDIT", "CAN_MANAGE"),
        request_object_type="experiments",
        object_type="mlflowExperiment",
        label="MLflow experiment",
    ),
    ResourceKind(
        "repo",
        "object",
        _WORKSPACE_OBJECT_LEVELS,
        request_object_type="repos",
        object_type="repo",
        label="Git folder",
    ),
    # who may create and use personal access tokens in the workspace: one object, /authorization/tokens
    ResourceKind(
        "token_usage",
        "object",
        ("CAN_USE", "CAN_MANAGE"),
        frozenset({"CAN_MANAGE"}),
        request_object_type="authorization",
        object_type="tokens",
        label="Token use",
    ),
    # a personal access token that exists: held by its owner until it expires or is revoked
    ResourceKind("personal_access_token", "object", ("HOLDER",), label="Personal access token"),
    # secret scopes have an ACL API of their own (secrets/acls): READ < WRITE < MANAGE
    ResourceKind("secret_scope", "object", ("READ", "WRITE", "MANAGE"), frozenset({"MANAGE"}), label="Secret scope"),
    # SCIM entitlements a workspace grants a principal (workspace-access, allow-cluster-create, ...)
    ResourceKind(
        "workspace_entitlement",
        "workspace",
        ("workspace-access", "databricks-sql-access", "allow-cluster-create", "allow-instance-pool-create"),
        label="Workspace entitlement",
    ),
    _uc("metastore", "Metastore"),
    _uc("catalog", "Catalog"),
    _uc("schema", "Schema"),
    _uc("table", "Table"),
    _uc("volume", "Volume"),
    _uc("function", "Function"),
    # a Unity Catalog model is granted as a function (terraform catalog/permissions Mappings "model")
    ResourceKind("model", "unity_catalog", privileged=UC_PRIVILEGED, securable_type="function", label="Model"),
    _uc("external_location", "External location"),
    _uc("storage_credential", "Storage credential"),
    _uc("connection", "Connection"),
    # a share's grants go to Delta Sharing recipients, not identities: its owner is what is reviewed
    ResourceKind("share", "unity_catalog", privileged=UC_PRIVILEGED, label="Share"),
)

_BY_NAME = {kind.name: kind for kind in RESOURCE_KINDS}
# account rule-set roles and the privilege each is reviewed as
ROLE_PRIVILEGES = {
    "roles/group.manager": "MANAGER",
    "roles/servicePrincipal.manager": "MANAGER",
    "roles/servicePrincipal.user": "USER",
}
_BY_REQUEST_TYPE = {kind.request_object_type: kind for kind in RESOURCE_KINDS if kind.request_object_type}


def resource_kind(name: str) -> ResourceKind | None:
    return _BY_NAME.get(name)


def kind_for_request_type(request_object_type: str) -> ResourceKind | None:
    """The kind behind a permissions API path segment (``jobs``, ``clusters``, ...)."""
    return _BY_REQUEST_TYPE.get(request_object_type)


def kinds_of(family: Family) -> tuple[ResourceKind, ...]:
    return tuple(kind for kind in RESOURCE_KINDS if kind.family == family)


def is_membership(resource_type: str) -> bool:
    """Whether an entitlement on this type is a group membership (account or workspace group)."""
    kind = _BY_NAME.get(resource_type)
    return kind is not None and kind.family == "identity"


def is_privileged_access(resource_type: str, privilege: str, production: bool, name: str | None = None) -> bool:
    """Whether holding ``privilege`` on a resource of this type (and name) makes an item privileged."""
    kind = _BY_NAME.get(resource_type)
    if kind is None:
        return False
    if kind.family in ("account", "workspace"):
        return "ADMIN" in privilege or privilege in kind.privileged
    return kind.is_privileged(privilege, production, name)
