"""What a typed value may not do to a line, on screen and at the save; the overbilled lines named
before sending; the words of the send result and of a conflict (who saved first, figures shown
as the product shows them)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from data.db import reading, writing
from data.editing import DraftInvoice, EntryError, Field, changes_between
from data.models import Commitment, Invite, Invoice, InvoiceLine
from data.refusals import Invalid
from data.services.actors import actor_for_login
from data.services.invites import respond
from data.services.invoice_changes import LineEntry, save_lines
from data.services.invoice_views import load_invoice
from data.wording import SENT_FOR_REVIEW, saved_first
from tests.conftest import DEMO_TODAY

D = Decimal


def _invoice_id(engine: Engine, number: str, position: int) -> int:
    with Session(engine) as session:
        invoice_id = session.exec(select(Invoice.id).join(Commitment).where(
            Commitment.number == number, Invoice.position == position)).one()
    assert invoice_id is not None
    return invoice_id


def _draft(engine: Engine, login: str, number: str, position: int) -> DraftInvoice:
    invoice_id = _invoice_id(engine, number, position)
    with reading(engine) as session:
        return DraftInvoice(load_invoice(session, actor_for_login(session, login), invoice_id))


def _line(draft: DraftInvoice, item: str) -> int:
    return next(ln.sov_line_id for ln in draft.view.lines if ln.result.line.item_no == item)


def _erins(engine: Engine) -> DraftInvoice:
    return _draft(engine, "erin", "SC-2417-016", 3)


def _dans(engine: Engine) -> DraftInvoice:
    """Dan answers this month's invite with Yes: a new Draft on the unit-based commitment."""
    with writing(engine) as session:
        invite = session.exec(select(Invite).where(Invite.response == "pending")).one()
        assert invite.id is not None
        respond(session, actor_for_login(session, "dan"), invite.id, bill=True,
                today=DEMO_TODAY)
    return _draft(engine, "dan", "SC-2417-031", 3)


def _save(engine: Engine, login: str, draft: DraftInvoice, entries: dict[int, LineEntry]) -> None:
    with writing(engine) as session:
        save_lines(session, actor_for_login(session, login), draft.view.invoice_id, entries,
                   version=draft.view.version)


def _saved_work_cents(engine: Engine, invoice_id: int, sov_line_id: int) -> int | None:
    with Session(engine) as session:
        line = session.exec(select(InvoiceLine).where(
            InvoiceLine.invoice_id == invoice_id, InvoiceLine.sov_line_id == sov_line_id)).first()
        return None if line is None else line.work_cents


# --- completed to date never below zero on an ordinary line --------------------------------------


