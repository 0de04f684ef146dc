"""Opening an invoice: what a person sees of it, its schedule of values with every figure, its
G702 summary, what they may do to it and how far it is paid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from data import billing
from data.models import (
    AccountingMethod,
    AppUser,
    BillingType,
    ChangeOrderKind,
    Company,
    InviteType,
    Invoice,
    InvoiceStatus,
    PaymentStatus,
    Project,
)
from data.money import format_money, from_cents
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import NotAllowed
from data.services.invoice_figures import UnitFigures, compute
from data.services.invoice_lookup import invoice_and_commitment, is_latest
from data.services.invoice_notices import ChangeNotice, change_notices
from data.services.payments import paid_cents, payment_status
from data.wording import (
    BILLING_TYPE_LABELS,
    CHANGE_ORDER_SECTIONS,
    METHOD_LABELS,
    PAYMENT_STATUS_LABELS,
    STATUS_LABELS,
    word,
)
from data.workflow import APPROVED_FOR_PAYMENT, Move, Standing, check_edit, moves_from


@dataclass(frozen=True)
class SheetLine:
    """One row of the schedule of values as shown: the SOV line and its computed figures."""

    sov_line_id: int
    section: str  # "" for the original SOV, else a change-order section title
    change_order: str  # "CCO 002 Added outlets", or ""
    budget_code: str
    result: billing.LineResult
    units: UnitFigures | None
    review: str
    review_comment: str


@dataclass(frozen=True)
class InvoiceView:
    invoice_id: int
    version: int
    position: int
    status: InvoiceStatus
    invoice_type: InviteType
    invoice_number: str
    billing_date: date
    period_start: date
    period_end: date
    billing_type: str
    commitment_id: int
    commitment_number: str
    commitment_title: str
    contract_company: str
    project_number: str
    project_name: str
    point_of_view: str
    method: AccountingMethod
    stored_separately: bool
    overbilling_allowed: bool
    lines: tuple[SheetLine, ...]
    summary: billing.Summary
    standing: Standing
    editable: bool
    moves: tuple[Move, ...]
    paid: Decimal
    payment_status: PaymentStatus
    rules: tuple[billing.RetainageRule, ...] = ()
    # The display name of whoever last changed the invoice (its lines, general information or
    # status), from the audit trail; None when payapp cannot tell. Text from the database: a
    # screen makes it safe for the terminal before showing it.
    last_saved_by: str | None = None
    # Retainage held above the highest sliding-scale cap (a deductive change order lowered it),
    # proposed for release in words; None when nothing is over. Each line's share is its
    # `result.releasable_over_cap`.
    release_proposal: str | None = None
    # What invoice administrators changed on it, newest save first (invoice_notices.py).
    admin_changes: tuple[ChangeNotice, ...] = ()

    @property
    def releasable_over_cap(self) -> Decimal:
        return self.summary.releasable_over_cap

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def payment_label(self) -> str:
        return PAYMENT_STATUS_LABELS[self.payment_status]

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[self.method]

    @property
    def billing_type_label(self) -> str:
        return BILLING_TYPE_LABELS[BillingType(self.billing_type)]

    @property
    def title(self) -> str:
        label = word("Invoice #", self.point_of_view)
        return f"{self.commitment_number} {self.commitment_title} · {label}{self.position}"


def last_saved_by(session: Session, invoice: Invoice) -> str | None:
    """The display name of the person whose save or move changed the invoice last."""
    if invoice.updated_by_id is None:
        return None
    person = session.get(AppUser, invoice.updated_by_id)
    return person.display_name if person is not None else None


def release_proposal(summary: billing.Summary) -> str | None:
    """What the readers of an invoice are told when retainage is held over the cap."""
    over = summary.releasable_over_cap
    if not over:
        return None
    cap = summary.total_retainage - over
    return (f"{format_money(over)} of retainage is held above the retainage cap, now "
            f"{format_money(cap)}: it is proposed for release on the lines, and is paid only "
            "once someone enters it as a release.")


def load_invoice(session: Session, actor: Actor, invoice_id: int) -> InvoiceView:
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    who = require_visible(session, actor, commitment)
    project = session.get(Project, commitment.project_id)
    company = session.get(Company, commitment.contract_company_id)
    assert project is not None and company is not None and invoice.id is not None
    computed = compute(session, invoice)
    lines = tuple(
        SheetLine(
            sov_line_id=sov.id or 0,
            section=CHANGE_ORDER_SECTIONS[ChangeOrderKind(order.kind)] if order else "",
            change_order=f"{order.kind} {order.number} {order.title}" if order else "",
            budget_code=sov.budget_code,
            result=result,
            units=units,
            review=line.review if line else "pending",
            review_comment=line.review_comment if line else "",
        )
        for (sov, order, line, units), result in zip(computed.rows, computed.result.lines,
                                                     strict=True)
    )
    status = InvoiceStatus(invoice.status)
    try:
        check_edit(status, who, is_latest=is_latest(session, invoice))
        editable = True
    except NotAllowed:
        editable = False
    paid = from_cents(paid_cents(session, invoice.id))
    due = computed.result.summary.current_payment_due
    return InvoiceView(
        invoice_id=invoice.id, version=invoice.version, position=invoice.position, status=status,
        invoice_type=InviteType(invoice.invoice_type), invoice_number=invoice.invoice_number,
        billing_date=invoice.billing_date, period_start=invoice.period_start,
        period_end=invoice.period_end, billing_type=invoice.billing_type,
        commitment_id=invoice.commitment_id, commitment_number=commitment.number,
        commitment_title=commitment.title, contract_company=company.name,
        project_number=project.number, project_name=project.name,
        point_of_view=project.point_of_view,
        method=AccountingMethod(commitment.accounting_method),
        stored_separately=commitment.stored_materials_separately,
        overbilling_allowed=project.overbilling_allowed,
        lines=lines, summary=computed.result.summary, standing=who, editable=editable,
        moves=tuple(moves_from(status, who)), paid=paid,
        payment_status=payment_status(due, paid, approved=status in APPROVED_FOR_PAYMENT),
        rules=tuple(computed.rules),
        last_saved_by=last_saved_by(session, invoice),
        release_proposal=release_proposal(computed.result.summary),
        admin_changes=change_notices(session, invoice.id),
    )
