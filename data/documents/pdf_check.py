"""Open a PDF from a user without trusting it: read it in a child process with limits.

pypdf has a long record of infinite loops and memory bombs on malformed files, and it raises far
more than its own exception types. So the file is read by a fresh interpreter (this file, run as
a script) with an address space limit (RLIMIT_AS) and a CPU limit (RLIMIT_CPU), under a
wall-clock timeout; the child reports one JSON line on stdout. Whatever goes wrong (an exception,
a limit, a crash, a kill) comes back as `BrokenPdf`. Its message is one of a few fixed sentences
a person can read (the REASONS below); what actually happened (the exception type and text, the
exit status) is in `BrokenPdf.detail`, for a log, and never in the message.

Content is decoded at upload. The child decodes every content stream a page draws with (its
/Contents, the form XObjects and tiling patterns its resources name, recursively, and its
annotations' appearances), each stream once per file, and refuses the file once the decoded
total passes `max_content_mb`. FlateDecode is inflated here with zlib in bounded chunks that are
counted and thrown away, so a Flate bomb is refused after inflating just past the limit, never
holding its output; the other filters are decoded by pypdf, inside the child's memory limit.
That way what is stored has been shown to expand to a bounded size, and whatever later merges
the files (the backup compiler) is not the first to find a bomb.

Encryption: a PDF that opens with the empty password (an "owner password" that only restricts
printing or copying) is accepted, since anyone can read it; one that needs a password to be
read at all is refused, since nobody reviewing the invoice could open it.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pypdf import PageObject
    from pypdf.generic import StreamObject

DEFAULT_TIMEOUT_SECONDS = 15.0
DEFAULT_MEMORY_MB = 512
DEFAULT_MAX_PAGES = 2_000
DEFAULT_MAX_CONTENT_MB = 256
_MEGABYTE = 1024 * 1024
_MAX_DETAIL_CHARS = 500

# --- what a person reads ---------------------------------------------------------------------

DAMAGED = "the file is damaged and cannot be read as a PDF"
PASSWORD = "the PDF is password-protected"
UNSUPPORTED_ENCRYPTION = "the PDF is encrypted in a way payapp cannot open"
NO_PAGES = "the PDF has no pages"
TOO_MUCH_MEMORY = "the PDF would take too much memory to open"
TOO_LONG = "the PDF took too long to open"
NOT_CHECKED = "payapp could not check the PDF; the details were logged"


def too_many_pages(limit: int) -> str:
    return f"the PDF has too many pages (limit {limit:,})"


def content_too_big(limit_mb: int) -> str:
    return f"the PDF's content expands to more than {limit_mb:,} MB"


def reasons(*, max_pages: int = DEFAULT_MAX_PAGES,
            max_content_mb: int = DEFAULT_MAX_CONTENT_MB) -> frozenset[str]:
    """Every message a BrokenPdf can carry, for these limits."""
    return frozenset({DAMAGED, PASSWORD, UNSUPPORTED_ENCRYPTION, NO_PAGES, TOO_MUCH_MEMORY,
                      TOO_LONG, NOT_CHECKED, too_many_pages(max_pages),
                      content_too_big(max_content_mb)})


class BrokenPdf(ValueError):
    """A PDF that cannot be read safely. `str()` is the reason, one of `reasons()`, to show the
    person as it is; `detail` says what happened in the reader, for the log only."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PdfInfo:
    pages: int


def inspect_pdf(path: Path, *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                memory_mb: int = DEFAULT_MEMORY_MB, max_pages: int = DEFAULT_MAX_PAGES,
                max_content_mb: int = DEFAULT_MAX_CONTENT_MB) -> PdfInfo:
    """Count the pages of `path` and decode its content, in a child process limited to
    `memory_mb` of address space and `timeout` seconds. Raises BrokenPdf when the file cannot
    be read within those limits, has more than `max_pages` pages, or its content expands to
    more than `max_content_mb` megabytes."""
    command = [sys.executable, "-I", str(Path(__file__).resolve()), str(memory_mb * _MEGABYTE),
               str(max(1, math.ceil(timeout))), str(max_pages), str(max_content_mb * _MEGABYTE),
               str(Path(path).resolve())]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise BrokenPdf(TOO_LONG, f"no answer within {timeout:g} s; the reader was killed") \
            from error
    answer = _last_json_line(done.stdout)
    if answer is None:
        raise silent_exit(done.returncode, done.stderr)
    return _info_from(answer, max_pages=max_pages, max_content_mb=max_content_mb)


# --- the parent: the child's answer as a reason ----------------------------------------------


def one_clean_line(text: str) -> str:
    """One line of at most _MAX_DETAIL_CHARS printable characters: details quote bytes from the
    file, and a log line must not be split or carry terminal escapes."""
    line = "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))
    return line if len(line) <= _MAX_DETAIL_CHARS else line[: _MAX_DETAIL_CHARS - 1] + "…"


