"""Who holds the lock others wait for, on a shared PostgreSQL database (`payapp db who-blocks`).

A person can take a lock from psql (`LOCK TABLE`, a transaction left open); payapp's sessions
give up after their lock timeout and say "busy". This names the sessions that wait and the ones
they wait for, so that a system administrator can ask the holder, or end the session with
`SELECT pg_terminate_backend(PID)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, text

from data.terminal_text import terminal_safe

QUERY_SHOWN = 80

_WAITERS = text("""
SELECT a.pid, a.usename, a.application_name, a.state, now() - a.state_change AS waiting,
       left(a.query, :shown) AS query, pg_blocking_pids(a.pid) AS blockers
FROM pg_stat_activity a
WHERE a.datname = current_database() AND cardinality(pg_blocking_pids(a.pid)) > 0
ORDER BY a.pid
""")

_SESSIONS = text("""
SELECT a.pid, a.usename, a.application_name, a.state, now() - a.xact_start AS in_transaction,
       left(a.query, :shown) AS query
FROM pg_stat_activity a WHERE a.pid = ANY(:pids)
""")


@dataclass(frozen=True)
class Session:
    pid: int
    login: str
    application: str
    state: str
    for_how_long: timedelta | None  # waiting (a waiter), or in its transaction (a holder)
    query: str  # empty when this login may not read it (only the session's own, or pg_monitor)

    def describe(self) -> str:
        how_long = "" if self.for_how_long is None else f" for {_duration(self.for_how_long)}"
        query = f": {self.query}" if self.query else ""
        return (f"pid {self.pid} ({terminal_safe(self.login)}, "
                f"{terminal_safe(self.application) or 'no application name'}), "
                f"{terminal_safe(self.state)}{how_long}{terminal_safe(query)}")


@dataclass(frozen=True)
class Block:
    waiting: Session
    holders: list[Session]


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def blocks(engine: Engine) -> list[Block]:
    """Every session of this database that waits for a lock, with the sessions holding it."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        waiting = connection.execute(_WAITERS, {"shown": QUERY_SHOWN}).all()
        pids = sorted({pid for row in waiting for pid in row.blockers})
        holders = {row.pid: Session(row.pid, row.usename or "", row.application_name or "",
                                    row.state or "", row.in_transaction, row.query or "")
                   for row in connection.execute(_SESSIONS, {"shown": QUERY_SHOWN,
                                                             "pids": pids})}
    return [Block(Session(row.pid, row.usename or "", row.application_name or "",
                          row.state or "", row.waiting, row.query or ""),
                  [holders[pid] for pid in row.blockers if pid in holders])
            for row in waiting]
