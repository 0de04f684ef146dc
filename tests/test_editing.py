"""Typing into an invoice: parse, check, recompute in memory; bad values keep the old ones."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from data.db import reading, writing
from data.editing import DraftInvoice, EntryError, Field
from data.models import Commitment, Invite, Invoice
from data.services.actors import actor_for_login
from data.services.invites import respond
from data.services.invoice_changes import save_lines
from data.services.invoice_views import load_invoice
from tests.conftest import DEMO_TODAY

D = Decimal


def _draft(engine: Engine, login: str, number: str, position: int) -> DraftInvoice:
    with Session(engine) as session:
        invoice_id = session.exec(select(Invoice.id).join(Commitment).where(
            Commitment.number == number, Invoice.position == position)).one()
    assert invoice_id is not None
    with reading(engine) as session:
        return DraftInvoice(load_invoice(session, actor_for_login(session, login), invoice_id))


def _line(draft: DraftInvoice, item: str) -> int:
    return next(ln.sov_line_id for ln in draft.view.lines if ln.result.line.item_no == item)


def test_typing_recomputes_the_line_and_the_summary(sqlite_demo_engine: Engine) -> None:
    draft = _draft(sqlite_demo_engine, "erin", "SC-2417-016", 3)
    due = draft.result.summary.current_payment_due
    line = _line(draft, "2")  # $24,750.00 scheduled, 10 % retainage
    draft.set(line, Field.WORK, "1,000.00")
    assert draft.line_result(line).line.work_this_period == D("1000.00")
    assert draft.result.summary.current_payment_due == due + D("900.00")
    assert draft.dirty


def test_percent_complete_back_solves_the_amount(sqlite_demo_engine: Engine) -> None:
    draft = _draft(sqlite_demo_engine, "erin", "SC-2417-016", 3)
    line = _line(draft, "2")  # previous work $14,850.00 of $24,750.00
    draft.set(line, Field.PERCENT, "80%")
    result = draft.line_result(line)
    assert result.completed_to_date == D("19800.00")
    assert result.line.work_this_period == D("4950.00")


@pytest.mark.parametrize("text", ["12.345", "abc", "1e3", "", "1_000"])
def test_a_value_that_does_not_parse_keeps_the_old_one(sqlite_demo_engine: Engine,
                                                       text: str) -> None:
    draft = _draft(sqlite_demo_engine, "erin", "SC-2417-016", 3)
    line = _line(draft, "1")
    old = draft.line_result(line).line.work_this_period
    with pytest.raises(EntryError, match="old value is kept"):
        draft.set(line, Field.WORK, text)
    assert draft.line_result(line).line.work_this_period == old
    assert not draft.dirty


def test_a_release_above_what_is_held_is_refused_with_the_held_amount(
        sqlite_demo_engine: Engine) -> None:
    draft = _draft(sqlite_demo_engine, "erin", "SC-2417-016", 3)
    line = _line(draft, "3")  # all $61,230.00 billed before, 10 % held: $6,123.00
    held = draft.line_result(line).retainage_held_before_release
    assert held == D("6123.00")
    with pytest.raises(EntryError, match=r"only \$6,123.00 is held"):
        draft.set(line, Field.RELEASE, "6,123.01")
    draft.set(line, Field.RELEASE, "6123.00")
    assert draft.line_result(line).released == D("6123.00")


def test_bulk_percent_and_release_for_marked_lines(sqlite_demo_engine: Engine) -> None:
    draft = _draft(sqlite_demo_engine, "erin", "SC-2417-016", 3)
    lines = [_line(draft, "8"), _line(draft, "9")]
    draft.set_many(lines, Field.PERCENT, "50")
    for line in lines:
        result = draft.line_result(line)
        assert result.completed_to_date * 2 == result.line.scheduled_value \
            or abs(result.completed_to_date * 2 - result.line.scheduled_value) <= D("0.01")
    draft.set_many([_line(draft, "3")], Field.RELEASE, "50")
    assert draft.line_result(_line(draft, "3")).released == D("3061.50")
    with pytest.raises(EntryError):
        draft.set_many(lines, Field.PERCENT, "fifty")
    assert draft.line_result(lines[0]).completed_to_date * 2 \
        - draft.line_result(lines[0]).line.scheduled_value <= D("0.01")


def test_installing_more_than_is_stored_is_refused(sqlite_demo_engine: Engine) -> None:
    draft = _draft(sqlite_demo_engine, "erin", "SC-2417-016", 3)
    line = _line(draft, "13")  # $26,490.00 newly stored this month
    with pytest.raises(EntryError, match="installed materials exceed"):
        draft.set(line, Field.INSTALLED, "30,000.00")
    assert draft.line_result(line).line.stored_installed == D("0.00")


def test_unit_lines_keep_percent_quantity_and_value_in_step(sqlite_demo_engine: Engine) -> None:
    with writing(sqlite_demo_engine) as session:
        invite = session.exec(select(Invite).where(Invite.response == "pending")).one()
        assert invite.id is not None
        respond(session, actor_for_login(session, "dan"), invite.id, bill=True,
                today=DEMO_TODAY)
    draft = _draft(sqlite_demo_engine, "dan", "SC-2417-031", 3)
    asphalt = _line(draft, "5")  # 31,200 SF at $4.125, nothing billed yet
    draft.set(asphalt, Field.PERCENT, "25")
    units = draft.units(asphalt)
    assert units is not None and units[0] == D("7800") and not units[2]
    assert draft.line_result(asphalt).line.work_this_period == D("32175.00")
    # At $4.125 a quantity to 4 decimals reaches every cent: a typed value is no override.
    draft.set(asphalt, Field.NEW_VALUE, "32,200.00")
    units = draft.units(asphalt)
    assert units is not None and units[0] == D("7806.0606") and not units[2]
    # At $3,850.00 each, no quantity to 4 decimals gives $10,000.00: an override.
    basins = _line(draft, "7")
    draft.set(basins, Field.NEW_VALUE, "10,000.00")
    units = draft.units(basins)
    assert units is not None and units[2]
    with pytest.raises(EntryError, match="decimal places"):
        draft.set(asphalt, Field.NEW_QUANTITY, "1.23456")
    entries = draft.entries()
    with writing(sqlite_demo_engine) as session:
        save_lines(session, actor_for_login(session, "dan"), draft.view.invoice_id, entries,
                   version=draft.view.version)
    saved = _draft(sqlite_demo_engine, "dan", "SC-2417-031", 3)
    line = next(ln for ln in saved.view.lines if ln.sov_line_id == asphalt)
    assert line.result.line.work_this_period == D("32200.00")
    assert line.units is not None and not line.units.override
    line = next(ln for ln in saved.view.lines if ln.sov_line_id == basins)
    assert line.result.line.work_this_period == D("10000.00")
    assert line.units is not None and line.units.override
