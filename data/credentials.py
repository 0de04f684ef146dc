"""Where the PostgreSQL password comes from, in a fixed order, and saying which one was used.

1. the database URL itself; 2. PGPASSWORD; 3. libpq's service file (PGSERVICE or ?service=);
4. libpq's password file (PGPASSFILE or ~/.pgpass); 5. the system keyring, only when a working
backend exists, asked off the caller's thread with a time limit (a locked keyring or a stuck
D-Bus on a jump host can hang, already while keyring picks its backend; once it has hung it is not
asked again in this process); 6. none (trust, peer or certificate authentication).

libpq reads 2-4 by itself; payapp only needs to know they are there, and to supply 5.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import URL, make_url

from data.pgpass import pgpass_entry
from data.pgpass import pgpass_has_entry as pgpass_has_entry  # the tests' and callers' name

T = TypeVar("T")

KEYRING_SERVICE = "payapp"
KEYRING_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class PasswordSource:
    password: str | None  # only set when payapp must hand it to libpq itself
    source: str
    note: str | None = None  # the keyring hung or failed: one line saying so and what to do


def keyring_account(url: URL) -> str:
    return f"{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


ALTERNATIVES = (
    "put the password in ~/.pgpass (mode 0600: host:port:database:user:password), "
    "use a libpq service file (PGSERVICE), or set PGPASSWORD for this session"
)


class KeyringUnavailable(RuntimeError):
    """The keyring cannot be used here; the message names the problem and the alternatives."""

    def __init__(self, problem: str, *, failed: bool = False) -> None:
        super().__init__(f"{problem}. Instead, {ALTERNATIVES}.")
        self.problem = problem
        # True when the keyring hung or raised, rather than simply not being there: worth telling.
        self.failed = failed


class _NoAnswer(Exception):
    """The keyring call did not return in time (not TimeoutError: a backend may raise that)."""


# Once the keyring has hung, its thread is stuck for good: payapp does not ask it again in this
# process (a second thread would hang too, possibly on the same import or D-Bus lock).
_stuck: str | None = None
# The last time the keyring hung or raised, so that a command can say so.
_trouble: str | None = None


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _call_with_timeout(function: Callable[[], T], timeout: float) -> T:
    """Run `function` in a daemon thread and return its result, or raise what it raised; raise
    _NoAnswer when it takes longer than `timeout` (the thread is left behind: nothing can
    interrupt a call stuck in a keyring daemon)."""
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
    if worker.is_alive():
        raise _NoAnswer
    if failure:
        raise failure[0]
    return result[0]


def _backend_name(backend: object) -> str:
    return type(backend).__module__ + "." + type(backend).__name__


def _backend_problem(backend: object) -> str | None:
    """Why this backend cannot keep a password, or None. Runs in the keyring thread: reading a
    backend's priority can itself talk to D-Bus."""
    from keyring.backends import fail

    if isinstance(backend, fail.Keyring):
        return "no keyring backend is available on this machine"
    name = _backend_name(backend)
    if "null" in name.lower():
        return "the keyring backend is the null backend, which drops secrets"
    if getattr(backend, "priority", 1) <= 0:
        return f"the keyring backend {name} is not usable"
    return None


def _keyring_call(action: Callable[[Any], T], doing: str, timeout: float | None) -> T:
    """Find the keyring backend, check it, and run `action(backend)`, all in one thread with a
    time limit. Every failure (no usable backend, a hang, any exception from keyring or its
    backend) becomes KeyringUnavailable with a one-line message."""
    global _stuck, _trouble
    limit = KEYRING_TIMEOUT_SECONDS if timeout is None else timeout
    if _stuck is not None:
        raise KeyringUnavailable(_stuck, failed=True)

    def run() -> T:
        try:
            import keyring

            backend = keyring.get_keyring()
            problem = _backend_problem(backend)
        except Exception as error:
            raise KeyringUnavailable(f"the keyring could not be started ({_one_line(error)})",
                                     failed=True) from error
        if problem:
            raise KeyringUnavailable(problem)
        try:
            return action(backend)
        except Exception as error:
            raise KeyringUnavailable(
                f"the keyring backend {_backend_name(backend)} failed to {doing} "
                f"({_one_line(error)})", failed=True) from error

    try:
        return _call_with_timeout(run, limit)
    except _NoAnswer:
        _stuck = _trouble = (
            f"the system keyring did not answer within {limit:g} s (is it locked, or is D-Bus "
            "stuck? PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring stops payapp asking it)")
        raise KeyringUnavailable(_stuck, failed=True) from None
    except KeyringUnavailable as error:
        if error.failed:
            _trouble = error.problem
        raise


