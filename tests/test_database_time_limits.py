# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""A lock somebody holds from psql makes payapp say "busy", never hang, and `payapp db
who-blocks` names who holds it (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from data.db import make_engine, writing
from data.refusals import Busy
from data.services.actors import actor_for_login
from data.services.invoice_changes import LineEntry, save_lines
from data.services.invoice_views import load_invoice
from tests.pg_people import (  # noqa: F401  (fixtures)
    ELECTRICAL,
    Connect,
    admin,
    connect,
    demo_template,
    demo_url,
    invoice_ids,
)
from tui.cli import main

pytestmark = pytest.mark.postgres


def _save(engine: Engine, invoice_id: int, work: str) -> None:
    with writing(engine) as session:
        erin = actor_for_login(session, "erin")
        view = load_invoice(session, erin, invoice_id)
        save_lines(session, erin, invoice_id,
                   {view.lines[0].sov_line_id: LineEntry(work=Decimal(work))})


def _work_cents(admin: Engine, invoice_id: int) -> int:
    with admin.connect() as c:
        return int(c.execute(text("SELECT work_cents FROM invoice_line WHERE invoice_id = :i "
                                  "ORDER BY id LIMIT 1"), {"i": invoice_id}).scalar_one())


def test_a_table_lock_from_psql_makes_a_save_busy_and_who_blocks_names_the_holder(
        admin: Engine, connect: Connect, demo_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    invoice_id = invoice_ids(admin, ELECTRICAL)[-1]
    before = _work_cents(admin, invoice_id)
    erin = make_engine(make_url(demo_url).set(username="erin")
                       .render_as_string(hide_password=False), lock_timeout_ms=3000)
    dan = connect("dan").connect()
    holder = dan.begin()
    dan.execute(text("LOCK TABLE invoice IN ACCESS EXCLUSIVE MODE"))  # allowed with UPDATE
    try:
        refused: list[BaseException] = []

        def save() -> None:
            try:
                _save(erin, invoice_id, "4321.00")
            except BaseException as error:  # the test reads it below
                refused.append(error)

        saver = threading.Thread(target=save)
        started = time.monotonic()
        saver.start()
        time.sleep(1.0)  # erin waits for the lock now
        monkeypatch.setenv("PAYAPP_DATABASE_URL", demo_url)
        listing = CliRunner().invoke(main, ["db", "who-blocks"])
        saver.join(timeout=10)
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        dan.close()
        erin.dispose()
    assert listing.exit_code == 0, listing.output
    assert "waiting: pid" in listing.output and "(erin, payapp)" in listing.output
    assert "held by: pid" in listing.output and "(dan, payapp)" in listing.output
    assert "LOCK TABLE invoice" in listing.output
    assert len(refused) == 1 and isinstance(refused[0], Busy), refused
    assert str(refused[0]).startswith("the database is busy: someone else holds a lock")
    assert waited < 8
    assert _work_cents(admin, invoice_id) == before  # nothing was written


def test_who_blocks_says_when_nobody_waits(admin: Engine, demo_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYAPP_DATABASE_URL", demo_url)
    listing = CliRunner().invoke(main, ["db", "who-blocks"])
    assert listing.exit_code == 0 and listing.output.strip() == "nobody is waiting for a lock"


def test_payapp_sessions_carry_their_time_limits(admin: Engine, connect: Connect) -> None:
    with connect("erin").connect() as c:
        rows = c.execute(text(
            "SELECT name, setting FROM pg_settings WHERE name IN ('lock_timeout', "
            "'statement_timeout', 'idle_in_transaction_session_timeout', "
            "'application_name')")).all()
    settings = {name: setting for name, setting in rows}
    assert settings == {"lock_timeout": "5000", "statement_timeout": "60000",
                        "idle_in_transaction_session_timeout": "120000",
                        "application_name": "payapp"}
