"""Invoice attachments: their content in the database, stored once however often it is
attached, and the rows that name it.

Content is kept in chunks of up to 1 MiB (data.models.AttachmentChunk), each under the SHA-256 of
its own bytes, so the same bytes are stored once; an attachment's parts (AttachmentPart) list its
chunks in order, and the attachment row carries the whole file's SHA-256. On PostgreSQL whoever
may see the attachment reads its content, under the same row-level security as the row, and the
database deletes a chunk once no part names it (migration 0009); on SQLite a trigger does that.
`original_name` is for display only and never touches the file system.

Attaching copies the file into a private temporary file while hashing it, checks that copy (PDFs
are opened in a child process with memory and time limits, data.documents.pdf_check) and streams
it into chunks; the temporary file is deleted whatever happens. Attaching and reading hold one
chunk in memory at a time.

Who may add: whoever may edit the invoice (workflow.check_edit). That is an administrator of the
project in any status, including after approval, and a contact only on the commitment's most
recent invoice in Draft or Revise & Resubmit; support never. Removing follows the same rule, and
takes the content with it in the same transaction: a rolled-back removal keeps everything.
Reading follows list_attachments: whoever may see the invoice.
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

from sqlalchemy import text
from sqlmodel import Session, col, select

from data import audit_chain
from data.config import ConfigError, Locations, locations, read_config
from data.documents.pdf_check import BrokenPdf, inspect_pdf
from data.file_folders import OutsideUploadFolder, check_opened, upload_path
from data.models import (
    CHUNK_MAX_BYTES,
    AppUser,
    Attachment,
    AttachmentChunk,
    AttachmentPart,
    Invoice,
    InvoiceStatus,
)
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Invalid, NotAllowed, NotFound, Refusal
from data.services.invoice_lookup import invoice_and_commitment, is_latest
from data.workflow import check_edit

MEGABYTE = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MEGABYTE
_CHUNK_BYTES = CHUNK_MAX_BYTES
_PDF_SIGNATURE = b"%PDF-"
_FALLBACK_CONTENT_TYPE = "application/octet-stream"
_log = logging.getLogger("payapp.attachments")

# Chunks already stored (by anyone) are sent again all the same: on PostgreSQL the database
# checks the bytes against the key even then, and the deduplication needs no look-up first.
# No conflict target: naming one makes PostgreSQL hold the new row to the read policy too, which
# a chunk meets only once a part names it.
_INSERT_CHUNK = text("INSERT INTO attachment_chunk (sha256, data) VALUES (:sha256, :data) "
                     "ON CONFLICT DO NOTHING")
_INSERT_PART = text("INSERT INTO attachment_part (attachment_id, position, chunk_sha256) "
                    "VALUES (:attachment_id, :position, :sha256)")


class UnreadableAttachment(Refusal):
    """The attachment is listed but its content cannot be read whole: it was not found when
    attachments moved into the database, or a part is missing or damaged."""


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    original_name: str
    size_bytes: int
    page_count: int | None
    content_type: str
    uploaded_at: datetime
    uploaded_by: str  # the uploader's display name
    content_missing: bool = False  # not found when attachments moved into the database


@dataclass(frozen=True)
class _Upload:
    path: Path  # the private copy
    sha256: str
    size_bytes: int
    head: bytes  # the first bytes, to recognise a PDF


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


# --- the services ----------------------------------------------------------------------------


def add_attachment(session: Session, actor: Actor, invoice_id: int, source: Path, *,
                   max_bytes: int, within: Path | None) -> AttachmentRow:
    """Attach the file at `source` (`~` expanded) to the invoice. Refuses a missing, empty or
    oversized file, a folder, and a PDF that cannot be read (broken or password-protected).
    With `within` (the person's upload folder, data.file_folders), refuses a file that is not
    in that folder, even through a symlink or `..`."""
    _editable_invoice(session, actor, invoice_id)
    path = upload_path(str(source), within)
    original_name = _displayable(source.expanduser().name)
    with _private_copy(path, max_bytes, within) as upload:
        page_count = _checked_page_count(upload, original_name)
        row = Attachment(invoice_id=invoice_id, sha256=upload.sha256,
                         original_name=original_name, size_bytes=upload.size_bytes,
                         page_count=page_count,
                         content_type=_content_type(original_name, upload.head),
                         uploaded_by_id=actor.user_id)
        session.add(row)
        session.flush()
        assert row.id is not None
        _store_content(session, row.id, upload.path)
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


def remove_attachment(session: Session, actor: Actor, attachment_id: int) -> None:
    """Remove an attachment while the invoice is editable for this person. Its parts go with
    it, and the database deletes the chunks no other attachment names."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(f"there is no attachment {attachment_id}")
    _editable_invoice(session, actor, row.invoice_id)
    before = _audited(row)
    session.delete(row)
    session.flush()
    audit_chain.record(session, actor.login, "remove", "attachment", attachment_id, before=before)


def read_attachment(session: Session, actor: Actor, attachment_id: int) -> Iterator[bytes]:
    """The attachment's content, chunk by chunk in order, for anyone who can see its invoice
    (NotFound otherwise, as for an attachment that does not exist). Consume it while the
    session is open. What is missing is refused at once (UnreadableAttachment); each chunk is
    checked against its key before it is given, and the whole file against the attachment's
    SHA-256 after the last one: whoever must not act on damaged content keeps what they read
    until the iterator ends (copy_attachment_to does)."""
    row = _visible_attachment(session, actor, attachment_id)
    return _content(session, row, _chunk_keys(session, row))


def copy_attachment_to(session: Session, actor: Actor, attachment_id: int,
                       destination: Path, *, durable: bool = True) -> Path:
    """Write the attachment's content to the file `destination` (or, when it is a folder, to
    the attachment's name in it), streamed into a private temporary file beside it and renamed
    into place once the whole file matched its SHA-256: nobody sees a partial or damaged file.
    `durable` waits for the disk before the rename (not needed for a copy that only lives
    while a backup is compiled). Returns the file written. Refuses like read_attachment."""
    row = _visible_attachment(session, actor, attachment_id)
    chunks = _content(session, row, _chunk_keys(session, row))
    if destination.is_dir():
        destination = destination / _file_name(row)
    descriptor, temporary = tempfile.mkstemp(dir=destination.parent,
                                             prefix=f".{destination.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as target:
            for chunk in chunks:
                target.write(chunk)
            target.flush()
            if durable:
                os.fsync(target.fileno())
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination


# --- rights ----------------------------------------------------------------------------------


def _editable_invoice(session: Session, actor: Actor, invoice_id: int) -> Invoice:
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    standing = require_visible(session, actor, commitment)
    check_edit(InvoiceStatus(invoice.status), standing, is_latest=is_latest(session, invoice))
    return invoice


# --- the file: open, copy, check -------------------------------------------------------------


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


@contextmanager
def _private_copy(source: Path, max_bytes: int, within: Path | None) -> Iterator[_Upload]:
    """The file copied into a private temporary file (0600) while hashing it, so that what is
    checked is what is stored even if the original changes meanwhile. The copy is deleted when
    the block ends, however it ends."""
    descriptor, name = tempfile.mkstemp(prefix="payapp-upload-")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as writer, \
                _opened_source(source, max_bytes, within) as reader:
            sha256, size, head = _copy_hashing(reader, writer, source.name, max_bytes)
        if size == 0:  # it shrank after we looked
            raise Invalid(f"{source.name}: the file is empty")
        yield _Upload(path=temporary, sha256=sha256, size_bytes=size, head=head)
    finally:
        temporary.unlink(missing_ok=True)


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


def _checked_page_count(upload: _Upload, original_name: str) -> int | None:
    """The page count of a PDF (None for other files); a PDF that cannot be read is refused."""
    if not _looks_like_pdf(original_name, upload.head):
        return None
    try:
        return inspect_pdf(upload.path).pages
    except BrokenPdf as error:  # the person reads the reason; the log gets the detail
        _log.warning("refused %s (sha256 %s, %d bytes): %s; the reader said: %s",
                     original_name, upload.sha256, upload.size_bytes, error.reason,
                     error.detail or "nothing")
        raise Invalid(f"{original_name}: {error.reason}") from error


def _content_type(name: str, head: bytes) -> str:
    if _looks_like_pdf(name, head):
        return "application/pdf"
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return (guessed or _FALLBACK_CONTENT_TYPE)[:100]


def _displayable(name: str) -> str:
    """The base name as people will see it: control characters (terminal escapes) and bytes
    that are not UTF-8 become "?"; at most 255 characters, as the column allows."""
    return "".join(c if c.isprintable() else "?" for c in name)[:255] or "?"


# --- content in the database ----------------------------------------------------------------


def _store_content(session: Session, attachment_id: int, path: Path) -> None:
    """Stream the file at `path` into chunks, one at a time, and name them in order."""
    connection = session.connection()
    with path.open("rb") as reader:
        position = 0
        while chunk := reader.read(_CHUNK_BYTES):
            key = hashlib.sha256(chunk).hexdigest()
            connection.execute(_INSERT_CHUNK, {"sha256": key, "data": chunk})
            connection.execute(_INSERT_PART, {"attachment_id": attachment_id,
                                              "position": position, "sha256": key})
            position += 1


def _visible_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """The attachment, if this person may see its invoice (as for list_attachments)."""
    row = session.get(Attachment, attachment_id)
    if row is None or not _may_see(session, actor, row.invoice_id):
        raise NotFound(f"there is no attachment {attachment_id}")
    return row


def _may_see(session: Session, actor: Actor, invoice_id: int) -> bool:
    try:
        _invoice, commitment = invoice_and_commitment(session, invoice_id)
        require_visible(session, actor, commitment)
    except (NotAllowed, NotFound):
        return False
    return True


def _chunk_keys(session: Session, row: Attachment) -> list[str]:
    """The keys of the attachment's chunks in order; refuses content known to be incomplete."""
    if row.content_missing:
        raise UnreadableAttachment(f"the file of {row.original_name} was not found when "
                                   "attachments moved into the database; attach it again")
    parts = session.connection().execute(
        select(AttachmentPart.position, AttachmentPart.chunk_sha256)
        .where(AttachmentPart.attachment_id == row.id)
        .order_by(col(AttachmentPart.position))).all()
    if [position for position, _key in parts] != list(range(len(parts))) or (
            not parts and row.size_bytes > 0):
        raise UnreadableAttachment(f"{row.original_name} is incomplete in the database: "
                                   "parts of it are missing; attach it again")
    return [key for _position, key in parts]


def _content(session: Session, row: Attachment, keys: list[str]) -> Iterator[bytes]:
    digest, size = hashlib.sha256(), 0
    for number, key in enumerate(keys, start=1):
        chunk = session.connection().execute(
            select(AttachmentChunk.data).where(AttachmentChunk.sha256 == key)).scalar()
        if chunk is None or hashlib.sha256(chunk).hexdigest() != key:
            raise UnreadableAttachment(f"{row.original_name} is damaged in the database: part "
                                       f"{number} of {len(keys)} is missing or altered")
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    if digest.hexdigest() != row.sha256 or size != row.size_bytes:
        raise UnreadableAttachment(f"{row.original_name} is damaged in the database: its "
                                   "content does not match its SHA-256")


def _file_name(row: Attachment) -> str:
    """A name to write the attachment under in a folder: never a path, never `.` or `..`."""
    name = Path(row.original_name).name
    return name if name not in ("", ".", "..") else f"attachment-{row.id}"


def _audited(row: Attachment) -> dict[str, object]:
    return {"invoice_id": row.invoice_id, "sha256": row.sha256,
            "original_name": row.original_name, "size_bytes": row.size_bytes,
            "page_count": row.page_count, "content_type": row.content_type}


def _as_row(row: Attachment, uploaded_by: str) -> AttachmentRow:
    assert row.id is not None
    return AttachmentRow(id=row.id, original_name=row.original_name, size_bytes=row.size_bytes,
                         page_count=row.page_count, content_type=row.content_type,
                         uploaded_at=row.uploaded_at, uploaded_by=uploaded_by,
                         content_missing=row.content_missing)
