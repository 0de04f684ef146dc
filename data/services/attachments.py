"""Invoice attachments: files kept once under their SHA-256, and rows that name them.

The store is content-addressed: a file's name in the store is the hex SHA-256 of its content, so
the same content is stored once however often it is attached; `original_name` is for display
only and never touches the file system. PDFs are opened in a child process with memory and time
limits (data.documents.pdf_check) before a row is written.

Who may add: whoever may edit the invoice (workflow.check_edit). That is an administrator of the
project in any status, including after approval, and a contact only on the commitment's most
recent invoice in Draft or Revise & Resubmit; support never. Removing follows the same rule.

A stored file is deleted when the last row naming it goes. On removal that happens only after
the session commits, so that a rolled-back removal never leaves a row without its file. "Naming
it" means rows the person's session can see: on PostgreSQL row-level security hides other
companies' rows, so a store must not be shared between people who see different invoices.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import math
import mimetypes
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event, func
from sqlmodel import Session, col, select

from data import audit_chain
from data.config import ConfigError, Locations, ensure_private_dir, locations, read_config
from data.documents.pdf_check import BrokenPdf, inspect_pdf
from data.file_folders import OutsideUploadFolder, check_opened, upload_path
from data.models import AppUser, Attachment, Invoice, InvoiceStatus
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Invalid, NotFound
from data.services.invoice_lookup import invoice_and_commitment, is_latest
from data.workflow import check_edit

MEGABYTE = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MEGABYTE
_CHUNK_BYTES = MEGABYTE
_PDF_SIGNATURE = b"%PDF-"
_FALLBACK_CONTENT_TYPE = "application/octet-stream"
_MAYBE_UNREFERENCED = "payapp.attachments.maybe_unreferenced"
_UNREFERENCED = "payapp.attachments.unreferenced"
_log = logging.getLogger("payapp.attachments")


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    original_name: str
    size_bytes: int
    page_count: int | None
    content_type: str
    uploaded_at: datetime
    uploaded_by: str  # the uploader's display name


@dataclass(frozen=True)
class _StoredFile:
    sha256: str
    size_bytes: int
    head: bytes  # the first bytes, to recognise a PDF
    path: Path


# --- configuration ---------------------------------------------------------------------------


def max_attachment_bytes(where: Locations | None = None) -> int:
    """The largest file one may attach: `[attachments] max_mb = N` in the user's config file,
    else DEFAULT_MAX_BYTES. A value that is not a positive number of megabytes is an error."""
    path = (where or locations()).config_file
    section = read_config(path).get("attachments", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [attachments] must be a table")
    value = section.get("max_mb")
    if value is None:
        return DEFAULT_MAX_BYTES
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or value <= 0):
        raise ConfigError(
            f"{path}: [attachments] max_mb must be a positive number of megabytes, not {value!r}"
        )
    return int(value * MEGABYTE)


def attachment_path(store: Path, sha256: str) -> Path:
    """Where the file with this content lives in the store."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return store / sha256


# --- the services ----------------------------------------------------------------------------


def add_attachment(session: Session, actor: Actor, invoice_id: int, source: Path, *,
                   store: Path, max_bytes: int, within: Path | None) -> AttachmentRow:
    """Attach the file at `source` (`~` expanded) to the invoice. Refuses a missing, empty or
    oversized file, a folder, and a PDF that cannot be read (broken or password-protected).
    With `within` (the person's upload folder, data.file_folders), refuses a file that is not
    in that folder, even through a symlink or `..`."""
    _editable_invoice(session, actor, invoice_id)
    path = upload_path(str(source), within)
    original_name = _displayable(source.expanduser().name)
    stored = _store_copy(path, store, max_bytes, within)
    page_count = _checked_page_count(session, stored, original_name, store)
    row = Attachment(invoice_id=invoice_id, sha256=stored.sha256, original_name=original_name,
                     size_bytes=stored.size_bytes, page_count=page_count,
                     content_type=_content_type(original_name, stored.head),
                     uploaded_by_id=actor.user_id)
    session.add(row)
    session.flush()
    assert row.id is not None
    audit_chain.record(session, actor.login, "add", "attachment", row.id, after=_audited(row))
    return _as_row(row, actor.display_name)


