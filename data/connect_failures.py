"""Why payapp could not connect to its database, in words a system administrator acts on.

libpq says what went wrong in one line among others (`connection to server at "db", port 5432
failed: FATAL: role "ann" is not permitted to log in`), and SQLAlchemy wraps it in a traceback.
`connect_failure` turns a failed connection into two lines: the cause, naming the role, the
database and the server, and what to do. The command line calls it for whatever reaches the top
of a command or of the app's start, so every command says the same thing in the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from data.credentials import resolve_password
from data.pgpass import libpq_target
from data.terminal_text import terminal_safe

LOCATE = "`payapp locate` shows which database payapp uses and where its password comes from"

_UNREACHABLE = (
    "connection refused", "could not connect", "timeout expired", "timed out",
    "failed to resolve host", "name or service not known", "could not translate host name",
    "no route to host", "network is unreachable", "temporary failure in name resolution",
    "connection reset", "server closed the connection unexpectedly", "no such file or directory",
)
_NOT_READY = ("is starting up", "is shutting down", "in recovery mode", "not yet accepting",
              "is not accepting connections")


@dataclass(frozen=True)
class _Where:
    user: str
    host: str
    port: str
    database: str

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def _decoded(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _where(orig: BaseException, url: str | None) -> _Where:
    """The role, server and database libpq tried (from the failed connection when it has them,
    else from the URL with libpq's defaults)."""
    fallback = libpq_target(make_url(url)) if url else None
    pgconn = getattr(orig, "pgconn", None)

    def pick(name: str, default: str) -> str:
        value = _decoded(getattr(pgconn, name, None)) if pgconn is not None else ""
        return value or default

    return _Where(
        user=pick("user", fallback.user if fallback else "?"),
        host=pick("host", fallback.host if fallback else "?"),
        port=pick("port", fallback.port if fallback else "?"),
        database=pick("db", fallback.database if fallback else "?"),
    )


def _reason(orig: BaseException) -> str:
    """libpq's own words for the first server it tried, without its prefixes."""
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    first = first.removeprefix("connection failed: ")
    if " failed: " in first:
        first = first.rsplit(" failed: ", 1)[1]
    first = re.sub(r"^(FATAL|ERROR):\s+", "", first)
    return " ".join(first.split())


def _needs_password(orig: BaseException, reason: str) -> bool:
    pgconn = getattr(orig, "pgconn", None)
    return "no password supplied" in reason or bool(getattr(pgconn, "needs_password", False))


def _explain(orig: BaseException, reason: str, at: _Where, url: str | None) -> tuple[str, str]:
    said = reason.lower()
    role = f'"{at.user}"'
    if _needs_password(orig, said):
        return (f"the server {at.server} asks role {role} for a password, and payapp found none",
                f"Put it in ~/.pgpass (mode 0600, one line "
                f"{at.host}:{at.port}:{at.database}:{at.user}:PASSWORD), or run `payapp db "
                f"login` where this host has a working keyring. {LOCATE}.")
    if "password authentication failed" in said:
        source = resolve_password(url).source if url else "where payapp found it"
        return (f"the server {at.server} refused the password of role {role} (payapp took it "
                f"from {source})",
                "Correct the password there, or ask the database administrator to set a new "
                f"one (the server answers the same when there is no such role). {LOCATE}.")
    if "not permitted to log in" in said:
        return (f"the database role {role} may not log in: a system administrator disabled it "
                f"(`payapp users disable {at.user}`)",
                "Ask a system administrator if this person should still use payapp.")
    if said.startswith("role ") and said.endswith("does not exist"):
        return (f"there is no database role {role} on {at.server}",
                f"A system administrator creates it with `payapp users add {at.user} --company "
                f"... --role ...`; or the database URL names the wrong user. {LOCATE}.")
    if said.startswith("database ") and said.endswith("does not exist"):
        return (f'there is no database "{at.database}" on {at.server}',
                f"Check the database URL. {LOCATE}.")
    if "permission denied for database" in said:
        return (f'role {role} may not connect to the database "{at.database}"',
                "A system administrator grants it: `payapp users add` does for each new "
                f'person, or in psql: GRANT CONNECT ON DATABASE "{at.database}" TO {role};')
    if "pg_hba.conf" in said:
        return (f"the server {at.server} has no rule in its pg_hba.conf that lets role {role} "
                f'connect to "{at.database}" from this host',
                "The database administrator adds one (see the README's jump-host guide).")
    if "too many clients" in said or "connection slots are reserved" in said:
        return (f"the server {at.server} has no free connection left",
                "Try again in a moment. The database administrator sees who holds connections "
                "in pg_stat_activity (payapp's have application_name payapp).")
    if any(words in said for words in _NOT_READY):
        return (f"the server {at.server} is starting up or shutting down ({reason})",
                "Try again in a moment.")
    if any(words in said for words in _UNREACHABLE):
        return (f"the PostgreSQL server at {at.server} did not answer ({reason})",
                f"Is it running, and are the host and port in the database URL right? {LOCATE}.")
    return (f"{reason} (role {role}, database \"{at.database}\" on {at.server})", f"{LOCATE}.")


def _explain_sqlite(reason: str, url: str | None) -> tuple[str, str]:
    where = make_url(url).database if url else None
    return (f"cannot open the SQLite file {where or ''} ({reason})".replace("  ", " "),
            f"Check that its folder exists and that you may write to it. {LOCATE}.")


def connect_failure(error: BaseException, url: str | None = None) -> str | None:
    """Two lines, `payapp: cannot connect to the database: <cause>` and what to do, when
    `error` is a failure to connect to the database at `url`; None for any other error."""
    if not isinstance(error, DBAPIError) or error.statement is not None:
        return None  # raised by a statement, not by connecting
    orig = error.orig
    if orig is None:
        return None
    reason = _reason(orig)
    if type(orig).__module__.startswith("sqlite3"):
        cause, todo = _explain_sqlite(reason, url)
    else:
        cause, todo = _explain(orig, reason, _where(orig, url), url)
    return terminal_safe(f"payapp: cannot connect to the database: {cause}.\n  {todo}",
                         multiline=True)
