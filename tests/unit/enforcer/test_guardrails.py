"""Each guardrail blocks what it must and lets the rest through (one test class per rule)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.core.settings import Settings
from services.db.base import Base
from services.enforcer.actions import ManualChange, resolve
from services.enforcer.facts import Facts, fact_row, record_observations
from services.enforcer.guardrails import (
    GuardInput,
    blast_radius,
    collected_first,
    evaluate,
    freeze_window,
    last_admin,
    last_owner,
    production_owner,
    production_run_as,
    run_as_needs,
    service_principal_jobs,
)

NOW = 1_790_000_000_000_000
JOB = {
    "type": "job",
    "id": "101/7",
    "name": "nightly-etl",
    "workspace_id": "101",
    "workspace_name": "fin-prod",
    "production": True,
    "owner": "o@example.com",
}
TABLE = {
    "type": "table",
    "id": "m1/prod.fin.ledger",
    "name": "prod.fin.ledger",
    "workspace_id": None,
    "production": True,
    "owner": "o@example.com",
}
WS = {
    "type": "workspace",
    "id": "101",
    "name": "fin-prod",
    "workspace_id": "101",
    "workspace_name": "fin-prod",
    "production": True,
}


def ent(principal: tuple[str, str], resource: dict[str, Any], privilege: str, via: tuple[str, ...] = ()) -> dict[str, Any]:
    ptype, pid = principal
    key = f"{ptype}:{pid}|{resource['type']}:{resource['id']}|{privilege}|" + (f"via:{'>'.join(via)}" if via else "direct")
    return {
        "key": key,
        "scope": "workspace:101",
        "principal": {"type": ptype, "id": pid, "name": f"{pid}@example.com" if ptype == "user" else pid, "okta_id": None},
        "resource": {"tags": {}, **resource},
        "privilege": privilege,
        "via_groups": list(via),
        "inherited_from": None,
        "managed_by": None,
    }


SP = ("service_principal", "sp-etl")
ALICE = ("user", "alice")
BOB = ("user", "bob")
ETL = ("group", "g-etl")


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    import services.enforcer.models  # noqa: F401 - the tables

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s


def facts(session: Session, *ents: dict[str, Any]) -> Facts:
    record_observations(session, [fact_row(e, f"ev{i}") for i, e in enumerate(ents)], [])
    return Facts(session)


def guard(session: Session, e: dict[str, Any], *known: dict[str, Any], **extra: Any) -> GuardInput:
    settings = extra.pop("settings", Settings(env="test"))
    return GuardInput(
        revocation_id="r-1",
        batch_id="c-1/workspace:101",
        mode_scope="workspace:101",
        entitlement=e,
        action=extra.pop("action", resolve(e)),
        before=extra.pop("before", None),
        after=extra.pop("after", None),
        facts=facts(session, *known),
        settings=settings,
        now_us=NOW,
        **extra,
    )


class TestProductionRunAs:
    def test_the_run_as_identity_of_a_production_job_is_kept(self, session: Session) -> None:
        e = ent(SP, JOB, "RUN_AS")
        verdict = production_run_as.check(guard(session, e, e))
        assert verdict is not None and verdict.outcome == "block" and "runs as" in verdict.reason

    def test_a_development_job_is_not_this_rule_s_business(self, session: Session) -> None:
        e = ent(SP, {**JOB, "production": False}, "RUN_AS")
        assert production_run_as.check(guard(session, e, e)) is None


class TestProductionOwner:
    def test_the_owner_of_a_production_job_stays(self, session: Session) -> None:
        e = ent(ALICE, JOB, "IS_OWNER")
        verdict = production_owner.check(guard(session, e, e))
        assert verdict is not None and verdict.rule == "production_owner"

    def test_a_viewer_is_not_an_owner(self, session: Session) -> None:
        e = ent(ALICE, JOB, "CAN_VIEW")
        assert production_owner.check(guard(session, e, e)) is None


class TestRunAsNeeds:
    def test_a_grant_the_run_as_identity_holds_is_kept(self, session: Session) -> None:
        run_as, grant = ent(SP, JOB, "RUN_AS"), ent(SP, TABLE, "SELECT")
        verdict = run_as_needs.check(guard(session, grant, run_as, grant))
        assert verdict is not None and "run-as identity" in verdict.reason

    def test_a_group_grant_the_identity_holds_through_the_group_is_kept(self, session: Session) -> None:
        run_as, group_grant, through = ent(SP, JOB, "RUN_AS"), ent(ETL, TABLE, "SELECT"), ent(SP, TABLE, "SELECT", ("g-etl",))
        verdict = run_as_needs.check(guard(session, group_grant, run_as, group_grant, through))
        assert verdict is not None and "through group" in verdict.reason

    def test_someone_else_s_grant_goes(self, session: Session) -> None:
        run_as, grant = ent(SP, JOB, "RUN_AS"), ent(ALICE, TABLE, "SELECT")
        assert run_as_needs.check(guard(session, grant, run_as, grant)) is None


class TestLastAdmin:
    def test_the_last_workspace_admin_stays(self, session: Session) -> None:
        admin = ent(ALICE, WS, "ADMIN")
        verdict = last_admin.check(guard(session, admin, admin))
        assert verdict is not None and verdict.rule == "last_admin"

    def test_one_of_two_admins_may_go(self, session: Session) -> None:
        admin, other = ent(ALICE, WS, "ADMIN"), ent(BOB, WS, "ADMIN")
        assert last_admin.check(guard(session, admin, admin, other)) is None

    def test_a_group_that_is_everyone_s_only_way_in_stays(self, session: Session) -> None:
        group_admin, through = ent(ETL, WS, "ADMIN"), ent(ALICE, WS, "ADMIN", ("g-etl",))
        assert last_admin.check(guard(session, group_admin, group_admin, through)) is not None

    def test_leaving_the_group_that_makes_the_last_admin_stays(self, session: Session) -> None:
        group = {"type": "group", "id": "g-etl", "name": "etl-admins", "workspace_id": None, "production": False}
        membership, through = ent(ALICE, group, "MEMBER"), ent(ALICE, WS, "ADMIN", ("g-etl",))
        assert last_admin.check(guard(session, membership, membership, through)) is not None


class TestLastOwner:
    acl_before = {
        "acl": [
            {"user_name": "alice@example.com", "permission_level": "IS_OWNER"},
            {"user_name": "bob@example.com", "permission_level": "CAN_VIEW"},
        ]
    }

    def test_an_ownerless_acl_is_never_written(self, session: Session) -> None:
        e = ent(BOB, JOB, "CAN_VIEW")
        after = {"acl": [{"user_name": "bob@example.com", "permission_level": "CAN_VIEW"}]}
        assert last_owner.check(guard(session, e, before=self.acl_before, after=after)) is not None

    def test_an_empty_acl_is_never_written(self, session: Session) -> None:
        e = ent(BOB, {**JOB, "type": "cluster"}, "CAN_ATTACH_TO")
        assert (
            last_owner.check(
                guard(session, e, before={"acl": [{"user_name": "b", "permission_level": "CAN_ATTACH_TO"}]}, after={"acl": []})
            )
            is not None
        )

    def test_removing_a_viewer_keeps_the_owner(self, session: Session) -> None:
        e = ent(BOB, JOB, "CAN_VIEW")
        after = {"acl": [{"user_name": "alice@example.com", "permission_level": "IS_OWNER"}]}
        assert last_owner.check(guard(session, e, before=self.acl_before, after=after)) is None


class TestServicePrincipalJobs:
    def test_a_job_s_service_principal_waits_for_approval(self, session: Session) -> None:
        run_as = ent(SP, {**JOB, "production": False}, "RUN_AS")
        grant = ent(SP, {**TABLE, "production": False}, "SELECT")
        verdict = service_principal_jobs.check(guard(session, grant, run_as, grant))
        assert verdict is not None and verdict.outcome == "pause" and "revoke approve r-1" in verdict.reason

    def test_an_approval_lets_it_go(self, session: Session) -> None:
        run_as, grant = ent(SP, {**JOB, "production": False}, "RUN_AS"), ent(SP, TABLE, "SELECT")
        assert service_principal_jobs.check(guard(session, grant, run_as, grant, approved={"r-1"})) is None


class TestBlastRadius:
    def test_past_the_hourly_limit_the_batch_pauses(self, session: Session) -> None:
        e = ent(ALICE, JOB, "CAN_VIEW")
        verdict = blast_radius.check(guard(session, e, applied_last_hour=50))
        assert verdict is not None and verdict.outcome == "pause" and "past hour" in verdict.reason

    def test_a_batch_past_its_share_of_the_workspace_pauses_until_approved(self, session: Session) -> None:
        people = [ent(("user", f"u{i}"), WS, "USER") for i in range(100)]
        e = ent(ALICE, JOB, "CAN_VIEW")
        paused = blast_radius.check(guard(session, e, *people, batch_principals=11))
        assert paused is not None and "10%" in paused.reason
        assert blast_radius.check(guard(session, e, *people, batch_principals=11, approved={"c-1/workspace:101"})) is None
        assert blast_radius.check(guard(session, e, *people, batch_principals=10)) is None


class TestFreezeWindow:
    def test_nothing_is_enforced_inside_a_window(self, session: Session) -> None:
        settings = Settings(env="test", enforcer_freeze_windows=["2026-09-20T00:00:00+00:00/2026-10-05T00:00:00+00:00"])
        e = ent(ALICE, JOB, "CAN_VIEW")
        verdict = freeze_window.check(guard(session, e, settings=settings))
        assert verdict is not None and verdict.outcome == "freeze" and verdict.resume_at is not None and verdict.resume_at > NOW

    def test_outside_a_window_it_goes(self, session: Session) -> None:
        settings = Settings(env="test", enforcer_freeze_windows=["2027-01-01T00:00:00+00:00/2027-01-05T00:00:00+00:00"])
        assert freeze_window.check(guard(session, ent(ALICE, JOB, "CAN_VIEW"), settings=settings)) is None

    def test_a_malformed_window_is_a_clear_error(self, session: Session) -> None:
        from services.core.errors import ConfigError

        with pytest.raises(ConfigError, match="START/END"):
            freeze_window.windows(["2027-01-01"])


class TestAutomaticOnly:
    def test_ownership_and_group_paths_become_change_requests(self, session: Session) -> None:
        for e in (ent(ALICE, TABLE, "OWNER"), ent(ALICE, JOB, "CAN_VIEW", ("g-etl",))):
            action = resolve(e)
            assert isinstance(action, ManualChange)
            verdict = evaluate(guard(session, e, e, action=action))
            assert verdict is not None and verdict.outcome == "block" and verdict.rule == "automatic_only"


class TestCollectedFirst:
    def test_an_entitlement_the_facts_do_not_have_yet_waits(self, session: Session) -> None:
        e = ent(ALICE, JOB, "CAN_VIEW")
        verdict = evaluate(guard(session, e))
        assert verdict is not None and verdict.rule == "collected_first" and verdict.resume_at is not None
        assert collected_first.check(guard(session, e, e)) is None
