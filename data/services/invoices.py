"""Invoices: open one with its schedule of values and summary, create one, move its status.

The arithmetic is data.billing's; this module gathers its inputs from the tables. "Previous"
columns are sums over the commitment's earlier invoices, read in one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from data import billing, notify
from data.billing import ChangeOrderRef, LineInput, UnitLine
from data.models import (
    AccountingMethod,
    BillingPeriod,
    ChangeOrder,
    ChangeOrderKind,
    ChangeOrderStatus,
    Commitment,
    Company,
    InviteType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PeriodStatus,
    Project,
    RetainageRule,
    SovLine,
    utc_now,
)
from data.money import (
    PERCENT_SCALE,
    QUANTITY_SCALE,
    ZERO,
    format_money,
    from_cents,
    from_scaled,
    to_cents,
    to_scaled,
)
from data.services import audit
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Conflict, Invalid, NotAllowed, NotFound, saving
from data.services.payments import PaymentStatus, paid_cents, payment_status
from data.terminal_text import holds_controls
from data.wording import word
from data.workflow import (
    APPROVED_FOR_PAYMENT,
    STATUS_LABELS,
    Move,
    Standing,
    check_edit,
    check_move,
    moves_from,
)

CHANGE_ORDER_SECTIONS = {
    ChangeOrderKind.CCO: "Commitment Change Orders",
    ChangeOrderKind.PCO: "Potential Change Orders",
}


class StaleInvoice(Conflict):
    """Someone else saved the invoice since this person opened it."""

    def __init__(self, current_version: int) -> None:
        super().__init__("someone else saved this invoice since you opened it; nothing of "
                         "yours was written")
        self.current_version = current_version


@dataclass(frozen=True)
class UnitFigures:
    unit: str
    quantity: Decimal
    unit_price: Decimal
    previous_quantity: Decimal
    new_quantity: Decimal
    total_percent: Decimal | None
    override: bool


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

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def title(self) -> str:
        label = word("Invoice #", self.point_of_view)
        return f"{self.commitment_number} {self.commitment_title} · {label}{self.position}"


@dataclass(frozen=True)
class _Previous:
    work: int = 0
    stored: int = 0
    retainage_work: int = 0
    retainage_stored: int = 0
    quantity: int = 0


def _rate(stored: int) -> Decimal:
    return from_scaled(stored, PERCENT_SCALE)


def _previous_by_line(session: Session, invoice: Invoice) -> dict[int, _Previous]:
    il = InvoiceLine
    # SQLModel's select() takes at most four columns; this grouped query needs six.
    rows = session.connection().execute(
        sa_select(
            col(il.sov_line_id),
            func.sum(il.work_cents),
            func.sum(il.new_stored_cents - il.stored_installed_cents),
            func.sum(il.retained_work_cents - il.released_work_cents),
            func.sum(il.retained_stored_cents - il.released_stored_cents),
            func.sum(func.coalesce(il.new_quantity_e4, 0)),
        )
        .join(Invoice, col(Invoice.id) == il.invoice_id)
        .where(col(Invoice.commitment_id) == invoice.commitment_id,
               col(Invoice.position) < invoice.position)
        .group_by(col(il.sov_line_id))
    ).all()
    return {row[0]: _Previous(*(int(v or 0) for v in row[1:])) for row in rows}


def billable_sov_lines(session: Session, commitment_id: int,
                       as_of: date) -> list[tuple[SovLine, ChangeOrder | None]]:
    """Original lines in order, then the lines of change orders approved by `as_of`."""
    rows = session.exec(
        select(SovLine, ChangeOrder)
        .join(ChangeOrder, col(ChangeOrder.id) == SovLine.change_order_id, isouter=True)
        .where(SovLine.commitment_id == commitment_id)
    ).all()
    originals = sorted((r for r in rows if r[1] is None), key=lambda r: r[0].position)
    approved = [
        r for r in rows
        if r[1] is not None and r[1].status == ChangeOrderStatus.APPROVED.value
        and r[1].approved_on is not None and r[1].approved_on <= as_of
    ]
    kind_order = {ChangeOrderKind.CCO.value: 0, ChangeOrderKind.PCO.value: 1}
    approved.sort(key=lambda r: (kind_order[r[1].kind], r[1].number, r[0].position)
                  if r[1] is not None else (0, "", 0))
    return [*originals, *approved]


def _line_input(sov: SovLine, order: ChangeOrder | None, line: InvoiceLine | None,
                previous: _Previous, invoice: Invoice) -> tuple[LineInput, UnitFigures | None]:
    units: UnitFigures | None = None
    if sov.quantity_e4 is not None and sov.unit_price_e4 is not None:
        unit_line = UnitLine(from_scaled(sov.quantity_e4, QUANTITY_SCALE),
                             from_scaled(sov.unit_price_e4, QUANTITY_SCALE),
                             from_scaled(previous.quantity, QUANTITY_SCALE), sov.unit)
        scheduled = unit_line.scheduled_value
        new_quantity = from_scaled(line.new_quantity_e4 or 0 if line else 0, QUANTITY_SCALE)
        total_qty = unit_line.previous_quantity + new_quantity
        units = UnitFigures(
            unit=sov.unit, quantity=unit_line.quantity, unit_price=unit_line.unit_price,
            previous_quantity=unit_line.previous_quantity, new_quantity=new_quantity,
            total_percent=(total_qty * 100 / unit_line.quantity) if unit_line.quantity else None,
            override=bool(line and line.value_override),
        )
    else:
        scheduled = from_cents(sov.scheduled_value_cents or 0)
    reference = None
    if order is not None:
        approved_now = (order.approved_on is not None
                        and invoice.period_start <= order.approved_on <= invoice.period_end)
        reference = ChangeOrderRef(f"{order.kind} {order.number}", this_period=approved_now)
    return LineInput(
        item_no=sov.item_no,
        description=sov.description,
        scheduled_value=scheduled,
        previous_work=from_cents(previous.work),
        work_this_period=from_cents(line.work_cents if line else 0),
        previous_stored=from_cents(previous.stored),
        new_stored=from_cents(line.new_stored_cents if line else 0),
        stored_installed=from_cents(line.stored_installed_cents if line else 0),
        previous_retainage_work=from_cents(previous.retainage_work),
        previous_retainage_stored=from_cents(previous.retainage_stored),
        work_rate=_rate(line.work_retainage_e4) if line else ZERO,
        stored_rate=_rate(line.stored_retainage_e4) if line else ZERO,
        release_requested=from_cents(line.release_requested_cents if line else 0),
        change_order=reference,
    ), units


def retainage_rules(session: Session, commitment_id: int) -> list[billing.RetainageRule]:
    rows = session.exec(select(RetainageRule).where(RetainageRule.commitment_id == commitment_id)
                        .order_by(col(RetainageRule.position))).all()
    return [
        billing.RetainageRule(
            rate=_rate(r.rate_e4),
            cap_kind=billing.CapKind(r.cap_kind),
            cap=from_cents(r.cap_cents or 0) if r.cap_kind == billing.CapKind.AMOUNT.value
            else _rate(r.cap_percent_e4 or 0),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class _Computed:
    rows: list[tuple[SovLine, ChangeOrder | None, InvoiceLine | None, UnitFigures | None]]
    result: billing.Invoice
    rules: list[billing.RetainageRule]


def _compute(session: Session, invoice: Invoice) -> _Computed:
    assert invoice.id is not None
    previous = _previous_by_line(session, invoice)
    saved = {ln.sov_line_id: ln for ln in session.exec(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()}
    rows: list[tuple[SovLine, ChangeOrder | None, InvoiceLine | None, UnitFigures | None]] = []
    inputs: list[LineInput] = []
    for sov, order in billable_sov_lines(session, invoice.commitment_id, invoice.period_end):
        assert sov.id is not None
        line = saved.get(sov.id)
        line_input, units = _line_input(sov, order, line, previous.get(sov.id, _Previous()),
                                        invoice)
        rows.append((sov, order, line, units))
        inputs.append(line_input)
    prior = sum(
        p.work + p.stored - p.retainage_work - p.retainage_stored for p in previous.values()
    )
    rules = retainage_rules(session, invoice.commitment_id)
    result = billing.compute_invoice(inputs, previous_certificates=from_cents(prior), rules=rules)
    return _Computed(rows, result, rules)


def store_retainage(session: Session, invoice: Invoice) -> billing.Invoice:
    """Write each line's retained and released amounts, as computed now, onto its row."""
    computed = _compute(session, invoice)
    for (_sov, _order, line, _units), result in zip(computed.rows, computed.result.lines,
                                                   strict=True):
        if line is None:
            continue
        figures = {
            "retained_work_cents": to_cents(result.retained_work_this_period),
            "retained_stored_cents": to_cents(result.retained_stored_this_period),
            "released_work_cents": to_cents(result.released_work),
            "released_stored_cents": to_cents(result.released_stored),
        }
        if any(getattr(line, k) != v for k, v in figures.items()):
            for key, value in figures.items():
                setattr(line, key, value)
            session.add(line)
    return computed.result


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


