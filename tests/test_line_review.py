# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""The invoice administrator reviews lines: approve or reject with a reason, only while the
invoice is under review, only as an administrator; the contact reads the marks; psql as the
contact's own role cannot set them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from data.db import reading, writing
from data.models import AuditEntry, InvoiceStatus, LineReview
from data.services.actors import actor_for_login
from data.services.errors import Invalid, NotAllowed
from data.services.invoice_changes import StaleInvoice, change_status
from data.services.invoice_review import mark_lines
from data.services.invoice_views import load_invoice
from tests.invoice_pilot import ELECTRICAL, send_erins_resubmission
from tests.pg_people import (  # noqa: F401
    Connect,
    Psql,
    admin,
    connect,
    demo_template,
    demo_url,
    psql,
)


def _erins_latest(engine: Engine) -> tuple[int, int, list[int]]:
    """Erin's invoice #3, sent for review: (id, version, its SOV line ids)."""
    invoice_id = send_erins_resubmission(engine)
    with reading(engine) as session:
        view = load_invoice(session, actor_for_login(session, "pat"), invoice_id)
        assert view.commitment_number == ELECTRICAL and view.position == 3
        return invoice_id, view.version, [line.sov_line_id for line in view.lines]


def test_the_administrator_approves_and_rejects_lines_and_the_contact_reads_why(
        demo_engine: Engine) -> None:
    invoice_id, version, lines = _erins_latest(demo_engine)
    with writing(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        assert mark_lines(session, pat, invoice_id, lines[:2], LineReview.APPROVED,
                          version=version) == 2
        assert mark_lines(session, pat, invoice_id, [lines[2]], LineReview.REJECTED,
                          comment="Conduit not installed on level 3 yet.", version=version) == 1
    with reading(demo_engine) as session:
        view = load_invoice(session, actor_for_login(session, "erin"), invoice_id)
        assert view.status is InvoiceStatus.REVISE_AND_RESUBMIT  # one rejected line sends it back
        marks = [(line.review, line.review_comment) for line in view.lines[:4]]
        assert marks == [("approved", ""), ("approved", ""),
                         ("rejected", "Conduit not installed on level 3 yet."), ("pending", "")]
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "review lines")
                             .order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
        assert entry is not None and entry.actor_login == "pat"
        assert "Conduit not installed" in entry.after


def test_what_the_review_refuses(demo_engine: Engine) -> None:
    invoice_id, version, lines = _erins_latest(demo_engine)
    with writing(demo_engine) as session:
        erin = actor_for_login(session, "erin")
        with pytest.raises(NotAllowed):
            mark_lines(session, erin, invoice_id, lines[:1], LineReview.APPROVED,
                       version=version)
        pat = actor_for_login(session, "pat")
        with pytest.raises(Invalid, match="say why"):
            mark_lines(session, pat, invoice_id, lines[:1], LineReview.REJECTED, comment="  ",
                       version=version)
        with pytest.raises(Invalid, match="plain text"):
            mark_lines(session, pat, invoice_id, lines[:1], LineReview.REJECTED,
                       comment="\x1b[2Jgone", version=version)
        with pytest.raises(StaleInvoice):
            mark_lines(session, pat, invoice_id, lines[:1], LineReview.APPROVED,
                       version=version - 1)
        change_status(session, pat, invoice_id, InvoiceStatus.APPROVED, version=version)
    with writing(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        with pytest.raises(Invalid, match="Under Review"):
            mark_lines(session, pat, invoice_id, lines[:1], LineReview.APPROVED,
                       version=version + 1)


@pytest.mark.postgres
def test_as_their_own_roles_pat_reviews_and_erin_cannot_in_psql(
        admin: Engine, connect: Connect, psql: Psql) -> None:
    invoice_id, version, lines = _erins_latest(connect("erin"))
    pat = connect("pat")
    with writing(pat) as session:
        assert mark_lines(session, actor_for_login(session, "pat"), invoice_id, lines[:1],
                          LineReview.REJECTED, comment="Wrong rate.", version=version) == 1
    # Sent back, the lines are the contact's to change again, but never their review marks.
    with psql("erin").begin() as erin, pytest.raises(Exception, match="administrator"):
        erin.execute(text("UPDATE invoice_line SET review = 'approved', review_comment = '' "
                          "WHERE invoice_id = :i AND sov_line_id = :s"),
                     {"i": invoice_id, "s": lines[0]})
    with admin.connect() as check:
        assert check.execute(text("SELECT review, review_comment FROM invoice_line "
                                  "WHERE invoice_id = :i AND sov_line_id = :s"),
                             {"i": invoice_id, "s": lines[0]}).one() == ("rejected",
                                                                          "Wrong rate.")
