"""The child side of data.documents.pdf_merge: the limited interpreter that reads the source PDFs
and writes their pages into the output file. Nothing but data.documents.pdf_merge starts it.

One child serves a whole batch. It is started with its limits and the output file's path, says
`{"outcome": "ready"}`, then answers one JSON line per request line on stdin:

    request: {"path": ..., "at": output offset, "first": first free object number,
              "trusted": true|false}
    answer:  {"outcome": "ok", "end": offset after the file, "pages": page count,
              "offsets": [offset of object first, first + 1, ...]}
          or {"outcome": "password"|"unsupported"|"memory"|"pages"|"content"|"no-pages"|
              "unreadable"|"broken", "detail": what happened, for the log}

The pages of one file get the object numbers `first`, `first + 1`, ... in order, and every
other object they draw with comes after them; the parent keeps the offsets and builds the page
tree, the catalog and the cross-reference table. A file that is not trusted is checked whole
(password, page count, the decoded size of every stream its pages draw with) before anything
of it is written. After a failure the parent cuts the output back to `at`; after "memory" this
child ends, and the parent starts another.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import sys
import warnings
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO

from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import DependencyError, LimitReachedError
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from data.documents.pdf_check import (
    ContentBudget,
    Refused,
    as_items,
    content_streams,
    described,
    measure_content,
    out_of_memory,
    resolved,
)

INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
LETTER = b"[0 0 612 792]"
# Page entries not copied: the source's page tree, actions run when the page opens or closes,
# and article beads, which point into the source's threads (not copied).
_DROPPED_PAGE_KEYS = frozenset({"/Parent", "/AA", "/B"})
# Objects a page may point at that belong to the source document as a whole: a reference to
# one of them is written as null, so that no page drags its source's page tree along.
_DOCUMENT_TYPES = frozenset({"/Pages", "/Catalog"})
_FLUSH_BYTES = 1024 * 1024
_OUT_OF_MEMORY = b'{"outcome": "memory"}\n'


# --- the loop ----------------------------------------------------------------------------------


def main(arguments: list[str]) -> None:
    """`arguments`: address space limit (bytes), CPU seconds per file, page limit, decoded
    content limit (bytes), the output file, the object number of the output's page tree."""
    memory, cpu_per_file, max_pages, max_content = (int(a) for a in arguments[:4])
    output, pages_root = arguments[4], int(arguments[5])
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    _limit(resource.RLIMIT_AS, memory)
    handle = os.open(output, os.O_WRONLY)
    _say({"outcome": "ready"})
    for line in sys.stdin.buffer:
        request = json.loads(line)
        _limit_cpu(cpu_per_file)
        answer = _merge(request, handle, pages_root, max_pages, max_content)
        _say(answer)
        if answer["outcome"] == "memory":
            return  # what is left of this interpreter is not to be trusted: start afresh


