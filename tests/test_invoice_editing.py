"""Saving what a contact typed: versions, general information, unit entries, notifications."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from data.db import reading, writing
from data.models import AuditEntry, Invoice, InvoiceLine, InvoiceStatus, OutboxEmail, SovLine
from data.services.actors import actor_for_login
from data.services.errors import Invalid
from data.services.invoice_changes import (
    GeneralInfo,
    LineEntry,
    StaleInvoice,
    change_status,
    save_lines,
)
from data.services.invoice_views import load_invoice

D = Decimal


def _invoice(engine: Engine, number: str, position: int) -> Invoice:
    with Session(engine) as session:
        from data.models import Commitment

        return session.exec(select(Invoice).join(Commitment)
                            .where(Commitment.number == number,
                                   Invoice.position == position)).one()


def _sov(engine: Engine, number: str, item: str) -> int:
    from data.models import Commitment

    with Session(engine) as session:
        found = session.exec(select(SovLine.id).join(Commitment)
                             .where(Commitment.number == number,
                                    SovLine.item_no == item)).one()
        assert found is not None
        return found


def test_a_save_from_an_old_version_is_refused_and_writes_nothing(demo_engine: Engine) -> None:
    invoice = _invoice(demo_engine, "SC-2417-016", 3)
    assert invoice.id is not None
    seen = invoice.version
    line = _sov(demo_engine, "SC-2417-016", "2")
    with writing(demo_engine) as session:  # someone else saves first
        save_lines(session, actor_for_login(session, "pat"), invoice.id,
                   {line: LineEntry(work=D("100.00"))}, version=seen)
    with pytest.raises(StaleInvoice) as refused, writing(demo_engine) as session:
        save_lines(session, actor_for_login(session, "erin"), invoice.id,
                   {line: LineEntry(work=D("999.00"))}, version=seen)
    assert refused.value.current_version == seen + 1
    with Session(demo_engine) as session:
        stored = session.exec(select(InvoiceLine.work_cents).where(
            InvoiceLine.invoice_id == invoice.id, InvoiceLine.sov_line_id == line)).one()
    assert stored == 10000


def test_general_information_is_saved_and_checked(demo_engine: Engine) -> None:
    invoice = _invoice(demo_engine, "SC-2417-016", 3)
    assert invoice.id is not None
    with writing(demo_engine) as session:
        save_lines(session, actor_for_login(session, "erin"), invoice.id, {},
                   version=invoice.version,
                   general=GeneralInfo(invoice_number=" CE-1107 ", billing_date=date(2026, 11, 20)))
    saved = _invoice(demo_engine, "SC-2417-016", 3)
    assert saved.invoice_number == "CE-1107" and saved.billing_date == date(2026, 11, 20)
    assert saved.version == invoice.version + 1
    with pytest.raises(Invalid, match="starts"), writing(demo_engine) as session:
        save_lines(session, actor_for_login(session, "erin"), invoice.id, {},
                   general=GeneralInfo(period_start=date(2026, 12, 5)))
    with Session(demo_engine) as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "edit invoice")).all()
    assert len(audit) == 1 and "CE-1107" in audit[0].after


def test_unit_value_typed_by_hand_is_an_override(demo_engine: Engine) -> None:
    with writing(demo_engine) as session:
        dan = actor_for_login(session, "dan")
        from data.models import Invite
        from data.services.invites import respond

        invite = session.exec(select(Invite).where(Invite.response == "pending")).one()
        assert invite.id is not None
        invoice = respond(session, dan, invite.id, bill=True, today=date(2026, 11, 21))
        assert invoice is not None and invoice.id is not None
        invoice_id = invoice.id
    asphalt = _sov(demo_engine, "SC-2417-031", "5")  # 31,200 SF at $4.125
    with writing(demo_engine) as session:
        save_lines(session, actor_for_login(session, "dan"), invoice_id,
                   {asphalt: LineEntry(new_quantity=D("1000"))})
    with reading(demo_engine) as session:
        view = load_invoice(session, actor_for_login(session, "dan"), invoice_id)
    line = next(ln for ln in view.lines if ln.sov_line_id == asphalt)
    assert line.result.line.work_this_period == D("4125.00")
    assert line.units is not None and not line.units.override
    with writing(demo_engine) as session:
        save_lines(session, actor_for_login(session, "dan"), invoice_id,
                   {asphalt: LineEntry(new_quantity=D("1000"), work=D("4200.00"))})
    with reading(demo_engine) as session:
        view = load_invoice(session, actor_for_login(session, "dan"), invoice_id)
    line = next(ln for ln in view.lines if ln.sov_line_id == asphalt)
    assert line.result.line.work_this_period == D("4200.00")
    assert line.units is not None and line.units.override


def test_sending_queues_an_email_to_each_administrator(demo_engine: Engine) -> None:
    invoice = _invoice(demo_engine, "SC-2417-016", 3)
    assert invoice.id is not None
    with Session(demo_engine) as session:
        before = len(session.exec(select(OutboxEmail)).all())
    with writing(demo_engine) as session:
        change_status(session, actor_for_login(session, "erin"), invoice.id,
                      InvoiceStatus.UNDER_REVIEW, version=invoice.version)
    with Session(demo_engine) as session:
        emails = session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all()
    assert len(emails) == before + 1
    email = emails[-1]
    assert email.to_address == "pat@harborpoint.example" and email.sent_at is None
    assert email.subject == "Invoice #3 for SC-2417-016 Electrical is ready for review"
    assert "Coastline Electric Co. sent invoice #3" in email.body
    # The same words on both databases (on PostgreSQL the database writes them). The sender is
    # the person behind the database session: here the superuser who loaded the demo.
    sender = "postgres" if demo_engine.dialect.name == "postgresql" else "Erin Walsh"
    assert email.body == (
        "Coastline Electric Co. sent invoice #3 for review.\n\n"
        "Project: 2417 Mission Bay Medical Office Building\n"
        "Commitment: SC-2417-016 Electrical\n"
        "Period: Nov 01, 2026 to Nov 30, 2026\n"
        f"Sent by: {sender}\n\n"
        "Open payapp to review it.")


def test_a_refused_send_queues_nothing(demo_engine: Engine) -> None:
    invoice = _invoice(demo_engine, "SC-2417-016", 2)  # approved: cannot be sent
    assert invoice.id is not None
    with Session(demo_engine) as session:
        before = len(session.exec(select(OutboxEmail)).all())
    with pytest.raises(Exception, match="cannot"), writing(demo_engine) as session:
        change_status(session, actor_for_login(session, "erin"), invoice.id,
                      InvoiceStatus.UNDER_REVIEW)
    with Session(demo_engine) as session:
        assert len(session.exec(select(OutboxEmail)).all()) == before