def test_a_correction_below_zero_is_refused_naming_the_line(sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    line = _line(draft, "8")  # $8,642.10 billed before, nothing this period
    assert draft.line_result(line).completed_to_date == D("8642.10")
    with pytest.raises(EntryError) as refused:
        draft.set(line, Field.WORK, "(9000.00)")
    message = str(refused.value)
    assert message.startswith("line 8 “Branch wiring, level 1”: ")
    assert "completed to date cannot go below zero" in message
    assert "-$9,000.00 this period" in message
    assert message.endswith("the old value is kept")
    assert draft.line_result(line).line.work_this_period == D("0.00")
    assert draft.line_result(line).completed_to_date == D("8642.10")
    assert not draft.dirty


def test_a_correction_down_to_zero_is_taken(sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    line = _line(draft, "8")
    draft.set(line, Field.WORK, "(8,642.10)")
    assert draft.line_result(line).completed_to_date == D("0.00")
    draft.set(line, Field.WORK, "-100")  # a smaller correction replaces it
    assert draft.line_result(line).completed_to_date == D("8542.10")


def test_a_percent_below_zero_is_refused(sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    line = _line(draft, "8")
    with pytest.raises(EntryError, match="cannot go below zero"):
        draft.set(line, Field.PERCENT, "-5")
    with pytest.raises(EntryError, match="cannot go below zero"):
        draft.set_many([_line(draft, "2"), line], Field.PERCENT, "-1")
    assert not draft.dirty


def test_a_work_correction_below_zero_is_refused_even_with_materials_stored(
        sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    line = _line(draft, "13")  # nothing billed before, $26,490.00 newly stored this month
    with pytest.raises(EntryError, match=r"line 13 “.*”: completed to date cannot go below"):
        draft.set(line, Field.WORK, "(1,000.00)")


def test_unit_lines_cannot_go_below_zero_either(sqlite_demo_engine: Engine) -> None:
    draft = _dans(sqlite_demo_engine)
    asphalt = _line(draft, "5")  # 31,200 SF at $4.125, nothing billed yet
    for field, text in ((Field.NEW_QUANTITY, "-10"), (Field.NEW_VALUE, "(10.00)"),
                        (Field.PERCENT, "-1")):
        with pytest.raises(EntryError, match=r"line 5 “Asphalt paving, 3 in\.”: completed "
                                             "to date cannot go below zero"):
            draft.set(asphalt, field, text)
    assert not draft.dirty
    excavation = _line(draft, "1")  # 3,780 CY billed before: a correction within it is taken
    draft.set(excavation, Field.NEW_QUANTITY, "-80")
    assert draft.line_result(excavation).line.work_this_period == D("-1480.00")


def test_the_save_refuses_a_line_below_zero(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    draft = _erins(engine)
    line = _line(draft, "8")
    with pytest.raises(Invalid, match=r"line 8 “Branch wiring, level 1”: completed to date "
                                      "cannot go below zero"):
        _save(engine, "erin", draft, {line: LineEntry(work=D("-9000.00"))})
    assert _saved_work_cents(engine, draft.view.invoice_id, line) in (None, 0)
    assert _erins(engine).view.version == draft.view.version  # nothing was written
    _save(engine, "erin", draft, {line: LineEntry(work=D("-8642.10"))})
    assert _saved_work_cents(engine, draft.view.invoice_id, line) == -864210


def test_the_save_refuses_a_unit_line_below_zero(sqlite_demo_engine: Engine) -> None:
    draft = _dans(sqlite_demo_engine)
    asphalt = _line(draft, "5")
    with pytest.raises(Invalid, match="cannot go below zero"):
        _save(sqlite_demo_engine, "dan", draft, {asphalt: LineEntry(new_quantity=D("-1"))})
    with pytest.raises(Invalid, match="cannot go below zero"):
        _save(sqlite_demo_engine, "dan", draft, {asphalt: LineEntry(work=D("-0.01"))})


def test_the_save_refuses_installing_more_than_is_stored(sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    line = _line(draft, "13")  # $26,490.00 stored
    with pytest.raises(Invalid, match=r"line 13 “.*”: installed materials exceed materials "
                                      r"stored \(\$30,000.00 installed, \$26,490.00 stored\)"):
        _save(sqlite_demo_engine, "erin", draft,
              {line: LineEntry(stored_installed=D("30000.00"))})


def test_the_save_is_not_blocked_by_a_line_it_did_not_change(sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    _save(sqlite_demo_engine, "erin", draft, {_line(draft, "2"): LineEntry(work=D("100.00"))})


# --- deductive change-order lines: from zero down to their (negative) scheduled value ----------


def test_a_deductive_line_bills_negative_amounts(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    draft = _erins(engine)
    credit = _line(draft, "27")  # CCO 002, -$6,800.00, approved this period
    assert draft.line_result(credit).scheduled_value == D("-6800.00")
    draft.set(credit, Field.WORK, "(3,400.00)")
    assert draft.line_result(credit).percent_complete == D("50")
    draft.set(credit, Field.PERCENT, "100")
    assert draft.line_result(credit).line.work_this_period == D("-6800.00")
    draft.set(credit, Field.WORK, "-7000")  # past its value: allowed, flagged
    assert draft.line_result(credit).overbilled
    assert draft.overbilled_lines() == [
        "line 27 “Credit: site pole lights by owner” is billed $200.00 past its scheduled value"]
    draft.set(credit, Field.WORK, "-6800")
    _save(engine, "erin", draft, draft.entries())
    assert _saved_work_cents(engine, draft.view.invoice_id, credit) == -680000


def test_a_deductive_line_cannot_go_above_zero(sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    credit = _line(draft, "27")
    with pytest.raises(EntryError, match=r"line 27 “Credit: site pole lights by owner”: on a "
                                         r"deductive line \(-\$6,800.00\) completed to date "
                                         "cannot go above zero"):
        draft.set(credit, Field.WORK, "100.00")
    assert not draft.dirty
    with pytest.raises(Invalid, match="cannot go above zero"):
        _save(sqlite_demo_engine, "erin", draft, {credit: LineEntry(work=D("100.00"))})


# --- the overbilled lines, named before sending ---------------------------------------------------


def test_overbilled_lines_are_named_with_the_amount_past_their_value(
        sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    assert draft.overbilled_lines() == []
    draft.set(_line(draft, "2"), Field.WORK, "11,100.00")  # $14,850.00 before, of $24,750.00
    draft.set(_line(draft, "9"), Field.PERCENT, "100")  # exactly its value: not overbilled
    assert draft.overbilled_lines() == [
        "line 2 “Temporary power and lighting” is billed $1,200.00 past its scheduled value"]


# --- the words of the send result and of a conflict ----------------------------------------------


def test_the_send_result_says_the_email_is_queued() -> None:
    assert "queued" in SENT_FOR_REVIEW
    assert "notified" not in SENT_FOR_REVIEW
    assert SENT_FOR_REVIEW == "Sent for review; an email to the administrators is queued."


def test_the_conflict_names_who_saved_first() -> None:
    assert saved_first("Pat Morales") == "Pat Morales saved this invoice first."
    assert saved_first(None) == "Someone else saved this invoice first."


def test_the_invoice_says_who_changed_it_last(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    draft = _dans(engine)
    assert draft.view.last_saved_by == "Dan Okafor"  # he created it by answering Yes
    _save(engine, "pat", draft, {_line(draft, "5"): LineEntry(new_quantity=D("210"))})
    seen_by_dan = _draft(engine, "dan", "SC-2417-031", 3).view
    assert seen_by_dan.last_saved_by == "Pat Morales"
    erins = _erins(engine).view  # saved by Erin, sent back by Pat
    assert erins.last_saved_by == "Pat Morales"


def test_the_conflict_report_shows_figures_as_the_product_does(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    draft = _dans(engine)
    asphalt = _line(draft, "5")
    _save(engine, "pat", draft, {asphalt: LineEntry(new_quantity=D("210"))})
    fresh = _draft(engine, "dan", "SC-2417-031", 3).view
    changes = changes_between(draft.view, fresh)
    assert "line 5, new quantity: 0 SF → 210 SF" in changes
    assert "line 5, work this period: $0.00 → $866.25" in changes
    assert "line 5, percent complete: 0.00% → 0.67%" in changes
    assert not any("0.0000" in change for change in changes)


# --- on each backend ------------------------------------------------------------------------------


def test_the_save_refuses_a_line_below_zero_on_each_backend(demo_engine: Engine) -> None:
    draft = _erins(demo_engine)
    with pytest.raises(Invalid, match=r"line 8 “Branch wiring, level 1”: completed to date "
                                      "cannot go below zero"):
        _save(demo_engine, "erin", draft, {_line(draft, "8"): LineEntry(work=D("-9000.00"))})
    assert _erins(demo_engine).view.version == draft.view.version


def test_who_changed_the_invoice_on_each_backend(demo_engine: Engine) -> None:
    draft = _erins(demo_engine)
    _save(demo_engine, "pat", draft, {_line(draft, "2"): LineEntry(work=D("100.00"))})
    invoice_id = draft.view.invoice_id
    with reading(demo_engine) as session:
        support = load_invoice(session, actor_for_login(session, "sam"), invoice_id)
        contact = load_invoice(session, actor_for_login(session, "erin"), invoice_id)
    assert support.last_saved_by == contact.last_saved_by == "Pat Morales"
