"""What a new user hit on the invoice screen at 80×24 (issue 7, "What a new user hit"), one test
per item, each asserting what the person sees: the screen as drawn, the message line, the
dialogs, and, where it matters, what the database holds afterwards.

The demo (data/demo.py, built for DEMO_TODAY): Erin's invoice #3 of the amount-based
SC-2417-016 is in Revise & Resubmit with line 7 rejected; Dan answers Yes to the invite of the
unit-based SC-2417-031 and gets a new draft, #3. Helpers: tests/invoice_pilot.py.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from data import g703
from data.db import writing
from data.models import Commitment, Invoice, InvoiceLine, SovLine
from data.services.actors import actor_for_login
from data.services.invoice_changes import LineEntry, save_lines
from data.wording import SAVED, SENT_FOR_REVIEW
from tests.invoice_pilot import (
    CONCRETE,
    ELECTRICAL,
    MONEY,
    cell,
    goto,
    header,
    make_app,
    message,
    open_erins_invoice_3,
    row_key,
    screen_lines,
    screen_text,
    settle,
    sov_line_id,
    top,
    totals,
    type_into,
)
from tests.test_contact_journeys import attach, one_page_pdf
from tui.app import PayApp
from tui.dialogs import Choose, Report
from tui.parts.line_detail import LineDetail
from tui.parts.summary_part import SummaryPart
from tui.screens.invoice import InvoiceScreen
from tui.widgets.form import FormScreen

D = Decimal
SMALL = (80, 24)
COMMENT = ("Levels 4-6 feeders were not inspected by the end of the period; bill them next "
           "month.")
NON_MONEY = (g703.Kind.PERCENT, g703.Kind.QUANTITY, g703.Kind.UNIT_PRICE)


async def _open_dans_new_invoice(pilot: Pilot[Any]) -> InvoiceScreen:
    await settle(pilot)
    await pilot.press("y")  # Yes to this month's invite: his invoice #3 opens
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InvoiceScreen) and screen.view is not None
    assert (screen.view.commitment_number, screen.view.position) == (CONCRETE, 3)
    return screen


def _stored_invoice(engine: Engine, number: str, position: int) -> Invoice:
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).join(Commitment).where(
            Commitment.number == number, Invoice.position == position)).one()
    return invoice


def _rejected_items(engine: Engine, invoice_id: int | None) -> set[str]:
    with Session(engine) as session:
        rows = session.exec(select(SovLine.item_no).join(
            InvoiceLine, col(InvoiceLine.sov_line_id) == SovLine.id).where(
            InvoiceLine.invoice_id == invoice_id, InvoiceLine.review == "rejected")).all()
    return set(rows)


def _grid_lines(app: PayApp) -> list[str]:
    """The drawn lines of the grid: its header, lines and totals (each has the rule "│")."""
    return [line for line in screen_lines(app) if "│" in line]


def _drawn_row(app: PayApp, description: str) -> str:
    return next(line for line in _grid_lines(app) if description in line)


def _dialog_text(app: PayApp) -> str:
    """The words drawn on screen, whitespace collapsed, the dialog's border and bullets left
    out: a text wrapped over several lines reads as one."""
    words = []
    for line in screen_lines(app):
        inner = re.split(r"[┃│▌▐█]", line)
        inner = inner[1:-1] if len(inner) >= 3 else inner
        words += " ".join(inner).replace("•", " ").split()
    return " ".join(words)


# --- money with its first digits cut off --------------------------------------------------------


def _cut_figures(app: PayApp, screen: InvoiceScreen) -> list[str]:
    """Figures drawn in the grid that are neither whole money nor a "#" overflow marker (and
    not a percentage, quantity or unit price the grid holds)."""
    grid = screen.grid
    others = {grid.row(key).text(column.key) for key in grid.row_keys
              for column in g703.COLUMNS if column.kind in NON_MONEY}
    return _cut_in(_grid_lines(app), others)


def _cut_in(lines: list[str], others: set[str]) -> list[str]:
    bad = []
    for line in lines:
        scrolled = line.split("│", 1)[1]
        for token in re.split(r"[\s▸◂▁▂▃▄▅▆▇█]+", scrolled):
            token = token.removesuffix("*")
            if not re.search(r"[0-9$]", token) or set(token) == {"#"}:
                continue
            if not MONEY.match(token) and token not in others:
                bad.append(token)
        for token in re.split(r"[\s│▁▂▃▄▅▆▇█]+", line):  # in the fixed columns too
            token = token.removesuffix("*")
            money_like = "$" in token or re.fullmatch(r"-?[0-9,]*[0-9]\.[0-9]{2}", token)
            if money_like and not MONEY.match(token) and token not in others \
                    and token not in bad:
                bad.append(token)
    return bad


def test_the_cut_figure_check_catches_what_the_new_user_saw() -> None:
    seen = ["  4    Concrete sidewalk, 4 in.         39,120.00│   0.00%       0",
            "       Totals 51,424.50                 │      $0.00"]
    assert _cut_in(seen, {"0.00%", "0"}) == ["39,120.00", "51,424.50"]
    fine = ["  4    Concrete sidewalk, 4 in.         │ $139,120.00   0.00%  ####  $4.125 ▇▇"]
    assert _cut_in(fine, {"0.00%", "$4.125"}) == []
    assert _cut_in(["  5  Asphalt │ $128,700.0"], set()) == ["$128,700.0"]


@pytest.mark.parametrize("who", ["dan", "erin"])
async def test_a_money_figure_is_shown_whole_or_as_a_marker_never_cut(
        sqlite_demo_engine: Engine, who: str) -> None:
    app = make_app(sqlite_demo_engine, who)
    async with app.run_test(size=SMALL) as pilot:
        screen = await (_open_dans_new_invoice(pilot) if who == "dan"
                        else open_erins_invoice_3(pilot))
        grid = screen.grid
        seen: set[str] = set()
        for _ in grid.groups:
            for _ in range(len(grid.visible_columns)):
                await pilot.press("left")
            for _ in range(len(grid.visible_columns) + 1):  # sideways to the last column
                await pilot.pause()
                assert not _cut_figures(app, screen), (grid.group, grid.cursor,
                                                       screen_text(app))
                seen |= set(re.findall(r"-?\$[0-9,]+\.[0-9]{2}", screen_text(app)))
                await pilot.press("right")
            await pilot.press("end")
            await pilot.pause()
            assert not _cut_figures(app, screen), (grid.group, screen_text(app))
            await pilot.press("home", "c")
        # The figures the new user saw cut: "39,120.00" for $139,120.00 and "Totals 51,424.50"
        # for $751,424.50 (Dan's C Value); here they are drawn whole.
        if who == "dan":
            assert {"$139,120.00", "$751,424.50"} <= seen
        else:
            assert {"$1,505,833.70", "$354,949.86"} <= seen


async def test_the_totals_bar_shows_the_retainage_with_its_figure(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert "Due $103,278.20" in totals(screen)
        assert "Retainage $35,494.99" in totals(screen)
        assert "Retainage $35,494.99" in screen_text(app)


# --- nonsense figures accepted silently ---------------------------------------------------------


async def test_completed_to_date_below_zero_is_refused_on_an_ordinary_line(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert cell(screen, "2", "completed") == "$14,850.00"  # all from previous periods
        for typed in ("(20000.00)", "-14850.01"):
            await type_into(pilot, screen, "2", "this_period", typed)
            text, error = message(screen)
            assert error and "line 2" in text, text
            assert cell(screen, "2", "this_period") == "$0.00"
            assert cell(screen, "2", "completed") == "$14,850.00"
            assert screen.draft is not None and not screen.draft.dirty
            assert text in " ".join(screen_text(app).split()) or screen.message.text == text

        # Back to zero done to date is still allowed.
        await type_into(pilot, screen, "2", "this_period", "-14850")
        assert message(screen) == ("Changed; not saved yet (Ctrl+S saves).", False)
        assert cell(screen, "2", "completed") == "$0.00"


async def test_an_overbilled_line_is_flagged_at_80_columns_and_send_names_it(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await type_into(pilot, screen, "3", "this_period", "100")  # fully billed already
        assert message(screen) == ("Changed; not saved yet (Ctrl+S saves).", False)
        drawn = _drawn_row(app, "Underground conduit")
        assert re.match(r"^. 3 ⚠ ", drawn), drawn  # in the Item column, in view at 80 columns
        assert "⚠ overbilled: 3" in totals(screen)
        assert "⚠ overbilled: 3" in screen_text(app)

        await pilot.press("ctrl+e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, Choose)
        named = re.search(r"line 3 “Underground conduit and duct banks”[^\n]* \$100\.00 past",
                          dialog.question)
        assert named, dialog.question
        assert [label for _, label in dialog.answers] == ["Send anyway", "Cancel"]
        assert named[0] in _dialog_text(app)
        await pilot.press("c")
        await settle(pilot)
        assert top(app) is screen and screen.draft is not None and screen.draft.dirty

    assert _stored_invoice(engine, ELECTRICAL, 3).status == "revise_resubmit"


async def test_an_absurd_amount_is_flagged_and_its_due_shown_whole(
        sqlite_demo_engine: Engine) -> None:
    """$99,999,999,999,999 this period on a $43,210.50 line: refused, or else flagged as
    overbilled, its figures drawn whole, and sending it asks first."""
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await type_into(pilot, screen, "8", "this_period", "99999999999999")
        assert not _cut_figures(app, screen), screen_text(app)
        _, error = message(screen)
        if error:  # refused: the old value stays
            assert cell(screen, "8", "this_period") == "$0.00"
            return
        assert cell(screen, "8", "item") == "8 ⚠"
        await pilot.press("ctrl+e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, Choose) and "line 8 “Branch wiring, level 1”" in dialog.question


# --- keys that do the wrong thing ---------------------------------------------------------------


async def test_letters_typed_while_editing_go_into_the_cell_not_to_shortcuts(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await goto(pilot, screen, "2", "this_period")
        # a: attach, g: general information, x: PDF, s/f: tabs, c: columns, ?: keys, r: reload
        await pilot.press("1", "a", "g", "x", "s", "f", "c", "r", "question_mark")
        await pilot.pause()
        grid = screen.grid
        assert grid.editing and grid.edit_text == "1agxsfcr?"
        assert top(app) is screen  # no attach dialog, no form, no keys panel
        assert screen.query_one(TabbedContent).active == "sov" and grid.group == "work"
        assert app.focused is grid
        drawn = _drawn_row(app, "Temporary power")
        assert "1agxsfcr?" in drawn  # typed into the cell, where the person looks
        await pilot.press("escape")
        await pilot.pause()
        assert not grid.editing and cell(screen, "2", "this_period") == "$0.00"
        assert top(app) is screen


def _enabled(app: PayApp) -> set[str]:
    """The actions the keys do now (what the footer may show)."""
    return {active.binding.action for active in app.screen.active_bindings.values()
            if active.enabled}


async def test_line_keys_and_file_keys_work_only_on_their_own_tab(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        grid = screen.grid
        line_keys = {"mark", "bulk_percent", "bulk_release"}
        file_keys = {"attach", "remove"}

        assert line_keys <= _enabled(app) and not file_keys & _enabled(app)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        assert top(app) is screen and "Attach" not in screen_lines(app)[-1]

        for tab in ("s", "f"):  # Summary, Files
            await pilot.press(tab)
            await pilot.pause()
            assert not line_keys & _enabled(app), tab
            await pilot.press("space", "percent_sign", "R")
            await pilot.pause()
            assert top(app) is screen, tab  # no "percent for 1 line" question
            assert not grid.marked
        assert file_keys & _enabled(app) == {"attach"}  # nothing to remove yet
        assert "Attach" in screen_lines(app)[-1]  # the footer
        assert screen.draft is not None and not screen.draft.dirty


async def test_the_footer_shows_its_last_key_whole_in_every_state(
        sqlite_demo_engine: Engine) -> None:
    """At 80 columns the footer never runs into a palette hint ("x P▏^p paletter")."""
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        footers = []
        for keys in ((), ("1",), ("escape", "s"), ("f",), ("l", "c", "c"), ("c", "c")):
            await pilot.press(*keys)
            await pilot.pause(0.3)  # the footer follows the keys that apply after 0.25 s
            footers.append(screen_lines(app)[-1].rstrip())
        assert screen.grid.group == "work"  # round the groups and back
        for footer in footers:
            assert footer.endswith("^q Quit") and "▏" not in footer, footers
        for footer in footers[:1] + footers[2:]:
            assert "PDF" in footer and "Keys" in footer, footers
        # While a figure is typed, letters go into the cell: no letter key is offered.
        assert "Commit" in footers[1] and "PDF" not in footers[1] and "Info" not in footers[1]
        assert "Attach" in footers[3]


async def test_the_attach_dialog_does_not_open_on_an_invoice_that_cannot_change(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # invoice #2, approved and paid
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert screen.view.position == 2 and not screen.view.editable
        await pilot.press("f")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "files"
        footer = screen_lines(app)[-1]
        assert "Attach" not in footer and "Remove" not in footer
        assert "attach" not in _enabled(app)
        await pilot.press("a")
        await pilot.pause()
        assert top(app) is screen  # no path to type for a file that would be refused


async def test_saving_or_attaching_stays_on_the_same_tab(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "ticket.pdf"
    good.write_bytes(one_page_pdf())
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        tabs = screen.query_one(TabbedContent)
        await type_into(pilot, screen, "2", "this_period", "2500")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert message(screen) == (SAVED, False)
        assert tabs.active == "sov" and app.focused is screen.grid

        await type_into(pilot, screen, "5", "this_period", "100")
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert message(screen) == (SAVED, False)
        assert tabs.active == "summary"

        await pilot.press("f")
        await pilot.pause()
        await attach(pilot, good)
        assert message(screen) == ("Attached “ticket.pdf”.", False)
        assert tabs.active == "files"


async def test_the_keys_panel_scrolls_to_its_last_line_and_closes_with_escape(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        panel = app.screen
        assert isinstance(panel, Report)
        last = panel.lines[-1]
        first = panel.lines[0]
        assert first in _dialog_text(app)
        for _ in range(3):
            await pilot.press("end")
            await pilot.pause()
        assert last in _dialog_text(app), screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert top(app) is screen


# --- text that cannot be read at 80×24 -----------------------------------------------------------


async def test_the_reviewers_comment_can_be_read_in_full(sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await goto(pilot, screen, "7", "this_period")
        detail = screen.query_one(LineDetail)
        assert f"Reviewer (rejected): {COMMENT}" in detail.text.splitlines()
        drawn = " ".join(" ".join(screen_lines(app)[-8:]).split())
        assert "Reviewer (rejected): Levels 4-6" in drawn  # under the grid, at once
        assert COMMENT in drawn or "press i to read this line in full" in drawn

        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, Report)
        assert f"Reviewer (rejected): {COMMENT}" in _dialog_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert top(app) is screen


async def test_the_change_order_summary_can_be_reached(sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert screen.view is not None
        net = screen.view.summary.change_orders.net_change
        await pilot.press("s")
        await pilot.pause()
        assert app.focused is screen.query_one(SummaryPart)
        assert "Current Payment Due" in screen_text(app)
        for _ in range(3):
            await pilot.press("end")
            await pilot.pause()
        row = next((line for line in screen_lines(app)
                    if "Net change by change orders" in line), "")
        assert row.split()[-1] == f"${net:,.2f}" == "$11,650.50", screen_text(app)


@pytest.mark.parametrize("who", ["dan", "erin"])
async def test_the_description_shows_at_least_24_cells_at_80_columns(
        sqlite_demo_engine: Engine, who: str) -> None:
    app = make_app(sqlite_demo_engine, who)
    async with app.run_test(size=SMALL) as pilot:
        screen = await (_open_dans_new_invoice(pilot) if who == "dan"
                        else open_erins_invoice_3(pilot))
        grid = screen.grid
        longest = ("Accessible ramps with truncated domes" if who == "dan"
                   else "Distribution panels and transformers")
        for _ in grid.groups:
            assert grid.column_width("description") >= 24, grid.group
            # 24 cells: 23 characters and "…" when the description is longer than that
            assert longest[:23] in _drawn_row(app, longest[:23]), grid.group
            editable = [c for c in grid.visible_columns if g703.BY_KEY[c].field is not None]
            for column in editable:  # and every editable column of the group in view
                assert grid.column_width(column) > 0, (grid.group, column)
            await pilot.press("c")
            await pilot.pause()


async def test_g_shows_one_form_with_the_four_fields(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await pilot.press("g")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        assert [f.key for f in form.fields] == ["invoice_number", "billing_date",
                                               "period_start", "period_end"]
        drawn = screen_text(app)
        for label, value in (("Billing date", "2026-11-21"), ("Period start", "2026-11-01"),
                             ("Period end", "2026-11-30"), ("Invoice no.", "")):
            assert label in drawn and value in drawn, label
        assert app.focused is form.query_one("#field-invoice_number", Input)
        await pilot.press(*"INV-3307")
        await pilot.press("tab", "tab", "tab")
        assert app.focused is form.query_one("#field-period_end", Input)
        await pilot.press("ctrl+s")  # confirms the form
        await pilot.pause()
        assert top(app) is screen
        assert "Invoice no. INV-3307" in header(screen)
        assert message(screen)[0].startswith("General information changed; not saved yet")
        await pilot.press("ctrl+s")  # saves the invoice
        await settle(pilot)
        assert message(screen) == (SAVED, False)

    assert _stored_invoice(engine, ELECTRICAL, 3).invoice_number == "INV-3307"


# --- stale or untrue words ----------------------------------------------------------------------


async def test_rejection_marks_are_those_stored_before_and_after_resubmitting(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    invoice = _stored_invoice(engine, ELECTRICAL, 3)
    assert _rejected_items(engine, invoice.id) == {"7"}
    app = make_app(engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert re.match(r"^. 7 ✗ ", _drawn_row(app, "Feeders — levels 4 to 6"))
        assert not any("✗" in _drawn_row(app, d) for d in ("Feeders — levels 1 to 3",
                                                           "Branch wiring, level 1"))
        said = " ".join(header(screen).split())
        assert "✗" in said and ("1 rejected" in said or "1 line(s) rejected" in said)

        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, Choose)
        await pilot.press("s")
        await settle(pilot)
        assert message(screen) == (SENT_FOR_REVIEW, False)
        stored = _rejected_items(engine, invoice.id)
        drawn = screen_text(app)
        shown = {item for item in ("7",) if "✗" in _drawn_row(app, "Feeders — levels 4 to 6")}
        assert shown == stored, drawn
        assert ("rejected" in header(screen)) == bool(stored)
        assert ("✗" in drawn) == bool(stored)


async def test_the_conflict_dialog_names_the_person_and_shows_formatted_quantities(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "dan")
    async with app.run_test(size=SMALL) as pilot:
        screen = await _open_dans_new_invoice(pilot)
        assert screen.view is not None
        await type_into(pilot, screen, "2", "new_quantity", "1234.5")
        with writing(engine) as session:  # Pat saves line 2 meanwhile
            save_lines(session, actor_for_login(session, "pat"), screen.view.invoice_id,
                       {sov_line_id(screen, "2"): LineEntry(new_quantity=D("210"))},
                       version=screen.view.version)
        await pilot.press("ctrl+s")
        await settle(pilot)
        report = app.screen
        assert isinstance(report, Report)
        assert report.title_text.startswith("Pat Morales saved this invoice")
        assert "Someone else" not in report.title_text
        quantity = next(line for line in report.lines if "quantity" in line)
        assert quantity.endswith(": 0 SF → 210 SF"), report.lines
        assert ".0000" not in " ".join(report.lines)
        drawn = _dialog_text(app)
        assert "Pat Morales saved this invoice" in drawn and "0 SF → 210 SF" in drawn
        assert cell(screen, "2", "new_quantity") == "1,234.5"  # what Dan typed is kept
        await pilot.press("escape")
        await pilot.pause()
        assert top(app) is screen


async def test_the_message_line_names_who_saved_first(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        assert screen.view is not None
        await type_into(pilot, screen, "2", "this_period", "2500")
        with writing(engine) as session:  # Pat saves line 2 meanwhile
            save_lines(session, actor_for_login(session, "pat"), screen.view.invoice_id,
                       {sov_line_id(screen, "2"): LineEntry(work=D("100.00"))},
                       version=screen.view.version)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, Report)
        assert message(screen) == ("Pat Morales saved this invoice first. Your values are "
                                   "still on screen; Ctrl+S saves them over the new version.",
                                   True)


async def test_the_send_message_says_the_email_is_queued(sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        assert message(screen) == (SENT_FOR_REVIEW, False)
        assert "were notified" not in screen_text(app)
        assert "an email to the administrators is queued" in " ".join(screen_text(app).split())
        assert row_key(screen, "7") in screen.grid.row_keys
