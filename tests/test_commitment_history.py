# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""A commitment that joins payapp mid-project (issue 10, item 2): its history is taken from the
G703 of application 24, filed elsewhere, after the sheet checker found it consistent; its first
invoice in payapp is #25, shows the history in D, previous stored materials and previous
retainage, and takes line 7 from the certificates. Lines 1 to 9 are checked to the cent against
figures worked out by hand below. The history changes only before the first invoice: payapp
refuses, and on PostgreSQL so does the database, to pat's own role in psql; erin's role cannot
write it at all.

The sheet (10 % retainage on work, 5 % on stored materials):

    item  C            D           E          F          G           I
    1     $20,000.00   $20,000.00  $0.00      $0.00      $20,000.00  $2,000.00
    2     $60,000.00   $30,000.00  $6,000.00  $4,000.00  $40,000.00  $3,800.00 (3,600 + 200)
    3     $45,500.00   $0.00       $4,550.00  $0.00      $4,550.00   $455.00
    total $125,500.00  $50,000.00  $10,550.00 $4,000.00  $64,550.00  $6,255.00

Application 24's line 6: $64,550.00 − $6,255.00 = $58,295.00, line 7 of #25.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from textual.pilot import Pilot
from textual.widgets import DataTable

from data.db import reading, writing
from data.models import Commitment
from data.services import billing_periods
from data.services.actors import actor_for_login
from data.services.commitment_history import (
    History,
    LineHistory,
    history_from_g703,
    set_history,
)
from data.services.commitment_setup import CommitmentTerms, create_commitment, import_sov
from data.services.errors import Invalid
from data.services.invoice_changes import LineEntry, create_invoice, save_lines
from data.services.invoice_views import load_invoice
from tests.conftest import DEMO_TODAY
from tests.invoice_pilot import make_app, run_command, settle, top
from tests.pg_people import Connect, Psql, admin, connect, demo_template, demo_url, psql  # noqa: F401
from tui.dialogs import Report
from tui.screens.commitment_setup import HistoryFileAsk

D = Decimal
SOV = """item,description,scheduled value
1,Design and submittals,"20,000.00"
2,Underground piping,"60,000.00"
3,Sprinkler heads,"45,500.00"
"""
SHEET = """Continuation Sheet (AIA G703),,,,Application No. 24,,,,,
Item No.,Description of Work,Scheduled Value,Work Completed From Previous Application,Work Completed This Period,Materials Presently Stored (not in D or E),Total Completed & Stored to Date (D+E+F),% (G ÷ C),Balance to Finish (C − G),Retainage (If Variable Rate)
1,Design and submittals,"$20,000.00","$20,000.00",$0.00,$0.00,"$20,000.00",100.00%,$0.00,"$2,000.00"
2,Underground piping,"$60,000.00","$30,000.00","$6,000.00","$4,000.00","$40,000.00",66.67%,"$20,000.00","$3,800.00"
3,Sprinkler heads,"$45,500.00",$0.00,"$4,550.00",$0.00,"$4,550.00",10.00%,"$40,950.00",$455.00
,Grand Total,"$125,500.00","$50,000.00","$10,550.00","$4,000.00","$64,550.00",51.43%,"$60,950.00","$6,255.00"
"""  # noqa: E501


def _fire_protection(engine: Engine) -> int:
    """erin's new commitment with its schedule of values, no invoice yet; its id."""
    with writing(engine) as session:
        pat = actor_for_login(session, "pat")
        made = create_commitment(session, pat, "2417", CommitmentTerms(
            number="SC-2417-050", title="Fire protection", company="Coastline Electric Co.",
            contacts=("erin",), work_retainage=D("10"), stored_retainage=D("5"),
            stored_materials_separately=True))
        import_sov(session, pat, made.commitment_id, SOV)
        return made.commitment_id


def _history_from_the_sheet(engine: Engine, commitment: int) -> History:
    with writing(engine) as session:
        pat = actor_for_login(session, "pat")
        history = history_from_g703(session, pat, commitment, SHEET)
        set_history(session, pat, commitment, history)
        return history


def _first_invoice(engine: Engine, commitment: int) -> int:
    with writing(engine) as session:
        erin = actor_for_login(session, "erin")
        period = next(p for p in billing_periods.periods_of(
            session, actor_for_login(session, "pat"), "2417") if p.status == "open")
        invoice = create_invoice(session, erin, commitment, period.period_id, today=DEMO_TODAY)
        assert invoice.id is not None
        view = load_invoice(session, erin, invoice.id)
        ids = {line.result.line.item_no: line.sov_line_id for line in view.lines}
        save_lines(session, erin, invoice.id, {ids["2"]: LineEntry(work=D("10000.00")),
                                               ids["3"]: LineEntry(work=D("9100.00"))})
        return invoice.id


