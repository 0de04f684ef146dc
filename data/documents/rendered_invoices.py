"""Invoice PDFs kept once rendered, so that a backup copies an invoice that has not changed
since it was last drawn instead of drawing it again.

Drawing is most of a backup's time (about 0.1 s an invoice, where merging its pages takes a
few milliseconds). A month's backup mostly
repeats invoices of earlier backups, and support compiles the same selection more than once.

A file's name is the SHA-256 of everything the PDF shows (the invoice as the person reading it
sees it: the view written out as `repr` would, sets in order) and of what draws it (the drawing
modules' source, the fonts and fpdf2's version): a change to either names a new file, so a kept
file is never out of date. The folder is the person's own (0700, files 0600, in their data
folder): on a shared host nobody else can put a file there that a backup would take as the
invoice. It is trimmed to `LIMIT_BYTES`, the files used longest ago going first, and may be
deleted at any time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

import fpdf

from data import g703, money, wording
from data.config import ensure_private_dir
from data.documents import invoice_pdf, pdf_fonts
from data.services.invoice_views import InvoiceView

LIMIT_BYTES = 256 * 1024 * 1024
_PDF_START = b"%PDF-"
_PDF_END = b"%%EOF"


class RenderedInvoices:
    """The rendered-invoice folder of one person."""

    def __init__(self, folder: Path, *, limit_bytes: int = LIMIT_BYTES) -> None:
        self.folder = folder
        self.limit_bytes = limit_bytes

    def pdf_of(self, view: InvoiceView) -> Path:
        """The path of `view`'s PDF: the kept file when there is a whole one, else drawn now
        and kept."""
        ensure_private_dir(self.folder)
        path = self.folder / f"{_key(view)}.pdf"
        if _looks_whole(path):
            os.utime(path)  # used now: trimmed last
            return path
        _write_kept(path, invoice_pdf.render_invoice_pdf(view))
        self._trim(keep=path)
        return path

    def _trim(self, *, keep: Path) -> None:
        """Deletes the files used longest ago until the folder holds at most `limit_bytes`."""
        kept = []
        for entry in os.scandir(self.folder):
            if entry.is_file(follow_symlinks=False) and entry.name.endswith(".pdf"):
                status = entry.stat(follow_symlinks=False)
                kept.append((status.st_mtime, status.st_size, Path(entry.path)))
        total = sum(size for _, size, _ in kept)
        for _, size, path in sorted(kept):
            if total <= self.limit_bytes:
                break
            if path != keep:
                path.unlink(missing_ok=True)
                total -= size


def _write_kept(target: Path, content: bytes) -> None:
    """`content` written (0600) beside `target` and renamed over it, as write_atomically does
    but without waiting for the disk (fsync, milliseconds an invoice): a file lost or cut short
    by a crash is only drawn again, since `_looks_whole` takes none that does not end as a PDF
    does."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _key(view: InvoiceView) -> str:
    digest = hashlib.sha256(_drawing_fingerprint())
    digest.update(_canonical(view).encode())
    return digest.hexdigest()


def _canonical(value: object) -> str:
    """`repr(value)`, but the same in every process: the members of a set are written in
    order (a set's own order follows string hashes, which differ from one interpreter to the
    next, so `repr` named a new file for the same invoice in about one backup in five), and
    every field of a dataclass is written, shown in its repr or not."""
    if isinstance(value, set | frozenset):
        return f"{type(value).__name__}({{{', '.join(sorted(map(_canonical, value)))}}})"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ", ".join(f"{field.name}={_canonical(getattr(value, field.name))}"
                           for field in dataclasses.fields(value))
        return f"{type(value).__qualname__}({fields})"
    if isinstance(value, tuple | list):
        return f"{type(value).__name__}({', '.join(map(_canonical, value))})"
    if isinstance(value, dict):
        items = ", ".join(f"{_canonical(key)}: {_canonical(item)}" for key, item in value.items())
        return f"dict({{{items}}})"
    return repr(value)


@cache
def _drawing_fingerprint() -> bytes:
    """What the drawing depends on besides the view: its code, its fonts, fpdf2's version."""
    digest = hashlib.sha256(fpdf.__version__.encode())
    sources = [invoice_pdf, pdf_fonts, wording, money, g703]
    for path in [Path(str(module.__file__)) for module in sources] + sorted(
            pdf_fonts.FONT_FILES.values()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.digest()


def _looks_whole(path: Path) -> bool:
    """True when `path` is a regular file that starts and ends as a PDF does (a file cut short,
    by a full disk say, is drawn again)."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with path.open("rb") as stream:
            start = stream.read(len(_PDF_START))
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - 32))
            end = stream.read()
    except OSError:
        return False
    return start == _PDF_START and _PDF_END in end
