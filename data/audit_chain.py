"""The audit trail: `record` writes an entry (the one way to write one, for the services and
for the command-line user administration alike), and the hash chain keeps it honest: each entry
carries the SHA-256 of its own fields and of the previous entry's hash, so that an edited or
deleted entry breaks the chain.

The chain's order is `position`. On SQLite payapp writes one entry at a time and chains it at
once. On PostgreSQL people write at the same time, so entries arrive unchained and the database
seals them afterwards, in order, under a lock nobody else can take (`payapp_audit_seal()`,
migration 0004, where the same formula is written in SQL; keep them equal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, text
from sqlmodel import Session, col, func, select

from data.models import AuditEntry

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The action of the entries PostgreSQL writes itself for every row changed ("database update").
DATABASE_ACTION_PREFIX = "database "


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


def _json(values: Mapping[str, object] | None) -> str:
    if not values:
        return ""

    def plain(value: object) -> object:
        if isinstance(value, date | datetime):
            return value.isoformat()
        return str(value)

    return json.dumps(values, default=plain, sort_keys=True, ensure_ascii=False)


def record(session: Session, login: str, action: str, entity: str, entity_id: int | None,
           before: Mapping[str, object] | None = None,
           after: Mapping[str, object] | None = None) -> None:
    """Write one audit entry in the session's transaction: `login` did `action` to the row
    `entity_id` of `entity`, which held `before` and holds `after` now (both shown as JSON).

    A service passes the acting person's `actor.login`; `payapp users` passes the login of
    whoever runs it on the host."""
    _append(session, AuditEntry(actor_login=login, action=action, entity=entity,
                                entity_id=entity_id, before=_json(before), after=_json(after)))


def _append(session: Session, entry: AuditEntry) -> None:
    """Add an entry to the trail, chained to the last one."""
    if session.get_bind().dialect.name == "postgresql":
        session.add(entry)  # the database stamps the role and the time; sealing chains it
        return
    # SQLite: one writer at a time (BEGIN IMMEDIATE), so payapp can chain the entry itself.
    last = session.exec(select(AuditEntry.position, AuditEntry.hash)
                        .where(col(AuditEntry.position).is_not(None))
                        .order_by(col(AuditEntry.position).desc()).limit(1)).first()
    entry.position, entry.prev_hash = ((last[0] or 0) + 1, last[1]) if last else (1, "")
    session.add(entry)
    session.flush()
    entry.hash = entry_hash(entry, entry.prev_hash)
    session.add(entry)


def seal(connection: Connection) -> int | None:
    """Chain the entries written since the last seal (PostgreSQL). Returns how many were
    sealed, or None when someone else is sealing at this moment (they take these too)."""
    if connection.dialect.name != "postgresql":
        return 0
    sealed = connection.execute(text("SELECT payapp_audit_seal()")).scalar_one()
    return None if sealed < 0 else int(sealed)


@dataclass(frozen=True)
class Break:
    entry_id: int
    problem: str


def verify(entries: Iterable[AuditEntry]) -> tuple[int, list[Break]]:
    """Walk the chain in its order; returns how many entries were read and what is wrong."""
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


@dataclass(frozen=True)
class Verdict:
    count: int
    breaks: list[Break]
    unsealed: int  # written, not chained yet (PostgreSQL): a sealer is at work, or was stopped


def verify_database(session: Session) -> Verdict:
    """Seal what can be sealed, then walk the chain by position."""
    seal(session.connection())
    session.commit()
    count, breaks = verify(session.exec(select(AuditEntry)
                                        .where(col(AuditEntry.position).is_not(None))
                                        .order_by(col(AuditEntry.position))))
    unsealed = session.exec(select(func.count()).select_from(AuditEntry)
                            .where(col(AuditEntry.position).is_(None))).one()
    return Verdict(count, breaks, unsealed)
