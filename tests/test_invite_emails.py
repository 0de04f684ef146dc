# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""An invite to bill queues one email per active invoice contact of the commitment (domain.md §2
and §8), in the same words on SQLite (payapp) and on PostgreSQL (the database, whoever writes the
invite: payapp, or psql as pat's own role). Subject: "<project name>: <who> has invited you to
bill." The body shows what the invite shows and asks its question."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlmodel import col, select

from data.db import reading, writing
from data.models import Commitment, InviteType, OutboxEmail
from data.refusals import Invalid
from data.services import billing_periods, invites
from data.services.actors import actor_for_login
from tests.conftest import DEMO_TODAY
from tests.pg_people import (  # noqa: F401
    Connect,
    Psql,
    admin,
    connect,
    demo_template,
    demo_url,
    psql,
)

SUBJECT = "Mission Bay Medical Office Building: Pat Morales has invited you to bill."
BODY = "\n".join([
    "Pat Morales has invited you to bill SC-2417-031 Site Concrete & Paving.",
    "",
    "Project: 2417 Mission Bay Medical Office Building",
    "Commitment: SC-2417-031 Site Concrete & Paving",
    "Invoice type: Retainage Release",
    "Billing period: Dec 01, 2026 to Dec 31, 2026",
    "Due date: Dec 20, 2026",
    "",
    "Do you want to bill this period? Open payapp and answer Yes or No.",
])
DAN = ("dan@bayside-concrete.example", "Dan Okafor", SUBJECT, BODY)


def _december(engine: Engine) -> tuple[int, int]:
    """November closed and December opened by pat; (December's id, the concrete commitment)."""
    with writing(engine) as session:
        pat = actor_for_login(session, "pat")
        for period in billing_periods.periods_of(session, pat, "2417"):
            if period.status == "open":
                billing_periods.close_period(session, pat, period.period_id)
        december = billing_periods.open_period(
            session, pat, "2417", starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31),
            due_on=date(2026, 12, 20))
        concrete = session.exec(select(Commitment.id)
                                .where(Commitment.number == "SC-2417-031")).one()
        assert concrete is not None
        return december.period_id, concrete


def _invite_emails(engine: Engine) -> list[tuple[str, str, str, str]]:
    with reading(engine) as session:
        return [(e.to_address, e.to_name, e.subject, e.body) for e in session.exec(
            select(OutboxEmail).where(OutboxEmail.kind == "invite",
                                      col(OutboxEmail.subject).startswith("Mission Bay"))
            .order_by(col(OutboxEmail.id))).all()
                if "Dec 20, 2026" in e.body]


def _invite(engine: Engine, period: int, commitment: int) -> None:
    with writing(engine) as session:
        invites.send_invite(session, actor_for_login(session, "pat"), commitment, period,
                            invite_type=InviteType.RETAINAGE_RELEASE, today=DEMO_TODAY)


def test_on_sqlite_payapp_tells_the_contact(sqlite_demo_engine: Engine) -> None:
    period, concrete = _december(sqlite_demo_engine)
    _invite(sqlite_demo_engine, period, concrete)
    assert _invite_emails(sqlite_demo_engine) == [DAN]


def test_a_refused_invite_tells_nobody(sqlite_demo_engine: Engine) -> None:
    period, concrete = _december(sqlite_demo_engine)
    _invite(sqlite_demo_engine, period, concrete)
    with pytest.raises(Invalid, match="already invited"):
        _invite(sqlite_demo_engine, period, concrete)
    assert _invite_emails(sqlite_demo_engine) == [DAN]


@pytest.mark.postgres
def test_on_postgresql_the_database_tells_the_contact_in_the_same_words(
        admin: Engine, connect: Connect) -> None:
    period, concrete = _december(connect("pat"))
    _invite(connect("pat"), period, concrete)
    assert _invite_emails(admin) == [DAN]


@pytest.mark.postgres
def test_invited_in_psql_as_pats_own_role_the_database_tells_the_contact(
        admin: Engine, connect: Connect, psql: Psql) -> None:
    period, concrete = _december(connect("pat"))
    with psql("pat").begin() as pat:
        pat.execute(text(
            "INSERT INTO invite (commitment_id, period_id, invite_type, invited_by_id, "
            "response, version) SELECT :c, :p, 'retainage_release', id, 'pending', 1 "
            "FROM app_user WHERE login = 'pat'"), {"c": concrete, "p": period})
    assert _invite_emails(admin) == [DAN]
