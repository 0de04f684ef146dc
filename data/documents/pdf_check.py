"""Open a PDF from a user without trusting it: count its pages in a child process.

pypdf has a long record of infinite loops and memory bombs on malformed files, and it raises far
more than its own exception types. So the file is read by a fresh interpreter with an address
space limit (RLIMIT_AS) and a CPU limit (RLIMIT_CPU), under a wall-clock timeout; the child
reports one JSON line on stdout. Whatever goes wrong (an exception, a limit, a crash, a kill)
comes back as `BrokenPdf`, whose message is meant to be shown to the person as it is.

Encryption: a PDF that opens with the empty password (an "owner password" that only restricts
printing or copying) is accepted, since anyone can read it; one that needs a password to be
read at all is refused, since nobody reviewing the invoice could open it.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT_SECONDS = 15.0
DEFAULT_MEMORY_MB = 512
_MAX_REASON_CHARS = 120

# Runs in the child. Limits are set after pypdf is imported (trusted code) and before the file
# is opened; the answers it may need under memory pressure are built before the limit.
_CHILD_SCRIPT = r"""
import errno, json, logging, os, resource, sys

memory_bytes, cpu_seconds, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
import pypdf
from pypdf import PasswordType
from pypdf.errors import DependencyError

logging.disable(logging.CRITICAL)
OUT_OF_MEMORY = b'{"outcome": "memory"}\n'


def report(**fields):
    os.write(1, (json.dumps(fields) + "\n").encode())


def out_of_memory(error):
    # Under RLIMIT_AS a lazy import fails with "failed to map segment", mmap with ENOMEM.
    words = str(error).lower()
    return (isinstance(error, MemoryError) or getattr(error, "errno", None) == errno.ENOMEM
            or "failed to map" in words or "cannot allocate memory" in words)


def limit(kind, wanted):
    _soft, hard = resource.getrlimit(kind)
    value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(kind, (value, hard if kind == resource.RLIMIT_CPU else value))


def read():
    reader = pypdf.PdfReader(path)
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        return report(outcome="password")
    pages = 0
    for page in reader.pages:
        if "/Contents" in page:
            page["/Contents"]  # resolves (parses) the content object; decodes nothing
        pages += 1
    report(outcome="ok", pages=pages)


limit(resource.RLIMIT_CPU, cpu_seconds)
limit(resource.RLIMIT_AS, memory_bytes)
try:
    read()
except MemoryError:
    os.write(1, OUT_OF_MEMORY)
except DependencyError as error:
    report(outcome="unsupported", reason=str(error))
except Exception as error:
    if out_of_memory(error):
        os.write(1, OUT_OF_MEMORY)
    else:
        report(outcome="broken", reason=str(error).strip().split("\n")[0] or type(error).__name__)
"""


class BrokenPdf(ValueError):
    """A PDF that cannot be read safely; the message says why, in plain words."""


@dataclass(frozen=True)
class PdfInfo:
    pages: int


def inspect_pdf(path: Path, *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                memory_mb: int = DEFAULT_MEMORY_MB) -> PdfInfo:
    """Count the pages of `path` in a child process limited to `memory_mb` of address space
    and `timeout` seconds. Raises BrokenPdf when the file cannot be read within those limits."""
    command = [sys.executable, "-I", "-c", _CHILD_SCRIPT, str(memory_mb * 1024 * 1024),
               str(max(1, math.ceil(timeout))), str(Path(path).resolve())]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise BrokenPdf(_too_long(timeout)) from error
    answer = _last_json_line(done.stdout)
    if answer is None:
        raise BrokenPdf(_reason_for_silent_exit(done.returncode, done.stderr, timeout))
    return _info_from(answer)


def _too_long(timeout: float) -> str:
    return f"the PDF took too long to read (over {timeout:g} s)"


def _short(reason: str) -> str:
    """One line of at most _MAX_REASON_CHARS, with no control characters: the reason may quote
    bytes from the file, and it is shown in a terminal."""
    short = "".join(c if c.isprintable() else "?" for c in " ".join(reason.split()))
    if len(short) > _MAX_REASON_CHARS:
        short = short[: _MAX_REASON_CHARS - 1] + "…"
    return short


def _not_valid(reason: str) -> str:
    return f"the file is not a valid PDF: {_short(reason) or 'it could not be read'}"


def _last_json_line(stdout: bytes) -> dict[str, object] | None:
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return None
    try:
        found = json.loads(lines[-1])
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _reason_for_silent_exit(returncode: int, stderr: bytes, timeout: float) -> str:
    """The child stopped without reporting: it was killed by a limit, or it crashed."""
    if returncode == -signal.SIGXCPU:
        return _too_long(timeout)
    complaint = stderr.decode("utf-8", "replace")
    if "MemoryError" in complaint or "Cannot allocate memory" in complaint:
        return "the PDF needs too much memory to read"
    if returncode < 0:
        return _not_valid(f"the reader stopped unexpectedly (signal {-returncode})")
    last_words = complaint.strip().splitlines()[-1:] or [f"exit status {returncode}"]
    return _not_valid(f"the reader stopped unexpectedly ({last_words[0]})")


def _info_from(answer: dict[str, object]) -> PdfInfo:
    outcome, pages, reason = answer.get("outcome"), answer.get("pages"), answer.get("reason")
    if outcome == "ok" and isinstance(pages, int):
        if pages < 1:
            raise BrokenPdf(_not_valid("it has no pages"))
        return PdfInfo(pages=pages)
    if outcome == "password":
        raise BrokenPdf("the PDF is protected by a password")
    if outcome == "memory":
        raise BrokenPdf("the PDF needs too much memory to read")
    if outcome == "unsupported":
        raise BrokenPdf(f"the PDF is encrypted in a way payapp cannot read ({_short(str(reason))})")
    raise BrokenPdf(_not_valid(str(reason or "")))
