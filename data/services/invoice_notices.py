"""What an invoice administrator changed on a contact's invoice, as the contact reads it: "Changed
by <name> on <date>", then one sentence per figure or date, in the words the invoice screen uses
("line 3, work this period: $1,000.00 → $1,200.00").

The changes are rows of `invoice_change` (migration 0018), one per invoice or line row, the rows
of one save sharing a batch. On SQLite payapp records them when it saves an administrator's
edit (`record_admin_changes`); on PostgreSQL the database records them from the change itself,
whoever makes it, and payapp only reads them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import uuid4

from sqlmodel import Session, col, select

from data import notify
from data.models import Invoice, InvoiceChange, InvoiceLine, SovLine
from data.money import QUANTITY_SCALE, format_money, format_quantity, from_cents, from_scaled
from data.services.actors import Actor
from data.terminal_text import terminal_safe


@dataclass(frozen=True)
class ChangeNotice:
    """One save of an administrator's: who, when, and what it changed."""

    who: str
    at: datetime
    changes: tuple[str, ...]

    @property
    def headline(self) -> str:
        return f"Changed by {self.who} on {self.at:%b %d, %Y}"


@dataclass(frozen=True)
class RowChange:
    """An invoice or line row an administrator changed: its typed fields before and after."""

    entity: str  # "invoice" or "invoice_line"
    entity_id: int
    before: Mapping[str, object]
    after: Mapping[str, object]


def record_admin_changes(session: Session, admin: Actor, invoice: Invoice,
                         rows: Sequence[RowChange]) -> None:
    """Record the save of `invoice` that `admin` made (the caller checked they stand to it as
    its administrator) and tell its contacts (SQLite; on PostgreSQL the database's trigger does
    both)."""
    if not rows or session.get_bind().dialect.name == "postgresql":
        return
    assert invoice.id is not None
    batch = uuid4().hex
    for row in rows:
        session.add(InvoiceChange(
            invoice_id=invoice.id, batch=batch, entity=row.entity, entity_id=row.entity_id,
            before=_as_json(row.before), after=_as_json(row.after),
            changed_by_id=admin.user_id, changed_by_name=admin.display_name))
    notify.invoice_changed(session, invoice, changed_by=admin.display_name)


def _as_json(values: Mapping[str, object]) -> str:
    return json.dumps(dict(values), default=str, sort_keys=True)


def change_notices(session: Session, invoice_id: int) -> tuple[ChangeNotice, ...]:
    """The administrators' saves of the invoice, newest first."""
    rows = session.exec(select(InvoiceChange).where(InvoiceChange.invoice_id == invoice_id)
                        .order_by(col(InvoiceChange.changed_at), col(InvoiceChange.id))).all()
    if not rows:  # nearly every invoice: one query, not two
        return ()
    items = {line_id: item for line_id, item in session.exec(
        select(InvoiceLine.id, SovLine.item_no)
        .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
        .where(InvoiceLine.invoice_id == invoice_id)).all()}
    saves: dict[str, tuple[InvoiceChange, list[str]]] = {}
    for row in rows:
        subject = ("" if row.entity == "invoice"
                   else f"line {items.get(row.entity_id, '?')}, ")
        sentences = saves.setdefault(row.batch, (row, []))[1]
        sentences += [terminal_safe(subject + change) for change in
                      _sentences(json.loads(row.before), json.loads(row.after))]
    return tuple(ChangeNotice(who=terminal_safe(first.changed_by_name), at=first.changed_at,
                              changes=tuple(sentences))
                 for first, sentences in reversed(saves.values()))


# The typed fields, by the names the invoice screen gives them; value_override says only how
# a unit line's work figure was typed, which its work figure already shows.
_LABELS = {
    "work_cents": "work this period",
    "new_quantity_e4": "new quantity",
    "new_stored_cents": "new stored materials",
    "stored_installed_cents": "stored materials installed",
    "release_requested_cents": "release requested",
    "invoice_number": "invoice number",
    "billing_date": "billing date",
    "period_start": "period start",
    "period_end": "period end",
}


def _sentences(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    return [f"{label}: {_shown(key, before.get(key))} → {_shown(key, after.get(key))}"
            for key, label in _LABELS.items() if before.get(key) != after.get(key)]


def _shown(key: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if key.endswith("_cents"):
        return format_money(from_cents(int(str(value))))
    if key.endswith("_e4"):
        return format_quantity(from_scaled(int(str(value)), QUANTITY_SCALE))
    if key in ("billing_date", "period_start", "period_end"):
        return f"{date.fromisoformat(str(value)):%b %d, %Y}"
    return str(value)