def _last_json_line(stdout: bytes) -> dict[str, object] | None:
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return None
    try:
        found = json.loads(lines[-1])
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def silent_exit(returncode: int, stderr: bytes) -> BrokenPdf:
    """The child stopped without answering: a limit killed it, it crashed, or it never ran."""
    complaint = stderr.decode("utf-8", "replace").strip()
    detail = one_clean_line(f"the reader exited with status {returncode} without an answer; "
                    f"it said: {complaint[-_MAX_DETAIL_CHARS:] or 'nothing'}")
    if returncode == -signal.SIGXCPU:
        return BrokenPdf(TOO_LONG, detail)
    if returncode == -signal.SIGKILL or any(
            words in complaint for words in ("MemoryError", "Cannot allocate memory",
                                             "failed to map segment")):
        return BrokenPdf(TOO_MUCH_MEMORY, detail)
    if returncode < 0:  # a crash (SIGSEGV, SIGABRT...) while reading the file
        return BrokenPdf(DAMAGED, detail)
    return BrokenPdf(NOT_CHECKED, detail)


def _info_from(answer: dict[str, object], *, max_pages: int, max_content_mb: int) -> PdfInfo:
    outcome, pages = answer.get("outcome"), answer.get("pages")
    detail = one_clean_line(str(answer.get("detail") or ""))
    if outcome == "ok" and isinstance(pages, int):
        if pages > 0:
            return PdfInfo(pages=pages)
        detail = "the page tree holds no pages"
    reason = {
        "ok": NO_PAGES,
        "password": PASSWORD,
        "unsupported": UNSUPPORTED_ENCRYPTION,
        "memory": TOO_MUCH_MEMORY,
        "pages": too_many_pages(max_pages),
        "content": content_too_big(max_content_mb),
        "broken": DAMAGED,
    }.get(str(outcome), NOT_CHECKED)
    raise BrokenPdf(reason, detail or f"outcome {outcome!r}")


# --- the child: everything below runs in the limited interpreter -----------------------------

_OUT_OF_MEMORY = b'{"outcome": "memory"}\n'
_FLATE = frozenset({"/FlateDecode", "/Fl"})
_INPUT_CHUNK = 64 * 1024  # compressed bytes handed to zlib at a time
_OUTPUT_CHUNK = _MEGABYTE  # the most zlib may inflate in one call


class Refused(Exception):
    """Ends the reading with an answer other than "ok" or "broken"."""

    def __init__(self, outcome: str, detail: str = "") -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.detail = detail


class ContentBudget:
    """The decoded content bytes still allowed for the whole file."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def left(self) -> int:
        return self.limit - self.used

    def spend(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise Refused("content", f"the decoded content passed {self.limit} bytes")


def _child(arguments: list[str]) -> None:
    import logging
    import resource

    import pypdf  # noqa: F401  trusted code, imported before the limits

    memory_bytes, cpu_seconds, max_pages, max_content = (int(a) for a in arguments[:4])
    logging.disable(logging.CRITICAL)
    for kind, wanted in ((resource.RLIMIT_CPU, cpu_seconds), (resource.RLIMIT_AS, memory_bytes)):
        _soft, hard = resource.getrlimit(kind)
        value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(kind, (value, hard if kind == resource.RLIMIT_CPU else value))
    try:
        _report({"outcome": "ok", "pages": _read(arguments[4], max_pages, max_content)})
    except Refused as refused:
        _report({"outcome": refused.outcome, "detail": refused.detail})
    except Exception as error:  # pypdf raises far more than its own types
        if out_of_memory(error):
            os.write(1, _OUT_OF_MEMORY)
        else:
            _report({"outcome": "broken", "detail": described(error)})


def _report(fields: dict[str, object]) -> None:
    try:
        os.write(1, (json.dumps(fields) + "\n").encode())
    except MemoryError:
        os.write(1, _OUT_OF_MEMORY)


def out_of_memory(error: BaseException) -> bool:
    # Under RLIMIT_AS a lazy import fails with "failed to map segment", mmap with ENOMEM.
    import errno

    words = str(error).lower()
    return (isinstance(error, MemoryError) or getattr(error, "errno", None) == errno.ENOMEM
            or "failed to map" in words or "cannot allocate memory" in words)


def described(error: BaseException) -> str:
    """The exception's type and text and where it was raised, for the log."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _read(path: str, max_pages: int, max_content: int) -> int:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, LimitReachedError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise Refused("password")
    except (DependencyError, NotImplementedError) as error:  # AES without cryptography, ...
        raise Refused("unsupported", described(error)) from error
    except LimitReachedError as error:  # pypdf's own guards against huge structures
        raise Refused("memory", described(error)) from error
    budget, seen, pages = ContentBudget(max_content), dict[int, object](), 0
    try:
        for page in reader.pages:
            pages += 1
            if pages > max_pages:
                raise Refused("pages", f"more than {max_pages} pages")
            for stream in content_streams(page, seen):
                measure_content(stream, budget)
    except DependencyError as error:
        raise Refused("unsupported", described(error)) from error
    except LimitReachedError as error:
        raise Refused("memory", described(error)) from error
    return pages


