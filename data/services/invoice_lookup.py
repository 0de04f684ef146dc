"""Finding an invoice: by its id with its commitment, and whether it is its commitment's latest
(a contact changes and sends only the latest)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from data.models import Commitment, Invoice
from data.services.errors import NotFound


def invoice_and_commitment(session: Session, invoice_id: int) -> tuple[Invoice, Commitment]:
    """An invoice and its commitment, or NotFound."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"there is no invoice {invoice_id}")
    commitment = session.get(Commitment, invoice.commitment_id)
    assert commitment is not None
    return invoice, commitment


def is_latest(session: Session, invoice: Invoice) -> bool:
    newest = session.exec(select(func.max(Invoice.position))
                          .where(Invoice.commitment_id == invoice.commitment_id)).one()
    return newest == invoice.position