def load_invoice(session: Session, actor: Actor, invoice_id: int) -> InvoiceView:
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    who = require_visible(session, actor, commitment)
    project = session.get(Project, commitment.project_id)
    company = session.get(Company, commitment.contract_company_id)
    assert project is not None and company is not None and invoice.id is not None
    computed = _compute(session, invoice)
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
    )


def create_invoice(session: Session, actor: Actor, commitment_id: int, period_id: int, *,
                   today: date, invoice_type: InviteType = InviteType.WORK_AND_MATERIALS
                   ) -> Invoice:
    """A new Draft invoice for a commitment and an open billing period.

    A contact may create one only before the period's due date; an administrator at any time.
    """
    commitment = session.get(Commitment, commitment_id)
    period = session.get(BillingPeriod, period_id)
    if commitment is None or period is None:
        raise NotFound("no such commitment or billing period")
    who = require_visible(session, actor, commitment)
    if who not in (Standing.CONTACT, Standing.ADMINISTRATOR):
        raise NotAllowed("only an invoice contact or an invoice administrator creates invoices")
    if period.project_id != commitment.project_id:
        raise Invalid("the billing period belongs to another project")
    if period.status != PeriodStatus.OPEN.value:
        raise Invalid("the billing period is closed")
    if who is Standing.CONTACT and today > period.due_on:
        raise NotAllowed(
            f"the due date ({period.due_on:%b %d, %Y}) has passed; only an invoice administrator "
            "can create this invoice now"
        )
    existing = session.exec(select(Invoice).where(Invoice.commitment_id == commitment_id,
                                                  Invoice.period_id == period_id)).first()
    if existing is not None:
        raise Invalid(f"invoice #{existing.position} already exists for this billing period")
    position = (session.exec(select(func.max(Invoice.position))
                             .where(Invoice.commitment_id == commitment_id)).one() or 0) + 1
    invoice = Invoice(
        commitment_id=commitment_id, period_id=period_id, position=position,
        invoice_type=invoice_type.value, billing_date=today, period_start=period.starts_on,
        period_end=period.ends_on, created_by_id=actor.user_id,
    )
    session.add(invoice)
    session.flush()
    assert invoice.id is not None
    for sov, _order in billable_sov_lines(session, commitment_id, period.ends_on):
        assert sov.id is not None
        session.add(InvoiceLine(
            invoice_id=invoice.id, sov_line_id=sov.id,
            work_retainage_e4=commitment.work_retainage_e4,
            stored_retainage_e4=commitment.stored_retainage_e4,
            new_quantity_e4=0 if sov.quantity_e4 is not None else None,
        ))
    session.flush()
    audit.record(session, actor, "create invoice", "invoice", invoice.id,
                 after={"commitment": commitment.number, "position": position,
                        "period": f"{period.starts_on}..{period.ends_on}"})
    return invoice


