"""The administrator's list by status (issue 10, item 6), at 80×24 through keys: `s` lists every
status with how many invoices (and commitments of the open period not invited, invited or
declined) are in it and shows only the chosen one; `S` moves the marked invoices to one status,
each on its own, and the report names what moved and why the others did not. Checked in the
database; contacts get neither key, support only the first."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from data.db import writing
from data.models import Invoice, InvoiceStatus
from data.refusals import NotAllowed
from data.services.actors import actor_for_login
from data.services.bulk_status import change_statuses
from data.services.invoice_changes import change_status
from tests.invoice_pilot import ELECTRICAL, make_app, screen_text, settle
from tests.pg_people import invoice_ids

NARROW = (80, 24)


def _text(app: Any) -> str:
    """The screen's words in one line, without the dialogs' and toasts' edges."""
    drawn = screen_text(app).translate({ord(edge): " " for edge in "█▌▀▄"})
    return " ".join(drawn.split())


def _footer(app: Any) -> str:
    return screen_text(app).rstrip("\n").splitlines()[-1]


def _status(engine: Engine, invoice_id: int) -> str:
    with Session(engine) as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        return invoice.status


def _send_the_revision(engine: Engine) -> int:
    """erin sends invoice #3 back for review: one invoice Under Review."""
    latest = invoice_ids(engine, ELECTRICAL)[-1]
    with writing(engine) as session:
        change_status(session, actor_for_login(session, "erin"), latest,
                      InvoiceStatus.UNDER_REVIEW)
    return latest


async def test_s_counts_every_status_and_shows_only_the_one_chosen(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        assert "s Status" in _footer(app)
        await pilot.press("s")
        await settle(pilot)
        shown = _text(app)
        for counted in ("Not invited (0)", "Invited (1)", "Draft (0)", "Under Review (0)",
                        "Revise & Resubmit (1)", "Approved (4)", "Declined (0)",
                        "Every status"):
            assert counted in shown, counted
        await pilot.press("r")  # Revise & Resubmit
        await settle(pilot)
        shown = _text(app)
        assert "Invoices (1 of 5 · Revise & Resubmit)" in shown
        assert shown.count("Approved") == 0  # no approved invoice in the list

        await pilot.press("s", "i")  # Invited: a commitment with no invoice yet
        await settle(pilot)
        shown = _text(app)
        assert "Commitments (1 of 2 · Invited)" in shown
        assert "Site Concrete & Paving" in shown and "SC-2417-016 Electrical" not in shown

        await pilot.press("s", "e")  # every status again
        await settle(pilot)
        assert "Commitments (2)" in _text(app) and "Invoices (5)" in _text(app)


async def test_S_moves_the_marked_invoices_each_on_its_own(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    sent = _send_the_revision(engine)
    approved_before = invoice_ids(engine, ELECTRICAL)[0]
    app = make_app(engine, "pat")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        assert "S" not in _footer(app).split()  # nothing marked, and S is listed under ?
        await pilot.press("s", "u")  # only the invoice under review
        await settle(pilot)
        await pilot.press("space")
        await pilot.press("s", "a")  # the approved ones: mark the first too
        await settle(pilot)
        await pilot.press("space")
        await pilot.press("S")
        await settle(pilot)
        assert "Move the 2 marked invoices to which status?" in _text(app)
        await pilot.press("a")  # Approve
        await settle(pilot)
        shown = _text(app)
        assert "1 of 2 invoices moved" in shown
        assert "SC-2417-016 #3: now Approved" in shown
        assert "not moved, an invoice cannot go from Approved to Approved" in shown
    assert _status(engine, sent) == InvoiceStatus.APPROVED.value
    assert _status(engine, approved_before) == InvoiceStatus.APPROVED.value


async def test_sending_back_asks_one_reason_for_every_invoice(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    sent = _send_the_revision(engine)
    app = make_app(engine, "pat")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v", "s", "u")
        await settle(pilot)
        await pilot.press("space", "S")
        await settle(pilot)
        await pilot.press("r")  # Revise & resubmit: what should they revise?
        await settle(pilot)
        assert "What should the contacts revise?" in _text(app)
        await pilot.press("enter")  # no reason: refused, the dialog stays
        await settle(pilot)
        assert "What should the contacts revise?" in _text(app)
        assert _status(engine, sent) == InvoiceStatus.UNDER_REVIEW.value
        await pilot.press(*"Line 4 is billed twice", "enter")
        await settle(pilot)
        assert "1 of 1 invoices moved" in _text(app)
    assert _status(engine, sent) == InvoiceStatus.REVISE_AND_RESUBMIT.value


async def test_who_gets_the_keys(sqlite_demo_engine: Engine) -> None:
    for login, status_key, set_key in (("erin", False, False), ("sam", True, False)):
        app = make_app(sqlite_demo_engine, login)
        async with app.run_test(size=NARROW, notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("v")
            assert ("s Status" in _footer(app)) is status_key, login
            await pilot.press("space", "S")
            await settle(pilot)
            assert ("to which status?" in _text(app)) is set_key, login


def test_only_an_administrator_moves_invoices_in_bulk(sqlite_demo_engine: Engine) -> None:
    """The service holds the rights whoever calls it: dan is refused and nothing moves."""
    engine = sqlite_demo_engine
    theirs = invoice_ids(engine, ELECTRICAL)
    with writing(engine) as session, pytest.raises(NotAllowed):
        change_statuses(session, actor_for_login(session, "dan"), theirs, InvoiceStatus.APPROVED)
    with Session(engine) as session:
        statuses = session.exec(select(Invoice.status).where(col(Invoice.id).in_(theirs))).all()
    assert InvoiceStatus.REVISE_AND_RESUBMIT.value in statuses  # unchanged
