"""Payments recorded against approved invoices, and the payment status they add up to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from data import audit_chain
from data.models import Commitment, Invoice, InvoiceStatus, Payment, PaymentStatus
from data.money import to_cents
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Invalid, NotAllowed, NotFound
from data.workflow import APPROVED_FOR_PAYMENT, Standing


def payment_status(due: Decimal, paid: Decimal, *, approved: bool) -> PaymentStatus:
    if not approved:
        return PaymentStatus.NOT_APPROVED
    if paid <= 0:
        return PaymentStatus.PAID if due <= 0 else PaymentStatus.UNPAID
    return PaymentStatus.PAID if paid >= due else PaymentStatus.PARTIALLY_PAID


def paid_cents(session: Session, invoice_id: int) -> int:
    total = session.exec(select(func.sum(Payment.amount_cents))
                         .where(Payment.invoice_id == invoice_id)).one()
    return int(total or 0)


def record_payment(session: Session, actor: Actor, invoice_id: int, amount: Decimal, *,
                   paid_on: date, reference: str = "") -> Payment:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"there is no invoice {invoice_id}")
    commitment = session.get(Commitment, invoice.commitment_id)
    assert commitment is not None
    if require_visible(session, actor, commitment) is not Standing.ADMINISTRATOR:
        raise NotAllowed("only an invoice administrator records payments")
    if InvoiceStatus(invoice.status) not in APPROVED_FOR_PAYMENT:
        raise Invalid("a payment can be recorded only against an approved invoice")
    if amount <= 0:
        raise Invalid("a payment must be more than $0.00")
    payment = Payment(invoice_id=invoice_id, amount_cents=to_cents(amount), paid_on=paid_on,
                      reference=reference, recorded_by_id=actor.user_id)
    session.add(payment)
    session.flush()
    audit_chain.record(session, actor.login, "record payment", "invoice", invoice_id,
                       after={"amount": amount, "paid_on": paid_on, "reference": reference})
    return payment
