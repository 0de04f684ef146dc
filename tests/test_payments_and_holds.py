# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""Payments and holds on payment (data/services/payments.py, data/services/payment_holds.py),
on SQLite and PostgreSQL, and from psql as the people's own roles (migration 0013).

The worked example: erin's invoice #3 on the electrical commitment bills only line 1
(scheduled $38,500.00, $26,950.00 billed before) $12,550.00 this period: $39,500.00 to date,
$1,000.00 past its scheduled value. Retainage is 10 %: $1,255.00, so the payment due
(G702 line 8) is $12,550.00 − $1,255.00 = $11,295.00. Pat approves it; it is held.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from data.audit_chain import DATABASE_ACTION_PREFIX
from data.db import reading, writing
from data.models import (
    AuditEntry,
    Commitment,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentHoldRelease,
    PaymentStatus,
    SovLine,
)
from data.refusals import Invalid, NotAllowed
from data.services.actors import actor_for_login
from data.services.invoice_changes import LineEntry, change_status, save_lines
from data.services.invoice_views import load_invoice
from data.services.payment_holds import HeldFromPayment, holds_of, release_hold
from data.services.payments import overpayment, paid_cents, record_payment
from tests.pg_people import (  # noqa: F401  (fixtures)
    ELECTRICAL,
    Connect,
    Psql,
    admin,
    connect,
    demo_template,
    demo_url,
    psql,
)

PAID_ON = date(2026, 11, 20)
DUE = Decimal("11295.00")
LINE_1_HELD = "line 1 is overbilled: $39,500.00 to date against $38,500.00 scheduled"
REFUSED = "42501"  # insufficient_privilege: a grant, a policy or a trigger said no


# --- the example -----------------------------------------------------------------------------


def sov_line(engine: Engine, item_no: str) -> int:
    """The id of the electrical commitment's original SOV line `item_no`."""
    with reading(engine) as session:
        found = session.exec(select(SovLine.id).join(Commitment).where(
            Commitment.number == ELECTRICAL, SovLine.item_no == item_no,
            col(SovLine.change_order_id).is_(None))).one()
        assert found is not None
        return found


def erins_invoice_3(engine: Engine) -> int:
    with reading(engine) as session:
        found = session.exec(select(Invoice.id).join(Commitment).where(
            Commitment.number == ELECTRICAL, Invoice.position == 3)).one()
        assert found is not None
        return found


def save(engine: Engine, login: str, invoice_id: int, entries: dict[int, LineEntry]) -> None:
    with writing(engine) as session:
        save_lines(session, actor_for_login(session, login), invoice_id, entries)


def move(engine: Engine, login: str, invoice_id: int, target: InvoiceStatus) -> None:
    with writing(engine) as session:
        change_status(session, actor_for_login(session, login), invoice_id, target)


def bill_only_line_1(engine: Engine, work: Decimal = Decimal("12550.00")) -> int:
    """Erin bills only line 1 on her invoice #3 and sends it (Under Review); its id."""
    invoice_id = erins_invoice_3(engine)
    with reading(engine) as session:
        saved = session.exec(select(InvoiceLine.sov_line_id)
                             .where(InvoiceLine.invoice_id == invoice_id)).all()
    nothing = LineEntry(work=Decimal(0), new_stored=Decimal(0), stored_installed=Decimal(0),
                        release=Decimal(0))
    entries = dict.fromkeys(saved, nothing)
    entries[sov_line(engine, "1")] = LineEntry(work=work)
    save(engine, "erin", invoice_id, entries)
    move(engine, "erin", invoice_id, InvoiceStatus.UNDER_REVIEW)
    return invoice_id


def approved_and_held(engine: Engine) -> int:
    """The worked example, approved by pat: held, line 1 overbilled; its id."""
    invoice_id = bill_only_line_1(engine)
    move(engine, "pat", invoice_id, InvoiceStatus.APPROVED)
    return invoice_id


def holds(engine: Engine, login: str, invoice_id: int) -> list[str]:
    with reading(engine) as session:
        return holds_of(session, actor_for_login(session, login), invoice_id)


def release(engine: Engine, login: str, invoice_id: int, reason: str) -> PaymentHoldRelease:
    with writing(engine) as session:
        made = release_hold(session, actor_for_login(session, login), invoice_id, reason)
        session.expunge(made)
        return made


def pay(engine: Engine, login: str, invoice_id: int, amount: str) -> None:
    with writing(engine) as session:
        record_payment(session, actor_for_login(session, login), invoice_id, Decimal(amount),
                       paid_on=PAID_ON, reference="CHK 1042")