def change_status(session: Session, actor: Actor, invoice_id: int, target: InvoiceStatus, *,
                  version: int | None = None, comment: str = "") -> Invoice:
    """Move an invoice to `target` if the workflow lets this person do it.

    `version` is the version the person was looking at: when someone else saved the invoice
    since, the move is refused rather than applied to an invoice they have not seen.
    """
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    if version is not None and invoice.version != version:
        raise Conflict("someone else changed this invoice since you opened it; reopen it first")
    who = require_visible(session, actor, commitment)
    source = InvoiceStatus(invoice.status)
    move = check_move(source, target, who)
    if who is Standing.CONTACT and not is_latest(session, invoice):
        raise NotAllowed("only the commitment's most recent invoice can be sent")
    if target is InvoiceStatus.UNDER_REVIEW:
        computed = _compute(session, invoice).result
        _refuse_forbidden_overbilling(session, invoice, commitment, computed)
        notify.invoice_sent_for_review(session, invoice, sent_by=actor.display_name)
    invoice.status = target.value
    now = utc_now()
    if target is InvoiceStatus.UNDER_REVIEW:
        invoice.submitted_at = now
    if target in APPROVED_FOR_PAYMENT:
        invoice.decided_at = now
    session.add(invoice)
    with saving("the invoice"):
        session.flush()
    audit.record(session, actor, move.verb, "invoice", invoice_id,
                 before={"status": source.value},
                 after={"status": target.value, **({"comment": comment} if comment else {})})
    return invoice


