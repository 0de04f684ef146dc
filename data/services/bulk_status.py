"""One status for many invoices at once (the administrator's list, issue 10 item 6): each
invoice is moved on its own, as `change_status` moves one, and a refusal of one (the workflow,
a forbidden overbilling, the database) leaves the others moved and is reported in its words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from data.models import InvoiceStatus, Role
from data.refusals import NotAllowed, NotFound, Refusal
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.invoice_changes import change_status
from data.services.invoice_lookup import invoice_and_commitment
from data.wording import STATUS_LABELS


@dataclass(frozen=True)
class Moved:
    invoice_id: int
    caption: str  # "SC-2417-016 #3"
    refusal: str | None  # why it was not moved; None: moved

    def line(self, target: InvoiceStatus) -> str:
        if self.refusal is None:
            return f"{self.caption}: now {STATUS_LABELS[target]}"
        return f"{self.caption}: not moved, {self.refusal}"


def change_statuses(session: Session, actor: Actor, invoice_ids: Sequence[int],
                    target: InvoiceStatus, *, comment: str = "") -> list[Moved]:
    """Moves each invoice to `target` in a savepoint of its own: what one refusal undoes is
    that invoice's move only. Only an invoice administrator moves invoices in bulk."""
    if not actor.has(Role.INVOICE_ADMINISTRATOR):
        raise NotAllowed("only an invoice administrator moves several invoices at once")
    outcomes = []
    for invoice_id in invoice_ids:
        caption = _caption(session, actor, invoice_id)
        try:
            with session.begin_nested():
                change_status(session, actor, invoice_id, target, comment=comment)
        except Refusal as refusal:
            outcomes.append(Moved(invoice_id, caption, str(refusal)))
        else:
            outcomes.append(Moved(invoice_id, caption, None))
    return outcomes


def _caption(session: Session, actor: Actor, invoice_id: int) -> str:
    """"SC-2417-016 #3"; an invoice this person may not see is named by its id only."""
    try:
        invoice, commitment = invoice_and_commitment(session, invoice_id)
        require_visible(session, actor, commitment)
    except (NotFound, NotAllowed):
        return f"invoice {invoice_id}"
    return f"{commitment.number} #{invoice.position}"