def test_the_sheet_gives_the_history_with_retainage_split_by_the_stored_rate(
        sqlite_demo_engine: Engine) -> None:
    commitment = _fire_protection(sqlite_demo_engine)
    history = _history_from_the_sheet(sqlite_demo_engine, commitment)
    assert history.application == 24 and history.certificates == D("58295.00")
    assert history.lines["2"] == LineHistory(work=D("36000.00"), stored=D("4000.00"),
                                             retainage_work=D("3600.00"),
                                             retainage_stored=D("200.00"))
    assert history.lines["1"] == LineHistory(work=D("20000.00"),
                                             retainage_work=D("2000.00"))


def test_the_first_invoice_in_payapp_is_25_with_lines_1_to_9_to_the_cent(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    commitment = _fire_protection(engine)
    _history_from_the_sheet(engine, commitment)
    invoice = _first_invoice(engine, commitment)
    with reading(engine) as session:
        view = load_invoice(session, actor_for_login(session, "pat"), invoice)
    assert view.position == 25
    line_2 = next(line.result for line in view.lines if line.result.line.item_no == "2")
    assert line_2.line.previous_work == D("36000.00")  # D
    assert line_2.line.previous_stored == D("4000.00")
    assert line_2.line.previous_retainage_work == D("3600.00")
    # Work this period $10,000.00 + $9,100.00 = $19,100.00, retained at 10 %: $1,910.00.
    assert [(number, amount) for number, _caption, amount in view.summary.numbered_lines()] == [
        ("1", D("125500.00")),  # original contract sum
        ("2", D("0.00")),  # net change by change orders
        ("3", D("125500.00")),  # contract sum to date
        ("4", D("83650.00")),  # $60,550.00 work + $4,000.00 stored + $19,100.00
        ("5a", D("7965.00")),  # $6,055.00 held on work + $1,910.00
        ("5b", D("200.00")),  # held on stored materials
        ("5", D("8165.00")),
        ("6", D("75485.00")),  # $83,650.00 − $8,165.00
        ("7", D("58295.00")),  # application 24's line 6
        ("8", D("17190.00")),  # $75,485.00 − $58,295.00 = $19,100.00 − $1,910.00
        ("9", D("50015.00")),  # $125,500.00 − $75,485.00
    ]


def test_what_is_refused(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    commitment = _fire_protection(engine)
    with writing(engine) as session:
        pat = actor_for_login(session, "pat")
        with pytest.raises(Invalid, match="does not add up"):
            history_from_g703(session, pat, commitment,
                              SHEET.replace('"$3,800.00"', '"$3,900.00"'))
        with pytest.raises(Invalid, match="item 7 is not on the schedule of values"):
            set_history(session, pat, commitment,
                        History(24, D("1.00"), {"7": LineHistory(work=D("1.00"))}))
        with pytest.raises(Invalid, match="more retainage than was billed"):
            set_history(session, pat, commitment,
                        History(24, D("1.00"), {"1": LineHistory(retainage_work=D("1.00"))}))
    _history_from_the_sheet(engine, commitment)
    _first_invoice(engine, commitment)
    with writing(engine) as session, pytest.raises(Invalid, match="has invoices in payapp"):
        set_history(session, actor_for_login(session, "pat"), commitment,
                    History(30, D("0.00"), {}))
    with writing(engine) as session, pytest.raises(Exception, match="invoice administrator"):
        set_history(session, actor_for_login(session, "erin"), commitment,
                    History(30, D("0.00"), {}))


@pytest.mark.postgres
def test_on_postgresql_the_history_is_fixed_once_invoiced_and_only_pat_writes_it(
        admin: Engine, connect: Connect, psql: Psql) -> None:
    commitment = _fire_protection(connect("pat"))
    with psql("erin").begin() as erin:  # her commitment, but not hers to set up
        changed = erin.execute(text("UPDATE commitment SET previous_applications = 99 "
                                    "WHERE id = :c"), {"c": commitment}).rowcount
        assert changed == 0
    _history_from_the_sheet(connect("pat"), commitment)
    _first_invoice(connect("erin"), commitment)
    with pytest.raises(DBAPIError, match="entered before the commitment's first invoice"), \
            psql("pat").begin() as pat:
        pat.execute(text("UPDATE sov_line SET history_work_cents = 0 WHERE commitment_id = :c"),
                    {"c": commitment})
    with reading(admin) as session:
        view = load_invoice(session, actor_for_login(session, "pat"), _invoice_of(admin))
    assert view.position == 25 and view.summary.current_payment_due == D("17190.00")


@pytest.mark.postgres
def test_on_postgresql_a_send_from_psql_overbilling_through_the_history_is_refused(
        admin: Engine, connect: Connect, psql: Psql) -> None:
    commitment = _fire_protection(connect("pat"))
    _history_from_the_sheet(connect("pat"), commitment)  # line 1: $20,000.00 of $20,000.00
    invoice_id = _first_invoice(connect("erin"), commitment)
    with writing(connect("erin")) as session:
        erin = actor_for_login(session, "erin")
        line_1 = next(line.sov_line_id for line in load_invoice(session, erin, invoice_id).lines
                      if line.result.line.item_no == "1")
        save_lines(session, erin, invoice_id, {line_1: LineEntry(work=D("1000.00"))})
    with admin.begin() as connection:  # the project now forbids overbilling
        connection.execute(text("UPDATE project SET overbilling_allowed = false "
                                "WHERE number = '2417'"))
    with pytest.raises(DBAPIError, match=r"does not allow overbilling.*1"), \
            psql("erin").begin() as erin_psql:
        erin_psql.execute(text("UPDATE invoice SET status = 'under_review' WHERE id = :i"),
                          {"i": invoice_id})


def _invoice_of(admin: Engine) -> int:
    with admin.connect() as connection:
        return int(connection.execute(text(
            "SELECT i.id FROM invoice i JOIN commitment c ON c.id = i.commitment_id "
            "WHERE c.number = 'SC-2417-050'")).scalar_one())



def test_the_command_takes_the_history_and_says_what_follows(
        sqlite_demo_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.cli import main

    _fire_protection(sqlite_demo_engine)
    sheet = tmp_path / "application 24.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    monkeypatch.setenv("PAYAPP_DATABASE_URL", str(sqlite_demo_engine.url))
    monkeypatch.setattr("getpass.getuser", lambda: "pat")
    done = CliRunner().invoke(main, ["commitments", "history", str(sheet), "--project", "2417",
                                     "--commitment", "SC-2417-050"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        "Commitment SC-2417-050 continues after application 24: its first invoice in payapp "
        "is #25",
        "3 lines: work to date $60,550.00, retainage held $6,255.00",
        "Previous certificates for payment (line 7): $58,295.00"]
    sheet.write_text(SHEET.replace('"$40,000.00",66.67%', '"$41,000.00",66.67%'),
                     encoding="utf-8")
    refused = CliRunner().invoke(main, ["commitments", "history", str(sheet), "--project",
                                        "2417", "--commitment", "SC-2417-050"])
    assert refused.exit_code == 1 and "does not add up" in refused.output


async def _give_the_sheet(pilot: Pilot[Any], commitment: int, sheet: Path) -> None:
    """pat, on home: highlights the commitment, opens the history dialog, gives the sheet."""
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    table = pilot.app.screen.query_one("#commitments-table", DataTable)
    for _ in range(table.get_row_index(f"commitment:{commitment}") - table.cursor_row):
        await pilot.press("down")
    await run_command(pilot, "Enter the history before payapp")
    assert isinstance(top(pilot.app), HistoryFileAsk)  # type: ignore[arg-type]
    await pilot.press(*str(sheet))
    await pilot.press("enter")
    await settle(pilot)


async def test_from_the_palette_at_80x24(sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    commitment = _fire_protection(sqlite_demo_engine)
    sheet = tmp_path / "application 24.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await _give_the_sheet(pilot, commitment, sheet)
        report = top(app)
        assert isinstance(report, Report)
        assert "its first invoice in payapp is #25" in " ".join(report.lines)
    with reading(sqlite_demo_engine) as session:
        row = session.get(Commitment, commitment)
        assert row is not None and row.previous_applications == 24
        assert row.previous_certificates_cents == 5829500


async def test_a_sheet_that_does_not_say_its_number_is_asked_for_it(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    from tui.dialogs import Ask

    commitment = _fire_protection(sqlite_demo_engine)
    sheet = tmp_path / "last application.csv"
    sheet.write_text(SHEET.split("\n", 1)[1], encoding="utf-8")  # no "Application No." row
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await _give_the_sheet(pilot, commitment, sheet)
        asked = top(app)
        assert isinstance(asked, Ask) and "Which application is this sheet?" in asked.question
        await pilot.press("x", "enter")  # not a number: refused in the dialog
        await settle(pilot)
        assert top(app) is asked
        await pilot.press("backspace", "2", "4", "enter")
        await settle(pilot)
        report = top(app)
        assert isinstance(report, Report)
        assert "its first invoice in payapp is #25" in " ".join(report.lines)
    with reading(sqlite_demo_engine) as session:
        row = session.get(Commitment, commitment)
        assert row is not None and row.previous_applications == 24
