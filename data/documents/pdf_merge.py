"""Compile one PDF from many (invoice backups): payapp's own PDFs and the PDFs people attached,
in order, written as they are read, with a page in place of every file that cannot be merged.

People's PDFs are not trusted (see data.documents.pdf_check for why), so every file is read and
copied by a child interpreter with an address space limit (RLIMIT_AS), a CPU limit per file
(RLIMIT_CPU) and a wall-clock timeout per file enforced here. Starting an interpreter costs about
150 ms, so one child serves the whole batch and is replaced only when it dies. The child
(data.documents.pdf_merge_child) checks an untrusted file whole before writing any of it: it
must open without a password (one that opens with the empty password is read and copied
decrypted), have at most `max_pages` pages, and the streams its pages draw with must decode to at
most `max_content_mb` (Flate is inflated in bounded chunks and thrown away, so a bomb is refused
after inflating just past the limit). It then writes the file's pages and every object they draw
with straight into the output file, streams as they are stored (never decoded), and answers with
the objects' offsets.

This process holds what the PDF's end needs, all small and none of it per file: the offset of
every object (8 bytes each), the object number of every page (4 bytes each), where the last
whole file ends, and the last bookmark of each level. When a file fails (refused, or the child
dies or overruns its time) the output is cut back to the end of the last whole file, the file is
named on a page of its own (what, of which invoice, why) merged in its place, and a fresh child
carries on with the next item if the old one is gone. At the end come the page tree, the
catalog, the bookmarks' root, the cross-reference table and the trailer; the file is written
beside the destination and renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from data.documents.pdf_check import (
    DAMAGED,
    DEFAULT_MAX_CONTENT_MB,
    DEFAULT_MAX_PAGES,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_SECONDS,
    NO_PAGES,
    NOT_CHECKED,
    PASSWORD,
    TOO_LONG,
    TOO_MUCH_MEMORY,
    UNSUPPORTED_ENCRYPTION,
    content_too_big,
    one_clean_line,
    silent_exit,
    too_many_pages,
)
from data.documents.pdf_fonts import BOLD, FONT_FAMILY, FONT_FILES, REGULAR, printable
from data.documents.pdf_merge_output import PAGE_TREE, Outline, OutputFile, shortened
from data.refusals import Refusal

UNREADABLE = "the file could not be read from the disk"

_log = logging.getLogger("payapp.pdf_merge")
_MEGABYTE = 1024 * 1024
_POLL_SECONDS = 0.05  # how often `cancelled` is asked while the child works
_START_SECONDS = 60.0  # for the child to import pypdf and say it is ready
_STOP_SECONDS = 5.0
_MAX_ANSWER_BYTES = 64 * _MEGABYTE
_CHILD = ("import sys; sys.path.insert(0, sys.argv[1]); "
          "from data.documents.pdf_merge_child import main; main(sys.argv[2:])")
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


# --- the interface -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeItem:
    """A PDF to merge. `title` names it (a file name, "Invoice 3") and `belongs_to` the invoice
    it belongs to ("Invoice 3 — Acme Framing (SC-001)"); both appear in the bookmarks and on the
    page that replaces it if it is left out. `trusted` is for payapp's own PDFs: they skip the
    checks (page count, decoded size) but are read by the same limited child. `unreadable`, when
    given, is the reason the file is left out without being opened (its content is gone)."""

    path: Path
    title: str
    belongs_to: str
    trusted: bool = False
    unreadable: str | None = None


@dataclass(frozen=True)
class MergeLimits:
    """Limits for each file: wall-clock seconds (the child's CPU limit is the same, rounded up),
    the child's address space, pages, and decoded content of an untrusted file."""

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB
    max_pages: int = DEFAULT_MAX_PAGES
    max_content_mb: int = DEFAULT_MAX_CONTENT_MB


@dataclass(frozen=True)
class Progress:
    """Given after each item. `items_total` is the count the caller gave, else len(items), else
    (items given one by one) the count taken so far."""

    items_done: int
    items_total: int
    pages_written: int


@dataclass(frozen=True)
class LeftOut:
    """A file replaced by a page that names it; `reason` is one of the fixed sentences of
    data.documents.pdf_check (or UNREADABLE, or the item's own `unreadable`)."""

    title: str
    belongs_to: str
    reason: str


@dataclass(frozen=True)
class MergeResult:
    path: Path
    pages: int
    left_out: tuple[LeftOut, ...]


class MergeCancelled(Exception):
    """The merge stopped because `cancelled()` said so; nothing was written."""


class DestinationNotWritable(Refusal, OSError):
    """The destination's folder cannot be written (missing, not a folder, no permission)."""


class MergeFailed(RuntimeError):
    """The batch cannot go on, through no fault of one file: the reader could not start, or
    the output could not be written (a full disk). Nothing was written."""


def merge_pdfs(items: Iterable[MergeItem], destination: Path, *,
               on_progress: Callable[[Progress], None] | None = None,
               cancelled: Callable[[], bool] = lambda: False,
               limits: MergeLimits = MergeLimits(),
               items_total: int | None = None) -> MergeResult:
    """Merge the items' pages, in order, into one PDF at `destination` (replacing a file
    there), with two levels of bookmarks: each run of items of one `belongs_to`, and each item.

    A file that cannot be merged is left out, replaced by a page saying which file, of which
    invoice, and why; the batch goes on. `items` may be lazy: an item is taken only once the one
    before it is finished, so when the next item is taken (and when `on_progress` reports
    `items_done == k`) the files of the first k items are never opened again and may be
    deleted. `on_progress` is called once after each item. `cancelled` is asked before each item
    and every 50 ms while a file is being read (so between the pages of a big file too); when it
    says so the child is killed, the partial output removed and MergeCancelled raised. On any
    other exception the output is removed as well and the exception goes on. Raises
    DestinationNotWritable before any work when `destination`'s folder cannot be written, and
    ValueError when there are no items (a PDF of no pages is not one viewers open)."""
    output = _output_beside(Path(destination))
    batch: _Batch | None = None
    try:
        batch = _Batch(output, limits, cancelled)
        pages, left_out = batch.run(items, on_progress, items_total)
        batch.close()
        output.finish(batch.outline_root)
        os.replace(output.path, destination)
    except BaseException:
        if batch is not None:
            batch.close(kill=True)
        output.discard()
        raise
    return MergeResult(Path(destination), pages, left_out)


def _output_beside(destination: Path) -> OutputFile:
    """A new temporary output file in `destination`'s folder (0600, as mkstemp makes it)."""
    folder = destination.parent
    if destination.is_dir():
        raise DestinationNotWritable(f"{destination} is a folder, not a file to write")
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{destination.name}.",
                                        suffix=".part")
    except OSError as error:
        raise DestinationNotWritable(
            f"payapp cannot write into {folder}: {error.strerror or error}") from error
    try:
        return OutputFile(Path(name), handle)
    except BaseException:
        os.close(handle)
        os.unlink(name)
        raise