def paid(engine: Engine, invoice_id: int) -> int:
    with reading(engine) as session:
        return paid_cents(session, invoice_id)


def status(engine: Engine, invoice_id: int) -> PaymentStatus:
    with reading(engine) as session:
        return load_invoice(session, actor_for_login(session, "pat"), invoice_id).payment_status


# --- the services, on SQLite and PostgreSQL --------------------------------------------------


def test_the_over_payment_message_says_what_is_still_owed() -> None:
    due, so_far = Decimal("11295.00"), Decimal("10000.00")
    assert overpayment(due, so_far, Decimal("1295.00")) is None
    assert overpayment(due, so_far, Decimal("1295.01")) == (
        "this payment would bring the total paid to $11,295.01, over the $11,295.00 due; "
        "at most $1,295.00 can still be paid")
    assert overpayment(Decimal("-900.00"), Decimal(0), Decimal("0.01")) == (
        "this payment would bring the total paid to $0.01, over the -$900.00 due; "
        "at most $0.00 can still be paid")


def test_a_held_invoice_refuses_payment_until_released_then_takes_at_most_its_due(
        demo_engine: Engine) -> None:
    invoice_id = approved_and_held(demo_engine)
    with reading(demo_engine) as session:
        view = load_invoice(session, actor_for_login(session, "pat"), invoice_id)
    assert view.summary.current_payment_due == DUE
    assert view.summary.total_retained_this_period == Decimal("1255.00")
    assert holds(demo_engine, "pat", invoice_id) == [LINE_1_HELD]

    with pytest.raises(HeldFromPayment, match="line 1 is overbilled") as held:
        pay(demo_engine, "pat", invoice_id, "100.00")
    assert held.value.reasons == [LINE_1_HELD]
    assert paid(demo_engine, invoice_id) == 0

    with pytest.raises(Invalid, match="say why"):
        release(demo_engine, "pat", invoice_id, "   ")
    release(demo_engine, "pat", invoice_id, "Owner approved the extra mobilization (CO to come)")
    assert holds(demo_engine, "pat", invoice_id) == []
    assert status(demo_engine, invoice_id) is PaymentStatus.UNPAID

    with pytest.raises(Invalid) as too_much:
        pay(demo_engine, "pat", invoice_id, "11295.01")
    assert str(too_much.value) == ("this payment would bring the total paid to $11,295.01, "
                                   "over the $11,295.00 due; at most $11,295.00 can still be "
                                   "paid")
    pay(demo_engine, "pat", invoice_id, "10000.00")
    assert status(demo_engine, invoice_id) is PaymentStatus.PARTIALLY_PAID
    with pytest.raises(Invalid, match=r"to \$11,295\.01, .* at most \$1,295\.00 can still"):
        pay(demo_engine, "pat", invoice_id, "1295.01")
    pay(demo_engine, "pat", invoice_id, "1295.00")
    assert paid(demo_engine, invoice_id) == 1_129_500
    assert status(demo_engine, invoice_id) is PaymentStatus.PAID
    with pytest.raises(Invalid, match=r"at most \$0\.00 can still be paid"):
        pay(demo_engine, "pat", invoice_id, "0.01")
    assert paid(demo_engine, invoice_id) == 1_129_500


def test_a_release_covers_the_reasons_present_when_it_was_given(demo_engine: Engine) -> None:
    invoice_id = approved_and_held(demo_engine)
    line_1, line_2 = sov_line(demo_engine, "1"), sov_line(demo_engine, "2")
    release(demo_engine, "pat", invoice_id, "Owner approved the extra mobilization")

    # Pat edits the approved invoice into a credit: line 1 −$1,000.00, less 10 % retainage.
    save(demo_engine, "pat", invoice_id, {line_1: LineEntry(work=Decimal("-1000.00"))})
    assert holds(demo_engine, "pat", invoice_id) == [
        "the payment due (G702 line 8) is negative: -$900.00"]
    with pytest.raises(HeldFromPayment, match=r"negative: -\$900\.00"):
        pay(demo_engine, "pat", invoice_id, "1.00")
    release(demo_engine, "pat", invoice_id, "Credit taken against the next invoice")
    assert holds(demo_engine, "pat", invoice_id) == []

    # Line 1 overbilled again was released already; line 2 overbilled is new.
    # Line 2: scheduled $24,750.00, $14,850.00 before, $10,000.00 now: $24,850.00 to date.
    save(demo_engine, "pat", invoice_id, {line_1: LineEntry(work=Decimal("12550.00")),
                                          line_2: LineEntry(work=Decimal("10000.00"))})
    assert holds(demo_engine, "pat", invoice_id) == [
        "line 2 is overbilled: $24,850.00 to date against $24,750.00 scheduled"]
    release(demo_engine, "pat", invoice_id, "Line 2 moves to a change order")
    # (12,550.00 + 10,000.00) less 10 % = $20,295.00 due
    pay(demo_engine, "pat", invoice_id, "20295.00")
    assert status(demo_engine, invoice_id) is PaymentStatus.PAID


