"""Change orders of a commitment (domain.md §1): potential (PCO) and commitment (CCO) change
orders, set up by an invoice administrator of the project.

A change order is created as a Draft with its lines. Its lines are SOV lines that name it
(`sov_line.change_order_id`), numbered after the schedule's items (26, 26.1 ...), as the
demo's are; invoices bill them only once the change order is Approved, by the end of the
billing period (data/services/invoice_figures.billable_sov_lines), so approving it is what adds
its lines to the schedule and its total to the contract sum. A negative line is a deduction.

Statuses: Draft → Pending → Approved or Rejected; Draft or Pending → Void; Pending → Draft.
Approved, Rejected and Void are final. Lines are given only with a new change order. On
PostgreSQL the database holds the same moves (migration 0014).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from data import audit_chain
from data.billing import Method
from data.models import ChangeOrder, ChangeOrderKind, ChangeOrderStatus, SovLine
from data.money import (
    QUANTITY_SCALE,
    ZERO,
    MoneyError,
    format_money,
    parse_money,
    parse_quantity,
    to_cents,
    to_scaled,
)
from data.services.actors import Actor
from data.services.commitment_setup import (
    administered_commitment,
    checked_text,
    contract_sums,
    line_value,
)
from data.services.errors import Invalid, NotFound, saving

MOVES: dict[ChangeOrderStatus, frozenset[ChangeOrderStatus]] = {
    ChangeOrderStatus.DRAFT: frozenset({ChangeOrderStatus.PENDING, ChangeOrderStatus.VOID}),
    ChangeOrderStatus.PENDING: frozenset({ChangeOrderStatus.APPROVED, ChangeOrderStatus.REJECTED,
                                          ChangeOrderStatus.VOID, ChangeOrderStatus.DRAFT}),
    ChangeOrderStatus.APPROVED: frozenset(),
    ChangeOrderStatus.REJECTED: frozenset(),
    ChangeOrderStatus.VOID: frozenset(),
}


@dataclass(frozen=True)
class ChangeOrderLine:
    """One line of a change order: an amount (amount-based commitment) or quantity, unit and
    unit price (unit-based). `item_no` empty: numbered after the schedule's items."""

    description: str
    amount: Decimal | None = None
    quantity: Decimal | None = None
    unit: str = ""
    unit_price: Decimal | None = None
    budget_code: str = ""
    item_no: str = ""


@dataclass(frozen=True)
class ChangeOrderRow:
    change_order_id: int
    commitment: str
    kind: ChangeOrderKind
    number: str
    title: str
    status: ChangeOrderStatus
    approved_on: date | None
    items: tuple[str, ...]
    total: Decimal
    contract_sum: Decimal  # the commitment's, with every approved change order

    def describe(self) -> str:
        return (f"{self.kind.value} {self.number} {self.title}: {self.status.value}, "
                f"{len(self.items)} lines, {format_money(self.total)}; contract sum "
                f"{format_money(self.contract_sum)}")


_TYPED_UNITS = re.compile(r"^(?P<quantity>\S+)\s+(?P<unit>\S+)\s*@\s*(?P<price>\S+)$")


def parse_typed_lines(text: str, method: Method) -> list[ChangeOrderLine]:
    """Lines as typed on one line, separated by `;`, each "description = figure": an amount
    ("Pendant fixtures = 2,500.00", a deduction "Credit: cans = -1,200") on an amount-based
    commitment, "quantity unit @ unit price" ("Trench = 120 LF @ 45.50") on a unit-based one.
    Invalid names the line and says how it should read."""
    lines = []
    parts = [part.strip() for part in text.split(";") if part.strip()]
    if not parts:
        raise Invalid("Lines: a change order needs at least one line")
    for number, part in enumerate(parts, start=1):
        description, equals, figure = part.rpartition("=")
        shape = ("“description = amount”" if method is Method.AMOUNT
                 else "“description = quantity unit @ unit price”")
        if not equals or not description.strip() or not figure.strip():
            raise Invalid(f"Line {number}: “{part[:40]}” should read like {shape}")
        try:
            if method is Method.AMOUNT:
                lines.append(ChangeOrderLine(description.strip(),
                                             amount=parse_money(figure.strip())))
                continue
            match = _TYPED_UNITS.match(figure.strip())
            if match is None:
                raise Invalid(f"Line {number}: “{figure.strip()[:30]}” should read like "
                              "“120 LF @ 45.50”")
            lines.append(ChangeOrderLine(description.strip(),
                                         quantity=parse_quantity(match["quantity"]),
                                         unit=match["unit"],
                                         unit_price=parse_money(match["price"])))
        except MoneyError as error:
            raise Invalid(f"Line {number}: {error}") from error
    return lines


def _next_item(items: Sequence[str]) -> int:
    leading = [int(m.group()) for m in (re.match(r"\d+", item) for item in items) if m]
    return max(leading, default=0) + 1


