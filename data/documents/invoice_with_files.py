"""One invoice exported with its attachments (domain.md §7): the files the person chose, in the
order they chose, either merged after the invoice's PDF into one PDF (files that are not PDFs
cannot be, and are named in the result) or packed with it into a ZIP, each under its own name.

Like the backups, files come out of the database one at a time into a private temporary folder
(for the merge) or straight into the archive, so an invoice with large attachments is never held
in memory whole."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from data.documents.export_files import claim_new_path, safe_file_stem
from data.documents.invoice_pdf import export_file_name, render_invoice_pdf
from data.documents.pdf_merge import MergeItem, merge_pdfs
from data.services.actors import Actor
from data.services.attachments import AttachmentRow, list_attachments, read_attachment
from data.services.errors import Invalid
from data.services.invoice_views import InvoiceView, load_invoice
from data.terminal_text import terminal_safe

_PDF = "application/pdf"


@dataclass(frozen=True)
class ExportWithFiles:
    path: Path
    files: int  # the attachments in it
    left_out: tuple[str, ...]  # "scan.pdf: the file is damaged ..." (one PDF only)
    not_pdf: tuple[str, ...]  # names of chosen files a PDF cannot hold

    def summary(self) -> str:
        parts = [f"Exported with {self.files} attached file{'' if self.files == 1 else 's'} "
                 f"to {self.path}"]
        if self.left_out:
            parts.append(f"Left out (a page says why): {'; '.join(self.left_out)}")
        if self.not_pdf:
            parts.append(f"Not PDFs, so not in it: {', '.join(self.not_pdf)}")
        return terminal_safe(". ".join(parts) + ".")


def chosen_files(session: Session, actor: Actor, invoice_id: int,
                 attachment_ids: Sequence[int]) -> list[AttachmentRow]:
    """The invoice's attachments with these ids, in the order given."""
    by_id = {row.id: row for row in list_attachments(session, actor, invoice_id)}
    unknown = [ident for ident in attachment_ids if ident not in by_id]
    if unknown:
        raise Invalid(f"file {unknown[0]} is not attached to this invoice (any more); "
                      "reopen the invoice")
    if len(set(attachment_ids)) != len(attachment_ids):
        raise Invalid("a file was chosen twice")
    return [by_id[ident] for ident in attachment_ids]


def export_with_attachments(open_session: Callable[[], AbstractContextManager[Session]],
                            actor: Actor, invoice_id: int, attachment_ids: Sequence[int],
                            folder: Path, *, as_zip: bool) -> ExportWithFiles:
    """Write the invoice with the chosen files, in their order, into `folder` as a new file."""
    with open_session() as session:
        view = load_invoice(session, actor, invoice_id)
        files = chosen_files(session, actor, invoice_id, attachment_ids)
    pdf_name = export_file_name(view)
    stem = os.path.splitext(pdf_name)[0]
    target = claim_new_path(folder, f"{stem} with files.{'zip' if as_zip else 'pdf'}")
    try:
        if as_zip:
            _write_zip(open_session, actor, view, pdf_name, files, target)
            return ExportWithFiles(target, len(files), (), ())
        return _write_pdf(open_session, actor, view, files, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _write_pdf(open_session: Callable[[], AbstractContextManager[Session]], actor: Actor,
               view: InvoiceView, files: list[AttachmentRow], target: Path) -> ExportWithFiles:
    pdfs = [row for row in files if row.content_type == _PDF]
    work = Path(tempfile.mkdtemp(prefix="payapp-export-"))
    try:
        merged = merge_pdfs(_merge_items(open_session, actor, view, pdfs, work), target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    left_out = tuple(f"{gone.title}: {gone.reason}" for gone in merged.left_out)
    not_pdf = tuple(row.original_name for row in files if row.content_type != _PDF)
    return ExportWithFiles(merged.path, len(pdfs) - len(left_out), left_out, not_pdf)


def _merge_items(open_session: Callable[[], AbstractContextManager[Session]], actor: Actor,
                 view: InvoiceView, pdfs: list[AttachmentRow], work: Path) -> Iterator[MergeItem]:
    own = work / "invoice.pdf"
    own.write_bytes(render_invoice_pdf(view))
    yield MergeItem(own, view.title, view.title, trusted=True)
    for row in pdfs:
        copy = work / f"attachment-{row.id}.pdf"
        with open_session() as session, copy.open("wb") as out:
            for chunk in read_attachment(session, actor, row.id):
                out.write(chunk)
        yield MergeItem(copy, row.original_name, view.title, trusted=False)


def _write_zip(open_session: Callable[[], AbstractContextManager[Session]], actor: Actor,
               view: InvoiceView, pdf_name: str, files: list[AttachmentRow],
               target: Path) -> None:
    taken: set[str] = set()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_unique(pdf_name, taken), render_invoice_pdf(view))
        for row in files:
            with open_session() as session, archive.open(
                    _unique(row.original_name, taken), "w", force_zip64=True) as member:
                for chunk in read_attachment(session, actor, row.id):
                    member.write(chunk)


def _unique(name: str, taken: set[str]) -> str:
    """A safe name in the archive (no folders, no `..`), made unique with (2), (3)..."""
    stem, suffix = os.path.splitext(name)
    stem = safe_file_stem(stem)
    candidate, number = f"{stem}{suffix}", 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{stem} ({number}){suffix}"
    taken.add(candidate.lower())
    return candidate