def _refuse_forbidden_overbilling(session: Session, invoice: Invoice, commitment: Commitment,
                                  computed: billing.Invoice | None = None) -> None:
    project = session.get(Project, commitment.project_id)
    assert project is not None
    if project.overbilling_allowed:
        return
    computed = computed or _compute(session, invoice).result
    over = computed.problem_lines(billing.Problem.OVERBILLED)
    if over:
        items = ", ".join(r.line.item_no for r in over)
        raise Invalid(f"this project does not allow overbilling; lines billed past their "
                      f"scheduled value: {items}")


@dataclass(frozen=True)
class LineEntry:
    """What a person typed on one line; None leaves that figure as it is.

    Unit-based lines take `new_quantity`; a `work` given with it is a value typed by hand and
    becomes an override when it differs from quantity × price."""

    work: Decimal | None = None  # column E in dollars
    new_quantity: Decimal | None = None  # unit-based lines
    new_stored: Decimal | None = None
    stored_installed: Decimal | None = None
    release: Decimal | None = None


@dataclass(frozen=True)
class GeneralInfo:
    """The invoice's general information a contact may change; None leaves a field as it is."""

    invoice_number: str | None = None
    billing_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None


_LINE_FIELDS = {"work_cents", "new_quantity_e4", "new_stored_cents", "stored_installed_cents",
                "release_requested_cents", "value_override"}
_MONEY_ENTRIES = (("new_stored", "new_stored_cents"),
                  ("stored_installed", "stored_installed_cents"),
                  ("release", "release_requested_cents"))


def _apply_entry(line: InvoiceLine, sov: SovLine, entry: LineEntry,
                 previous: _Previous) -> None:
    unit_line = None
    if sov.quantity_e4 is not None and sov.unit_price_e4 is not None:
        unit_line = UnitLine(from_scaled(sov.quantity_e4, QUANTITY_SCALE),
                             from_scaled(sov.unit_price_e4, QUANTITY_SCALE),
                             from_scaled(previous.quantity, QUANTITY_SCALE),
                             previous_value=from_cents(previous.work))
    if entry.new_quantity is not None:
        if unit_line is None:
            raise Invalid(f"line {sov.item_no} is not billed by quantity")
        progress = unit_line.from_new_quantity(entry.new_quantity)
        line.new_quantity_e4 = to_scaled(progress.new_quantity, QUANTITY_SCALE)
        line.work_cents = to_cents(progress.new_value)
        line.value_override = False
    if entry.work is not None:
        line.work_cents = to_cents(entry.work)
        if unit_line is not None:
            quantity = from_scaled(line.new_quantity_e4 or 0, QUANTITY_SCALE)
            line.value_override = unit_line.value_of(quantity) != entry.work
    for name, column in _MONEY_ENTRIES:
        value = getattr(entry, name)
        if value is not None:
            if value < 0:
                raise Invalid(f"line {sov.item_no}: {name.replace('_', ' ')} cannot be negative")
            setattr(line, column, to_cents(value))