def _sov_line(line: ChangeOrderLine, method: Method, label: str) -> SovLine:
    row = SovLine(commitment_id=0, position=0, item_no=line.item_no.strip(),
                  description=checked_text(f"{label}, description", line.description, 500),
                  budget_code=checked_text(f"{label}, budget code", line.budget_code, 50,
                                     required=False))
    try:
        if method is Method.AMOUNT:
            if line.amount is None:
                raise Invalid(f"{label}: an amount-based commitment's line needs an amount")
            row.scheduled_value_cents = to_cents(line.amount)
            return row
        if line.quantity is None or line.unit_price is None:
            raise Invalid(f"{label}: a unit-based commitment's line needs a quantity and a "
                          "unit price")
        if line.unit_price < ZERO:
            raise Invalid(f"{label}: the unit price cannot be below zero")
        row.quantity_e4 = to_scaled(line.quantity, QUANTITY_SCALE)
        row.unit_price_e4 = to_scaled(line.unit_price, QUANTITY_SCALE)
        row.unit = checked_text(f"{label}, unit", line.unit, 20)
    except MoneyError as error:
        raise Invalid(f"{label}: {error}") from error
    return row


def _row(session: Session, order: ChangeOrder, commitment_number: str) -> ChangeOrderRow:
    assert order.id is not None
    lines = session.exec(select(SovLine).where(SovLine.change_order_id == order.id)
                         .order_by(col(SovLine.position))).all()
    original, changes = contract_sums(session, order.commitment_id)
    return ChangeOrderRow(order.id, commitment_number, ChangeOrderKind(order.kind), order.number,
                          order.title, ChangeOrderStatus(order.status), order.approved_on,
                          tuple(line.item_no for line in lines),
                          sum((line_value(line) for line in lines), ZERO), original + changes)


def create_change_order(session: Session, actor: Actor, commitment_id: int, *,
                        kind: ChangeOrderKind, number: str, title: str,
                        lines: Sequence[ChangeOrderLine]) -> ChangeOrderRow:
    commitment, _project = administered_commitment(session, actor, commitment_id)
    number = checked_text("Number", number, 20)
    title = checked_text("Title", title, 200)
    if not lines:
        raise Invalid("Lines: a change order needs at least one line")
    clash = session.exec(select(ChangeOrder.id).where(
        ChangeOrder.commitment_id == commitment_id, ChangeOrder.kind == kind.value,
        ChangeOrder.number == number)).first()
    if clash is not None:
        raise Invalid(f"Number: commitment {commitment.number} has a {kind.value} {number} "
                      "already")
    existing = session.exec(select(SovLine.item_no, SovLine.position)
                            .where(SovLine.commitment_id == commitment_id)).all()
    items = [item for item, _ in existing]
    method = Method(commitment.accounting_method)
    rows = [_sov_line(line, method, f"Line {n}") for n, line in enumerate(lines, start=1)]
    parent = _next_item(items)
    for n, row in enumerate(rows):
        row.item_no = row.item_no or (str(parent) if n == 0 else f"{parent}.{n}")
        if len(row.item_no) > 20 or row.item_no in items:
            raise Invalid(f"Line {n + 1}: item {row.item_no[:20]} is already in the schedule "
                          "of values" if row.item_no in items else
                          f"Line {n + 1}: the item number is longer than 20 characters")
        items.append(row.item_no)
    order = ChangeOrder(commitment_id=commitment_id, kind=kind.value, number=number,
                        title=title, status=ChangeOrderStatus.DRAFT.value)
    session.add(order)
    with saving(f"{kind.value} {number}"):
        session.flush()
    last = max((p for _, p in existing), default=0)
    for position, row in enumerate(rows, start=last + 1):
        row.commitment_id, row.change_order_id, row.position = commitment_id, order.id, position
        session.add(row)
    with saving(f"the lines of {kind.value} {number}"):
        session.flush()
    made = _row(session, order, commitment.number)
    audit_chain.record(session, actor.login, "create change order", "change_order", order.id,
                       after={"commitment": commitment.number, "kind": kind.value,
                              "number": number, "title": title, "items": ", ".join(made.items),
                              "total": format_money(made.total)})
    return made


def move_change_order(session: Session, actor: Actor, change_order_id: int,
                      target: ChangeOrderStatus, *, today: date) -> ChangeOrderRow:
    """Move a change order to `target`; approving it dates it `today` and raises (or lowers)
    the contract sum by its lines, in the session's one transaction."""
    order = session.get(ChangeOrder, change_order_id)
    if order is None:
        raise NotFound(f"there is no change order {change_order_id}")
    commitment, _project = administered_commitment(session, actor, order.commitment_id)
    source = ChangeOrderStatus(order.status)
    if target not in MOVES[source]:
        allowed = ", ".join(sorted(s.value for s in MOVES[source])) or "none (it is final)"
        raise Invalid(f"Status: {order.kind} {order.number} is {source.value}; it cannot move "
                      f"to {target.value} (allowed: {allowed})")
    order.status = target.value
    order.approved_on = today if target is ChangeOrderStatus.APPROVED else None
    session.add(order)
    with saving(f"{order.kind} {order.number}"):
        session.flush()
    made = _row(session, order, commitment.number)
    audit_chain.record(session, actor.login, "move change order", "change_order",
                       change_order_id, before={"status": source.value},
                       after={"status": target.value, "approved_on": order.approved_on or "",
                              "contract_sum": format_money(made.contract_sum)})
    return made


def change_orders_of(session: Session, actor: Actor, commitment_id: int
                     ) -> list[ChangeOrderRow]:
    commitment, _project = administered_commitment(session, actor, commitment_id)
    orders = session.exec(select(ChangeOrder).where(ChangeOrder.commitment_id == commitment_id)
                          .order_by(col(ChangeOrder.kind), col(ChangeOrder.number))).all()
    return [_row(session, order, commitment.number) for order in orders]