def test_a_release_is_kept_with_who_when_and_why_and_audited(demo_engine: Engine) -> None:
    invoice_id = approved_and_held(demo_engine)
    release(demo_engine, "pat", invoice_id, "  Owner approved the extra mobilization ")
    with reading(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        [kept] = session.exec(select(PaymentHoldRelease)
                              .where(PaymentHoldRelease.invoice_id == invoice_id)).all()
        [entry] = session.exec(select(AuditEntry).where(
            AuditEntry.entity == "invoice", AuditEntry.entity_id == invoice_id,
            AuditEntry.action == "release payment hold")).all()
    assert kept.reason == "Owner approved the extra mobilization"
    assert kept.released_by_id == pat.user_id and kept.released_at is not None
    assert json.loads(kept.covers) == [f"overbilled line {sov_line(demo_engine, '1')}"]
    assert kept.held_for == LINE_1_HELD
    assert entry.actor_login == "pat"
    assert json.loads(entry.after) == {"reason": "Owner approved the extra mobilization",
                                       "held for": LINE_1_HELD}


def test_only_an_administrator_releases_and_only_an_approved_held_invoice(
        demo_engine: Engine) -> None:
    invoice_id = bill_only_line_1(demo_engine)  # Under Review
    with pytest.raises(Invalid, match="is Under Review: a hold on payment is released only"):
        release(demo_engine, "pat", invoice_id, "Looks fine")
    with pytest.raises(Invalid, match="only against an approved invoice"):
        pay(demo_engine, "pat", invoice_id, "100.00")
    move(demo_engine, "pat", invoice_id, InvoiceStatus.APPROVED)
    for login in ("erin", "sam"):
        with pytest.raises(NotAllowed, match="only an invoice administrator"):
            release(demo_engine, login, invoice_id, "I say so")
    with pytest.raises(NotAllowed, match="administrators and support see the holds"):
        holds(demo_engine, "erin", invoice_id)
    assert holds(demo_engine, "sam", invoice_id) == [LINE_1_HELD]  # support reads them
    with pytest.raises(NotAllowed, match="only an invoice administrator records payments"):
        pay(demo_engine, "erin", invoice_id, "100.00")
    release(demo_engine, "pat", invoice_id, "Owner approved the extra mobilization")
    with pytest.raises(Invalid, match="invoice #3 is not held from payment"):
        release(demo_engine, "pat", invoice_id, "Once more")
    with reading(demo_engine) as session:
        assert len(session.exec(select(PaymentHoldRelease)).all()) == 1


# --- PostgreSQL, as the people's own roles ---------------------------------------------------


def _ids(admin: Engine) -> dict[str, int]:
    with admin.connect() as connection:
        return dict(connection.execute(text("SELECT login, id FROM app_user")).all())


def _refused(engine: Engine, sql: str, *, match: str, **params: Any) -> None:
    with pytest.raises(DBAPIError, match=match) as caught, engine.begin() as connection:
        connection.execute(text(sql), params)
    assert getattr(caught.value.orig, "sqlstate", None) == REFUSED, caught.value


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.begin() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


@pytest.mark.postgres
def test_pat_releases_and_pays_as_his_own_role_and_the_database_says_who(
        admin: Engine, connect: Connect) -> None:
    invoice_id = approved_and_held(admin)
    pat = connect("pat")
    assert holds(pat, "pat", invoice_id) == [LINE_1_HELD]
    with pytest.raises(HeldFromPayment):
        pay(pat, "pat", invoice_id, "100.00")
    release(pat, "pat", invoice_id, "Owner approved the extra mobilization")
    pay(pat, "pat", invoice_id, "11295.00")
    assert paid(admin, invoice_id) == 1_129_500
    with admin.connect() as connection:
        who = connection.execute(text(
            "SELECT r.released_by_id, e.db_role FROM payment_hold_release r "
            "JOIN audit_entry e ON e.entity = 'payment_hold_release' AND e.entity_id = r.id "
            "AND e.action = :insert WHERE r.invoice_id = :i"),
            {"insert": f"{DATABASE_ACTION_PREFIX}insert", "i": invoice_id}).one()
    assert tuple(who) == (_ids(admin)["pat"], "pat")
    assert holds(connect("sam"), "sam", invoice_id) == []  # support reads the release


@pytest.mark.postgres
def test_from_psql_the_contact_inserts_no_release_and_no_payment(admin: Engine,
                                                                 psql: Psql) -> None:
    invoice_id = approved_and_held(admin)
    erin, ids = psql("erin"), _ids(admin)
    _refused(erin, "INSERT INTO payment_hold_release (invoice_id, reason, covers, held_for, "
                   "released_by_id, released_at) VALUES (:i, 'mine', '[\"x\"]', 'x', :u, now())",
             match="row-level security", i=invoice_id, u=ids["erin"])
    _refused(erin, "INSERT INTO payment (invoice_id, amount_cents, paid_on, reference, "
                   "recorded_by_id, recorded_at, version) "
                   "VALUES (:i, 100, current_date, '', :u, now(), 1)",
             match="row-level security", i=invoice_id, u=ids["erin"])
    release(admin, "pat", invoice_id, "Owner approved the extra mobilization")
    # Releases are the administrators' and support's to read, not the contact's.
    assert _count(erin, "SELECT count(*) FROM payment_hold_release") == 0
    assert _count(psql("sam"), "SELECT count(*) FROM payment_hold_release") == 1
    assert paid(admin, invoice_id) == 0


@pytest.mark.postgres
def test_from_psql_the_administrator_adds_a_release_but_never_changes_one(
        admin: Engine, psql: Psql) -> None:
    invoice_id = approved_and_held(admin)
    pat, ids = psql("pat"), _ids(admin)
    with pat.begin() as connection:  # claiming to be erin, at another time
        connection.execute(text(
            "INSERT INTO payment_hold_release (invoice_id, reason, covers, held_for, "
            "released_by_id, released_at) VALUES (:i, 'Agreed on site', '[\"x\"]', 'x', :u, "
            "'2020-01-01')"), {"i": invoice_id, "u": ids["erin"]})
    with admin.connect() as connection:
        by, when = connection.execute(text(
            "SELECT released_by_id, released_at FROM payment_hold_release")).one()
    assert by == ids["pat"] and when.year >= 2026
    _refused(pat, "UPDATE payment_hold_release SET reason = 'rewritten'",
             match="permission denied")
    _refused(pat, "DELETE FROM payment_hold_release", match="permission denied")
    _refused(pat, "INSERT INTO payment_hold_release (invoice_id, reason, covers, held_for, "
                  "released_by_id, released_at) VALUES (:i, 'x', '[\"x\"]', 'x', :u, now())",
             match="released only on an approved invoice",
             i=_under_review_invoice(admin), u=ids["pat"])
    assert _count(admin, "SELECT count(*) FROM payment_hold_release "
                         "WHERE reason = 'Agreed on site'") == 1


def _under_review_invoice(admin: Engine) -> int:
    """Puts erin's invoice #3 back under review, as the system administrator can; its id."""
    invoice_id = erins_invoice_3(admin)
    with admin.begin() as connection:
        connection.execute(text("UPDATE invoice SET status = 'under_review' WHERE id = :i"),
                           {"i": invoice_id})
    return invoice_id


@pytest.mark.postgres
def test_from_psql_a_payment_on_an_invoice_not_approved_is_refused_by_the_database(
        admin: Engine, psql: Psql) -> None:
    invoice_id = bill_only_line_1(admin)  # Under Review
    pat, ids = psql("pat"), _ids(admin)
    insert = ("INSERT INTO payment (invoice_id, amount_cents, paid_on, reference, "
              "recorded_by_id, recorded_at, version) "
              "VALUES (:i, 100, current_date, 'psql', :u, now(), 1)")
    _refused(pat, insert, match="only against an approved invoice", i=invoice_id, u=ids["pat"])
    # Nor can a payment of an approved invoice be moved onto it.
    earlier = _count(admin, "SELECT min(p.id) FROM payment p JOIN invoice i ON i.id = p.invoice_id "
                            "JOIN commitment c ON c.id = i.commitment_id WHERE c.number = :n",
                     n=ELECTRICAL)
    _refused(pat, "UPDATE payment SET invoice_id = :i WHERE id = :p",
             match="only against an approved invoice", i=invoice_id, p=earlier)
    assert paid(admin, invoice_id) == 0
    # Approved, the same insert goes through (the database checks approval, not holds).
    move(admin, "pat", invoice_id, InvoiceStatus.APPROVED)
    with pat.begin() as connection:
        connection.execute(text(insert), {"i": invoice_id, "u": ids["pat"]})
    assert paid(admin, invoice_id) == 100
    with reading(admin) as session:
        [payment] = session.exec(select(Payment).where(Payment.invoice_id == invoice_id)).all()
    assert payment.recorded_by_id == ids["pat"]
