"""Scenario sizes and the deterministic generator of identities (users, groups, service principals).

The ``default`` scenario holds the brief's numbers; ``small`` and ``tiny`` keep the same shape for
fast tests. :func:`services.sandbox.scenario.build_state` puts people and resources together.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from services.core.errors import UsageError
from services.sandbox.model import Group, SandboxState, ServicePrincipal, User


@dataclass(frozen=True)
class ScenarioSize:
    workspaces: int
    production_workspaces: int
    users: int
    groups: int
    service_principals: int
    jobs: int
    production_jobs: int
    metastores: int
    catalogs: int
    schemas: int
    tables: int


SCENARIOS: dict[str, ScenarioSize] = {
    "default": ScenarioSize(120, 30, 1500, 250, 50, 1000, 350, 3, 40, 300, 3000),
    "medium": ScenarioSize(24, 6, 300, 50, 10, 200, 70, 2, 8, 60, 600),
    "small": ScenarioSize(6, 3, 60, 14, 5, 30, 10, 2, 4, 10, 40),
    "tiny": ScenarioSize(3, 2, 16, 7, 3, 8, 4, 1, 2, 4, 10),
}

FIRST = (
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Yusuf",
    "Zoe",
)
LAST = (
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Varga",
    "Wright",
)
DEPARTMENTS = (
    "Engineering",
    "Data Science",
    "Analytics",
    "Finance",
    "Marketing",
    "Sales",
    "Operations",
    "Security",
    "Risk",
    "Product",
)
TITLES = ("Engineer", "Senior Engineer", "Analyst", "Data Scientist", "Manager", "Director", "Specialist")
EPOCH_MS = 1_788_220_800_000  # 2026-09-01T00:00:00Z, the scenario's "now" minus a quarter


def scenario_size(name: str) -> ScenarioSize:
    """A named scenario, or ``<name>*<factor>``: every count times the factor (``default*10`` is
    1,200 workspaces and about 18,000 principals, to see how the cost grows)."""
    base, star, factor = name.partition("*")
    try:
        size = SCENARIOS[base]
    except KeyError:
        raise UsageError(f"unknown scenario {base!r}; known: {', '.join(SCENARIOS)} (optionally *<factor>)") from None
    if not star:
        return size
    if not factor.isdigit() or not 1 <= int(factor) <= 100:
        raise UsageError(f"scenario {name!r}: the factor after * must be a whole number from 1 to 100")
    return ScenarioSize(*(int(factor) * value for value in dataclasses.astuple(size)))


def okta_id(rng: random.Random, prefix: str) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(17))


def add_people(state: SandboxState, size: ScenarioSize, rng: random.Random) -> None:
    """Users, service principals and groups, in that order (the order fixes what the seed gives)."""
    used: set[str] = set()
    _add_users(state, size, rng, used)
    _add_service_principals(state, size, rng, used)
    _add_groups(state, size, rng, used)


def new_uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _scim_id(rng: random.Random, used: set[str]) -> str:
    while True:
        candidate = str(rng.randrange(10**15, 10**16))
        if candidate not in used:
            used.add(candidate)
            return candidate


def _add_users(state: SandboxState, size: ScenarioSize, rng: random.Random, used: set[str]) -> None:
    managers: dict[str, list[str]] = {d: [] for d in DEPARTMENTS}
    for i in range(size.users):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contractor = rng.random() < 0.08
        domain = "contractor.example.com" if contractor else "example.com"
        dept = DEPARTMENTS[i % len(DEPARTMENTS)] if i < len(DEPARTMENTS) * 2 else rng.choice(DEPARTMENTS)
        user = User(
            id=_scim_id(rng, used),
            user_name=f"{first.lower()}.{last.lower()}{i}@{domain}",
            given_name=first,
            family_name=last,
            okta_id=okta_id(rng, "00u"),
            department=dept,
            title=rng.choice(TITLES),
            user_type="contractor" if contractor else "employee",
        )
        if managers[dept]:
            user.manager_okta_id = rng.choice(managers[dept][:5])
        if len(managers[dept]) < 5:
            managers[dept].append(user.okta_id or "")
        _assign_lifecycle(user, rng, i)
        state.users[user.id] = user


def _assign_lifecycle(user: User, rng: random.Random, index: int) -> None:
    """A few percent deactivated in Okta yet active in Databricks; some orphans and Okta-only users."""
    roll = rng.random()
    if index < 3:  # keep every scenario's first users ordinary: managers and owners
        return
    if roll < 0.04:
        user.okta_status = rng.choice(("DEPROVISIONED", "SUSPENDED", "DEPROVISIONED"))
    elif roll < 0.05:
        user.okta_status, user.active = "DEPROVISIONED", False
    elif roll < 0.065:
        user.okta_id = None  # a Databricks-local account: orphan
    elif roll < 0.09:
        user.in_databricks = False  # in Okta, never provisioned to Databricks
    elif roll < 0.10:
        user.okta_status = rng.choice(("STAGED", "PROVISIONED", "LOCKED_OUT", "PASSWORD_EXPIRED"))


def _add_service_principals(state: SandboxState, size: ScenarioSize, rng: random.Random, used: set[str]) -> None:
    for i in range(size.service_principals):
        sp = ServicePrincipal(_scim_id(rng, used), new_uuid(rng), f"sp-etl-{i:02d}")
        state.service_principals[sp.id] = sp


def databricks_users(state: SandboxState) -> list[User]:
    return [u for u in state.users.values() if u.in_databricks]


def _add_groups(state: SandboxState, size: ScenarioSize, rng: random.Random, used: set[str]) -> None:
    users = databricks_users(state)
    okta_users = [u for u in users if u.okta_id and u.okta_status == "ACTIVE"]
    n_dept = min(len(DEPARTMENTS), max(2, size.groups // 8))
    names = ["all-engineers"] + [f"dept-{d.lower().replace(' ', '-')}" for d in DEPARTMENTS[:n_dept]]
    while len(names) < size.groups:
        names.append(f"team-{rng.choice(('etl', 'bi', 'ml', 'fin', 'mkt', 'ops', 'risk'))}-{len(names):03d}")
    groups = [Group(_scim_id(rng, used), name) for name in names]
    for index, group in enumerate(groups):
        _describe_group(group, index, rng, okta_users)
        state.groups[group.id] = group
    by_dept = {f"dept-{d.lower().replace(' ', '-')}": d for d in DEPARTMENTS[:n_dept]}
    dept_groups = groups[1 : 1 + n_dept]
    team_groups = groups[1 + n_dept :]
    for group in dept_groups:
        group.members.extend(u.id for u in users if u.department == by_dept[group.display_name] and rng.random() < 0.5)
    for group in team_groups:
        group.members.extend(u.id for u in rng.sample(users, min(len(users), rng.randint(3, 18))))
        if rng.random() < 0.3:  # nested: a team inside its department group
            rng.choice(dept_groups).members.append(group.id)
        if rng.random() < 0.1:
            group.members.append(rng.choice(list(state.service_principals)))
    engineering = [g for g in dept_groups if g.display_name in ("dept-engineering", "dept-data-science")]
    groups[0].members.extend(g.id for g in engineering or dept_groups[:1])  # the broad group: nested


def _describe_group(group: Group, index: int, rng: random.Random, owners: list[User]) -> None:
    """Okta sync and approver metadata: ~15 % of groups have none anywhere."""
    group.okta_id = okta_id(rng, "00g") if (index < 3 or rng.random() < 0.92) else None
    if index >= 3 and rng.random() < 0.06:  # plus the ~8 % not synced from Okta
        return
    roll = rng.random()
    if group.okta_id and roll < 0.7 and owners:
        picked = rng.sample(owners, min(len(owners), rng.randint(1, 2)))
        group.okta_owner_ids = [u.okta_id for u in picked if u.okta_id]
    if group.okta_id and (roll >= 0.5 or not group.okta_owner_ids) and owners:
        group.approver_attribute = rng.choice(owners).user_name
