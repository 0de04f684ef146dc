# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""An invoice administrator changes a contact's invoice: the contact reads "Changed by <name> on
<date>" and what changed, and each active contact of the commitment gets one email per save, in
the same words on SQLite (payapp records them) and on PostgreSQL (the database does, whoever
changes the invoice: payapp, or psql as the administrator's own role). The contact's own saves
are no news to them; nobody writes or removes a change record by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from data.db import reading, writing
from data.models import InvoiceChange, OutboxEmail
from data.services.actors import actor_for_login
from data.services.invoice_changes import GeneralInfo, LineEntry, save_lines
from data.services.invoice_notices import ChangeNotice
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

SUBJECT = "Invoice #3 for SC-2417-016 Electrical was changed by Pat Morales"
BODY = "\n".join([
    "Pat Morales changed invoice #3.",
    "",
    "Project: 2417 Mission Bay Medical Office Building",
    "Commitment: SC-2417-016 Electrical",
    "Period: Nov 01, 2026 to Nov 30, 2026",
    "",
    "Open the invoice in payapp to see what changed.",
])


def _first_line(engine: Engine, invoice_id: int) -> tuple[int, str, D]:
    """The first line's SOV line id, item number and work this period."""
    with reading(engine) as session:
        view = load_invoice(session, actor_for_login(session, "pat"), invoice_id)
    line = view.lines[0]
    return line.sov_line_id, line.result.line.item_no, line.result.line.work_this_period


def _pat_changes(engine: Engine, invoice_id: int, work: D) -> None:
    sov_line_id = _first_line(engine, invoice_id)[0]
    with writing(engine) as session:
        save_lines(session, actor_for_login(session, "pat"), invoice_id,
                   {sov_line_id: LineEntry(work=work)},
                   general=GeneralInfo(invoice_number="CE-1103-R"))


def _erins_notices(engine: Engine, invoice_id: int) -> tuple[ChangeNotice, ...]:
    with reading(engine) as session:
        return load_invoice(session, actor_for_login(session, "erin"), invoice_id).admin_changes


def _changed_emails(engine: Engine, invoice_id: int) -> list[tuple[str, str, str, str]]:
    with reading(engine) as session:
        return [(e.to_address, e.to_name, e.subject, e.body) for e in session.exec(
            select(OutboxEmail).where(OutboxEmail.kind == "invoice_changed",
                                      OutboxEmail.invoice_id == invoice_id)
            .order_by(OutboxEmail.id)).all()]  # type: ignore[arg-type]


def _expected_changes(engine: Engine, invoice_id: int, work: D) -> list[str]:
    _, item, was = _first_line(engine, invoice_id)
    return [f"line {item}, work this period: ${was:,.2f} → ${work:,.2f}",
            "invoice number: — → CE-1103-R"]


def _check_pats_change_reaches_erin(pat_engine: Engine, reader: Engine) -> None:
    invoice_id = send_erins_resubmission(pat_engine)
    work = D("1234.56")
    expected = _expected_changes(reader, invoice_id, work)
    assert _erins_notices(reader, invoice_id) == ()
    _pat_changes(pat_engine, invoice_id, work)
    notices = _erins_notices(reader, invoice_id)
    assert len(notices) == 1
    assert notices[0].headline.startswith("Changed by Pat Morales on ")
    assert sorted(notices[0].changes) == sorted(expected)
    assert _changed_emails(reader, invoice_id) == [
        ("erin@coastline-electric.example", "Erin Walsh", SUBJECT, BODY)]
    # A second save is a second notice, newest first, and a second email.
    _pat_changes(pat_engine, invoice_id, D("1000.00"))
    notices = _erins_notices(reader, invoice_id)
    item = _first_line(reader, invoice_id)[1]
    assert notices[0].changes == (f"line {item}, work this period: $1,234.56 → $1,000.00",)
    assert len(_changed_emails(reader, invoice_id)) == 2


def test_on_sqlite_the_contact_reads_what_the_administrator_changed(
        sqlite_demo_engine: Engine) -> None:
    _check_pats_change_reaches_erin(sqlite_demo_engine, sqlite_demo_engine)


def test_the_contacts_own_saves_are_no_news(sqlite_demo_engine: Engine) -> None:
    with writing(sqlite_demo_engine) as session:
        erin = actor_for_login(session, "erin")
    invoice_id = next(i for i in _editable_by_erin(sqlite_demo_engine))
    sov_line_id = _first_line(sqlite_demo_engine, invoice_id)[0]
    with writing(sqlite_demo_engine) as session:
        save_lines(session, erin, invoice_id, {sov_line_id: LineEntry(work=D("10.00"))})
    assert _erins_notices(sqlite_demo_engine, invoice_id) == ()
    assert _changed_emails(sqlite_demo_engine, invoice_id) == []


def _editable_by_erin(engine: Engine) -> list[int]:
    from data.models import Invoice, InvoiceStatus

    with reading(engine) as session:
        return [i.id or 0 for i in session.exec(select(Invoice)).all()
                if i.status == InvoiceStatus.REVISE_AND_RESUBMIT.value]


@pytest.mark.postgres
def test_on_postgresql_the_database_records_the_change_in_the_same_words(
        admin: Engine, connect: Connect) -> None:
    _check_pats_change_reaches_erin(connect("pat"), connect("erin"))
    with admin.connect() as connection:  # stamped by the database: pat, by the database clock
        who = connection.execute(text(
            "SELECT DISTINCT u.login FROM invoice_change c "
            "JOIN app_user u ON u.id = c.changed_by_id")).scalars().all()
    assert who == ["pat"]


@pytest.mark.postgres
def test_from_psql_the_administrators_change_is_recorded_and_nobody_forges_one(
        admin: Engine, psql: Psql) -> None:
    invoice_id = send_erins_resubmission(admin)
    line_id = admin.connect().execute(text(
        "SELECT min(id) FROM invoice_line WHERE invoice_id = :i"), {"i": invoice_id}).scalar()
    with psql("pat").begin() as connection:
        connection.execute(text("UPDATE invoice_line SET work_cents = 99900 WHERE id = :l"),
                           {"l": line_id})
    notices = _erins_notices(psql("erin"), invoice_id)
    assert len(notices) == 1 and notices[0].who == "Pat Morales"
    assert notices[0].changes[0].endswith("→ $999.00")
    assert len(_changed_emails(admin, invoice_id)) == 1
    for login in ("erin", "pat"):
        for statement in (
                "INSERT INTO invoice_change (invoice_id, batch, entity, entity_id, before, "
                "after, changed_by_id, changed_by_name, changed_at) "
                "VALUES (:i, 'x', 'invoice', :i, '{}', '{}', 1, 'Someone', now())",
                "UPDATE invoice_change SET changed_by_name = 'Someone'",
                "DELETE FROM invoice_change"):
            with pytest.raises(DBAPIError, match="permission denied"), \
                    psql(login).begin() as connection:
                connection.execute(text(statement), {"i": invoice_id})
    # Erin reads the notice; a contact of another commitment does not.
    assert _count(psql("erin"), invoice_id) == 1
    assert _count(psql("dan"), invoice_id) == 0


def _count(engine: Engine, invoice_id: int) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM invoice_change WHERE invoice_id = :i"),
            {"i": invoice_id}).scalar_one())