def keyring_trouble() -> str | None:
    """What went wrong the last time payapp asked the keyring (it hung or raised) and what to do
    instead, in one line; None when it never did."""
    return None if _trouble is None else f"{_trouble}. Instead, {ALTERNATIVES}."


def keyring_problem(timeout: float | None = None) -> str | None:
    """Why the keyring cannot be used here, or None when a working backend exists."""
    try:
        _keyring_call(lambda backend: None, "start", timeout)
    except KeyringUnavailable as error:
        return error.problem
    return None


def _keyring_lookup(url: URL, timeout: float | None) -> str | None:
    account = keyring_account(url)

    def get(backend: Any) -> str | None:
        value = backend.get_password(KEYRING_SERVICE, account)
        return value if isinstance(value, str) else None

    return _keyring_call(get, "read the password", timeout)


def keyring_password(url: URL, timeout: float | None = None) -> str | None:
    """The password stored for `url`, or None, also when the keyring is missing, hangs or fails
    (a broken keyring must never stop the app; keyring_trouble() says what happened)."""
    try:
        return _keyring_lookup(url, timeout)
    except KeyringUnavailable:
        return None


def store_in_keyring(url: URL, password: str, timeout: float | None = None) -> None:
    """Store the password and read it back; raise KeyringUnavailable unless the keyring kept it."""
    account = keyring_account(url)

    def put(backend: Any) -> None:
        backend.set_password(KEYRING_SERVICE, account, password)

    def forget(backend: Any) -> None:
        backend.delete_password(KEYRING_SERVICE, account)

    try:
        _keyring_call(put, "store the password", timeout)
    except KeyringUnavailable as error:
        raise KeyringUnavailable(f"cannot store the password: {error.problem}",
                                 failed=error.failed) from error
    try:
        kept = _keyring_lookup(url, timeout)
    except KeyringUnavailable as error:
        raise KeyringUnavailable(
            f"the password was handed to the keyring but could not be read back, so it may not "
            f"have been kept: {error.problem}", failed=error.failed) from error
    if kept == password:
        return
    if kept is not None:
        # A different password under this account would be handed to libpq later: remove it.
        with suppress(KeyringUnavailable):
            _keyring_call(forget, "delete the password", timeout)
    raise KeyringUnavailable(
        "the keyring accepted the password but did not keep it (reading it back gave "
        f"{'nothing' if kept is None else 'a different password'})")


def resolve_password(url_text: str) -> PasswordSource:
    url = make_url(url_text)
    if url.password:
        return PasswordSource(None, "the database URL")
    if os.environ.get("PGPASSWORD"):
        return PasswordSource(None, "the PGPASSWORD environment variable")
    if url.query.get("service") or os.environ.get("PGSERVICE"):
        return PasswordSource(None, "libpq's service file")
    entry = pgpass_entry(url)  # matched as libpq does: a URL without a user is your login
    if entry is not None:
        return PasswordSource(None, entry.describe())
    note = None
    try:
        stored = _keyring_lookup(url, None)
    except KeyringUnavailable as error:
        stored = None
        if error.failed:
            note = str(error)
    if stored is not None:
        return PasswordSource(stored, "the system keyring")
    return PasswordSource(None, "no password (trust, peer or certificate authentication)", note)
