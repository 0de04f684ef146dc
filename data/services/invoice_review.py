"""The invoice administrator's review of an invoice's lines: each line approved or rejected with
a reason the invoice contact reads. One rejected line sends the whole invoice back to the
contact (Revise & Resubmit, domain.md §3), so a reviewer approves lines first and rejects last,
or marks every line to reject and rejects them together. Deciding on the invoice as a whole is
a workflow move (`invoice_changes.change_status`); recording a payment is
`payments.record_payment`."""

from __future__ import annotations

from sqlmodel import Session, col, select

from data import audit_chain
from data.models import InvoiceLine, InvoiceStatus, LineReview, SovLine
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Invalid, NotAllowed, NotFound, saving
from data.services.invoice_changes import StaleInvoice, change_status
from data.services.invoice_lookup import invoice_and_commitment
from data.terminal_text import holds_controls
from data.workflow import Standing

# While the general contractor reviews it (or the owner's approval is awaited), and only then.
REVIEWABLE = frozenset({InvoiceStatus.UNDER_REVIEW, InvoiceStatus.PENDING_OWNER_APPROVAL})
MAX_COMMENT = 2000


def mark_lines(session: Session, actor: Actor, invoice_id: int, sov_line_ids: list[int],
               mark: LineReview, *, comment: str = "", version: int) -> int:
    """Approve or reject these lines of the invoice (as of `version`, the version the
    reviewer was looking at). A rejection needs a reason. Returns how many lines changed."""
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    if require_visible(session, actor, commitment) is not Standing.ADMINISTRATOR:
        raise NotAllowed("only the project's invoice administrators review lines")
    if InvoiceStatus(invoice.status) not in REVIEWABLE:
        raise Invalid("lines are reviewed while the invoice is Under Review or Pending Owner "
                      "Approval")
    if invoice.version != version:
        raise StaleInvoice(invoice.version)
    comment = comment.strip()
    if mark is LineReview.REJECTED and not comment:
        raise Invalid("say why the line is rejected: the invoice contact reads it")
    if holds_controls(comment, multiline=True) or len(comment) > MAX_COMMENT:
        raise Invalid(f"a comment is plain text of at most {MAX_COMMENT} characters")
    if not sov_line_ids:
        raise Invalid("choose a line first")
    rows = session.exec(
        select(InvoiceLine, SovLine).join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
        .where(InvoiceLine.invoice_id == invoice_id,
               col(InvoiceLine.sov_line_id).in_(sov_line_ids))).all()
    if len(rows) != len(set(sov_line_ids)):
        raise NotFound("a chosen line is not on this invoice")
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for line, sov in rows:
        if (line.review, line.review_comment) == (mark.value, comment):
            continue
        before[sov.item_no] = {"review": line.review, "comment": line.review_comment}
        after[sov.item_no] = {"review": mark.value, "comment": comment}
        line.review, line.review_comment = mark.value, comment
        session.add(line)
    if after:
        with saving("the review"):
            session.flush()
        audit_chain.record(session, actor.login, "review lines", "invoice", invoice_id,
                           before=before, after=after)
    if mark is LineReview.REJECTED:  # one rejected line sends the whole invoice back
        items = ", ".join(sov.item_no for _, sov in rows)
        change_status(session, actor, invoice_id, InvoiceStatus.REVISE_AND_RESUBMIT,
                      version=version, comment=f"Line {items} rejected: {comment}")
    return len(after)