# --- the batch ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Merged:
    end: int
    pages: int
    offsets: list[int]


@dataclass(frozen=True)
class _Failed:
    reason: str
    detail: str


class _Batch:
    """Items through the child into the output, one at a time; a page for each one left out."""

    def __init__(self, output: OutputFile, limits: MergeLimits,
                 cancelled: Callable[[], bool]) -> None:
        self._output = output
        self._limits = limits
        self._cancelled = cancelled
        self._child: _Child | None = _Child.start(output.path, limits)  # starts while items come
        self._outline = Outline(output)
        self.outline_root: tuple[int, int, int] | None = None

    def run(self, items: Iterable[MergeItem], on_progress: Callable[[Progress], None] | None,
            items_total: int | None) -> tuple[int, tuple[LeftOut, ...]]:
        known = items_total
        if known is None and isinstance(items, Sized):
            known = len(items)
        left_out: list[LeftOut] = []
        done, pending = 0, iter(items)
        while True:
            self._stop_if_cancelled()
            item = next(pending, None)
            if item is None:
                break
            first_page = len(self._output.pages)
            gone = self._merge(item)
            if gone is not None:
                left_out.append(gone)
            self._outline.add(item.belongs_to, item.title if gone is None else
                              f"{item.title} (left out)", self._output.pages[first_page])
            done += 1
            if on_progress is not None:
                on_progress(Progress(done, max(known or 0, done), len(self._output.pages)))
        if done == 0:
            raise ValueError("there is nothing to merge: no items were given")
        self.outline_root = self._outline.finish()
        return len(self._output.pages), tuple(left_out)

    def close(self, *, kill: bool = False) -> None:
        if self._child is not None:
            if kill:
                self._child.kill()
            else:
                self._child.stop()
            self._child = None

    def _stop_if_cancelled(self) -> None:
        if self._cancelled():
            raise MergeCancelled("the merge was cancelled")

    def _merge(self, item: MergeItem) -> LeftOut | None:
        if item.unreadable is not None:
            failed = _Failed(item.unreadable, "the caller could not provide the file")
        else:
            outcome = self._read(Path(item.path), trusted=item.trusted)
            if isinstance(outcome, _Merged):
                return None
            failed = outcome
        gone = LeftOut(item.title, item.belongs_to, failed.reason)
        _log.warning("left out %s (%s): %s; the reader said: %s", one_clean_line(item.title),
                     one_clean_line(item.belongs_to), failed.reason, failed.detail or "nothing")
        self._insert_left_out_page(gone)
        return gone

    def _read(self, path: Path, *, trusted: bool) -> _Merged | _Failed:
        """The file merged (and committed) by the child, or why not (and the output cut back)."""
        at, first = self._output.end, self._output.next_number
        request = {"path": os.fspath(path.absolute()), "at": at, "first": first,
                   "trusted": trusted}
        try:
            answer = self._ask(request)
        except _ChildLost as lost:
            self._child = None
            self._output.roll_back()
            return _Failed(lost.reason, lost.detail)
        outcome, detail = answer.get("outcome"), one_clean_line(str(answer.get("detail") or ""))
        merged = _merged(answer, at) if outcome == "ok" else None
        if merged is not None:
            self._output.commit(first, merged.end, merged.pages, merged.offsets)
            return merged
        self._output.roll_back()
        if outcome == "memory":  # the child ends itself after running out of memory
            self.close()
        if outcome == "output":
            raise MergeFailed(f"the merged PDF could not be written: {detail}")
        return _Failed(self._reason(outcome), detail or f"the reader answered {outcome!r}")

    def _ask(self, request: dict[str, object]) -> dict[str, object]:
        """The live child's answer; a child found dead before it took the request (killed
        while idle) is replaced once, since the file is not to blame."""
        for attempt in (1, 2):
            if self._child is None:
                self._child = _Child.start(self._output.path, self._limits)
            try:
                return self._child.ask(request, self._limits.timeout_seconds, self._cancelled)
            except _ChildGone:
                self._child = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _reason(self, outcome: object) -> str:
        return {
            "password": PASSWORD,
            "unsupported": UNSUPPORTED_ENCRYPTION,
            "memory": TOO_MUCH_MEMORY,
            "limit": TOO_MUCH_MEMORY,
            "pages": too_many_pages(self._limits.max_pages),
            "content": content_too_big(self._limits.max_content_mb),
            "no-pages": NO_PAGES,
            "unreadable": UNREADABLE,
            "broken": DAMAGED,
        }.get(str(outcome), NOT_CHECKED)

    def _insert_left_out_page(self, gone: LeftOut) -> None:
        handle, name = tempfile.mkstemp(dir=self._output.path.parent, prefix=".",
                                        suffix=".left-out.pdf")
        try:
            with os.fdopen(handle, "wb") as page:
                page.write(left_out_page(gone))
            outcome = self._read(Path(name), trusted=True)
        finally:
            os.unlink(name)
        if isinstance(outcome, _Failed):
            raise MergeFailed(f"the page for a left-out file could not be merged: "
                              f"{outcome.reason} ({outcome.detail})")


