"""An invoice's figures from the tables: the schedule of values it bills, what earlier invoices
billed on each line, its retainage rules, and data.billing's arithmetic over them.

"Previous" columns (D, previous stored materials, previous retainage) and line 7 are sums over
the commitment's earlier invoices that are approved, read in one grouped query. Nothing here
checks who is asking: the read models and the use cases do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from data import billing
from data.billing import ChangeOrderRef, LineInput, UnitLine
from data.models import (
    ChangeOrder,
    ChangeOrderKind,
    ChangeOrderStatus,
    Commitment,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    RetainageRule,
    SovLine,
)
from data.money import PERCENT_SCALE, QUANTITY_SCALE, ZERO, from_cents, from_scaled, to_cents


@dataclass(frozen=True)
class UnitFigures:
    """A unit-based line's quantities (data.g703.Units reads them)."""

    unit: str
    quantity: Decimal
    unit_price: Decimal
    previous_quantity: Decimal
    new_quantity: Decimal
    total_percent: Decimal | None
    override: bool


@dataclass(frozen=True)
class Previous:
    """What the commitment's earlier invoices billed on one SOV line, in cents (quantity e4)."""

    work: int = 0
    stored: int = 0
    retainage_work: int = 0
    retainage_stored: int = 0
    quantity: int = 0

    def plus(self, other: Previous) -> Previous:
        return Previous(self.work + other.work, self.stored + other.stored,
                        self.retainage_work + other.retainage_work,
                        self.retainage_stored + other.retainage_stored,
                        self.quantity + other.quantity)

    @property
    def earned_less_retainage(self) -> int:
        return self.work + self.stored - self.retainage_work - self.retainage_stored


# The statuses in which an invoice counts as approved (domain.md §3): its figures are the
# "previous" of the invoices after it, and a new invoice may start after it. Pending Owner
# Approval is one: the general contractor has approved it and waits for the owner's money.
COUNTS_AS_APPROVED = frozenset({InvoiceStatus.APPROVED, InvoiceStatus.APPROVED_AS_NOTED,
                                InvoiceStatus.PENDING_OWNER_APPROVAL})


def _rate(stored: int) -> Decimal:
    return from_scaled(stored, PERCENT_SCALE)


def previous_by_line(session: Session, invoice: Invoice) -> dict[int, Previous]:
    """Per SOV line id, the sums over the approved invoices before `invoice` (one sent back
    for revision, or still in draft or review, counts again once it is approved), and what was
    billed before payapp."""
    billed = billed_in_payapp(session, invoice)
    for line_id, before in history_by_line(session, invoice.commitment_id).items():
        billed[line_id] = billed.get(line_id, Previous()).plus(before)
    return billed


def billed_in_payapp(session: Session, invoice: Invoice) -> dict[int, Previous]:
    """Per SOV line id, the sums over the approved invoices in payapp before `invoice`."""
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
               col(Invoice.position) < invoice.position,
               col(Invoice.status).in_([status.value for status in COUNTS_AS_APPROVED]))
        .group_by(col(il.sov_line_id))
    ).all()
    return {row[0]: Previous(*(int(v or 0) for v in row[1:])) for row in rows}


def history_by_line(session: Session, commitment_id: int) -> dict[int, Previous]:
    """Per SOV line id, what was billed and retained before payapp, to date (a commitment that
    started mid-project; data/services/commitment_history.py)."""
    lines = session.exec(select(SovLine).where(SovLine.commitment_id == commitment_id)).all()
    return {line.id: history_of(line) for line in lines if line.id is not None}


def history_of(line: SovLine) -> Previous:
    return Previous(line.history_work_cents, line.history_stored_cents,
                    line.history_retainage_work_cents, line.history_retainage_stored_cents,
                    line.history_quantity_e4)


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
                previous: Previous, invoice: Invoice) -> tuple[LineInput, UnitFigures | None]:
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
class Computed:
    """Each billable line (SOV line, its change order, its saved row, its unit figures) beside
    data.billing's result for the whole invoice, and the retainage rules it was computed with."""

    rows: list[tuple[SovLine, ChangeOrder | None, InvoiceLine | None, UnitFigures | None]]
    result: billing.Invoice
    rules: list[billing.RetainageRule]


def compute(session: Session, invoice: Invoice) -> Computed:
    """The invoice's figures as its rows stand in this session."""
    assert invoice.id is not None
    billed = billed_in_payapp(session, invoice)
    saved = {ln.sov_line_id: ln for ln in session.exec(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()}
    rows: list[tuple[SovLine, ChangeOrder | None, InvoiceLine | None, UnitFigures | None]] = []
    inputs: list[LineInput] = []
    for sov, order in billable_sov_lines(session, invoice.commitment_id, invoice.period_end):
        assert sov.id is not None
        line = saved.get(sov.id)
        previous = billed.get(sov.id, Previous()).plus(history_of(sov))
        line_input, units = _line_input(sov, order, line, previous, invoice)
        rows.append((sov, order, line, units))
        inputs.append(line_input)
    # Line 7: what was certified before payapp, as filed, and then what each approved invoice in
    # payapp earned less retainage (its line 6 less the one before it).
    commitment = session.get(Commitment, invoice.commitment_id)
    assert commitment is not None
    prior = commitment.previous_certificates_cents + sum(
        p.earned_less_retainage for p in billed.values())
    rules = retainage_rules(session, invoice.commitment_id)
    result = billing.compute_invoice(inputs, previous_certificates=from_cents(prior), rules=rules)
    return Computed(rows, result, rules)


def store_retainage(session: Session, invoice: Invoice) -> billing.Invoice:
    """Write each line's retained and released amounts, as computed now, onto its row."""
    computed = compute(session, invoice)
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
