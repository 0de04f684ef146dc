"""The schedule of values exported as CSV: every demo invoice reads back through `payapp g702`'s
checker as consistent, with the same G702 lines payapp computed; text cannot turn into a
spreadsheet formula."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from sqlalchemy import Engine
from sqlmodel import select

from data.db import reading
from data.documents.sov_csv import csv_file_name, sov_csv_text
from data.g703_check import check_sheet_text
from data.models import Invoice
from data.services.actors import actor_for_login
from data.services.invoice_views import InvoiceView, load_invoice


def _every_demo_invoice(engine: Engine) -> list[InvoiceView]:
    with reading(engine) as session:
        actor = actor_for_login(session, "sam")  # support reads every invoice
        ids = [invoice.id for invoice in session.exec(select(Invoice)).all()]
        return [load_invoice(session, actor, invoice_id) for invoice_id in ids if invoice_id]


def test_every_demo_invoice_reads_back_as_consistent(sqlite_demo_engine: Engine) -> None:
    views = _every_demo_invoice(sqlite_demo_engine)
    assert len(views) >= 5
    for view in views:
        text = sov_csv_text(view)
        report = check_sheet_text(text, previous_certificates=view.summary.previous_certificates,
                                  application_number=view.position)
        where = f"{view.commitment_number} #{view.position}"
        assert report.consistent, f"{where}\n{report.as_text()}\n{text}"
        assert not report.unreadable, where
        assert len(report.rows) == len(view.lines), where
        ours, theirs = view.summary, report.summary
        for line in ("original_contract_sum", "net_change_by_change_orders",
                     "contract_sum_to_date", "completed_and_stored_to_date", "total_retainage",
                     "total_earned_less_retainage", "current_payment_due"):
            assert getattr(theirs, line) == getattr(ours, line), (where, line)


def test_text_that_a_spreadsheet_would_run_is_quoted(sqlite_demo_engine: Engine) -> None:
    view = _every_demo_invoice(sqlite_demo_engine)[0]
    line = view.lines[0]
    hostile = replace(line.result.line, description='=HYPERLINK("http://x","y")')
    changed = replace(line, result=replace(line.result, line=hostile))
    view = replace(view, lines=(changed, *view.lines[1:]))
    rows = list(csv.reader(io.StringIO(sov_csv_text(view))))
    header = rows.index(next(row for row in rows if "Scheduled Value" in row))
    first = rows[header + 1]
    assert first[1] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert csv_file_name(view).endswith(" - G703.csv")



async def test_shift_x_writes_the_csv_of_the_invoice_as_saved(sqlite_demo_engine: Engine) -> None:
    from pathlib import Path

    from tests.invoice_pilot import make_app, message, open_erins_invoice_3, settle

    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_erins_invoice_3(pilot)
        await pilot.press("X")
        await settle(pilot)
        said, is_error = message(screen)
        assert said.startswith("CSV written to ") and not is_error, said
        path = Path(said.removeprefix("CSV written to ").replace("\n", ""))
        assert screen.view is not None
        assert path.name == csv_file_name(screen.view)
        assert path.read_bytes().decode() == sov_csv_text(screen.view)
        assert "-0.00" not in path.read_text()
        assert path.stat().st_mode & 0o777 == 0o600


def test_an_exported_sheet_says_its_application_number_to_the_history_import(
        sqlite_demo_engine: Engine) -> None:
    from data.services.commitment_history import history_from_g703

    approved = [view for view in _every_demo_invoice(sqlite_demo_engine)
                if view.commitment_number == "SC-2417-016" and view.position == 2]
    assert len(approved) == 1
    view = approved[0]
    assert f"Application No. {view.position}," in sov_csv_text(view).splitlines()[3]
    with reading(sqlite_demo_engine) as session:
        history = history_from_g703(session, actor_for_login(session, "pat"),
                                    view.commitment_id, sov_csv_text(view))
    assert history.application == 2  # read from the sheet: no number had to be given
    assert history.certificates == view.summary.total_earned_less_retainage
