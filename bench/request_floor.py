"""The fewest API requests a complete collection of a scenario can make, counted from the scenario
itself (not from the collector): one request per list (ignoring paging), per object whose ACL or
detail must be read, per directory of the workspace tree, and, with the SQL path, two statements
per metastore instead of its per-securable calls and one ``system.lakeflow.jobs`` statement for
every job's run-as instead of a ``jobs.get`` per job."""

from __future__ import annotations

from collections import Counter

from services.sandbox.model import SandboxState, Workspace

PER_WORKSPACE_FIXED = {
    "permission assignments": 1,
    "metastore assignment": 1,
    "local groups": 1,
    "caller (SCIM Me)": 1,
    "entitlement holders (groups, service principals, users)": 3,
    "audit: warehouses + statement": 2,
}
LISTS_PER_WORKSPACE = (
    12  # jobs, clusters, warehouses, pipelines, policies, pools, endpoints, models, experiments, repos, scopes, tokens
)
PER_METASTORE_SQL = {"warehouses": 1, "summary": 1, "catalogs": 1, "statements": 2, "shares": 1, "models list": 1}


def _workspace(ws: Workspace) -> Counter[str]:
    out: Counter[str] = Counter(PER_WORKSPACE_FIXED)
    out["object lists"] += LISTS_PER_WORKSPACE
    out["job ACLs"] += len(ws.jobs)
    out["cluster and warehouse ACLs"] += len(ws.clusters) + len(ws.warehouses)
    for path, objects in ws.acl_objects.items():
        out["other object ACLs"] += len(objects) * (2 if path == "registered-models" else 1)
    out["secret scope ACLs"] += len(ws.secret_scopes)
    out["token permissions"] += 1
    directories = {o.path.rsplit("/", 1)[0] or "/" for o in ws.objects} | {"/"}
    directories |= {o.path for o in ws.objects if o.object_type == "DIRECTORY"}
    out["workspace tree lists"] += len(directories)
    out["tree object ACLs"] += len(ws.objects)
    return out


def minimum_requests(state: SandboxState) -> Counter[str]:
    out: Counter[str] = Counter()
    out["account lists (users, groups, service principals, workspaces)"] = 4
    out["account group reads (members)"] = len(state.groups)
    out["account rule sets"] = len(state.groups) + len(state.service_principals)
    out["jobs' run-as (system.lakeflow.jobs)"] = 1
    for ws in state.workspaces.values():
        out.update(_workspace(ws))
    for metastore in state.metastores():
        out.update(PER_METASTORE_SQL)
        models = [s for s in state.securables.values() if s.kind == "model" and s.metastore_id == metastore.metastore_id]
        out["model grants"] += len(models)
    return out