def resolved(value: object) -> object:
    from pypdf.generic import IndirectObject, NullObject

    found = value.get_object() if isinstance(value, IndirectObject) else value
    return None if isinstance(found, NullObject) else found


def as_items(value: object) -> list[object]:
    """An array's elements, a single object as a list of one, nothing as an empty list."""
    from pypdf.generic import ArrayObject

    found = resolved(value)
    if found is None:
        return []
    return list(found) if isinstance(found, ArrayObject) else [found]


def _first_time(found: object, seen: dict[int, object]) -> bool:
    """Whether `found` is new to this file; `seen` keeps what it has met alive, so that an
    id() is never reused for another object."""
    if id(found) in seen:
        return False
    seen[id(found)] = found
    return True


def content_streams(page: PageObject, seen: dict[int, object]) -> Iterator[StreamObject]:
    """The streams `page` draws with: its contents, the form XObjects and tiling patterns named
    by its resources (and by theirs), and its annotations' appearances; images are left out.
    A stream met before, on this page or an earlier one, is not given again."""
    from pypdf.generic import DictionaryObject, StreamObject

    candidates: list[object] = as_items(page.get("/Contents"))
    resources: list[object] = [page.get("/Resources")]
    for annotation in as_items(page.get("/Annots")):
        found = resolved(annotation)
        appearances = resolved(found.get("/AP")) if isinstance(found, DictionaryObject) else None
        if isinstance(appearances, DictionaryObject):
            for state in map(resolved, appearances.values()):
                if isinstance(state, StreamObject):
                    candidates.append(state)
                elif isinstance(state, DictionaryObject):
                    candidates.extend(state.values())
    while candidates or resources:
        if resources:
            named = resolved(resources.pop())
            if isinstance(named, DictionaryObject) and _first_time(named, seen):
                for kind in ("/XObject", "/Pattern"):
                    table = resolved(named.get(kind))
                    if isinstance(table, DictionaryObject):
                        candidates.extend(table.values())
            continue
        stream = resolved(candidates.pop())
        if (isinstance(stream, StreamObject) and resolved(stream.get("/Subtype")) != "/Image"
                and _first_time(stream, seen)):
            yield stream
            resources.append(stream.get("/Resources"))


def measure_content(stream: StreamObject, budget: ContentBudget) -> None:
    """Spend the stream's decoded size from the budget. Flate is inflated in bounded chunks and
    thrown away; another filter, or a Flate step that feeds another filter (once its output is
    known to fit), is decoded by pypdf. A stream that cannot be decoded draws nothing in a
    viewer, so the part that could not be decoded counts for nothing here."""
    filters = [resolved(name) for name in as_items(stream.get("/Filter"))]
    parameters = as_items(stream.get("/DecodeParms"))
    data: bytes = stream._data
    for index, name in enumerate(filters):
        if name in _FLATE:
            size = _inflated_size(data, budget.left())
            if index == len(filters) - 1:
                budget.spend(size)
                return
        decoded = _decoded_once(data, name, parameters[index] if index < len(parameters) else None)
        if decoded is None:
            return
        data = decoded
    budget.spend(len(data))


def _inflated_size(data: bytes, limit: int) -> int:
    """How many bytes Flate `data` inflates to, stopping with Refused once past `limit`.
    No more than _OUTPUT_CHUNK of output and _INPUT_CHUNK of input is held at a time."""
    import zlib

    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # a zlib or gzip header, as pypdf takes
    size, whole = 0, memoryview(data)
    try:
        for start in range(0, len(whole), _INPUT_CHUNK):
            pending: bytes | memoryview = whole[start : start + _INPUT_CHUNK]
            while pending:
                size += len(inflater.decompress(pending, _OUTPUT_CHUNK))
                if size > limit:
                    raise Refused("content", f"a Flate stream inflated past {limit} bytes")
                pending = inflater.unconsumed_tail
            if inflater.eof:
                break
        size += len(inflater.flush())
    except zlib.error:
        pass  # the stream breaks off here: what came before is what a viewer draws
    if size > limit:
        raise Refused("content", f"a Flate stream inflated past {limit} bytes")
    return size


def _decoded_once(data: bytes, name: object, parameters: object) -> bytes | None:
    """`data` decoded by pypdf with one filter; None when it cannot be decoded."""
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data
    from pypdf.generic import NameObject, PdfObject, StreamObject

    single = StreamObject()
    single.set_data(data)
    if isinstance(name, PdfObject):
        single[NameObject("/Filter")] = name
    found = resolved(parameters)
    if isinstance(found, PdfObject):
        single[NameObject("/DecodeParms")] = found
    try:
        return decode_stream_data(single)
    except LimitReachedError as error:  # pypdf's own cap on one filter's output
        raise Refused("content", described(error)) from error
    except Exception as error:
        if out_of_memory(error):
            raise
        return None


if __name__ == "__main__":
    _child(sys.argv[1:])
