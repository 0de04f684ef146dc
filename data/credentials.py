"""Where the PostgreSQL password comes from, in a fixed order, and saying which one was used.

1. the database URL itself; 2. PGPASSWORD; 3. libpq's service file (PGSERVICE or ?service=);
4. libpq's password file (PGPASSFILE or ~/.pgpass); 5. the system keyring, only when a working
backend exists, asked off the caller's thread with a time limit (a locked keyring on a jump host
can hang); 6. none (trust, peer or certificate authentication).

libpq reads 2-4 by itself; payapp only needs to know they are there, and to supply 5.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import URL, make_url

T = TypeVar("T")

KEYRING_SERVICE = "payapp"
KEYRING_TIMEOUT_SECONDS = 3.0


class KeyringUnavailable(RuntimeError):
    """No usable keyring backend; the message names the alternatives."""


@dataclass(frozen=True)
class PasswordSource:
    password: str | None  # only set when payapp must hand it to libpq itself
    source: str


def keyring_account(url: URL) -> str:
    return f"{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _pgpass_path() -> Path:
    return Path(os.environ.get("PGPASSFILE") or Path.home() / ".pgpass")


def _pgpass_fields(line: str) -> list[str]:
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


def pgpass_has_entry(url: URL, path: Path | None = None) -> bool:
    path = path or _pgpass_path()
    try:
        if path.stat().st_mode & 0o077:
            return False  # libpq ignores a password file that others can read
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    wanted = [url.host or "localhost", str(url.port or 5432), url.database or "",
              url.username or os.environ.get("PGUSER", "")]
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _pgpass_fields(line)
        # The password is whatever follows the fourth field, colons included.
        if len(fields) >= 5 and all(f in ("*", w) for f, w in zip(fields[:4], wanted, strict=True)):
            return True
    return False


def _call_with_timeout(function: Callable[[], T], timeout: float) -> T | None:
    """Run `function` in a daemon thread; give up (returning None) when it takes too long."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function())
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    worker = threading.Thread(target=run, daemon=True, name="payapp-keyring")
    worker.start()
    worker.join(timeout)
    if failure:
        raise failure[0]
    return result[0] if result else None


def keyring_problem() -> str | None:
    """Why the keyring cannot be used here, or None when a working backend exists."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as error:  # any failure here means "unusable"
        return f"the keyring could not be loaded ({error})"
    if isinstance(backend, fail.Keyring):
        return "no keyring backend is available on this machine"
    name = type(backend).__module__ + "." + type(backend).__name__
    if "null" in name.lower():
        return "the keyring backend is the null backend, which drops secrets"
    if getattr(backend, "priority", 1) <= 0:
        return f"the keyring backend {name} is not usable"
    return None


ALTERNATIVES = (
    "put the password in ~/.pgpass (mode 0600: host:port:database:user:password), "
    "use a libpq service file (PGSERVICE), or set PGPASSWORD for this session"
)


def keyring_password(url: URL, timeout: float = KEYRING_TIMEOUT_SECONDS) -> str | None:
    if keyring_problem():
        return None

    def get() -> str | None:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, keyring_account(url))
        return value if isinstance(value, str) else None

    try:
        return _call_with_timeout(get, timeout)
    except Exception:  # a broken keyring must never stop the app
        return None


def store_in_keyring(url: URL, password: str, timeout: float = KEYRING_TIMEOUT_SECONDS) -> None:
    problem = keyring_problem()
    if problem:
        raise KeyringUnavailable(f"cannot store the password: {problem}. Instead, {ALTERNATIVES}.")

    def put() -> bool:
        import keyring

        keyring.set_password(KEYRING_SERVICE, keyring_account(url), password)
        return True

    if _call_with_timeout(put, timeout) is None:
        raise KeyringUnavailable(
            f"the keyring did not answer within {timeout:.0f} s (is it locked?). "
            f"Instead, {ALTERNATIVES}."
        )


def resolve_password(url_text: str) -> PasswordSource:
    url = make_url(url_text)
    if url.password:
        return PasswordSource(None, "the database URL")
    if os.environ.get("PGPASSWORD"):
        return PasswordSource(None, "the PGPASSWORD environment variable")
    if url.query.get("service") or os.environ.get("PGSERVICE"):
        return PasswordSource(None, "libpq's service file")
    if pgpass_has_entry(url):
        return PasswordSource(None, f"libpq's password file {_pgpass_path()}")
    stored = keyring_password(url)
    if stored is not None:
        return PasswordSource(stored, "the system keyring")
    return PasswordSource(None, "no password (trust, peer or certificate authentication)")