def _limit(kind: int, wanted: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(kind, (value, value if kind == resource.RLIMIT_AS else hard))


def _limit_cpu(seconds: int) -> None:
    """Allow `seconds` of CPU from now: RLIMIT_CPU counts the process's whole life, and this
    process reads many files."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    wanted = math.ceil(used.ru_utime + used.ru_stime) + seconds
    resource.setrlimit(resource.RLIMIT_CPU,
                       (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))


def _say(fields: dict[str, object]) -> None:
    """One JSON line on stdout (a big answer may take more than one write)."""
    try:
        line = memoryview((json.dumps(fields) + "\n").encode())
    except MemoryError:
        line = memoryview(_OUT_OF_MEMORY)
    while line:
        line = line[os.write(1, line):]


def _merge(request: dict[str, object], handle: int, pages_root: int, max_pages: int,
           max_content: int) -> dict[str, object]:
    path, at, first = str(request["path"]), int(str(request["at"])), int(str(request["first"]))
    checks = None if request.get("trusted") is True else _Checks(max_pages, max_content)
    sink = _Sink(handle, at)
    try:
        source = open(path, "rb")  # noqa: SIM115  closed by the with below
    except OSError as error:
        return {"outcome": "unreadable", "detail": described(error)}
    try:
        with source:
            pages, offsets = _copied(source, sink, first, pages_root, checks)
    except _OutputFailed as failed:
        return {"outcome": "output", "detail": failed.detail}
    except Refused as refused:
        return {"outcome": refused.outcome, "detail": refused.detail}
    except Exception as error:  # pypdf raises far more than its own types
        outcome = "memory" if out_of_memory(error) else "broken"
        return {"outcome": outcome, "detail": described(error)}
    finally:
        sink.discard()
    return {"outcome": "ok", "end": sink.position, "pages": pages, "offsets": offsets}


@dataclass(frozen=True)
class _Checks:
    max_pages: int
    max_content: int


def _copied(source: BinaryIO, sink: _Sink, first: int, pages_root: int,
            checks: _Checks | None) -> tuple[int, list[int]]:
    """Check the file (unless trusted), then write its pages; (page count, object offsets)."""
    reader = _opened(source)
    leaves = _page_leaves(reader, None if checks is None else checks.max_pages)
    if not leaves:
        raise Refused("no-pages", "the page tree holds no pages")
    if checks is not None:
        _check_content(reader, leaves, checks.max_content)
    copy = _Copy(sink, first, pages_root)
    copy.write_pages(leaves)
    return len(leaves), copy.offsets


# --- reading and checking a source file --------------------------------------------------------


def _opened(source: BinaryIO) -> PdfReader:
    """A reader of `source`; an encrypted file is read if the empty password opens it (its
    objects are then decrypted as they are read, so its pages are copied in the clear)."""
    try:
        reader = PdfReader(source)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise Refused("password", "the empty password does not open it")
    except (DependencyError, NotImplementedError) as error:  # AES without cryptography, ...
        raise Refused("unsupported", described(error)) from error
    except LimitReachedError as error:  # pypdf's own guards against huge structures
        raise Refused("limit", described(error)) from error
    return reader


@dataclass(frozen=True)
class _Leaf:
    """A page of the source: its dictionary, its reference (None for a page written inline in
    its parent's /Kids) and what it inherits from the page tree above it."""

    reference: IndirectObject | None
    page: DictionaryObject
    inherited: dict[NameObject, PdfObject]


def _page_leaves(reader: PdfReader, limit: int | None) -> list[_Leaf]:
    """The pages in order, walking the page tree without recursion; a node met twice (a loop)
    is skipped. Stops with Refused once there are more than `limit` pages."""
    catalog = resolved(reader.trailer.get("/Root"))
    if not isinstance(catalog, DictionaryObject):
        raise ValueError("the file has no document catalog")
    leaves: list[_Leaf] = []
    visited: set[tuple[int, int]] = set()
    pending: list[tuple[object, dict[NameObject, PdfObject]]] = [(catalog.get("/Pages"), {})]
    while pending:
        reference, inherited = pending.pop()
        node = resolved(reference)
        if not isinstance(node, DictionaryObject) or not _first_visit(reference, visited):
            continue
        if _is_tree_node(node):
            here = inherited | {NameObject(key): node.raw_get(key)
                                for key in INHERITABLE if key in node}
            pending.extend((kid, here) for kid in reversed(as_items(node.get("/Kids"))))
            continue
        leaves.append(_Leaf(reference if isinstance(reference, IndirectObject) else None,
                            node, inherited))
        if limit is not None and len(leaves) > limit:
            raise Refused("pages", f"more than {limit} pages")
    return leaves


def _first_visit(reference: object, visited: set[tuple[int, int]]) -> bool:
    if not isinstance(reference, IndirectObject):
        return True  # a direct object cannot be reached twice
    key = (reference.idnum, reference.generation)
    if key in visited:
        return False
    visited.add(key)
    return True


def _is_tree_node(node: DictionaryObject) -> bool:
    kind = resolved(node.get("/Type"))
    return kind == "/Pages" or (kind != "/Page" and "/Kids" in node)


def _check_content(reader: PdfReader, leaves: list[_Leaf], max_content: int) -> None:
    """Refuse the file if the streams its pages draw with decode to more than `max_content`
    bytes in all (data.documents.pdf_check's measure: Flate inflated in bounded chunks)."""
    budget, seen = ContentBudget(max_content), dict[int, object]()
    try:
        for leaf in leaves:
            for stream in content_streams(_as_page(reader, leaf), seen):
                measure_content(stream, budget)
    except DependencyError as error:
        raise Refused("unsupported", described(error)) from error
    except LimitReachedError as error:
        raise Refused("limit", described(error)) from error


def _as_page(reader: PdfReader, leaf: _Leaf) -> PageObject:
    page = PageObject(reader)
    dict.update(page, leaf.page)
    for key, value in leaf.inherited.items():
        dict.setdefault(page, key, value)
    return page


# --- writing ------------------------------------------------------------------------------------


class _OutputFailed(Exception):
    """The output file could not be written (a full disk...): not the source file's fault."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _Sink:
    """Bytes for the output file, written at increasing offsets from `at`. At most about a
    megabyte is held; what is held when the file fails is dropped (the parent cuts the output
    back to `at` anyway)."""

    def __init__(self, handle: int, at: int) -> None:
        self._handle = handle
        self._held = bytearray()
        self._written = at
        self.position = at

    def write(self, data: bytes) -> None:
        self.position += len(data)
        if len(data) >= _FLUSH_BYTES:
            self.flush()
            self._put(data)
            return
        self._held += data
        if len(self._held) >= _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._held:
            self._put(self._held)
            self._held.clear()

    def discard(self) -> None:
        self._held.clear()

    def _put(self, data: bytes | bytearray) -> None:
        view = memoryview(data)
        try:
            while view:
                done = os.pwrite(self._handle, view, self._written)
                view, self._written = view[done:], self._written + done
        except OSError as error:
            raise _OutputFailed(described(error)) from error


_NAMES: dict[str, bytes] = {}
_MAX_NAMES = 10_000


def _name(name: NameObject) -> bytes:
    """The name as PDF writes it (with # escapes), remembered: a few names recur endlessly."""
    found = _NAMES.get(name)
    if found is None:
        found = name.renumber()
        if len(_NAMES) >= _MAX_NAMES:
            _NAMES.clear()
        _NAMES[name] = found
    return found


def _hex(data: bytes) -> bytes:
    return b"<" + data.hex().encode() + b">"


def _left_behind(target: object) -> bool:
    """Whether a reference to `target` is written as null: nothing there, or the source's
    catalog, page tree node or a page that is not among the pages copied."""
    if target is None or isinstance(target, NullObject):
        return True
    return (isinstance(target, DictionaryObject) and not isinstance(target, StreamObject)
            and resolved(target.get("/Type")) in _DOCUMENT_TYPES | {"/Page"})


class _Copy:
    """One source file's pages, and every object they draw with, written as objects of the
    output numbered from `first`: the pages first, in order, then the rest as they are met.
    Streams are copied as they are stored, never decoded. The map from the source's object
    numbers to the output's lives only as long as this copy."""

    def __init__(self, sink: _Sink, first: int, pages_root: int) -> None:
        self._sink = sink
        self._first = first
        self._parent = b" /Parent %d 0 R" % pages_root
        self._numbers: dict[tuple[int, int], int] = {}  # 0: written as null
        self._waiting: deque[tuple[int, PdfObject]] = deque()
        self.offsets: list[int] = []

    def write_pages(self, leaves: list[_Leaf]) -> None:
        numbers = [self._new_number() for _ in leaves]
        for leaf, number in zip(leaves, numbers, strict=True):
            if leaf.reference is not None:  # a link to a page of this file finds its copy
                self._numbers[(leaf.reference.idnum, leaf.reference.generation)] = number
        for leaf, number in zip(leaves, numbers, strict=True):
            self._write_page(number, leaf)
            while self._waiting:
                self._write_object(*self._waiting.popleft())
            self._sink.flush()

    def _new_number(self) -> int:
        self.offsets.append(0)
        return self._first + len(self.offsets) - 1

    def _start(self, number: int) -> bytes:
        self.offsets[number - self._first] = self._sink.position
        return b"%d 0 obj\n" % number

    def _write_page(self, number: int, leaf: _Leaf) -> None:
        parts = [self._start(number), b"<< /Type /Page", self._parent]
        page = leaf.page
        for key, value in dict.items(page):
            if key not in _DROPPED_PAGE_KEYS and key != "/Type":
                self._entry(key, value, parts)
        for key, value in leaf.inherited.items():
            if key not in page:
                self._entry(key, value, parts)
        if "/MediaBox" not in page and "/MediaBox" not in leaf.inherited:
            parts.append(b" /MediaBox " + LETTER)
        parts.append(b" >>\nendobj\n")
        self._sink.write(b"".join(parts))

    def _write_object(self, number: int, found: PdfObject) -> None:
        parts = [self._start(number)]
        if not isinstance(found, StreamObject):
            self._value(found, parts)
            parts.append(b"\nendobj\n")
            self._sink.write(b"".join(parts))
            return
        parts.append(b"<<")
        for key, value in dict.items(found):
            if key != "/Length":
                self._entry(key, value, parts)
        data = found._data
        parts.append(b" /Length %d >>\nstream\n" % len(data))
        self._sink.write(b"".join(parts))
        self._sink.write(data)
        self._sink.write(b"\nendstream\nendobj\n")

    def _entry(self, key: NameObject, value: object, parts: list[bytes]) -> None:
        parts.append(b" ")
        parts.append(_name(key))
        parts.append(b" ")
        self._value(value, parts)

    def _value(self, value: object, parts: list[bytes]) -> None:
        if type(value) is NameObject:  # the three commonest first, by exact type
            parts.append(_name(value))
        elif type(value) is IndirectObject:
            parts.append(self._reference(value))
        elif type(value) is NumberObject:
            parts.append(b"%d" % value)
        elif isinstance(value, StreamObject):  # inline where a reference belongs
            parts.append(self._adopted(value))
        elif isinstance(value, DictionaryObject):
            parts.append(b"<<")
            for key, item in dict.items(value):
                self._entry(key, item, parts)
            parts.append(b" >>")
        elif isinstance(value, ArrayObject):
            parts.append(b"[")
            for item in value:
                self._value(item, parts)
                parts.append(b" ")
            parts.append(b"]")
        else:
            parts.append(_simple(value))

    def _reference(self, reference: IndirectObject) -> bytes:
        key = (reference.idnum, reference.generation)
        number = self._numbers.get(key)
        if number is None:
            target = reference.get_object()
            number = 0 if target is None or _left_behind(target) else self._new_number()
            self._numbers[key] = number
            if target is not None and number:
                self._waiting.append((number, target))
        return b"%d 0 R" % number if number else b"null"

    def _adopted(self, stream: StreamObject) -> bytes:
        number = self._new_number()
        self._waiting.append((number, stream))
        return b"%d 0 R" % number


def _simple(value: object) -> bytes:
    """A value that holds no other: number, name, string, boolean, null."""
    if isinstance(value, FloatObject):
        return value.myrepr().encode()
    if isinstance(value, NumberObject):
        return b"%d" % value
    if isinstance(value, NameObject):
        return _name(value)
    if isinstance(value, BooleanObject):
        return b"true" if value.value else b"false"
    if isinstance(value, TextStringObject):
        return _hex(value.get_encoded_bytes())
    if isinstance(value, ByteStringObject):
        return _hex(bytes(value))
    if value is None or isinstance(value, NullObject):
        return b"null"
    raise TypeError(f"cannot copy a {type(value).__name__}")


if __name__ == "__main__":
    main(sys.argv[1:])