def list_attachments(session: Session, actor: Actor, invoice_id: int) -> list[AttachmentRow]:
    """The invoice's attachments, oldest first, for anyone who can see the invoice."""
    _invoice, commitment = invoice_and_commitment(session, invoice_id)
    require_visible(session, actor, commitment)
    found = session.exec(
        select(Attachment, AppUser.display_name)
        .join(AppUser, col(AppUser.id) == Attachment.uploaded_by_id)
        .where(Attachment.invoice_id == invoice_id)
        .order_by(col(Attachment.uploaded_at), col(Attachment.id))
    ).all()
    return [_as_row(row, name) for row, name in found]


def remove_attachment(session: Session, actor: Actor, attachment_id: int, *,
                      store: Path) -> None:
    """Remove an attachment while the invoice is editable for this person. The stored file
    goes too, once the session commits, when no other attachment names the same content."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(f"there is no attachment {attachment_id}")
    _editable_invoice(session, actor, row.invoice_id)
    before, sha256 = _audited(row), row.sha256
    session.delete(row)
    session.flush()
    audit_chain.record(session, actor.login, "remove", "attachment", attachment_id, before=before)
    _delete_after_commit(session, attachment_path(store, sha256), sha256)


# --- rights ----------------------------------------------------------------------------------


def _editable_invoice(session: Session, actor: Actor, invoice_id: int) -> Invoice:
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    standing = require_visible(session, actor, commitment)
    check_edit(InvoiceStatus(invoice.status), standing, is_latest=is_latest(session, invoice))
    return invoice


# --- the file: read, copy, check -------------------------------------------------------------


@contextmanager
def _opened_source(path: Path, max_bytes: int, within: Path | None) -> Iterator[BinaryIO]:
    """The file opened for reading, after refusing what cannot be attached. O_NONBLOCK keeps a
    named pipe from hanging the open; fstat on the open file avoids a check-then-open race, and
    so does checking, after the open, that the file opened is in the upload folder `within`."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if within is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)  # the path was resolved: a symlink is new
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError as error:
        raise Invalid(f"there is no file {path}") from error
    except PermissionError as error:
        raise Invalid(f"{path} cannot be read: permission denied") from error
    except OSError as error:
        if error.errno == errno.ELOOP and within is not None:
            raise OutsideUploadFolder(f"{path} became a link while it was being opened; "
                                      "try again") from error
        raise Invalid(f"{path} cannot be read: {error.strerror}") from error
    try:
        check_opened(descriptor, path, within)
        _refuse_unsuitable(path, os.fstat(descriptor), max_bytes)
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as handle:
        yield handle


