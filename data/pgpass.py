"""libpq's password file (PGPASSFILE or ~/.pgpass), and the connection it is matched against.

libpq fills in what the URL leaves out (host, port, user, database) from its environment
variables and defaults, and only then looks for a line of the password file that matches all
four; payapp does the same to say which line libpq will use. A URL without a user, as on a
shared jump host, logs in as the operating-system login.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

DEFAULT_PORT = "5432"


@dataclass(frozen=True)
class Target:
    """What libpq connects to, with its defaults filled in, as the password file matches it."""

    host: str
    port: str
    database: str
    user: str
    user_from: str  # where the user name came from, in words


@dataclass(frozen=True)
class Entry:
    """The line of the password file that libpq will use (without its password)."""

    path: Path
    line: int
    fields: str  # host:port:database:user as written in the file

    def describe(self) -> str:
        return f"libpq's password file {self.path}, line {self.line} ({self.fields})"


def _query(url: URL, name: str) -> str:
    value = url.query.get(name)
    return value if isinstance(value, str) else ""


def os_login() -> str:
    """The login libpq uses when nothing names a user: the effective user's name."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return ""


def libpq_target(url: URL) -> Target:
    host = url.host or _query(url, "host") or os.environ.get("PGHOST", "")
    if not host or host.startswith("/"):
        host = "localhost"  # a Unix socket matches "localhost" in the password file
    port = str(url.port or "") or _query(url, "port") or os.environ.get("PGPORT", DEFAULT_PORT)
    if url.username:
        user, user_from = url.username, "the database URL"
    elif _query(url, "user"):
        user, user_from = _query(url, "user"), "the database URL"
    elif os.environ.get("PGUSER"):
        user, user_from = os.environ["PGUSER"], "the PGUSER environment variable"
    else:
        user, user_from = os_login(), "your login (the database URL names no user)"
    database = (url.database or _query(url, "dbname") or os.environ.get("PGDATABASE", "")
                or user)
    return Target(host, port, database, user, user_from)


def pgpass_path() -> Path:
    return Path(os.environ.get("PGPASSFILE") or Path.home() / ".pgpass")


def _fields(line: str) -> list[str]:
    fields, current, escaped = [], "", False
    for char in line:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append(current)
            current = ""
        else:
            current += char
    fields.append(current)
    return fields


def _written_fields(line: str) -> str:
    """The first four fields of a line as written (escapes kept), without the password."""
    count, escaped = 0, False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            count += 1
            if count == 4:
                return line[:index]
    return line


def pgpass_entry(url: URL, path: Path | None = None) -> Entry | None:
    """The line libpq would take the password from for `url`, or None."""
    path = path or pgpass_path()
    try:
        if path.stat().st_mode & 0o077:
            return None  # libpq ignores a password file that others can read
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = libpq_target(url)
    wanted = [target.host, target.port, target.database, target.user]
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _fields(line)
        # The password is whatever follows the fourth field, colons included.
        if len(fields) >= 5 and all(f in ("*", w) for f, w in zip(fields[:4], wanted, strict=True)):
            return Entry(path, number, _written_fields(line))
    return None


def pgpass_has_entry(url: URL, path: Path | None = None) -> bool:
    return pgpass_entry(url, path) is not None