def _apply_general(invoice: Invoice, general: GeneralInfo) -> dict[str, object]:
    before = invoice.model_dump(include={"invoice_number", "billing_date", "period_start",
                                         "period_end"})
    if general.invoice_number is not None:
        if len(general.invoice_number) > 50:
            raise Invalid("the invoice number is longer than 50 characters")
        if holds_controls(general.invoice_number):
            raise Invalid("the invoice number holds a control character (an escape sequence, "
                          "a tab or a direction override); type letters, digits and signs only")
        invoice.invoice_number = general.invoice_number.strip()
    for name in ("billing_date", "period_start", "period_end"):
        value = getattr(general, name)
        if value is not None:
            setattr(invoice, name, value)
    if invoice.period_start > invoice.period_end:
        raise Invalid(f"the period starts ({invoice.period_start:%b %d, %Y}) after it ends "
                      f"({invoice.period_end:%b %d, %Y})")
    return before


def save_lines(session: Session, actor: Actor, invoice_id: int,
               entries: dict[int, LineEntry], *, version: int | None = None,
               general: GeneralInfo | None = None) -> billing.Invoice:
    """Save what a person typed: lines keyed by SOV line id, and general information.

    `version` is the invoice version the person started from: when someone else saved the
    invoice since, nothing is written and StaleInvoice says so. Retainage is recomputed, every
    change is audited, and the invoice's version moves on.
    """
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    if version is not None and invoice.version != version:
        raise StaleInvoice(invoice.version)
    who = require_visible(session, actor, commitment)
    check_edit(InvoiceStatus(invoice.status), who, is_latest=is_latest(session, invoice))
    lines = {ln.sov_line_id: ln for ln in session.exec(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)).all()}
    previous = _previous_by_line(session, invoice)
    sov_lines = {s.id: s for s in session.exec(
        select(SovLine).where(col(SovLine.id).in_(list(entries)))).all()}
    # Every change first, then the audit entries: writing an entry flushes, and one flush
    # of all changes moves the invoice's version on by exactly one.
    changes: list[tuple[str, str, int | None, dict[str, object], dict[str, object]]] = []
    with session.no_autoflush:
        for sov_line_id, entry in entries.items():
            line = lines.get(sov_line_id)
            sov = sov_lines.get(sov_line_id)
            if line is None or sov is None:
                raise Invalid(f"SOV line {sov_line_id} is not on this invoice")
            before = line.model_dump(include=_LINE_FIELDS)
            _apply_entry(line, sov, entry, previous.get(sov_line_id, _Previous()))
            after = line.model_dump(include=_LINE_FIELDS)
            if after != before:
                session.add(line)
                changes.append(("edit line", "invoice_line", line.id, before, after))
        if general is not None:
            before_general = _apply_general(invoice, general)
            after_general = invoice.model_dump(include=set(before_general))
            if after_general != before_general:
                changes.append(("edit invoice", "invoice", invoice.id, before_general,
                                after_general))
        invoice.updated_at = utc_now()
        session.add(invoice)
    for action, entity, entity_id, before_values, after_values in changes:
        audit.record(session, actor, action, entity, entity_id, before=before_values,
                     after=after_values)
    with saving("the invoice"):
        session.flush()
        result = store_retainage(session, invoice)
        session.flush()
    _refuse_forbidden_overbilling(session, invoice, commitment, result)
    too_much = result.problem_lines(billing.Problem.RELEASE_EXCEEDS_HELD)
    if too_much:
        first = too_much[0]
        raise Invalid(f"line {first.line.item_no}: the release requested is more than the "
                      f"{format_money(first.retainage_held_before_release)} held")
    return result
