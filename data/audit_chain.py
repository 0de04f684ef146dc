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


# Who reads the whole trail. Row-level security (migration 0002, policy audit_entry_read) shows
# a support user every entry and anybody else only the entries their own role wrote; a superuser
# or a role with BYPASSRLS is not subject to it. A role outside payapp's groups cannot evaluate
# the policy at all: it calls payapp_is, which only payapp_user and payapp_reader may run (and
# PostgreSQL checks that right before it runs a statement, so it is asked on its own first).
_MAY_READ = text("""
    SELECT CASE
        WHEN NOT has_table_privilege('audit_entry', 'SELECT') THEN 'none'
        WHEN NOT row_security_active('audit_entry') THEN 'whole'
        WHEN NOT has_function_privilege('payapp_is(text)', 'EXECUTE') THEN 'none'
        ELSE 'policy' END
""")
WHO_SEES_THE_WHOLE_TRAIL = (
    "a support user (support role in payapp, database role in payapp_reader, like the account "
    "of the nightly audit job) or the database's superuser")


def trail_view(session: Session) -> str:
    """How much of the trail this session's role may read: 'whole', 'own' (row-level security
    shows it only the entries its own role wrote) or 'none'."""
    if session.get_bind().dialect.name != "postgresql":
        return "whole"
    view = str(session.execute(_MAY_READ).scalar_one())
    if view != "policy":
        return view
    support = session.execute(text("SELECT payapp_is('support')")).scalar_one()
    return "whole" if support else "own"


@dataclass(frozen=True)
class Verdict:
    count: int
    breaks: list[Break]
    unsealed: int  # written, not chained yet (PostgreSQL): a sealer is at work, or was stopped
    view: str = "whole"  # how much of the trail the role could read (trail_view)
    role: str = ""  # the database role that read it (PostgreSQL)

    @property
    def partial(self) -> bool:
        """The role read only part of the trail: a gap may be an entry hidden from it, so the
        chain cannot be judged from here."""
        return self.view != "whole"


def verify_part(entries: Iterable[AuditEntry]) -> tuple[int, list[Break]]:
    """What a role that sees only some entries can still check: each entry against its own
    hash, and the link between two entries whose positions follow each other. An entry whose
    predecessor is not in sight is not judged: it may be hidden rather than deleted."""
    breaks: list[Break] = []
    count = 0
    previous: AuditEntry | None = None
    for entry in entries:
        count += 1
        assert entry.id is not None
        follows = (previous is not None and previous.position is not None
                   and entry.position == previous.position + 1)
        if previous is not None and follows and entry.prev_hash != previous.hash:
            breaks.append(Break(entry.id, "does not follow the entry before it: an entry was "
                                          "deleted or changed before this one"))
        if entry.hash != entry_hash(entry, entry.prev_hash):
            breaks.append(Break(entry.id, "its contents do not match its hash: it was edited"))
        previous = entry
    return count, breaks


def verify_database(session: Session) -> Verdict:
    """Seal what can be sealed, then walk the chain by position. A role that may not read the
    whole trail (row-level security) gets a partial verdict: only what it sees is checked."""
    view = trail_view(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    role = str(session.execute(text("SELECT session_user")).scalar_one()) if postgres else ""
    if view == "none":
        return Verdict(0, [], 0, view, role)
    if not postgres or session.execute(text(
            "SELECT has_function_privilege('payapp_audit_seal()', 'EXECUTE')")).scalar_one():
        seal(session.connection())
    session.commit()
    entries = session.exec(select(AuditEntry).where(col(AuditEntry.position).is_not(None))
                           .order_by(col(AuditEntry.position)))
    count, breaks = verify(entries) if view == "whole" else verify_part(entries)
    unsealed = session.exec(select(func.count()).select_from(AuditEntry)
                            .where(col(AuditEntry.position).is_(None))).one()
    return Verdict(count, breaks, unsealed, view, role)