def _merged(answer: dict[str, object], at: int) -> _Merged | None:
    """The child's "ok" answer, if it adds up: offsets inside what it wrote, pages among them."""
    end, pages, offsets = answer.get("end"), answer.get("pages"), answer.get("offsets")
    if not (isinstance(end, int) and isinstance(pages, int) and isinstance(offsets, list)
            and 0 < pages <= len(offsets) and at < end):
        return None
    if not all(isinstance(offset, int) and at <= offset < end for offset in offsets):
        return None
    return _Merged(end, pages, offsets)


def left_out_page(gone: LeftOut) -> bytes:
    """A one-page PDF in place of a file left out: which file, of which invoice, and why."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    for style, font_file in FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, str(font_file))
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, BOLD, 18)
    pdf.multi_cell(0, 10, "A file was left out of this PDF", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT_FAMILY, REGULAR, 11)
    pdf.multi_cell(0, 6, "payapp could not merge this file safely, so this page stands in its "
                         "place.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for label, value in (("File", gone.title), ("Part of", gone.belongs_to),
                         ("Reason", gone.reason)):
        pdf.set_font(FONT_FAMILY, BOLD, 12)
        pdf.write(7, f"{label}: ")
        pdf.set_font(FONT_FAMILY, REGULAR, 12)
        pdf.write(7, shortened(printable(value, REGULAR, keep_lines=False)))
        pdf.ln(10)
    return bytes(pdf.output())


# --- the child ---------------------------------------------------------------------------------


class _ChildLost(Exception):
    """The child died or overran its time while reading a file (and is gone now)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class _ChildGone(_ChildLost):
    """The child was already dead when a request was sent: it never saw the file."""


