"""The writes the enforcer makes, and the reads it makes right before them, through the SDKs.

Every write is one documented SDK call with the semantics the real service has:

- group membership: SCIM PATCH ``remove`` of one member (``members[value eq "<id>"]``) or ``add``;
- object permissions: ``permissions.set`` (PUT) replaces every direct grant, so the caller
  writes back the full remaining direct list (with its one owner), never an empty one;
- Unity Catalog: ``grants.update`` with ``add``/``remove`` at the securable the privilege was
  granted on (removing an absent privilege is a silent no-op);
- workspace assignment: ``workspace_assignment.update`` (ADMIN to USER) or ``delete``;
- secret scopes: ``secrets.delete_acl`` / ``put_acl``.

A 400 (the service refused the write as invalid) and a 409 (a concurrent change) are final,
not retried: :class:`~services.core.errors.ConflictError` carries the service's message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from databricks.sdk.errors import BadRequest, InvalidParameterValue, ResourceConflict
from databricks.sdk.service import catalog, iam, workspace

from services.adapters.databricks.client import DatabricksClients, _as_dicts
from services.core.errors import ConflictError

T = TypeVar("T")


class WriteCalls(DatabricksClients):
    def _write(self, where: str, fn: Callable[[], T], api: str | None = None, budget: str | None = None) -> T:
        def guarded() -> T:
            try:
                return fn()
            except (BadRequest, InvalidParameterValue, ResourceConflict) as exc:
                raise ConflictError(f"{where}: Databricks refused the change ({exc})", where=where) from None

        return self.call(where, guarded, api=api, budget=budget)

    # -- group membership (account SCIM, or a workspace's local SCIM) --------------------------
    def group_member_ids(self, group_id: str, ws: str | None = None) -> list[str]:
        if ws is None:
            group = self.call("account", lambda: self.account().groups.get(group_id), budget="account SCIM GET")
        else:
            group = self.call(f"workspace {ws}", lambda: self.workspace(ws).groups.get(group_id))
        return sorted(str(m.value) for m in group.members or [] if m.value)

    def patch_group_member(self, group_id: str, member_id: str, op: str, ws: str | None = None) -> None:
        """``op``: ``remove`` or ``add`` one member (SCIM PATCH, RFC 7644 §3.5.2)."""
        if op == "remove":
            operation = iam.Patch(op=iam.PatchOp.REMOVE, path=f'members[value eq "{member_id}"]')
        else:
            operation = iam.Patch(op=iam.PatchOp.ADD, path="members", value=[{"value": member_id}])
        schemas = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]
        if ws is None:
            self._write(
                "account",
                lambda: self.account().groups.patch(group_id, operations=[operation], schemas=schemas),
                budget="account SCIM write",
            )
        else:
            self._write(
                f"workspace {ws}", lambda: self.workspace(ws).groups.patch(group_id, operations=[operation], schemas=schemas)
            )

    # -- workspace entitlements (SCIM, per workspace) ---------------------------------------------
    def workspace_entitlements(self, ws: str, principal_type: str, principal_id: str) -> list[str]:
        """The entitlements a principal holds directly in a workspace (SCIM ``entitlements``)."""
        api = self._scim_api(ws, principal_type)
        found = self.call(
            f"workspace {ws}", lambda: list(api.list(filter=f'id eq "{principal_id}"', attributes="id,entitlements"))
        )
        return sorted(str(e.value) for item in found for e in item.entitlements or [] if e.value)

    def patch_entitlement(self, ws: str, principal_type: str, principal_id: str, op: str, value: str) -> None:
        """SCIM PATCH ``add``/``remove`` of one entitlement (terraform scim/resource_entitlement.go)."""
        operation = iam.Patch(op=iam.PatchOp(op), path="entitlements", value=[{"value": value}])
        schemas = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]
        api = self._scim_api(ws, principal_type)
        self._write(f"workspace {ws}", lambda: api.patch(principal_id, operations=[operation], schemas=schemas))

    def _scim_api(self, ws: str, principal_type: str) -> Any:
        w = self.workspace(ws)
        return {"user": w.users, "group": w.groups, "service_principal": w.service_principals}[principal_type]

    # -- object permissions --------------------------------------------------------------------
    def set_permissions(self, ws: str, object_type: str, object_id: str, acl: list[dict[str, Any]]) -> dict[str, Any]:
        """PUT the full direct ACL (``permissions.set``): whatever is not listed is removed."""
        requests = [iam.AccessControlRequest.from_dict(entry) for entry in acl]
        return self._write(
            f"workspace {ws}",
            lambda: self.workspace(ws).permissions.set(object_type, object_id, access_control_list=requests).as_dict(),
            budget="permissions write",
        )

    # -- Unity Catalog ---------------------------------------------------------------------------
    def update_grants(self, ws: str, securable_type: str, full_name: str, principal: str, op: str, privileges: list[str]) -> None:
        """``grants.update`` with one change: ``op`` ``remove`` or ``add`` these privileges."""
        privs = [catalog.Privilege(p) for p in privileges]
        change = catalog.PermissionsChange(principal=principal, **({"remove": privs} if op == "remove" else {"add": privs}))
        self._write(
            f"workspace {ws}", lambda: self.workspace(ws).grants.update(securable_type.lower(), full_name, changes=[change])
        )

    # -- workspace assignment --------------------------------------------------------------------
    def assignment_of(self, workspace_id: int, principal_id: str) -> list[str]:
        """The permissions a principal is assigned directly on a workspace ([] when none)."""
        for item in self.call("account", lambda: _as_dicts(self.account().workspace_assignment.list(workspace_id))):
            if str((item.get("principal") or {}).get("principal_id")) == principal_id:
                return sorted(str(p) for p in item.get("permissions") or [])
        return []

    def set_assignment(self, workspace_id: int, principal_id: str, permissions: list[str]) -> None:
        """Assign exactly ``permissions``; an empty list deletes the assignment."""
        account = self.account()
        if permissions:
            perms = [iam.WorkspacePermission(p) for p in permissions]
            self._write(
                "account", lambda: account.workspace_assignment.update(workspace_id, int(principal_id), permissions=perms)
            )
        else:
            self._write("account", lambda: account.workspace_assignment.delete(workspace_id, int(principal_id)))

    # -- account rule sets (group managers, service principal users and managers) ----------------
    def service_principal_app_id(self, sp_id: str) -> str:
        return str(
            self.call("account", lambda: self.account().service_principals.get(sp_id).application_id, budget="account SCIM GET")
        )

    def set_rule_set_role(self, resource: str, role: str, principals: list[str]) -> None:
        """Give exactly ``principals`` the ``role`` in the rule set of ``resource``, every other
        rule as it is: read with its etag, PUT the full rule set back (a concurrent change is a
        409 RESOURCE_CONFLICT, raised as ConflictError: the caller plans again)."""
        name = f"accounts/{self.target.account_id}/{resource}/ruleSets/default"
        api = self.account().access_control
        current = self.call("account", lambda: api.get_rule_set(name, ""))
        rules = [r for r in current.grant_rules or [] if r.role != role]
        if principals:
            rules.append(iam.GrantRule(role=role, principals=sorted(principals)))
        update = iam.RuleSetUpdateRequest(name=name, etag=str(current.etag), grant_rules=rules)
        self._write("account", lambda: api.update_rule_set(name, update))

    # -- secret scopes ---------------------------------------------------------------------------
    def put_secret_acl(self, ws: str, scope: str, principal: str, permission: str) -> None:
        level = workspace.AclPermission(permission)
        self._write(f"workspace {ws}", lambda: self.workspace(ws).secrets.put_acl(scope, principal, level))

    def delete_secret_acl(self, ws: str, scope: str, principal: str) -> None:
        self._write(f"workspace {ws}", lambda: self.workspace(ws).secrets.delete_acl(scope, principal))
