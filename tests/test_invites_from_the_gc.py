# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""The invoice administrator invites commitments to bill the open period: each sent or refused
on its own with the reason (domain.md §2); from home's palette at 80×24, and as pat's own role
on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from data.db import reading, writing
from data.models import BillingPeriod, Commitment, Invite, InviteType, PeriodStatus
from data.services.actors import actor_for_login
from data.services.billing_periods import close_period, open_period
from data.services.invites import invite_to_bill
from tests.invoice_pilot import make_app, run_command, settle
from tests.pg_people import (  # noqa: F401
    Connect,
    admin,
    connect,
    demo_template,
    demo_url,
)
from tui.dialogs import Choose, Report

TODAY = date(2026, 12, 2)


def _december(engine: Engine) -> int:
    """November closed, December open: a new month nobody is invited to yet."""
    with writing(engine) as session:
        pat = actor_for_login(session, "pat")
        november = session.exec(select(BillingPeriod).where(
            BillingPeriod.status == PeriodStatus.OPEN.value)).one()
        close_period(session, pat, november.id or 0)
    with writing(engine) as session:
        return open_period(session, actor_for_login(session, "pat"), "2417",
                           starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31),
                           due_on=date(2026, 12, 24)).period_id


def _commitments(engine: Engine) -> dict[str, int]:
    with reading(engine) as session:
        return {c.number: c.id or 0 for c in session.exec(select(Commitment)).all()}


def test_each_commitment_is_invited_or_refused_with_the_reason(demo_engine: Engine) -> None:
    december = _december(demo_engine)
    ids = _commitments(demo_engine)
    with writing(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        first = invite_to_bill(session, pat, [ids["SC-2417-016"]],
                               invite_type=InviteType.WORK_AND_MATERIALS, today=TODAY)
        again = invite_to_bill(session, pat, sorted(ids.values()),
                               invite_type=InviteType.WORK_AND_MATERIALS, today=TODAY)
        late = invite_to_bill(session, pat, [ids["SC-2417-031"]],
                              invite_type=InviteType.RETAINAGE_RELEASE, today=date(2026, 12, 25))
    assert first == [("SC-2417-016", None)]
    assert dict(again) == {"SC-2417-016": "commitment SC-2417-016 is already invited for this "
                                          "period", "SC-2417-031": None}
    assert late == [("SC-2417-031", "the period's due date (Dec 24, 2026) has passed")]
    with reading(demo_engine) as session:
        invited = session.exec(select(Invite).where(Invite.period_id == december)).all()
        assert len(invited) == 2


def test_a_contact_cannot_invite(demo_engine: Engine) -> None:
    _december(demo_engine)
    ids = _commitments(demo_engine)
    with writing(demo_engine) as session:
        outcome = invite_to_bill(session, actor_for_login(session, "erin"),
                                 [ids["SC-2417-016"]], invite_type=InviteType.WORK_AND_MATERIALS,
                                 today=TODAY)
    assert outcome == [("SC-2417-016", "only an invoice administrator of the project sends "
                                       "invites")]


@pytest.mark.postgres
def test_as_pats_own_role(admin: Engine, connect: Connect) -> None:
    pat = connect("pat")
    december = _december(pat)
    ids = _commitments(pat)
    with writing(pat) as session:
        outcome = invite_to_bill(session, actor_for_login(session, "pat"), sorted(ids.values()),
                                 invite_type=InviteType.WORK_MATERIALS_AND_RETAINAGE,
                                 today=TODAY)
    assert [why for _, why in outcome] == [None, None]
    with reading(admin) as session:
        assert len(session.exec(select(Invite).where(Invite.period_id == december)).all()) == 2


async def test_from_the_palette_every_commitment_of_the_project(
        sqlite_demo_engine: Engine) -> None:
    december = _december(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Invite every commitment of the project")
        assert isinstance(app.screen, Choose) and "the 2 commitments of project 2417" in \
            app.screen.question
        await pilot.press("a")  # All: work, materials and retainage
        await settle(pilot)
        report = app.screen
        assert isinstance(report, Report) and report.title_text == "Invites sent: 2 of 2"
        assert all("invited (Work, Materials, and Retainage)" in line for line in report.lines)
    with reading(sqlite_demo_engine) as session:
        kinds = {i.invite_type for i in session.exec(
            select(Invite).where(Invite.period_id == december)).all()}
        assert kinds == {InviteType.WORK_MATERIALS_AND_RETAINAGE.value}

