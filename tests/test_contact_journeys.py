"""What an invoice contact does in the app, journey by journey, driven with Textual's Pilot.

Each test checks what the screen shows and what the database holds afterwards. The demo
(data/demo.py, built for DEMO_TODAY): Erin is the contact of the amount-based electrical
subcontract SC-2417-016, whose invoice #3 is in Revise & Resubmit with line 7 rejected; Dan is
the contact of the unit-based SC-2417-031, whose invite for this month is not answered yet; Pat
administers the project.

Cells are read by the column keys of data/g703.py (see tests/invoice_pilot.py).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TabbedContent

from data.db import writing
from data.models import (
    Attachment,
    Commitment,
    Invite,
    Invoice,
    InvoiceLine,
    OutboxEmail,
    Project,
    SovLine,
)
from data.services.actors import actor_for_login
from data.services.invoice_changes import LineEntry, save_lines
from data.wording import SAVED, SENT_FOR_REVIEW
from tests.invoice_pilot import (
    CONCRETE,
    ELECTRICAL,
    cell,
    goto,
    header,
    make_app,
    message,
    money,
    open_erins_invoice_3,
    row_key,
    settle,
    sov_line_id,
    top,
    totals,
    type_into,
)
from tui.dialogs import Ask, Choose, Report
from tui.parts.files_part import FilesPart
from tui.parts.invoice_sheet import TOTALS
from tui.screens.home import HomeScreen
from tui.screens.invoice import InvoiceScreen

D = Decimal
CENT = D("0.01")
SIZE = (120, 32)
CHANGED = "Changed; not saved yet (Ctrl+S saves)."

# --- the screen --------------------------------------------------------------------------------


def _assert_saved(screen: InvoiceScreen) -> None:
    """The screen says the invoice was saved and shows it as saved."""
    assert message(screen) == (SAVED, False)
    assert screen.draft is not None and not screen.draft.dirty
    assert "unsaved changes" not in header(screen)


def _locked(screen: InvoiceScreen) -> tuple[str, bool]:
    assert screen.view is not None
    return f"This invoice is {screen.view.status_label}: it cannot be changed now.", True


def _table_texts(table: DataTable[Any]) -> list[list[str]]:
    return [[c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(index)]
            for index in range(table.row_count)]


# --- the database ------------------------------------------------------------------------------


def _invoice(engine: Engine, number: str, position: int) -> Invoice | None:
    with Session(engine) as session:
        return session.exec(select(Invoice).join(Commitment).where(
            Commitment.number == number, Invoice.position == position)).first()


def _saved_invoice(engine: Engine, number: str, position: int) -> Invoice:
    invoice = _invoice(engine, number, position)
    assert invoice is not None
    return invoice


def _saved_lines(engine: Engine, invoice_id: int | None) -> dict[str, InvoiceLine]:
    """The invoice's rows in invoice_line, by the item number of their SOV line."""
    with Session(engine) as session:
        rows = session.exec(select(SovLine.item_no, InvoiceLine).join(
            InvoiceLine, col(InvoiceLine.sov_line_id) == SovLine.id).where(
            InvoiceLine.invoice_id == invoice_id)).all()
    return {item: line for item, line in rows}


def _figures(lines: dict[str, InvoiceLine]) -> dict[str, tuple[int, ...]]:
    return {item: (ln.work_cents, ln.new_quantity_e4 or 0, ln.new_stored_cents,
                   ln.stored_installed_cents, ln.release_requested_cents)
            for item, ln in lines.items()}


def _invite_response(engine: Engine, number: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Invite.response).join(Commitment).where(
            Commitment.number == number)).one()


