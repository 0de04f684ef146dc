# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""An invoice's history from the audit trail: who did what, from what to what, when; shown on
the invoice screen with `h` and written as text beside the exports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data.db import reading, writing
from data.models import LineReview
from data.services.actors import actor_for_login
from data.services.invoice_history import invoice_history
from data.services.invoice_review import mark_lines
from data.services.invoice_views import load_invoice
from tests.invoice_pilot import make_app, send_erins_resubmission, settle
from tests.pg_people import (  # noqa: F401
    Connect,
    admin,
    connect,
    demo_template,
    demo_url,
)
from tui.dialogs import Report


def _resubmitted_and_reviewed(engine: Engine, reviewer: Engine | None = None) -> int:
    """Erin sends her invoice #3 again (through `engine`); pat rejects its first line."""
    invoice_id = send_erins_resubmission(engine)
    with writing(reviewer or engine) as session:
        pat = actor_for_login(session, "pat")
        view = load_invoice(session, pat, invoice_id)
        mark_lines(session, pat, invoice_id, [view.lines[0].sov_line_id], LineReview.REJECTED,
                   comment="Billed twice", version=view.version)
    return invoice_id


def test_the_history_names_who_did_what_from_what_to_what(demo_engine: Engine) -> None:
    invoice_id = _resubmitted_and_reviewed(demo_engine)
    with reading(demo_engine) as session:
        history = invoice_history(session, actor_for_login(session, "sam"), invoice_id)
    text = history.as_text()
    assert history.complete and "Only the entries" not in text
    assert history.file_name == "SC-2417-016 Invoice 3 - history.txt"
    # PostgreSQL's own entries aside; there the tests' database role (postgres) is named too.
    heads = [re.sub(r" \(database role \w+\)", "", entry.as_text().splitlines()[0]
                    .split("UTC  ")[1])
             for entry in history.entries if not entry.action.startswith("database")]
    assert heads[0] == "erin: create invoice"
    assert "erin: edit line 1" in heads
    assert heads[-3:] == ["erin: send", "pat: review lines", "pat: send back for revision"]
    assert "    status: Revise & Resubmit → Under Review" in text
    assert "    work: $0.00 → $3,850.00" in text  # cents shown as money
    assert "Billed twice" in text
    times = [entry.at for entry in history.entries]
    assert times == sorted(times)


async def test_h_shows_the_history_and_writes_it_as_text(sqlite_demo_engine: Engine) -> None:
    invoice_id = _resubmitted_and_reviewed(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "sam")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "enter")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        report = app.screen
        assert isinstance(report, Report)
        assert "History of invoice #3" in report.title_text
        assert any("pat: review lines" in line for line in report.lines)
        saved = Path(report.footer.removeprefix("Also saved as text: "))
        with reading(sqlite_demo_engine) as session:
            expected = invoice_history(session, actor_for_login(session, "sam"), invoice_id)
        assert saved.read_text() == expected.as_text()
        assert saved.stat().st_mode & 0o777 == 0o600
        await pilot.press("escape", "h")
        await settle(pilot)
        second = app.screen
        assert isinstance(second, Report) and second.footer != report.footer  # a new file


@pytest.mark.postgres
def test_as_their_own_roles_support_reads_all_and_the_contact_only_their_own(
        admin: Engine, connect: Connect) -> None:
    invoice_id = _resubmitted_and_reviewed(connect("erin"), connect("pat"))
    with reading(connect("sam")) as session:
        everything = invoice_history(session, actor_for_login(session, "sam"), invoice_id)
    with reading(connect("erin")) as session:
        own = invoice_history(session, actor_for_login(session, "erin"), invoice_id)
    assert everything.complete and not own.complete
    assert "Only the entries you may read are shown" in own.as_text()
    assert any("pat" in entry.who for entry in everything.entries)
    assert own.entries and all(entry.who == "erin" for entry in own.entries)
    assert len(own.entries) < len(everything.entries)
