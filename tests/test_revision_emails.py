# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""An invoice sent back for revision (by hand, or because a line was rejected) queues one email
per active invoice contact of the commitment, in the same words on SQLite (payapp) and on
PostgreSQL (the database, whoever moves the invoice: payapp or psql as pat's own role)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from data.db import reading, writing
from data.models import LineReview, OutboxEmail
from data.services.actors import actor_for_login
from data.services.invoice_review import mark_lines
from data.services.invoice_views import load_invoice
from tests.invoice_pilot import send_erins_resubmission
from tests.pg_people import (  # noqa: F401
    Connect,
    Psql,
    admin,
    connect,
    demo_template,
    demo_url,
    psql,
)

SUBJECT = "Invoice #3 for SC-2417-016 Electrical needs revision"
BODY = "\n".join([
    "Pat Morales sent invoice #3 back for revision.",
    "",
    "Project: 2417 Mission Bay Medical Office Building",
    "Commitment: SC-2417-016 Electrical",
    "Period: Nov 01, 2026 to Nov 30, 2026",
    "",
    "Open payapp to read the reviewer's comments, then send the invoice again.",
])


def _last_email(engine: Engine) -> int:
    with reading(engine) as session:
        return max((e.id or 0 for e in session.exec(select(OutboxEmail)).all()), default=0)


def _sent_back_emails(engine: Engine, invoice_id: int, after: int
                      ) -> list[tuple[str, str, str, str]]:
    """The sent-back emails queued since `after` (the demo sent this invoice back once)."""
    with reading(engine) as session:
        return [(e.to_address, e.to_name, e.subject, e.body) for e in session.exec(
            select(OutboxEmail).where(OutboxEmail.kind == "invoice_sent_back",
                                      OutboxEmail.invoice_id == invoice_id)).all()
                if (e.id or 0) > after]


def _reject_first_line(engine: Engine, invoice_id: int) -> None:
    with writing(engine) as session:
        pat = actor_for_login(session, "pat")
        view = load_invoice(session, pat, invoice_id)
        mark_lines(session, pat, invoice_id, [view.lines[0].sov_line_id], LineReview.REJECTED,
                   comment="Billed twice", version=view.version)


def test_on_sqlite_payapp_tells_the_contact(sqlite_demo_engine: Engine) -> None:
    invoice_id = send_erins_resubmission(sqlite_demo_engine)
    last = _last_email(sqlite_demo_engine)
    _reject_first_line(sqlite_demo_engine, invoice_id)
    assert _sent_back_emails(sqlite_demo_engine, invoice_id, last) == [
        ("erin@coastline-electric.example", "Erin Walsh", SUBJECT, BODY)]


@pytest.mark.postgres
def test_on_postgresql_the_database_tells_the_contact_in_the_same_words(
        admin: Engine, connect: Connect) -> None:
    invoice_id = send_erins_resubmission(connect("erin"))
    last = _last_email(admin)
    _reject_first_line(connect("pat"), invoice_id)
    assert _sent_back_emails(admin, invoice_id, last) == [
        ("erin@coastline-electric.example", "Erin Walsh", SUBJECT, BODY)]


@pytest.mark.postgres
def test_sent_back_in_psql_as_pats_own_role_the_database_tells_the_contact(
        admin: Engine, connect: Connect, psql: Psql) -> None:
    invoice_id = send_erins_resubmission(connect("erin"))
    last = _last_email(admin)
    with psql("pat").begin() as pat:
        pat.execute(text("UPDATE invoice SET status = 'revise_resubmit', version = version + 1 "
                         "WHERE id = :i"), {"i": invoice_id})
    assert _sent_back_emails(admin, invoice_id, last) == [
        ("erin@coastline-electric.example", "Erin Walsh", SUBJECT, BODY)]