class _Child:
    """data.documents.pdf_merge_child in a limited interpreter: one JSON line each way."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        self._process = process
        self._stderr = stderr
        self._pending = bytearray()
        self._ready = False
        self._poll = select.poll()  # not select.select: a descriptor may be past 1024
        assert process.stdout is not None
        self._poll.register(process.stdout.fileno(), select.POLLIN)

    @classmethod
    def start(cls, output: Path, limits: MergeLimits) -> _Child:
        command = [sys.executable, "-I", "-c", _CHILD, str(_PACKAGE_ROOT),
                   str(limits.memory_mb * _MEGABYTE),
                   str(max(1, math.ceil(limits.timeout_seconds))), str(limits.max_pages),
                   str(limits.max_content_mb * _MEGABYTE), str(output), str(PAGE_TREE)]
        stderr = tempfile.TemporaryFile()  # noqa: SIM115  the child's; closed in kill()
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=stderr, start_new_session=True)
        except OSError as error:
            stderr.close()
            raise MergeFailed(f"the PDF reader could not be started: {error}") from error
        return cls(process, stderr)

    def ask(self, request: dict[str, object], timeout: float,
            cancelled: Callable[[], bool]) -> dict[str, object]:
        """The answer to `request`. Raises _ChildLost when the child dies or takes more than
        `timeout` seconds (it is killed), MergeCancelled when `cancelled` says so (killed)."""
        if not self._ready:
            self._wait_until_ready(cancelled)
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
        except OSError as error:
            lost = self._died()
            raise _ChildGone(lost.reason, lost.detail) from error
        return self._answer(time.monotonic() + timeout, timeout, cancelled)

    def stop(self) -> None:
        """Let the child end by closing its input; kill it if it does not."""
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(_STOP_SECONDS)
        self.kill()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def _wait_until_ready(self, cancelled: Callable[[], bool]) -> None:
        try:
            answer = self._answer(time.monotonic() + _START_SECONDS, _START_SECONDS, cancelled)
        except _ChildLost as lost:
            raise MergeFailed(f"the PDF reader did not start: {lost.detail}") from lost
        if answer.get("outcome") != "ready":
            self.kill()
            raise MergeFailed(f"the PDF reader did not start: it said {answer!r}")
        self._ready = True

    def _answer(self, deadline: float, timeout: float,
                cancelled: Callable[[], bool]) -> dict[str, object]:
        assert self._process.stdout is not None
        out = self._process.stdout.fileno()
        while (newline := self._pending.find(b"\n")) < 0:
            if cancelled():
                self.kill()
                raise MergeCancelled("the merge was cancelled")
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise _ChildLost(TOO_LONG, f"no answer within {timeout:g} s; the reader was "
                                           "killed")
            if self._poll.poll(math.ceil(min(left, _POLL_SECONDS) * 1000)):
                chunk = os.read(out, 1 << 16)
                if not chunk:
                    raise self._died()
                self._pending += chunk
                if len(self._pending) > _MAX_ANSWER_BYTES:
                    self.kill()
                    raise _ChildLost(NOT_CHECKED, "the reader's answer was too long")
        line = bytes(self._pending[:newline])
        del self._pending[: newline + 1]
        try:
            answer = json.loads(line)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self.kill()
            raise _ChildLost(NOT_CHECKED, one_clean_line(f"the reader's answer was not understood: "
                                                 f"{line[:200]!r}"))
        return answer

    def _died(self) -> _ChildLost:
        """Why the child stopped without answering, in pdf_check's words; it is reaped."""
        try:
            returncode = self._process.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:  # its output closed, but it lingers
            self._process.kill()
            returncode = self._process.wait()
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - 4096))
        said = self._stderr.read()
        self.kill()
        found = silent_exit(returncode, said)
        return _ChildLost(found.reason, found.detail)