def _refuse_unsuitable(path: Path, info: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise Invalid(f"{path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise Invalid(f"{path} is not a regular file")
    if info.st_size == 0:
        raise Invalid(f"{path.name}: the file is empty")
    if info.st_size > max_bytes:
        raise Invalid(_too_big(path.name, info.st_size, max_bytes))


def _too_big(name: str, size_bytes: int, max_bytes: int) -> str:
    size, limit = f"{size_bytes / MEGABYTE:.1f} MB", f"{max_bytes / MEGABYTE:.1f} MB"
    if size == limit:  # just over the limit: show the bytes, or the message contradicts itself
        size, limit = f"{size_bytes:,} bytes", f"{max_bytes:,} bytes"
    return f"{name} is {size}; an attachment may be at most {limit}"


def _store_copy(source: Path, store: Path, max_bytes: int, within: Path | None) -> _StoredFile:
    """Copy into the store under the content's SHA-256: written to a private temporary file in
    the same folder, then renamed into place, so the store never holds a partial file."""
    with _opened_source(source, max_bytes, within) as reader:
        ensure_private_dir(store)
        descriptor, temporary = tempfile.mkstemp(dir=store, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as writer:
                sha256, size, head = _copy_hashing(reader, writer, source.name, max_bytes)
                writer.flush()
                os.fsync(writer.fileno())
            if size == 0:  # it shrank after we looked
                raise Invalid(f"{source.name}: the file is empty")
            final = attachment_path(store, sha256)
            os.replace(temporary, final)  # same name means same content: replacing is harmless
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return _StoredFile(sha256=sha256, size_bytes=size, head=head, path=final)


def _copy_hashing(reader: BinaryIO, writer: BinaryIO, name: str,
                  max_bytes: int) -> tuple[str, int, bytes]:
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := reader.read(_CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:  # it grew after we looked
            raise Invalid(_too_big(name, size, max_bytes))
        if len(head) < len(_PDF_SIGNATURE):
            head = (head + chunk)[: len(_PDF_SIGNATURE)]
        digest.update(chunk)
        writer.write(chunk)
    return digest.hexdigest(), size, head


def _looks_like_pdf(name: str, head: bytes) -> bool:
    return head.startswith(_PDF_SIGNATURE) or name.lower().endswith(".pdf")


def _checked_page_count(session: Session, stored: _StoredFile, original_name: str,
                        store: Path) -> int | None:
    """The page count of a PDF (None for other files). A PDF that cannot be read is refused,
    and its stored copy removed unless another attachment names the same content."""
    if not _looks_like_pdf(original_name, stored.head):
        return None
    try:
        return inspect_pdf(stored.path).pages
    except BaseException as error:
        if not _is_referenced(session, stored.sha256):
            stored.path.unlink(missing_ok=True)
        if isinstance(error, BrokenPdf):  # the person reads the reason; the log gets the detail
            _log.warning("refused %s (sha256 %s, %d bytes): %s; the reader said: %s",
                         original_name, stored.sha256, stored.size_bytes, error.reason,
                         error.detail or "nothing")
            raise Invalid(f"{original_name}: {error.reason}") from error
        raise


def _content_type(name: str, head: bytes) -> str:
    if _looks_like_pdf(name, head):
        return "application/pdf"
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return (guessed or _FALLBACK_CONTENT_TYPE)[:100]


def _displayable(name: str) -> str:
    """The base name as people will see it: control characters (terminal escapes) and bytes
    that are not UTF-8 become "?"; at most 255 characters, as the column allows."""
    return "".join(c if c.isprintable() else "?" for c in name)[:255] or "?"


# --- rows, references, deferred deletion -----------------------------------------------------


def _is_referenced(session: Session, sha256: str) -> bool:
    """Whether any attachment row this session can see names the content."""
    count = session.exec(select(func.count()).select_from(Attachment)
                         .where(Attachment.sha256 == sha256)).one()
    return count > 0


def _delete_after_commit(session: Session, path: Path, sha256: str) -> None:
    """Delete the stored file after the session's commit, if by then no row names its content.
    The check runs just before the commit, so a removal undone (rolled back, or the same file
    attached again in the same session) keeps the file."""
    candidates: dict[Path, str] | None = session.info.get(_MAYBE_UNREFERENCED)
    if candidates is None:
        candidates = session.info[_MAYBE_UNREFERENCED] = {}
        event.listen(session, "before_commit", _confirm_unreferenced)
        event.listen(session, "after_commit", _delete_unreferenced)
        event.listen(session, "after_rollback", _forget_unreferenced)
    candidates[path] = sha256


def _confirm_unreferenced(session: Session) -> None:
    if session.in_nested_transaction():  # only the outermost commit saves anything
        return
    candidates: dict[Path, str] = session.info.get(_MAYBE_UNREFERENCED, {})
    session.info[_UNREFERENCED] = [path for path, sha256 in candidates.items()
                                   if not _is_referenced(session, sha256)]


def _delete_unreferenced(session: Session) -> None:
    if session.in_nested_transaction():
        return
    unreferenced: list[Path] = session.info.pop(_UNREFERENCED, [])
    for path in unreferenced:
        path.unlink(missing_ok=True)
    session.info.get(_MAYBE_UNREFERENCED, {}).clear()


def _forget_unreferenced(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_UNREFERENCED, None)
    session.info.get(_MAYBE_UNREFERENCED, {}).clear()


def _audited(row: Attachment) -> dict[str, object]:
    return {"invoice_id": row.invoice_id, "sha256": row.sha256,
            "original_name": row.original_name, "size_bytes": row.size_bytes,
            "page_count": row.page_count, "content_type": row.content_type}


def _as_row(row: Attachment, uploaded_by: str) -> AttachmentRow:
    assert row.id is not None
    return AttachmentRow(id=row.id, original_name=row.original_name, size_bytes=row.size_bytes,
                         page_count=row.page_count, content_type=row.content_type,
                         uploaded_at=row.uploaded_at, uploaded_by=uploaded_by)