def _retained(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


# --- 1 and 2: the invite -----------------------------------------------------------------------


async def test_dan_answers_yes_and_his_new_invoice_opens(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    assert _invoice(engine, CONCRETE, 3) is None
    app = make_app(engine, "dan")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        invites = _table_texts(home.query_one("#invites-table", DataTable))
        answers = list(home.query_one("#invites-table", DataTable).get_column("answer"))
        assert invites[0][0].startswith(CONCRETE) and answers[0].plain == "Not answered"
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert screen.view.commitment_number == CONCRETE and screen.view.position == 3
        assert screen.view.status_label == "Draft" and screen.view.editable
        assert "Invoice #3" in str(screen.sub_title)
        assert "Draft" in header(screen) and "Invoice #3" in header(screen)
        assert len(screen.grid.row_keys) == 11  # ten SOV lines and the totals
        assert screen.grid.row_keys[-1] == TOTALS

    invoice = _saved_invoice(engine, CONCRETE, 3)
    assert invoice.status == "draft"
    lines = _saved_lines(engine, invoice.id)
    assert sorted(lines, key=int) == [str(n) for n in range(1, 11)]
    assert all(ln.work_cents == 0 and ln.new_quantity_e4 == 0 for ln in lines.values())
    assert _invite_response(engine, CONCRETE) == "yes"


async def test_dan_answers_no_then_changes_his_mind(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "dan")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Thank you: you will not bill this period") for m in said)
        answers = list(home.query_one("#invites-table", DataTable).get_column("answer"))
        assert answers[0].plain == "No"
        assert _invite_response(engine, CONCRETE) == "no"
        assert _invoice(engine, CONCRETE, 3) is None

        await pilot.press("i", "y")  # back to the invites, then Yes after all
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert (screen.view.commitment_number, screen.view.position) == (CONCRETE, 3)

    assert _invite_response(engine, CONCRETE) == "yes"
    invoice = _saved_invoice(engine, CONCRETE, 3)
    assert invoice.status == "draft" and len(_saved_lines(engine, invoice.id)) == 10


# --- 3: an amount-based invoice, saved and sent ------------------------------------------------


async def test_erin_fills_saves_and_sends_her_invoice(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    before = _saved_invoice(engine, ELECTRICAL, 3)
    with Session(engine) as session:
        emails_before = len(session.exec(select(OutboxEmail)).all())
    app = make_app(engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert screen.view is not None
        loaded_due = screen.view.summary.current_payment_due
        assert loaded_due == D("103278.20")
        line_8 = next(ln.result.line for ln in screen.view.lines
                      if ln.result.line.item_no == "8")
        assert (line_8.scheduled_value, line_8.previous_work) == (D("43210.50"), D("8642.10"))

        await type_into(pilot, screen, "2", "this_period", "2500")
        await type_into(pilot, screen, "5", "this_period", "9648")
        await type_into(pilot, screen, "8", "percent", "50")  # 50 % to date: E back-solved
        assert message(screen) == (CHANGED, False)
        line_8_work = D("21605.25") - D("8642.10")  # half of $43,210.50, less what was billed
        assert cell(screen, "8", "this_period") == money(line_8_work) == "$12,963.15"
        assert cell(screen, "8", "percent") == "50.00%"
        assert "unsaved changes" in header(screen)

        await pilot.press("ctrl+s")
        await settle(pilot)
        _assert_saved(screen)
        # Each new amount earns its value less the 10 % retainage, rounded per line.
        due = loaded_due
        for work in (D("2500.00"), D("9648.00"), line_8_work):
            due += work - _retained(work, D(10))
        assert due == D("125878.23")
        assert totals(screen).startswith(f"Due {money(due)} ")

        saved = _saved_lines(engine, before.id)
        assert (saved["2"].work_cents, saved["5"].work_cents, saved["8"].work_cents) == (
            250000, 964800, 1296315)
        assert saved["1"].work_cents == 385000  # untouched

        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, Choose)
        assert money(due) in app.screen.question
        await pilot.press("s")
        await settle(pilot)
        assert top(app) is screen and screen.view is not None
        assert screen.view.status_label == "Under Review" and not screen.view.editable
        assert message(screen) == (SENT_FOR_REVIEW, False)
        assert "read-only" in header(screen)

        # The "s" that answered the dialog did not reach the screen: the lines are still shown.
        assert screen.query_one(TabbedContent).active == "sov"
        assert app.focused is screen.grid
        await goto(pilot, screen, "2", "this_period")
        await pilot.press("5")  # a digit: no editing, and a word why
        await pilot.pause()
        assert not screen.grid.editing
        assert message(screen) == _locked(screen)
        await pilot.press("enter")
        await pilot.pause()
        assert not screen.grid.editing
        assert cell(screen, "2", "this_period") == "$2,500.00"

    after = _saved_invoice(engine, ELECTRICAL, 3)
    assert after.status == "under_review"
    with Session(engine) as session:
        emails = session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all()
    assert len(emails) == emails_before + 1
    assert emails[-1].to_address == "pat@harborpoint.example"
    assert emails[-1].invoice_id == before.id and "Sent by: Erin Walsh" in emails[-1].body


async def test_a_digit_typed_on_a_read_only_invoice_says_why_nothing_happens(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # invoice #2, approved and paid
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert screen.view.position == 2 and not screen.view.editable
        before = cell(screen, "2", "this_period")
        await goto(pilot, screen, "2", "this_period")
        await pilot.press("5")
        await pilot.pause()
        assert not screen.grid.editing
        assert message(screen) == _locked(screen)
        assert cell(screen, "2", "this_period") == before


async def test_the_cell_takes_its_editing_keys(sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await goto(pilot, screen, "2", "this_period")
        await pilot.press("2", "5")
        await pilot.pause()
        grid = screen.grid
        assert grid.editing and grid.edit_text == "25"
        assert app.focused is grid  # typed in the cell: no input widget took the focus
        await pilot.press("backspace", "0", "0", "enter")  # a typo corrected: 200
        await pilot.pause()
        assert not grid.editing
        assert cell(screen, "2", "this_period") == "$200.00"

        await goto(pilot, screen, "5", "this_period")
        await pilot.press("7", "7", "escape")  # cancelled: the old value stays
        await pilot.pause()
        assert not grid.editing and cell(screen, "5", "this_period") == "$0.00"
        assert message(screen) == ("Change cancelled; the old value is kept.", False)


def _forbid_overbilling(engine: Engine) -> None:
    with writing(engine) as session:
        project = session.exec(select(Project)).one()
        project.overbilling_allowed = False
        session.add(project)


async def test_answering_send_with_s_keeps_the_lines_on_screen(
        sqlite_demo_engine: Engine) -> None:
    _forbid_overbilling(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await type_into(pilot, screen, "3", "this_period", "100")  # overbilled: refused
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, Choose)
        await pilot.press("s")
        await settle(pilot)
        text, error = message(screen)
        assert error and "does not allow overbilling" in text and text.endswith(": 3")
        assert screen.query_one(TabbedContent).active == "sov"
        assert app.focused is screen.grid


# --- 4: a unit-based invoice -------------------------------------------------------------------


def _unit_value(quantity: Decimal, price: Decimal) -> Decimal:
    return (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)


async def test_dan_bills_by_quantity(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "dan")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        units = {ln.result.line.item_no: ln.units for ln in screen.view.lines}
        asphalt, base = units["5"], units["2"]
        assert asphalt is not None and base is not None
        assert (asphalt.quantity, asphalt.unit_price, asphalt.previous_quantity) == (
            D("31200"), D("4.125"), D(0))
        # Aggregate base: 11,550 SF on #1 and 15,400 SF on #2.
        assert (base.quantity, base.unit_price, base.previous_quantity) == (
            D("38500"), D("1.85"), D("26950"))

        await type_into(pilot, screen, "5", "progress", "37.5")
        await type_into(pilot, screen, "2", "new_quantity", "1234.5")
        # Column E is value(quantity to date) − value(previous quantity), each rounded half up
        # to the cent, so that the periods add up to quantity × price exactly.
        asphalt_qty = D("31200") * D("37.5") / 100
        asphalt_value = _unit_value(asphalt_qty, D("4.125")) - _unit_value(D(0), D("4.125"))
        assert (asphalt_qty, asphalt_value) == (D("11700"), D("48262.50"))
        base_value = (_unit_value(D("26950") + D("1234.5"), D("1.85"))  # $52,141.325
                      - _unit_value(D("26950"), D("1.85")))
        assert base_value == D("52141.33") - D("49857.50") == D("2283.83")
        assert cell(screen, "5", "new_quantity") == "11,700"
        assert cell(screen, "5", "new_value") == "$48,262.50"
        assert cell(screen, "2", "progress") == "73.21%"  # 28,184.5 ÷ 38,500
        assert cell(screen, "2", "new_value") == "$2,283.83"

        await pilot.press("ctrl+s")
        await settle(pilot)
        _assert_saved(screen)
        assert cell(screen, "5", "new_value") == "$48,262.50"
        assert cell(screen, "2", "new_value") == "$2,283.83"

    invoice = _saved_invoice(engine, CONCRETE, 3)
    saved = _saved_lines(engine, invoice.id)
    assert (saved["5"].new_quantity_e4, saved["5"].work_cents) == (117_000_000, 4_826_250)
    assert (saved["2"].new_quantity_e4, saved["2"].work_cents) == (12_345_000, 228_383)
    assert not saved["5"].value_override and not saved["2"].value_override
    assert all(saved[item].work_cents == 0 for item in saved if item not in ("5", "2"))


# --- 5: stored materials -----------------------------------------------------------------------


async def test_erin_stores_and_installs_materials(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert screen.view is not None
        line_4 = next(ln.result for ln in screen.view.lines if ln.result.line.item_no == "4")
        # $48,000 stored on #1, $30,000 of it installed on #2: $18,000 stored before #3,
        # which installs all of it as loaded.
        assert line_4.line.previous_stored == D("18000.00")
        assert line_4.line.stored_installed == D("18000.00")
        assert cell(screen, "4", "stored") == "$0.00"

        await type_into(pilot, screen, "5", "new_stored", "7500")
        await type_into(pilot, screen, "4", "installed", "12000")
        assert screen.grid.group == "stored"  # `c` brought the stored materials in view
        assert message(screen) == (CHANGED, False)
        assert cell(screen, "5", "stored") == "$7,500.00"  # 0 + 7,500 − 0
        assert cell(screen, "4", "stored") == "$6,000.00"  # 18,000 + 0 − 12,000

        await type_into(pilot, screen, "4", "installed", "20000")  # more than was stored
        text, error = message(screen)
        assert error and "installed materials exceed materials stored" in text
        assert cell(screen, "4", "installed") == "$12,000.00"

        await pilot.press("ctrl+s")
        await settle(pilot)
        _assert_saved(screen)
        assert cell(screen, "4", "stored") == "$6,000.00"
        assert cell(screen, "5", "stored") == "$7,500.00"

    saved = _saved_lines(engine, _saved_invoice(engine, ELECTRICAL, 3).id)
    assert (saved["5"].new_stored_cents, saved["5"].stored_installed_cents) == (750000, 0)
    assert (saved["4"].new_stored_cents, saved["4"].stored_installed_cents) == (0, 1200000)
    assert saved["4"].work_cents == 3601000  # E is what the person typed, unchanged
    assert saved["5"].retained_stored_cents == 75000  # 10 % of the new stored materials


# --- 6: releasing retainage --------------------------------------------------------------------


async def test_erin_asks_for_retainage_to_be_released(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert screen.view is not None
        held = {ln.result.line.item_no: ln.result.retainage_held_before_release
                for ln in screen.view.lines}
        assert (held["1"], held["3"]) == (D("3080.00"), D("6123.00"))

        await type_into(pilot, screen, "3", "released", "7000")
        text, error = message(screen)
        assert error and "$6,123.00" in text and "$7,000.00 cannot be released" in text
        assert cell(screen, "3", "released") == "$0.00"
        assert cell(screen, "3", "retainage") == "$6,123.00"

        for item in ("1", "3"):
            await goto(pilot, screen, item, "released")
            await pilot.press("space")
            await pilot.pause()
        grid = screen.grid
        assert grid.marked == {row_key(screen, "1"), row_key(screen, "3")}
        assert message(screen)[0].startswith("2 line(s) marked")
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, Ask)
        assert "for 2 line(s)" in app.screen.question
        await pilot.press("5", "0", "enter")
        await pilot.pause()
        assert top(app) is screen
        assert message(screen) == ("2 lines changed; not saved yet (Ctrl+S saves).", False)
        assert cell(screen, "1", "released") == money(held["1"] / 2) == "$1,540.00"
        assert cell(screen, "3", "released") == money(held["3"] / 2) == "$3,061.50"
        assert cell(screen, "3", "retainage") == "$3,061.50"
        assert not grid.marked  # the marks are cleared

        await pilot.press("ctrl+s")
        await settle(pilot)
        _assert_saved(screen)

    saved = _saved_lines(engine, _saved_invoice(engine, ELECTRICAL, 3).id)
    assert saved["1"].release_requested_cents == 154000
    assert saved["3"].release_requested_cents == 306150
    assert saved["3"].released_work_cents == 306150
    assert all(saved[i].release_requested_cents == 0 for i in saved if i not in ("1", "3"))


# --- 7: values that are not amounts ------------------------------------------------------------


async def test_values_that_are_not_amounts_are_refused_with_the_reason(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    invoice = _saved_invoice(engine, ELECTRICAL, 3)
    stored_before = _figures(_saved_lines(engine, invoice.id))
    app = make_app(engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)

        await type_into(pilot, screen, "2", "this_period", "12.345")
        assert message(screen) == ("line 2: '12.345' has 3 decimal places; at most 2 are "
                                   "allowed; the old value is kept", True)
        assert cell(screen, "2", "this_period") == "$0.00"

        await type_into(pilot, screen, "2", "this_period", "1e3")
        assert message(screen) == ("line 2: '1e3' uses an exponent; write the amount out in "
                                   "full; the old value is kept", True)

        # Enter opens the cell with its figure; letters typed then go into the cell (and run
        # no shortcut: "a" would attach a file, "b" nothing, "c" cycle the columns).
        await goto(pilot, screen, "2", "this_period")
        await pilot.press("enter")
        await pilot.pause()
        grid = screen.grid
        assert grid.editing and grid.edit_text == "0.00"
        await pilot.press("backspace", "backspace", "backspace", "backspace", "a", "b", "c")
        await pilot.pause()
        assert grid.edit_text == "abc" and top(app) is screen and grid.group == "work"
        await pilot.press("enter")
        await pilot.pause()
        assert message(screen) == ("line 2: 'abc' is not a valid amount; the old value is "
                                   "kept", True)
        assert cell(screen, "2", "this_period") == "$0.00"
        assert screen.draft is not None and not screen.draft.dirty

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert message(screen) == ("Nothing to save.", False)

    after = _saved_invoice(engine, ELECTRICAL, 3)
    assert after.version == invoice.version
    assert _figures(_saved_lines(engine, invoice.id)) == stored_before


# --- 8: a project that forbids overbilling -----------------------------------------------------


async def test_overbilling_is_refused_when_the_project_forbids_it(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    _forbid_overbilling(engine)
    invoice = _saved_invoice(engine, ELECTRICAL, 3)
    stored_before = _figures(_saved_lines(engine, invoice.id))
    app = make_app(engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert screen.view is not None and not screen.view.overbilling_allowed
        assert cell(screen, "3", "balance") == "$0.00"  # fully billed already

        await type_into(pilot, screen, "3", "this_period", "100")
        assert "⚠ overbilled: 3" in totals(screen)
        assert cell(screen, "3", "item") == "3 ⚠"

        await pilot.press("ctrl+s")
        await settle(pilot)
        text, error = message(screen)
        assert error and text.startswith("Saving: ") and text.endswith(": 3")
        assert "does not allow overbilling" in text

        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, Choose)
        await pilot.press("s")
        await settle(pilot)
        assert top(app) is screen
        text, error = message(screen)
        assert error and text.startswith("Sending: ") and text.endswith(": 3")
        assert screen.draft is not None and screen.draft.dirty  # what she typed is kept
        assert cell(screen, "3", "this_period") == "$100.00"

    after = _saved_invoice(engine, ELECTRICAL, 3)
    assert (after.status, after.version) == ("revise_resubmit", invoice.version)
    assert _figures(_saved_lines(engine, invoice.id)) == stored_before


# --- 9: two people save the same invoice -------------------------------------------------------


async def test_a_save_in_between_is_reported_and_nothing_typed_is_lost(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert screen.view is not None
        line_2 = sov_line_id(screen, "2")
        seen = screen.view.version
        await type_into(pilot, screen, "2", "this_period", "2500")

        with writing(engine) as session:  # Pat saves line 2 meanwhile
            save_lines(session, actor_for_login(session, "pat"), screen.view.invoice_id,
                       {line_2: LineEntry(work=D("100.00"))}, version=seen)

        await pilot.press("ctrl+s")
        await settle(pilot)
        report = app.screen
        assert isinstance(report, Report)
        assert "line 2, work this period: $0.00 → $100.00" in report.lines
        assert report.title_text.startswith("Pat Morales saved this invoice")
        assert app.screen_stack[-2] is screen and screen.view is not None
        assert screen.view.version == seen + 1
        assert screen.draft is not None and screen.draft.dirty
        assert screen.draft.entries()[line_2].work == D("2500.00")
        assert cell(screen, "2", "this_period") == "$2,500.00"
        assert "nothing you typed is lost" in report.footer
        # What the message line says meanwhile: test_invoice_screen.py
        # test_the_conflict_names_the_person_and_shows_formatted_quantities.
        assert _saved_lines(engine, screen.view.invoice_id)["2"].work_cents == 10000

        await pilot.press("enter")  # closes the report
        await pilot.pause()
        assert top(app) is screen
        await pilot.press("ctrl+s")
        await settle(pilot)
        _assert_saved(screen)
        assert cell(screen, "2", "this_period") == "$2,500.00"

    invoice = _saved_invoice(engine, ELECTRICAL, 3)
    assert invoice.version == seen + 2
    assert _saved_lines(engine, invoice.id)["2"].work_cents == 250000


# --- 10: attachments ---------------------------------------------------------------------------


def one_page_pdf() -> bytes:
    document = FPDF()
    document.set_font("helvetica", size=12)
    document.add_page()
    document.cell(text="Delivery ticket 4417")
    return bytes(document.output())


async def attach(pilot: Pilot[Any], path: Path) -> None:
    """On the Files tab: `a`, the path, Enter; then wait for the file to be added."""
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, Ask)
    pilot.app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)


async def test_a_broken_pdf_is_refused_and_a_good_one_attached(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_demo_engine
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage")
    good = tmp_path / "ticket.pdf"
    good.write_bytes(one_page_pdf())
    app = make_app(engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await pilot.press("f")
        await pilot.pause()
        table = screen.query_one(FilesPart).query_one("#attachments-table", DataTable)
        assert app.focused is table and table.row_count == 0

        await attach(pilot, broken)
        assert top(app) is screen
        text, error = message(screen)
        assert error and "broken.pdf" in text
        assert len(text) > len("Attaching the file: broken.pdf") + 10  # with the reason
        assert table.row_count == 0

        await attach(pilot, good)
        assert message(screen) == ("Attached “ticket.pdf”.", False)
        rows = _table_texts(table)
        assert len(rows) == 1
        assert rows[0][0] == "ticket.pdf" and rows[0][2] == "1"
        assert rows[0][4] == "Erin Walsh"
        assert screen.query_one(TabbedContent).active == "files"
        assert str(screen.query_one(TabbedContent).get_tab("files").label) == "Files (1)"

    invoice = _saved_invoice(engine, ELECTRICAL, 3)
    with Session(engine) as session:
        attachments = session.exec(select(Attachment)).all()
    assert [(a.invoice_id, a.original_name, a.page_count) for a in attachments] == [
        (invoice.id, "ticket.pdf", 1)]
    assert attachments[0].size_bytes == good.stat().st_size


# --- 11: leaving with unsaved changes ----------------------------------------------------------


async def test_leaving_with_unsaved_changes_asks_first(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    invoice = _saved_invoice(engine, ELECTRICAL, 3)
    stored_before = _figures(_saved_lines(engine, invoice.id))
    app = make_app(engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await type_into(pilot, screen, "2", "this_period", "2500")

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, Choose)
        assert app.screen.question == "This invoice has unsaved changes."
        await pilot.press("c")  # Cancel
        await pilot.pause()
        assert top(app) is screen
        assert cell(screen, "2", "this_period") == "$2,500.00"

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, Choose)
        await pilot.press("d")  # Discard
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        invoices = _table_texts(app.screen.query_one("#invoices-table", DataTable))
        assert invoices[0][4] == "$103,278.20"  # the payment due as it was

    after = _saved_invoice(engine, ELECTRICAL, 3)
    assert after.version == invoice.version
    assert _figures(_saved_lines(engine, invoice.id)) == stored_before


# --- 12: export --------------------------------------------------------------------------------


async def test_erin_exports_an_approved_invoice_as_pdf(sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # invoice #2
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert screen.view.position == 2 and not screen.view.editable
        await pilot.press("x")
        await settle(pilot)
        text, error = message(screen)
        assert not error and text.startswith("PDF written to ")
        path = Path(text.removeprefix("PDF written to "))
        assert path.is_absolute() and path.suffix == ".pdf"
        assert path.is_file() and path.read_bytes().startswith(b"%PDF-")
