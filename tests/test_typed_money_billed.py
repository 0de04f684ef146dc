"""Any amount typed as money is billed to the cent as typed.

E this period (amount lines), New Value (unit lines, whatever the unit price), new stored
materials, stored materials installed and the retainage release: typed through
DraftInvoice.set, saved through save_lines into a real SQLite file, read back with load_invoice,
the figure equals the typed Decimal exactly. An amount that breaks a rule (completed to date past
zero, stored materials below zero, a release above what is held) is refused where it is typed
and again by the save; overbilling is taken and flagged.

Each test keeps one demo database for all its examples (hence the suppressed health check):
every example starts from the invoice as the previous one left it and types an absolute value.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from data.billing import LineResult, UnitLine
from data.db import reading, writing
from data.editing import DraftInvoice, EntryError, Field
from data.models import Commitment, Invite, Invoice, SovLine
from data.money import MAX_AMOUNT, QUANTITY_SCALE, format_money, to_scaled
from data.refusals import Invalid
from data.services.actors import actor_for_login
from data.services.invites import respond
from data.services.invoice_changes import LineEntry, save_lines
from data.services.invoice_views import SheetLine, load_invoice
from tests.conftest import DEMO_TODAY

D = Decimal
ZERO = D("0.00")
MAX_CENTS = int(MAX_AMOUNT * 100)

EXAMPLES = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

ELECTRICAL = ("erin", "SC-2417-016")  # amount-based, stored materials billed separately
CONCRETE = ("dan", "SC-2417-031")  # unit-based
ELECTRICAL_ITEMS = [str(n) for n in range(1, 28)] + ["26.1"]  # 27 is a deductive line
AWKWARD_PRICES = [D(p) for p in ("0.0333", "1234.5678", "0.0001", "4.125", "0.95", "3850.00",
                                 "9999999.9999", "0.3333", "18.50")]


# --- typing, saving, reading back --------------------------------------------------------------


def _invoice_id(engine: Engine, number: str) -> int:
    with Session(engine) as session:
        invoice_id = session.exec(select(Invoice.id).join(Commitment).where(
            Commitment.number == number, Invoice.position == 3)).one()
    assert invoice_id is not None
    return invoice_id


def _draft(engine: Engine, who: tuple[str, str]) -> DraftInvoice:
    login, number = who
    with reading(engine) as session:
        view = load_invoice(session, actor_for_login(session, login), _invoice_id(engine, number))
    assert view.editable and view.overbilling_allowed
    return DraftInvoice(view)


def _sheet_line(draft: DraftInvoice, item: str) -> SheetLine:
    return next(ln for ln in draft.view.lines if ln.result.line.item_no == item)


def _save(engine: Engine, draft: DraftInvoice, entries: dict[int, LineEntry]) -> None:
    with writing(engine) as session:
        login = "erin" if draft.view.commitment_number == ELECTRICAL[1] else "dan"
        save_lines(session, actor_for_login(session, login), draft.view.invoice_id, entries,
                   version=draft.view.version)


def _typed_forms(value: Decimal) -> st.SearchStrategy[str]:
    """The ways a person may type `value`: 1234.5, 1,234.50, $1,234.50, -$5.00, (5.00)."""
    forms = [str(value), format_money(value), format_money(value, symbol=False)]
    if value < 0:
        forms += [f"({format_money(-value)})", f"({-value})"]
    return st.sampled_from(forms)


def _cents(lo: Decimal, hi: Decimal) -> st.SearchStrategy[Decimal]:
    """Whole cents in [lo, hi], clipped to what money may be, near the edges as often as not."""
    low, high = max(int(lo * 100), -MAX_CENTS), min(int(hi * 100), MAX_CENTS)
    edges = [c for c in (low, low + 1, high - 1, high, 0) if low <= c <= high]
    return st.one_of(st.sampled_from(edges), st.integers(low, high)).map(
        lambda c: D(c).scaleb(-2))


def _allowed(line: LineResult, *, work: Decimal, new_stored: Decimal, installed: Decimal) -> bool:
    """The rules, said again independently of data.billing: stored materials never below zero;
    completed to date (and the work in it) from zero to the scheduled value's side."""
    li = line.line
    stored = li.previous_stored + new_stored - installed
    work_to_date = li.previous_work + work
    if new_stored < 0 or installed < 0 or stored < 0:
        return False
    if li.scheduled_value >= 0:
        return work_to_date >= 0 and work_to_date + stored >= 0
    return work_to_date <= 0 and work_to_date + stored <= 0


