"""Invoice attachments: files stored once under their SHA-256, PDFs read in a limited child
process, and who may add or remove what (domain.md §3).

The demo (data/demo.py): SC-2417-016 Electrical has invoice #2 approved and #3 in Revise &
Resubmit; Erin is its contact, Dan is the contact of another commitment, Pat administers the
project, Sam is support.
"""

from __future__ import annotations

import hashlib
import io
import logging
import stat
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfWriter
from sqlalchemy import Engine
from sqlmodel import col, select

from data.config import ConfigError, Locations
from data.db import reading, writing
from data.documents.pdf_check import DAMAGED, PASSWORD, BrokenPdf, inspect_pdf
from data.models import Attachment, AuditEntry, Commitment, Invoice, InvoiceStatus
from data.services.actors import Actor, actor_for_login
from data.services.attachments import (
    DEFAULT_MAX_BYTES,
    MEGABYTE,
    AttachmentRow,
    add_attachment,
    attachment_path,
    list_attachments,
    max_attachment_bytes,
    remove_attachment,
)
from data.services.errors import Invalid, NotAllowed, NotFound
from data.services.invoice_changes import change_status
from tests.test_pdf_check import recursion_pdf

ELECTRICAL = "SC-2417-016"
LIMIT = 50 * MEGABYTE


# --- files -----------------------------------------------------------------------------------


def pdf_bytes(pages: int) -> bytes:
    document = FPDF()
    document.set_font("helvetica", size=12)
    for number in range(1, pages + 1):
        document.add_page()
        document.cell(text=f"Backup page {number}")
    return bytes(document.output())


def encrypted_pdf_bytes(*, user_password: str, owner_password: str | None = None) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(1)))
    writer.encrypt(user_password=user_password, owner_password=owner_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write(folder: Path, name: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def stored_files(store: Path) -> list[Path]:
    return sorted(store.iterdir()) if store.exists() else []


# --- the database ----------------------------------------------------------------------------


def who(engine: Engine, login: str) -> Actor:
    with reading(engine) as session:
        return actor_for_login(session, login)


def electrical_invoice(engine: Engine, position: int) -> int:
    with reading(engine) as session:
        found = session.exec(
            select(Invoice).join(Commitment, col(Commitment.id) == Invoice.commitment_id)
            .where(Commitment.number == ELECTRICAL, Invoice.position == position)
        ).one()
        assert found.id is not None
        return found.id


def add(engine: Engine, login: str, invoice_id: int, source: Path, store: Path,
        max_bytes: int = LIMIT, within: Path | None = None) -> AttachmentRow:
    with writing(engine) as session:
        return add_attachment(session, who(engine, login), invoice_id, source, store=store,
                              max_bytes=max_bytes, within=within)


def listed(engine: Engine, login: str, invoice_id: int) -> list[AttachmentRow]:
    with reading(engine) as session:
        return list_attachments(session, who(engine, login), invoice_id)


def remove(engine: Engine, login: str, attachment_id: int, store: Path) -> None:
    with writing(engine) as session:
        remove_attachment(session, who(engine, login), attachment_id, store=store)


def attachment_rows(engine: Engine) -> list[Attachment]:
    with reading(engine) as session:
        return list(session.exec(select(Attachment)).all())


def audited(engine: Engine, action: str) -> list[AuditEntry]:
    with reading(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.entity == "attachment",
                                                          AuditEntry.action == action)).all())


# --- pdf_check, without a database -----------------------------------------------------------