def test_the_record_keeps_the_typed_fields_only(sqlite_demo_engine: Engine) -> None:
    invoice_id = send_erins_resubmission(sqlite_demo_engine)
    _pat_changes(sqlite_demo_engine, invoice_id, D("500.00"))
    with reading(sqlite_demo_engine) as session:
        rows = session.exec(select(InvoiceChange)).all()
    assert {row.entity for row in rows} == {"invoice", "invoice_line"}
    assert len({row.batch for row in rows}) == 1
    assert all("version" not in row.after and "retained" not in row.after for row in rows)


def _paid_invoice(engine: Engine) -> int:
    """erin's invoice #2: approved and paid in full in the demo."""
    from data.models import Commitment, Invoice

    with reading(engine) as session:
        commitment = session.exec(select(Commitment).where(
            Commitment.number == "SC-2417-016")).one()
        invoice = session.exec(select(Invoice).where(Invoice.commitment_id == commitment.id,
                                                     Invoice.position == 2)).one()
        assert invoice.id is not None
        return invoice.id


def test_figures_paid_against_no_longer_change(sqlite_demo_engine: Engine) -> None:
    from data.services.errors import NotAllowed

    invoice_id = _paid_invoice(sqlite_demo_engine)
    sov_line_id = _first_line(sqlite_demo_engine, invoice_id)[0]
    with pytest.raises(NotAllowed, match=r"was paid against invoice #2: its figures can no "
                                         r"longer change"), writing(sqlite_demo_engine) as session:
        save_lines(session, actor_for_login(session, "pat"), invoice_id,
                   {sov_line_id: LineEntry(work=D("1.00"))})
    assert _erins_notices(sqlite_demo_engine, invoice_id) == ()


@pytest.mark.postgres
def test_from_psql_figures_paid_against_no_longer_change(admin: Engine, psql: Psql) -> None:
    invoice_id = _paid_invoice(admin)
    with admin.connect() as connection:
        line_id = connection.execute(text(
            "SELECT min(id) FROM invoice_line WHERE invoice_id = :i"), {"i": invoice_id}).scalar()
    for statement in ("UPDATE invoice_line SET work_cents = work_cents + 100 WHERE id = :l",
                      "UPDATE invoice SET invoice_number = 'X-1' WHERE id = :i"):
        with pytest.raises(DBAPIError, match="was paid against this invoice"), \
                psql("pat").begin() as connection:
            connection.execute(text(statement), {"i": invoice_id, "l": line_id})
