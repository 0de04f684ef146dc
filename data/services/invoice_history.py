"""An invoice's history, read from the audit trail: every entry about the invoice, its lines and
its files, oldest first, each saying who did what, from what to what, and when.

Entries are written by payapp (`audit_chain.record`) and, on PostgreSQL, stamped by the database
with the role that made them; both show. On a shared database the audit trail's row-level
security decides which entries a person reads: support reads all of them, anyone else their own,
and the history then says it is partial.

payapp's own words in it (the title, actions, field names, statuses) are the project's point of
view's (data/wording.py): "create invoice" reads "create progress billing" to a specialty
contractor. What people typed (comments, references, file names) is shown as they typed it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from data import audit_chain
from data.documents.export_files import safe_file_stem
from data.models import Attachment, AuditEntry, InvoiceLine, PointOfView, Project, SovLine
from data.money import QUANTITY_SCALE, format_money, format_quantity, from_cents, from_scaled
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.invoice_lookup import invoice_and_commitment
from data.terminal_text import terminal_safe
from data.wording import STATUS_LABELS, reworded, word


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str  # the payapp login, and the database role when it is another
    action: str  # "send", "edit line", "add"
    subject: str  # "line 3", "file plan.pdf"; "" for the invoice itself
    changes: tuple[str, ...]  # "status: draft → under_review"

    def as_text(self) -> str:
        action = self.action
        if self.subject.split(" ")[0] == action.split(" ")[-1]:  # "edit line" + "line 3"
            action = action.rsplit(" ", 1)[0]
        head = f"{self.at:%Y-%m-%d %H:%M:%S} UTC  {self.who}: {action} {self.subject}".rstrip()
        return "\n".join([head, *(f"    {change}" for change in self.changes)])


@dataclass(frozen=True)
class History:
    title: str
    entries: tuple[HistoryEntry, ...]
    complete: bool  # False: the person may read only some of the trail (their own entries)
    file_name: str  # for the history written as text

    def as_text(self) -> str:
        note = [] if self.complete else [
            "Only the entries you may read are shown: support staff read the whole trail.", ""]
        body = [entry.as_text() for entry in self.entries] or ["No entries."]
        return "\n".join([self.title, "", *note, *body, ""])


_STATUS_BY_VALUE = {status.value: label for status, label in STATUS_LABELS.items()}


def _shown(key: str, value: object, point_of_view: str) -> str:
    """A stored value as a person reads it: cents as money, scaled quantities as quantities, a
    status by its label in the project's words."""
    if value is None or value == "":
        return "—"
    if key == "status" and str(value) in _STATUS_BY_VALUE:
        return reworded(_STATUS_BY_VALUE[str(value)], point_of_view)
    try:
        if key.endswith("_cents"):
            return format_money(from_cents(int(str(value))))
        if key.endswith("_e4"):
            return format_quantity(from_scaled(int(str(value)), QUANTITY_SCALE))
    except ValueError:
        pass
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _label(key: str) -> str:
    return key.removesuffix("_cents").removesuffix("_e4").replace("_", " ")


_BOOKKEEPING = {"id", "version"}  # the row's identity and lock counter: no news to a reader
_NOTHING = {"—", "$0.00", "0", "False"}


def _changes(before: str, after: str, point_of_view: str) -> tuple[str, ...]:
    old = json.loads(before) if before else {}
    new = json.loads(after) if after else {}
    changes = []
    for key in sorted((set(old) | set(new)) - _BOOKKEEPING):
        was = _shown(key, old.get(key), point_of_view)
        now = _shown(key, new.get(key), point_of_view)
        if old.get(key) == new.get(key) or (not old and now in _NOTHING):
            continue  # a new row's empty and zero columns say nothing
        label = reworded(_label(key), point_of_view)
        changes.append(terminal_safe(f"{label}: {was} → {now}"))
    return tuple(changes)


def invoice_history(session: Session, actor: Actor, invoice_id: int) -> History:
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    require_visible(session, actor, commitment)
    project = session.get(Project, commitment.project_id)
    pov = project.point_of_view if project else PointOfView.GENERAL_CONTRACTOR.value
    lines = {line_id or 0: f"line {item}" for line_id, item in session.exec(
        select(InvoiceLine.id, SovLine.item_no)
        .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
        .where(InvoiceLine.invoice_id == invoice_id)).all()}
    files = {file_id or 0: f"file {terminal_safe(name)}" for file_id, name in session.exec(
        select(Attachment.id, Attachment.original_name)
        .where(Attachment.invoice_id == invoice_id)).all()}
    about = or_(
        and_(col(AuditEntry.entity) == "invoice", col(AuditEntry.entity_id) == invoice_id),
        and_(col(AuditEntry.entity) == "invoice_line", col(AuditEntry.entity_id).in_(lines)),
        and_(col(AuditEntry.entity) == "attachment", col(AuditEntry.entity_id).in_(files)),
    )
    subjects: dict[str, dict[int, str]] = {"invoice": {invoice_id: ""},
                                           "invoice_line": lines, "attachment": files}
    entries = tuple(
        HistoryEntry(
            at=entry.at,
            who=entry.actor_login if entry.db_role in (None, entry.actor_login)
            else f"{entry.actor_login} (database role {entry.db_role})",
            action=reworded(entry.action, pov),
            subject=subjects[entry.entity].get(entry.entity_id or 0,
                                               reworded(entry.entity, pov)),
            changes=_changes(entry.before, entry.after, pov),
        )
        for entry in session.exec(select(AuditEntry).where(about)
                                  .order_by(col(AuditEntry.at), col(AuditEntry.id))).all())
    title = (f"{reworded('History of invoice', pov)} #{invoice.position} ({commitment.number} "
             f"{commitment.title}), from the audit trail")
    complete = audit_chain.trail_view(session) == "whole"
    name = safe_file_stem(f"{commitment.number} {word('Invoice', pov)} {invoice.position} - "
                          "history")
    return History(terminal_safe(title), entries, complete, f"{name}.txt")