def test_a_real_pdf_is_counted_in_the_child(tmp_path: Path) -> None:
    assert inspect_pdf(write(tmp_path, "three.pdf", pdf_bytes(3))).pages == 3


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\n" + b"\x00 garbage \xff" * 200,
    pdf_bytes(3)[:1500],
], ids=["header-then-garbage", "truncated"])
def test_a_broken_pdf_is_refused_with_a_reason(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(BrokenPdf, match=f"^{DAMAGED}$"):
        inspect_pdf(write(tmp_path, "broken.pdf", content))


def test_a_pdf_that_needs_a_password_is_refused(tmp_path: Path) -> None:
    locked = write(tmp_path, "locked.pdf", encrypted_pdf_bytes(user_password="secret"))
    with pytest.raises(BrokenPdf, match=f"^{PASSWORD}$"):
        inspect_pdf(locked)


def test_a_pdf_with_only_an_owner_password_opens_and_is_accepted(tmp_path: Path) -> None:
    restricted = encrypted_pdf_bytes(user_password="", owner_password="owner")
    assert inspect_pdf(write(tmp_path, "restricted.pdf", restricted)).pages == 1


# --- the size limit from the config file -----------------------------------------------------


def test_the_size_limit_comes_from_the_config_file(tmp_path: Path) -> None:
    where = Locations(config_file=tmp_path / "config.toml",
                      site_config_file=tmp_path / "site.toml", data_dir=tmp_path / "data")
    assert max_attachment_bytes(where) == DEFAULT_MAX_BYTES
    where.config_file.write_text("[attachments]\nmax_mb = 2\n")
    where.config_file.chmod(0o600)
    assert max_attachment_bytes(where) == 2 * MEGABYTE
    for nonsense in ("0", "-1", '"ten"', "true", "nan"):
        where.config_file.write_text(f"[attachments]\nmax_mb = {nonsense}\n")
        with pytest.raises(ConfigError, match="max_mb must be a positive number"):
            max_attachment_bytes(where)


# --- the services on SQLite and PostgreSQL ---------------------------------------------------


def test_erin_attaches_a_pdf_stored_privately_under_its_hash(demo_engine: Engine,
                                                              tmp_path: Path) -> None:
    third, store = electrical_invoice(demo_engine, 3), tmp_path / "store"
    content = pdf_bytes(3)
    row = add(demo_engine, "erin", third, write(tmp_path / "in", "Backup May.pdf", content), store)

    assert (row.page_count, row.original_name, row.size_bytes) == (3, "Backup May.pdf",
                                                                   len(content))
    assert (row.content_type, row.uploaded_by) == ("application/pdf", "Erin Walsh")
    [stored] = stored_files(store)
    assert stored == attachment_path(store, hashlib.sha256(content).hexdigest())
    assert stored.read_bytes() == content
    assert (mode(store), mode(stored)) == (0o700, 0o600)
    assert listed(demo_engine, "erin", third) == [row]
    assert listed(demo_engine, "pat", third) == [row]
    assert listed(demo_engine, "sam", third) == [row]  # support reads
    [entry] = audited(demo_engine, "add")
    assert (entry.actor_login, entry.entity_id) == ("erin", row.id)
    assert "Backup May.pdf" in entry.after

    again = add(demo_engine, "erin", third, write(tmp_path / "in", "copy.pdf", content), store)
    assert again.id != row.id and again.original_name == "copy.pdf"
    assert stored_files(store) == [stored]  # the same content is stored once
    assert len(audited(demo_engine, "add")) == 2


def test_a_file_that_is_not_a_pdf_is_kept_without_a_page_count(
        demo_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "someone"
    monkeypatch.setenv("HOME", str(home))
    write(home, "notes.txt", b"lien waiver to follow\n")
    third, store = electrical_invoice(demo_engine, 3), tmp_path / "store"

    row = add(demo_engine, "erin", third, Path("~/notes.txt"), store)

    assert (row.original_name, row.page_count, row.content_type) == ("notes.txt", None,
                                                                     "text/plain")
    jpeg = add(demo_engine, "erin", third,
               write(tmp_path, "site.jpg", b"\xff\xd8\xff\xe0 not really a photo"), store)
    assert (jpeg.page_count, jpeg.content_type) == (None, "image/jpeg")
    assert len(stored_files(store)) == 2


def test_unreadable_pdfs_and_unsuitable_files_are_refused_leaving_nothing(
        demo_engine: Engine, tmp_path: Path) -> None:
    third, store, folder = electrical_invoice(demo_engine, 3), tmp_path / "store", tmp_path / "in"
    refusals = {
        write(folder, "garbage.pdf", b"%PDF-1.4\n" + b"\x13\x37 nonsense" * 300):
            r"^garbage\.pdf: the file is damaged and cannot be read as a PDF$",
        write(folder, "cut.pdf", pdf_bytes(3)[:1500]):
            r"^cut\.pdf: the file is damaged and cannot be read as a PDF$",
        write(folder, "scan", b"%PDF-1.7\n%%EOF\n"):  # a PDF by its content, whatever its name
            r"^scan: the file is damaged and cannot be read as a PDF$",
        write(folder, "locked.pdf", encrypted_pdf_bytes(user_password="secret")):
            r"^locked\.pdf: the PDF is password-protected$",
        write(folder, "empty.txt", b""): "empty.txt: the file is empty",
        write(folder, "big.bin", b"x" * (3 * MEGABYTE // 2)):
            r"big\.bin is 1\.5 MB; an attachment may be at most 1\.0 MB",
        write(folder, "just-over.bin", b"x" * (MEGABYTE + 1)):
            "1,048,577 bytes; an attachment may be at most 1,048,576 bytes",
        folder / "missing.pdf": "there is no file",
        folder / "sub": "is a folder, not a file",
    }
    (folder / "sub").mkdir()
    for source, reason in refusals.items():
        with pytest.raises(Invalid, match=reason):
            add(demo_engine, "erin", third, source, store, max_bytes=MEGABYTE)

    assert attachment_rows(demo_engine) == []
    assert stored_files(store) == []  # no stored copy, no temporary file left behind
    assert audited(demo_engine, "add") == []


def test_a_broken_pdf_with_the_content_of_an_attached_file_keeps_the_stored_file(
        demo_engine: Engine, tmp_path: Path) -> None:
    third, store = electrical_invoice(demo_engine, 3), tmp_path / "store"
    content = b"plain text, attached once as text and once misnamed as a PDF\n"
    kept = add(demo_engine, "erin", third, write(tmp_path, "note.txt", content), store)
    assert kept.page_count is None
    with pytest.raises(Invalid, match="damaged and cannot be read as a PDF"):
        add(demo_engine, "erin", third, write(tmp_path, "note.pdf", content), store)
    assert len(stored_files(store)) == 1  # still named by the first row


def test_a_refusal_reads_in_words_and_the_reader_s_detail_goes_to_the_log(
        demo_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    third, store = electrical_invoice(demo_engine, 3), tmp_path / "store"
    content = recursion_pdf()  # pypdf raises RecursionError on it
    caplog.set_level(logging.WARNING, logger="payapp.attachments")
    with pytest.raises(Invalid) as refused:
        add(demo_engine, "erin", third, write(tmp_path, "deep.pdf", content), store)

    assert str(refused.value) == f"deep.pdf: {DAMAGED}"
    [record] = [r for r in caplog.records if r.name == "payapp.attachments"]
    logged = record.getMessage()
    assert "deep.pdf" in logged and hashlib.sha256(content).hexdigest() in logged
    assert DAMAGED in logged and "RecursionError: maximum recursion depth" in logged
    assert stored_files(store) == [] and attachment_rows(demo_engine) == []


def test_who_may_add_after_approval_and_who_never_may(demo_engine: Engine,
                                                      tmp_path: Path) -> None:
    second, third = electrical_invoice(demo_engine, 2), electrical_invoice(demo_engine, 3)
    store, source = tmp_path / "store", write(tmp_path, "backup.pdf", pdf_bytes(1))

    with pytest.raises(NotAllowed, match="most recent invoice"):
        add(demo_engine, "erin", second, source, store)
    assert add(demo_engine, "pat", second, source, store).page_count == 1
    with pytest.raises(NotAllowed, match="read this invoice but not change it"):
        add(demo_engine, "sam", third, source, store)
    with pytest.raises((NotAllowed, NotFound)):
        add(demo_engine, "dan", third, source, store)
    with pytest.raises((NotAllowed, NotFound)):
        listed(demo_engine, "dan", third)
    with pytest.raises(NotFound):
        add(demo_engine, "pat", 999_999, source, store)

    assert [r.invoice_id for r in attachment_rows(demo_engine)] == [second]
    assert listed(demo_engine, "erin", second)[0].uploaded_by == "Pat Morales"

    with writing(demo_engine) as session:
        change_status(session, who(demo_engine, "erin"), third, InvoiceStatus.UNDER_REVIEW)
    with pytest.raises(NotAllowed, match="the invoice is Under Review"):
        add(demo_engine, "erin", third, source, store)
    assert add(demo_engine, "pat", third, source, store).page_count == 1


def test_remove_deletes_the_file_only_when_nothing_names_it(demo_engine: Engine,
                                                            tmp_path: Path) -> None:
    second, third = electrical_invoice(demo_engine, 2), electrical_invoice(demo_engine, 3)
    store, content = tmp_path / "store", pdf_bytes(2)
    first = add(demo_engine, "erin", third, write(tmp_path, "a.pdf", content), store)
    twin = add(demo_engine, "erin", third, write(tmp_path, "b.pdf", content), store)
    [stored] = stored_files(store)

    remove(demo_engine, "erin", first.id, store)
    assert stored.exists()  # the twin still names it
    assert listed(demo_engine, "erin", third) == [twin]

    with pytest.raises(RuntimeError, match="changed my mind"), writing(demo_engine) as session:
        remove_attachment(session, who(demo_engine, "erin"), twin.id, store=store)
        raise RuntimeError("changed my mind")
    assert stored.exists() and listed(demo_engine, "erin", third) == [twin]  # rolled back

    remove(demo_engine, "erin", twin.id, store)
    assert stored_files(store) == [] and listed(demo_engine, "erin", third) == []
    removals = audited(demo_engine, "remove")
    assert sorted(e.entity_id or 0 for e in removals) == sorted([first.id, twin.id])
    assert {e.actor_login for e in removals} == {"erin"}
    assert any("a.pdf" in e.before for e in removals)

    on_approved = add(demo_engine, "pat", second, write(tmp_path, "c.pdf", content), store)
    with pytest.raises(NotAllowed):
        remove(demo_engine, "erin", on_approved.id, store)
    with pytest.raises(NotAllowed):
        remove(demo_engine, "sam", on_approved.id, store)
    with pytest.raises(NotFound):
        remove(demo_engine, "pat", 999_999, store)
    remove(demo_engine, "pat", on_approved.id, store)
    assert stored_files(store) == []
