"""The audit trail's hash chain: each entry carries the SHA-256 of its own fields and of the
previous entry's hash, so that an edited or deleted entry breaks the chain.

The same formula is written in SQL in the PostgreSQL trigger (migration 0002); keep them equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from data.models import AuditEntry

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(at: datetime) -> int:
    """Microseconds since 1970, exactly (no float on the way)."""
    if at.tzinfo is None:  # SQLite hands back naive UTC timestamps
        at = at.replace(tzinfo=UTC)
    return (at - _EPOCH) // timedelta(microseconds=1)


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    fields = [prev_hash, str(entry.id), str(micros(entry.at)), entry.actor_login,
              entry.db_role or "", entry.action, entry.entity,
              "" if entry.entity_id is None else str(entry.entity_id), entry.before, entry.after]
    return hashlib.sha256("\n".join(fields).encode("utf-8")).hexdigest()


def last_hash(session: Session) -> str:
    found = session.exec(select(AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
                         ).first()
    return found or ""


def append(session: Session, entry: AuditEntry) -> None:
    """Add an entry to the trail, chained to the last one."""
    if session.get_bind().dialect.name == "postgresql":
        session.add(entry)  # the database's trigger stamps the role, the time and the chain
        return
    # SQLite: one writer at a time (BEGIN IMMEDIATE), so payapp can chain the entry itself.
    entry.prev_hash = last_hash(session)
    session.add(entry)
    session.flush()
    entry.hash = entry_hash(entry, entry.prev_hash)
    session.add(entry)


@dataclass(frozen=True)
class Break:
    entry_id: int
    problem: str


def verify(entries: Iterable[AuditEntry]) -> tuple[int, list[Break]]:
    """Walk the chain in id order; returns how many entries were read and what is wrong."""
    breaks: list[Break] = []
    previous = ""
    count = 0
    for entry in entries:
        count += 1
        assert entry.id is not None
        if entry.prev_hash != previous:
            breaks.append(Break(entry.id, "does not follow the entry before it: an entry was "
                                          "deleted or changed before this one"))
        if entry.hash != entry_hash(entry, entry.prev_hash):
            breaks.append(Break(entry.id, "its contents do not match its hash: it was edited"))
        previous = entry.hash
    return count, breaks


def verify_database(session: Session) -> tuple[int, list[Break]]:
    return verify(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
