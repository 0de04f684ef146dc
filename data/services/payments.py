"""Payments recorded against approved invoices, and the payment status they add up to.

A payment is refused when the invoice is held (data/services/payment_holds.py) or when it would
bring the total paid past the invoice's current payment due (G702 line 8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from data import audit_chain
from data.models import Commitment, Invoice, InvoiceStatus, Payment, PaymentStatus
from data.money import ZERO, format_money, from_cents, to_cents
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Invalid, NotAllowed, NotFound
from data.services.invoice_figures import compute
from data.services.payment_holds import refuse_if_held
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


def overpayment(due: Decimal, paid: Decimal, amount: Decimal) -> str | None:
    """Why paying `amount` more would pay too much, or None when it would not."""
    total = paid + amount
    if total <= due:
        return None
    return (f"this payment would bring the total paid to {format_money(total)}, over the "
            f"{format_money(due)} due; at most {format_money(max(due - paid, ZERO))} can still "
            "be paid")


def record_payment(session: Session, actor: Actor, invoice_id: int, amount: Decimal, *,
                   paid_on: date, reference: str = "") -> Payment:
    # The invoice's row is locked until the payment is written, so that two people paying at
    # once cannot both fit under what is due (SQLite has one writer at a time anyway).
    invoice = session.exec(select(Invoice).where(Invoice.id == invoice_id)
                           .with_for_update()).first()
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
    computed = compute(session, invoice)
    refuse_if_held(session, invoice, computed)
    too_much = overpayment(computed.result.summary.current_payment_due,
                           from_cents(paid_cents(session, invoice_id)), amount)
    if too_much is not None:
        raise Invalid(too_much)
    payment = Payment(invoice_id=invoice_id, amount_cents=to_cents(amount), paid_on=paid_on,
                      reference=reference, recorded_by_id=actor.user_id)
    session.add(payment)
    session.flush()
    audit_chain.record(session, actor.login, "record payment", "invoice", invoice_id,
                       after={"amount": amount, "paid_on": paid_on, "reference": reference})
    return payment
