"""Setting up a commitment from the home screen's palette, at 80×24 and by keys only: the form
(a refusal keeps what was typed and says why under the field), then a CSV import whose one bad
row is reported with nothing imported, and the fixed file imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from data.db import reading
from data.models import Commitment, CommitmentContact, SovLine
from tests.invoice_pilot import make_app, run_command, settle, top
from tui.dialogs import Report
from tui.screens.commitment_setup import CommitmentForm, SovFileAsk

GOOD = ("item,description,budget code,scheduled value\n"
        "1,Metal stud framing,09-210,\"$1,234.50\"\n"
        "2,Gypsum board,09-250,\"10,000.00\"\n")
ONE_BAD_ROW = GOOD.replace("\"10,000.00\"", "ten thousand")


async def _type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


def _notified(app: Any, text: str) -> bool:
    return any(n.message == text for n in app._notifications)


def _commitment(engine: Engine, number: str) -> Commitment | None:
    with reading(engine) as session:
        return session.exec(select(Commitment).where(Commitment.number == number)).first()


def _items(engine: Engine, commitment_id: int) -> list[str]:
    with reading(engine) as session:
        return list(session.exec(select(SovLine.item_no).where(
            SovLine.commitment_id == commitment_id).order_by(col(SovLine.position))).all())


async def test_pat_sets_up_a_commitment_and_imports_its_schedule(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Set up a commitment")
        form = top(app)
        assert isinstance(form, CommitmentForm)
        assert form.input("project").value == "2417"  # the highlighted commitment's project
        await pilot.press("tab")
        await _type(pilot, "SC-2417-016")  # taken already
        await pilot.press("tab")
        await _type(pilot, "Drywall")
        await pilot.press("tab")
        await _type(pilot, "Coastline Electric Co.")
        await pilot.press("tab", "tab")
        await _type(pilot, "erin")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert top(app) is form  # still open, with what was typed
        assert form.input("title").value == "Drywall"
        error = form.query_one("#error-number", Static)
        assert "project 2417 has a commitment SC-2417-016 already" in str(error.render())
        assert app.focused is form.input("number")
        await pilot.press("backspace", "backspace")
        await _type(pilot, "40")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _notified(app, "Commitment SC-2417-040 Drywall created in project 2417.")
        made = _commitment(sqlite_demo_engine, "SC-2417-040")
        assert made is not None and made.id is not None
        assert (made.work_retainage_e4, made.accounting_method) == (100000, "amount")
        with reading(sqlite_demo_engine) as session:
            assert session.exec(select(CommitmentContact).where(
                CommitmentContact.commitment_id == made.id)).one().user_id

        await pilot.press("c")  # the commitments tab; highlight the new one
        await settle(pilot)
        table = app.screen.query_one("#commitments-table", DataTable)
        row = table.get_row_index(f"commitment:{made.id}")
        for _ in range(row - table.cursor_row):
            await pilot.press("down")
        csv_file = tmp_path / "drywall.csv"
        csv_file.write_text(ONE_BAD_ROW, encoding="utf-8")
        await run_command(pilot, "Import a schedule of values from CSV")
        ask = top(app)
        assert isinstance(ask, SovFileAsk)
        await _type(pilot, str(csv_file))
        await pilot.press("enter")
        await settle(pilot)
        report = top(app)
        assert isinstance(report, Report)
        assert list(report.lines) == [
            "line 3: scheduled value: 'ten thousand' is not a valid amount"]
        assert _items(sqlite_demo_engine, made.id) == []
        await pilot.press("escape")  # back to the path, still typed
        assert top(app) is ask and ask.query_one(Input).value == str(csv_file)
        csv_file.write_text(GOOD, encoding="utf-8")
        await pilot.press("enter")
        await settle(pilot)
        done = top(app)
        assert isinstance(done, Report)
        assert list(done.lines) == [
            "2 lines added to the schedule of values of commitment SC-2417-040",
            "Original contract sum: $11,234.50", "Contract sum to date: $11,234.50"]
        assert _items(sqlite_demo_engine, made.id) == ["1", "2"]


async def test_pat_edits_a_commitments_terms_from_the_palette(sqlite_demo_engine: Engine
                                                              ) -> None:
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")  # SC-2417-016 highlighted first
        await settle(pilot)
        await run_command(pilot, "Edit the highlighted commitment")
        await settle(pilot)
        form = top(app)
        assert isinstance(form, CommitmentForm)
        assert form.input("number").value == "SC-2417-016"
        assert form.input("title").value == "Electrical"
        assert form.input("contacts").value == "erin"
        assert form.input("method").value == "amount"
        # Its method cannot change now that its schedule has lines: refused under the field,
        # with everything typed kept.
        form.input("method").focus()
        await pilot.press("ctrl+a", "ctrl+k")  # clear the field, as a person would
        await _type(pilot, "unit")
        form.input("title").focus()
        await pilot.press("end")
        await _type(pilot, " & Low Voltage")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert top(app) is form
        assert "cannot change once the commitment has SOV lines" in str(
            form.query_one("#error-method", Static).render())
        assert form.input("title").value == "Electrical & Low Voltage"
        form.input("method").focus()
        await pilot.press("ctrl+a", "ctrl+k")
        await _type(pilot, "amount")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _notified(app, "Commitment SC-2417-016 Electrical & Low Voltage saved.")
    edited = _commitment(sqlite_demo_engine, "SC-2417-016")
    assert edited is not None and edited.title == "Electrical & Low Voltage"
