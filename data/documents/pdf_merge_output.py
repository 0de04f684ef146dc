"""The file data.documents.pdf_merge writes: its header, the objects it writes itself (bookmarks,
page tree, catalog), the cross-reference table and the trailer, around the objects the merge's
child writes into it. Everything kept is small: an offset per object, a number per page, the
last bookmark of each level.
"""

from __future__ import annotations

import codecs
import os
from array import array
from dataclasses import dataclass
from pathlib import Path

CATALOG, PAGE_TREE, OUTLINES = 1, 2, 3  # written last; numbered first
MAX_TITLE_CHARACTERS = 300
_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def shortened(text: str) -> str:
    """`text` on one line, at most MAX_TITLE_CHARACTERS long."""
    text = " ".join(text.split())
    if len(text) <= MAX_TITLE_CHARACTERS:
        return text
    return text[: MAX_TITLE_CHARACTERS - 1] + "…"


class OutputFile:
    """The temporary output file and what its end needs: every object's offset, the page
    objects in order, where the last whole file ends."""

    def __init__(self, path: Path, handle: int) -> None:
        self.path = path
        self._handle = handle
        self.end = 0
        self._offsets = array("Q", bytes(8 * 3))  # object n at [n - 1]; 1 to 3 come last
        self.pages = array("I")
        self._put(_HEADER)

    @property
    def next_number(self) -> int:
        return len(self._offsets) + 1

    def new_number(self) -> int:
        self._offsets.append(0)
        return len(self._offsets)

    def write_object(self, number: int, body: bytes) -> None:
        self._offsets[number - 1] = self.end
        self._put(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def commit(self, first: int, end: int, pages: int, offsets: list[int]) -> None:
        """Take what the child wrote from the old end up to `end` as whole: objects numbered
        from `first` at `offsets`, the first `pages` of them pages."""
        assert first == self.next_number
        self._offsets.extend(offsets)
        self.pages.extend(range(first, first + pages))
        self.end = end

    def roll_back(self) -> None:
        """Cut off whatever a failed file left after the last whole one."""
        os.ftruncate(self._handle, self.end)

    def finish(self, outline: tuple[int, int, int] | None) -> None:
        """Page tree, catalog, bookmarks' root, cross-reference table, trailer; then fsync."""
        self.roll_back()
        self._offsets[PAGE_TREE - 1] = self.end
        self._put(b"%d 0 obj\n<< /Type /Pages /Count %d /Kids [" % (PAGE_TREE, len(self.pages)))
        for start in range(0, len(self.pages), 4096):
            self._put(b"".join(b"%d 0 R " % page for page in self.pages[start : start + 4096]))
        self._put(b"] >>\nendobj\n")
        if outline is None:
            self.write_object(OUTLINES, b"<< /Type /Outlines /Count 0 >>")
            self.write_object(CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % PAGE_TREE)
        else:
            first, last, count = outline
            self.write_object(OUTLINES, b"<< /Type /Outlines /First %d 0 R /Last %d 0 R "
                                         b"/Count %d >>" % (first, last, count))
            self.write_object(CATALOG, b"<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R "
                                        b"/PageMode /UseOutlines >>" % (PAGE_TREE, OUTLINES))
        self._write_cross_references()
        os.fsync(self._handle)
        os.close(self._handle)
        self._handle = -1

    def discard(self) -> None:
        if self._handle >= 0:
            os.close(self._handle)
            self._handle = -1
        self.path.unlink(missing_ok=True)

    def _write_cross_references(self) -> None:
        start, size = self.end, len(self._offsets) + 1
        self._put(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for first in range(0, len(self._offsets), 4096):
            self._put(b"".join(b"%010d 00000 n \n" % offset if offset else
                               b"0000000000 65535 f \n"
                               for offset in self._offsets[first : first + 4096]))
        identifier = os.urandom(16).hex().encode()
        self._put(b"trailer\n<< /Size %d /Root %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
                  % (size, CATALOG, identifier, identifier, start))

    def _put(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            done = os.pwrite(self._handle, view, self.end)
            view, self.end = view[done:], self.end + done


# --- bookmarks -----------------------------------------------------------------------------------


@dataclass
class _Entry:
    number: int
    title: str
    page: int
    parent: int
    previous: int = 0
    first: int = 0
    last: int = 0
    count: int = 0


class Outline:
    """Two levels of bookmarks, written as the items come: an entry for each run of items with
    one `belongs_to`, and one under it for each item. Only the last entry of each level waits,
    for the number of the entry after it."""

    def __init__(self, output: OutputFile) -> None:
        self._output = output
        self._group: _Entry | None = None
        self._item: _Entry | None = None
        self._first = 0
        self._groups = 0

    def add(self, belongs_to: str, title: str, page: int) -> None:
        if self._group is None or self._group.title != belongs_to:
            self._start_group(belongs_to, page)
        group = self._group
        assert group is not None
        item = _Entry(self._output.new_number(), title, page, group.number,
                      previous=self._item.number if self._item is not None else 0)
        if self._item is not None:
            self._write(self._item, following=item.number)
        group.first = group.first or item.number
        group.last, group.count = item.number, group.count + 1
        self._item = item

    def finish(self) -> tuple[int, int, int] | None:
        """(first, last, count) of the top level, every entry written; None if empty."""
        if self._group is None:
            return None
        last = self._group.number
        self._close_group(following=0)
        return self._first, last, self._groups

    def _start_group(self, title: str, page: int) -> None:
        number = self._output.new_number()
        previous = 0
        if self._group is not None:
            previous = self._group.number
            self._close_group(following=number)
        self._first = self._first or number
        self._groups += 1
        self._group = _Entry(number, title, page, OUTLINES, previous=previous)

    def _close_group(self, following: int) -> None:
        assert self._group is not None and self._item is not None
        self._write(self._item, following=0)
        self._write(self._group, following=following)
        self._item = None

    def _write(self, entry: _Entry, following: int) -> None:
        body = [b"<< /Title %s /Parent %d 0 R /Dest [%d 0 R /Fit]"
                % (_text_string(entry.title), entry.parent, entry.page)]
        if entry.previous:
            body.append(b" /Prev %d 0 R" % entry.previous)
        if following:
            body.append(b" /Next %d 0 R" % following)
        if entry.count:  # closed: an invoice's files show when it is opened
            body.append(b" /First %d 0 R /Last %d 0 R /Count %d"
                        % (entry.first, entry.last, -entry.count))
        body.append(b" >>")
        self._output.write_object(entry.number, b"".join(body))


def _text_string(text: str) -> bytes:
    """`text` as a PDF text string: UTF-16BE with its byte order mark, in hex."""
    shown = shortened("".join(c if c.isprintable() else " " for c in text)) or "?"
    return b"<" + (codecs.BOM_UTF16_BE + shown.encode("utf-16-be", "replace")).hex().encode() + b">"