def _type_and_save(engine: Engine, who: tuple[str, str], item: str, field: Field, text: str,
                   entry: LineEntry, *, allowed: bool) -> SheetLine | None:
    """Type `text`; when allowed, save and return the line as read back, else assert that the
    typing and the save (sent `entry` as a client that skips the checks would) both refuse."""
    draft = _draft(engine, who)
    line = _sheet_line(draft, item)
    if not allowed:
        with pytest.raises(EntryError, match=f"line {item}"):
            draft.set(line.sov_line_id, field, text)
        assert not draft.dirty
        with pytest.raises(Invalid, match=f"line {item}"):
            _save(engine, draft, {line.sov_line_id: entry})
        return None
    draft.set(line.sov_line_id, field, text)
    typed = draft.line_result(line.sov_line_id)
    _save(engine, draft, draft.entries())
    after = _sheet_line(_draft(engine, who), item)
    result = after.result
    # What the screen showed before saving is what the database computes after.
    assert result.line == typed.line
    assert result.completed_to_date == typed.completed_to_date
    assert result.retainage == typed.retainage
    assert result.overbilled == (
        result.completed_to_date > result.scheduled_value if result.scheduled_value >= 0
        else result.completed_to_date < result.scheduled_value)
    return after


# --- E this period, amount-based lines ----------------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_work_this_period_is_billed_as_typed(sqlite_demo_engine: Engine,
                                             data: st.DataObject) -> None:
    engine = sqlite_demo_engine
    item = data.draw(st.sampled_from(ELECTRICAL_ITEMS), label="item")
    line = _sheet_line(_draft(engine, ELECTRICAL), item).result
    d, c = line.line.previous_work, line.scheduled_value
    value = data.draw(st.one_of(_cents(-d - 1000, 2 * abs(c) + 1000),
                                _cents(-MAX_AMOUNT, MAX_AMOUNT)), label="E")
    text = data.draw(_typed_forms(value), label="typed")
    allowed = _allowed(line, work=value, new_stored=line.line.new_stored,
                       installed=line.line.stored_installed)
    after = _type_and_save(engine, ELECTRICAL, item, Field.WORK, text, LineEntry(work=value),
                           allowed=allowed)
    if after is not None:
        assert after.result.line.work_this_period == value


# --- New Value, unit-based lines, whatever the unit price --------------------------------------


def _dans_invoice(engine: Engine) -> None:
    with writing(engine) as session:
        invite = session.exec(select(Invite).where(Invite.response == "pending")).one()
        assert invite.id is not None
        respond(session, actor_for_login(session, "dan"), invite.id, bill=True,
                today=DEMO_TODAY)


def _reprice(engine: Engine, item: str, quantity: Decimal, price: Decimal) -> None:
    """Give an unbilled unit line another contract quantity and unit price."""
    with writing(engine) as session:
        sov = session.exec(select(SovLine).join(Commitment).where(
            Commitment.number == CONCRETE[1], SovLine.item_no == item)).one()
        sov.quantity_e4 = to_scaled(quantity, QUANTITY_SCALE)
        sov.unit_price_e4 = to_scaled(price, QUANTITY_SCALE)
        session.add(sov)


prices = st.one_of(st.sampled_from(AWKWARD_PRICES),
                   st.integers(1, 99_999_999_999).map(lambda n: D(n).scaleb(-4)))
quantities = st.one_of(st.sampled_from([D("1"), D("3"), D("31200"), D("0.0001")]),
                       st.integers(1, 999_999_999).map(lambda n: D(n).scaleb(-4)))


