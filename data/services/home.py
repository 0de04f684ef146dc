"""What a person sees first: their invites, their commitments and their invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select as columns_of
from sqlmodel import Session, col, select

from data.models import (
    AccountingMethod,
    AppUser,
    BillingPeriod,
    Commitment,
    Company,
    Invite,
    InviteResponse,
    InviteType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    PeriodStatus,
    PointOfView,
    Project,
    ProjectAdministrator,
)
from data.money import from_cents
from data.services.access import visible_commitment_ids
from data.services.actors import Actor
from data.services.payments import payment_status
from data.wording import (
    INVITE_RESPONSE_LABELS,
    INVITE_TYPE_LABELS,
    METHOD_LABELS,
    PAYMENT_STATUS_LABELS,
    STATUS_LABELS,
)
from data.workflow import APPROVED_FOR_PAYMENT


@dataclass(frozen=True)
class InviteRow:
    invite_id: int
    commitment_id: int
    commitment: str  # number and title
    invite_type: str
    period_start: date
    period_end: date
    invited_by: str
    due_on: date
    days_left: int  # negative once overdue
    response: str
    invoice_id: int | None

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def response_label(self) -> str:
        return INVITE_RESPONSE_LABELS[InviteResponse(self.response)]


@dataclass(frozen=True)
class CommitmentRow:
    commitment_id: int
    project: str
    number: str
    title: str
    company: str
    method: str
    open_period_id: int | None
    open_period_due: date | None
    # Where the commitment stands in its project's open period: "Not invited", "Invited",
    # "Declined", or its invoice's status; "" without an open period.
    this_period: str = ""

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[AccountingMethod(self.method)]


@dataclass(frozen=True)
class InvoiceRow:
    invoice_id: int
    commitment_number: str
    commitment_title: str
    position: int
    period_end: date
    status: str
    current_payment_due: Decimal
    payment_status: PaymentStatus
    company: str = ""  # the commitment's contract company
    project: str = ""  # "2417 Mission Bay Medical Office Building"
    point_of_view: str = PointOfView.GENERAL_CONTRACTOR.value  # its project's wording

    @property
    def payment_label(self) -> str:
        return PAYMENT_STATUS_LABELS[self.payment_status]


@dataclass(frozen=True)
class Home:
    actor: Actor
    invites: tuple[InviteRow, ...]
    commitments: tuple[CommitmentRow, ...]
    invoices: tuple[InvoiceRow, ...]
    # The wording of the person's projects when they all share one, else the default.
    point_of_view: str = PointOfView.GENERAL_CONTRACTOR.value
    # The numbers of the projects the person administers (a project with no commitment yet
    # shows no row, but is where the person's setting up starts).
    administered: tuple[str, ...] = ()


# The invoices' sums are asked by their commitments (a few hundred) rather than by the invoices
# themselves: an administrator's list holds thousands, and a list of thousands of ids is most
# of the query's time.


def _current_payment_due(session: Session, commitment_ids: list[int]) -> dict[int, Decimal]:
    """Line 8 of each invoice: what its own lines add to line 6 (earned less retainage)."""
    if not commitment_ids:
        return {}
    il = InvoiceLine
    net = (il.work_cents + il.new_stored_cents - il.stored_installed_cents
           - il.retained_work_cents - il.retained_stored_cents
           + il.released_work_cents + il.released_stored_cents)
    rows = session.exec(select(il.invoice_id, func.sum(net))
                        .join(Invoice, col(Invoice.id) == il.invoice_id)
                        .where(col(Invoice.commitment_id).in_(commitment_ids))
                        .group_by(col(il.invoice_id))).all()
    return {invoice_id: from_cents(int(total or 0)) for invoice_id, total in rows}


def _paid(session: Session, commitment_ids: list[int]) -> dict[int, Decimal]:
    if not commitment_ids:
        return {}
    rows = session.exec(select(Payment.invoice_id, func.sum(Payment.amount_cents))
                        .join(Invoice, col(Invoice.id) == Payment.invoice_id)
                        .where(col(Invoice.commitment_id).in_(commitment_ids))
                        .group_by(col(Payment.invoice_id))).all()
    return {invoice_id: from_cents(int(total or 0)) for invoice_id, total in rows}


NOTHING = from_cents(0)
NOT_INVITED = "Not invited"
INVITED = "Invited"
DECLINED = "Declined"


def _this_period(commitment_id: int, period: BillingPeriod | None,
                 invited: dict[tuple[int, int], str],
                 status_for: dict[tuple[int, int], str]) -> str:
    if period is None or period.id is None:
        return ""
    key = (commitment_id, period.id)
    if key in status_for:
        return STATUS_LABELS[InvoiceStatus(status_for[key])]
    if key not in invited:
        return NOT_INVITED
    return DECLINED if invited[key] == InviteResponse.NO.value else INVITED


def home_for(session: Session, actor: Actor, *, today: date) -> Home:
    visible = visible_commitment_ids(session, actor)
    commitments_query = (
        select(Commitment, Project, Company)
        .join(Project, col(Project.id) == Commitment.project_id)
        .join(Company, col(Company.id) == Commitment.contract_company_id)
        .order_by(Project.number, Commitment.number)
    )
    if visible is not None:
        commitments_query = commitments_query.where(col(Commitment.id).in_(visible))
    commitment_rows = session.exec(commitments_query).all()
    ids = [c.id for c, _, _ in commitment_rows if c.id is not None]
    open_periods = {
        p.project_id: p for p in session.exec(
            select(BillingPeriod).where(BillingPeriod.status == PeriodStatus.OPEN.value)).all()
    }
    by_id = {c.id: c for c, _, _ in commitment_rows}
    whose = {c.id: (co.name, f"{p.number} {p.name}") for c, p, co in commitment_rows}
    wording = {c.id: p.point_of_view for c, p, _ in commitment_rows}

    invite_rows = session.exec(
        select(Invite, BillingPeriod, AppUser)
        .join(BillingPeriod, col(BillingPeriod.id) == Invite.period_id)
        .join(AppUser, col(AppUser.id) == Invite.invited_by_id)
        .where(col(Invite.commitment_id).in_(ids))
        .where(BillingPeriod.status == PeriodStatus.OPEN.value)
        .order_by(col(BillingPeriod.due_on))
    ).all()
    invoices_found = session.execute(  # the columns shown, not whole rows: thousands of them
        columns_of(col(Invoice.id), col(Invoice.commitment_id), col(Invoice.period_id),
                   col(Invoice.position), col(Invoice.period_end), col(Invoice.status))
        .where(col(Invoice.commitment_id).in_(ids))
        .order_by(col(Invoice.period_end).desc(), col(Invoice.commitment_id))
    ).all()
    invoice_for = {(i.commitment_id, i.period_id): i.id for i in invoices_found}
    status_for = {(i.commitment_id, i.period_id): i.status for i in invoices_found}
    invited = {(inv.commitment_id, inv.period_id): inv.response for inv, _, _ in invite_rows}
    commitments = tuple(
        CommitmentRow(
            commitment_id=c.id or 0, project=f"{p.number} {p.name}", number=c.number,
            title=c.title, company=co.name, method=c.accounting_method,
            open_period_id=open_periods[p.id].id if p.id in open_periods else None,
            open_period_due=open_periods[p.id].due_on if p.id in open_periods else None,
            this_period=_this_period(c.id or 0, open_periods.get(p.id or 0), invited,
                                     status_for),
        )
        for c, p, co in commitment_rows
    )
    invites = tuple(
        InviteRow(
            invite_id=inv.id or 0, commitment_id=inv.commitment_id,
            commitment=f"{by_id[inv.commitment_id].number} {by_id[inv.commitment_id].title}",
            invite_type=INVITE_TYPE_LABELS[InviteType(inv.invite_type)],
            period_start=period.starts_on, period_end=period.ends_on,
            invited_by=user.display_name, due_on=period.due_on,
            days_left=(period.due_on - today).days, response=inv.response,
            invoice_id=invoice_for.get((inv.commitment_id, inv.period_id)),
        )
        for inv, period, user in invite_rows
    )

    due = _current_payment_due(session, ids)
    paid = _paid(session, ids)
    invoices = tuple(
        InvoiceRow(
            invoice_id=i.id, commitment_number=by_id[i.commitment_id].number,
            commitment_title=by_id[i.commitment_id].title, position=i.position,
            period_end=i.period_end, status=STATUS_LABELS[InvoiceStatus(i.status)],
            current_payment_due=due.get(i.id, NOTHING),
            payment_status=payment_status(
                due.get(i.id, NOTHING), paid.get(i.id, NOTHING),
                approved=InvoiceStatus(i.status) in APPROVED_FOR_PAYMENT),
            company=whose[i.commitment_id][0], project=whose[i.commitment_id][1],
            point_of_view=wording[i.commitment_id],
        )
        for i in invoices_found
    )
    wordings = set(wording.values())
    common = wordings.pop() if len(wordings) == 1 else PointOfView.GENERAL_CONTRACTOR.value
    administered = tuple(session.exec(
        select(Project.number).join(ProjectAdministrator,
                                    col(ProjectAdministrator.project_id) == Project.id)
        .where(ProjectAdministrator.user_id == actor.user_id)
        .order_by(col(Project.number))).all())
    return Home(actor, invites, commitments, invoices, common, administered)
