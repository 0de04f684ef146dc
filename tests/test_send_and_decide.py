"""What payapp's send and decisions do to an invoice's lines, on SQLite and PostgreSQL alike
(data/services/invoice_changes.change_status): a send after Revise & Resubmit starts a new review
(the old marks go back to pending, the audit trail keeps them); an approval stores the retainage
computed from the billing rules, whatever the lines held before.

The demo: erin's invoice #3 on the electrical commitment is Revise & Resubmit, its line 7
rejected with a comment. (The same through psql, as erin's own role: test_database_attacks.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from data.audit_chain import DATABASE_ACTION_PREFIX
from data.db import reading, writing
from data.models import AuditEntry, Commitment, Invoice, InvoiceLine, InvoiceStatus
from data.services.actors import actor_for_login
from data.services.invoice_changes import change_status

ELECTRICAL = "SC-2417-016"
RETAINAGE = ("retained_work_cents", "retained_stored_cents", "released_work_cents",
             "released_stored_cents")


def _current(engine: Engine) -> int:
    with reading(engine) as session:
        invoice = session.exec(select(Invoice).join(Commitment)
                               .where(Commitment.number == ELECTRICAL)
                               .order_by(col(Invoice.position).desc())).first()
        assert invoice is not None and invoice.id is not None
        assert invoice.status == InvoiceStatus.REVISE_AND_RESUBMIT.value
        return invoice.id


def _lines(engine: Engine, invoice_id: int) -> dict[int, InvoiceLine]:
    with reading(engine) as session:
        lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                             ).all()
        for line in lines:
            session.expunge(line)
        return {line.id: line for line in lines if line.id is not None}


def _move_entry(engine: Engine, after: int) -> tuple[str, str, Any, Any]:
    """payapp's one entry of a move since `after`: who, what, before and after."""
    with reading(engine) as session:
        [entry] = session.exec(select(AuditEntry).where(
            col(AuditEntry.id) > after, AuditEntry.entity == "invoice",
            ~col(AuditEntry.action).startswith(DATABASE_ACTION_PREFIX))).all()
        return entry.actor_login, entry.action, json.loads(entry.before), json.loads(entry.after)


def _high_water(engine: Engine) -> int:
    with reading(engine) as session:
        return max((i for i in session.exec(select(AuditEntry.id)).all() if i is not None),
                   default=0)


def _move(engine: Engine, login: str, invoice_id: int, target: InvoiceStatus) -> None:
    with writing(engine) as session:
        change_status(session, actor_for_login(session, login), invoice_id, target)


def test_a_resubmission_resets_the_review_marks_and_the_audit_keeps_them(
        demo_engine: Engine) -> None:
    ident = _current(demo_engine)
    with writing(demo_engine) as session:  # pat approved another line, with a note
        line = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == ident)
                            .order_by(col(InvoiceLine.id))).first()
        assert line is not None
        line.review, line.review_comment = "approved", "Checked on site."
        session.add(line)
    marked = {i: (ln.review, ln.review_comment) for i, ln in _lines(demo_engine, ident).items()
              if ln.review != "pending" or ln.review_comment}
    assert sorted(review for review, _comment in marked.values()) == ["approved", "rejected"]
    mark = _high_water(demo_engine)

    _move(demo_engine, "erin", ident, InvoiceStatus.UNDER_REVIEW)

    after = _lines(demo_engine, ident)
    assert {(ln.review, ln.review_comment) for ln in after.values()} == {("pending", "")}
    assert _move_entry(demo_engine, mark) == (
        "erin", "send",
        {"status": "revise_resubmit",
         "review_marks": {str(i): {"review": review, "review_comment": comment}
                          for i, (review, comment) in marked.items()}},
        {"status": "under_review", "review_marks": "pending"})
    with reading(demo_engine) as session:
        invoice = session.get(Invoice, ident)
        assert invoice is not None and invoice.status == InvoiceStatus.UNDER_REVIEW.value
        assert invoice.submitted_at is not None


def test_a_first_send_has_no_marks_to_reset(demo_engine: Engine) -> None:
    ident = _current(demo_engine)
    _move(demo_engine, "erin", ident, InvoiceStatus.UNDER_REVIEW)
    _move(demo_engine, "pat", ident, InvoiceStatus.DRAFT)
    mark = _high_water(demo_engine)
    _move(demo_engine, "erin", ident, InvoiceStatus.UNDER_REVIEW)
    assert _move_entry(demo_engine, mark) == ("erin", "send", {"status": "draft"},
                                              {"status": "under_review"})


@pytest.mark.parametrize("decision", [InvoiceStatus.APPROVED, InvoiceStatus.APPROVED_AS_NOTED,
                                      InvoiceStatus.PENDING_OWNER_APPROVAL])
def test_a_decision_stores_the_retainage_the_billing_rules_give(demo_engine: Engine,
                                                                decision: InvoiceStatus) -> None:
    ident = _current(demo_engine)
    truth = {i: tuple(getattr(ln, k) for k in RETAINAGE)
             for i, ln in _lines(demo_engine, ident).items()}
    held = {i for i, figures in truth.items() if figures[0] or figures[1]}
    assert held
    _move(demo_engine, "erin", ident, InvoiceStatus.UNDER_REVIEW)
    with writing(demo_engine) as session:  # written behind payapp's back
        for line in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == ident)):
            line.retained_work_cents = line.retained_stored_cents = 0
            session.add(line)
    mark = _high_water(demo_engine)

    _move(demo_engine, "pat", ident, decision)

    assert {i: tuple(getattr(ln, k) for k in RETAINAGE)
            for i, ln in _lines(demo_engine, ident).items()} == truth
    login, _verb, before, after = _move_entry(demo_engine, mark)
    assert login == "pat"
    assert {int(i) for i in before["retainage"]} == held
    assert {int(i): tuple(f[k] for k in RETAINAGE) for i, f in after["retainage"].items()} == {
        i: truth[i] for i in held}
    assert all(f["retained_work_cents"] == f["retained_stored_cents"] == 0
               for f in before["retainage"].values())
    # Nothing to correct the next time.
    if decision is not InvoiceStatus.APPROVED:
        mark = _high_water(demo_engine)
        _move(demo_engine, "pat", ident, InvoiceStatus.APPROVED)
        assert "retainage" not in _move_entry(demo_engine, mark)[2]