@EXAMPLES
@given(data=st.data())
def test_a_new_value_is_billed_as_typed_whatever_the_unit_price(
        sqlite_demo_engine: Engine, data: st.DataObject) -> None:
    engine = sqlite_demo_engine
    if _draft_or_none(engine) is None:
        _dans_invoice(engine)
    # Items 4, 5, 8, 9 and 10 were never billed: any price will do. Items 1, 2, 3, 6 and 7 carry
    # earlier invoices at their own prices.
    item = data.draw(st.sampled_from(["4", "5", "8", "9", "10", "1", "2", "3", "6", "7"]),
                     label="item")
    if item in ("4", "5", "8", "9", "10"):
        _reprice(engine, item, data.draw(quantities, label="quantity"),
                 data.draw(prices, label="unit price"))
    line = _sheet_line(_draft(engine, CONCRETE), item)
    assert line.units is not None
    previous, c = line.result.line.previous_work, line.result.scheduled_value
    value = data.draw(st.one_of(_cents(-previous - 1000, 2 * c + 1000),
                                _cents(-MAX_AMOUNT, MAX_AMOUNT)), label="New Value")
    text = data.draw(_typed_forms(value), label="typed")
    allowed = previous + value >= 0
    after = _type_and_save(engine, CONCRETE, item, Field.NEW_VALUE, text,
                           LineEntry(work=value), allowed=allowed)
    if after is None:
        return
    assert after.result.line.work_this_period == value
    units = after.units
    assert units is not None
    unit_line = UnitLine(units.quantity, units.unit_price, units.previous_quantity,
                         previous_value=previous)
    # The quantity follows the value where the price allows; otherwise the value is an override.
    assert units.override == (unit_line.value_of(units.new_quantity) != value)


def _draft_or_none(engine: Engine) -> DraftInvoice | None:
    with Session(engine) as session:
        found = session.exec(select(Invoice.id).join(Commitment).where(
            Commitment.number == CONCRETE[1], Invoice.position == 3)).first()
    return None if found is None else _draft(engine, CONCRETE)


# --- stored materials: new stored, installed ---------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_new_stored_materials_are_billed_as_typed(sqlite_demo_engine: Engine,
                                                  data: st.DataObject) -> None:
    engine = sqlite_demo_engine
    item = data.draw(st.sampled_from(ELECTRICAL_ITEMS), label="item")
    line = _sheet_line(_draft(engine, ELECTRICAL), item).result
    value = data.draw(st.one_of(_cents(D(-1000), D(10**6)), _cents(-MAX_AMOUNT, MAX_AMOUNT)),
                      label="new stored")
    text = data.draw(_typed_forms(value), label="typed")
    allowed = _allowed(line, work=line.line.work_this_period, new_stored=value,
                       installed=line.line.stored_installed)
    after = _type_and_save(engine, ELECTRICAL, item, Field.NEW_STORED, text,
                           LineEntry(new_stored=value), allowed=allowed)
    if after is not None:
        assert after.result.line.new_stored == value


@EXAMPLES
@given(data=st.data())
def test_installed_materials_are_billed_as_typed(sqlite_demo_engine: Engine,
                                                 data: st.DataObject) -> None:
    engine = sqlite_demo_engine
    # 4: $18,000.00 stored before; 13: $26,490.00 stored this month; 1: nothing stored.
    item = data.draw(st.sampled_from(["4", "13", "1"]), label="item")
    line = _sheet_line(_draft(engine, ELECTRICAL), item).result
    stored = line.line.previous_stored + line.line.new_stored
    value = data.draw(st.one_of(_cents(D(-100), stored + 100), _cents(-MAX_AMOUNT, MAX_AMOUNT)),
                      label="installed")
    text = data.draw(_typed_forms(value), label="typed")
    allowed = _allowed(line, work=line.line.work_this_period, new_stored=line.line.new_stored,
                       installed=value)
    after = _type_and_save(engine, ELECTRICAL, item, Field.INSTALLED, text,
                           LineEntry(stored_installed=value), allowed=allowed)
    if after is not None:
        assert after.result.line.stored_installed == value
        assert after.result.materials_presently_stored == stored - value


# --- the retainage release ------------------------------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_a_release_is_billed_as_typed(sqlite_demo_engine: Engine, data: st.DataObject) -> None:
    engine = sqlite_demo_engine
    item = data.draw(st.sampled_from(ELECTRICAL_ITEMS), label="item")
    line = _sheet_line(_draft(engine, ELECTRICAL), item).result
    held = line.retainage_held_before_release
    value = data.draw(st.one_of(_cents(D(-100), held + 100), _cents(-MAX_AMOUNT, MAX_AMOUNT)),
                      label="release")
    text = data.draw(_typed_forms(value), label="typed")
    after = _type_and_save(engine, ELECTRICAL, item, Field.RELEASE, text,
                           LineEntry(release=value), allowed=ZERO <= value <= held)
    if after is not None:
        assert after.result.line.release_requested == value
        assert after.result.released == value
        assert after.result.retainage == held - value
