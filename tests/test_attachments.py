"""Invoice attachments: content stored once in the database in chunks under their SHA-256, PDFs
read in a limited child process, who may add, remove and read what (domain.md §3), and the
migration that moved files from people's data folders into the database (0009).

The demo (data/demo.py): SC-2417-016 Electrical has invoice #2 approved and #3 in Revise &
Resubmit; Erin is its contact, Dan is the contact of another commitment, Pat administers the
project, Sam is support.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fpdf import FPDF
from pypdf import PdfWriter
from sqlalchemy import Engine, text
from sqlmodel import col, select

from data import migrate
from data.config import ConfigError, Locations, locations
from data.db import make_engine, reading, writing
from data.demo import build_demo
from data.documents.pdf_check import DAMAGED, PASSWORD, BrokenPdf, inspect_pdf
from data.models import Attachment, AuditEntry, Commitment, Invoice, InvoiceStatus
from data.services.actors import Actor, actor_for_login
from data.services.attachments import (
    DEFAULT_MAX_BYTES,
    MEGABYTE,
    AttachmentRow,
    UnreadableAttachment,
    add_attachment,
    copy_attachment_to,
    list_attachments,
    max_attachment_bytes,
    read_attachment,
    remove_attachment,
)
from data.services.errors import Invalid, NotAllowed, NotFound
from data.services.invoice_changes import change_status
from tests.conftest import DEMO_TODAY
from tests.test_pdf_check import recursion_pdf
from tui.cli import main

ELECTRICAL = "SC-2417-016"
LIMIT = 50 * MEGABYTE
CHUNK = MEGABYTE


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


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def random_bytes(size: int) -> bytes:
    return os.urandom(size)


@pytest.fixture(autouse=True)
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where attaching puts its private copies: checked empty after each refusal."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


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


def add(engine: Engine, login: str, invoice_id: int, source: Path,
        max_bytes: int = LIMIT, within: Path | None = None) -> AttachmentRow:
    with writing(engine) as session:
        return add_attachment(session, who(engine, login), invoice_id, source,
                              max_bytes=max_bytes, within=within)


def listed(engine: Engine, login: str, invoice_id: int) -> list[AttachmentRow]:
    with reading(engine) as session:
        return list_attachments(session, who(engine, login), invoice_id)


def remove(engine: Engine, login: str, attachment_id: int) -> None:
    with writing(engine) as session:
        remove_attachment(session, who(engine, login), attachment_id)


def read(engine: Engine, login: str, attachment_id: int) -> bytes:
    with reading(engine) as session:
        return b"".join(read_attachment(session, who(engine, login), attachment_id))


def attachment_rows(engine: Engine) -> list[Attachment]:
    with reading(engine) as session:
        return list(session.exec(select(Attachment)).all())


def stored_chunks(engine: Engine) -> set[str]:
    """The keys of every chunk in the database (the demo engine sees them all)."""
    with engine.connect() as connection:
        return set(connection.execute(text("SELECT sha256 FROM attachment_chunk")).scalars())


def parts_of(engine: Engine, attachment_id: int) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT chunk_sha256 FROM attachment_part WHERE attachment_id = :a "
            "ORDER BY position"), {"a": attachment_id}).scalars())


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


def test_erin_attaches_a_pdf_whose_content_is_stored_once_in_the_database(
        demo_engine: Engine, tmp_path: Path, private_temp: Path) -> None:
    third = electrical_invoice(demo_engine, 3)
    content = pdf_bytes(3)
    row = add(demo_engine, "erin", third, write(tmp_path / "in", "Backup May.pdf", content))

    assert (row.page_count, row.original_name, row.size_bytes) == (3, "Backup May.pdf",
                                                                   len(content))
    assert (row.content_type, row.uploaded_by) == ("application/pdf", "Erin Walsh")
    assert not row.content_missing
    assert [r.sha256 for r in attachment_rows(demo_engine)] == [sha(content)]
    assert stored_chunks(demo_engine) == {sha(content)}  # smaller than a chunk: one
    assert leftovers(private_temp) == []  # the private copy that was checked is gone
    for login in ("erin", "pat", "sam"):  # sam: support reads
        assert listed(demo_engine, login, third) == [row]
        assert read(demo_engine, login, row.id) == content
    [entry] = audited(demo_engine, "add")
    assert (entry.actor_login, entry.entity_id) == ("erin", row.id)
    assert "Backup May.pdf" in entry.after and sha(content) in entry.after

    again = add(demo_engine, "erin", third, write(tmp_path / "in", "copy.pdf", content))
    assert again.id != row.id and again.original_name == "copy.pdf"
    assert stored_chunks(demo_engine) == {sha(content)}  # the same content is stored once
    assert parts_of(demo_engine, again.id) == parts_of(demo_engine, row.id) == [sha(content)]
    assert read(demo_engine, "erin", again.id) == content
    assert len(audited(demo_engine, "add")) == 2


def test_a_file_larger_than_a_chunk_comes_back_byte_for_byte(demo_engine: Engine,
                                                             tmp_path: Path) -> None:
    third = electrical_invoice(demo_engine, 3)
    block, tail = random_bytes(CHUNK), random_bytes(CHUNK // 2 + 7)
    content = block + block + tail  # the same chunk twice in one file
    row = add(demo_engine, "erin", third, write(tmp_path / "in", "scans.bin", content))

    assert parts_of(demo_engine, row.id) == [sha(block), sha(block), sha(tail)]
    assert stored_chunks(demo_engine) == {sha(block), sha(tail)}
    with reading(demo_engine) as session:
        chunks = list(read_attachment(session, who(demo_engine, "pat"), row.id))
    assert [len(c) for c in chunks] == [CHUNK, CHUNK, len(tail)]
    assert b"".join(chunks) == content

    with reading(demo_engine) as session:
        copied = copy_attachment_to(session, who(demo_engine, "sam"), row.id,
                                    tmp_path / "out.bin")
    assert copied == tmp_path / "out.bin" and copied.read_bytes() == content
    assert mode(copied) == 0o600
    download = tmp_path / "download"
    download.mkdir()
    with reading(demo_engine) as session:  # into a folder: under the attachment's name
        into = copy_attachment_to(session, who(demo_engine, "erin"), row.id, download)
    assert into == download / "scans.bin" and into.read_bytes() == content
    assert leftovers(download) == [into]


def test_reading_is_for_whoever_sees_the_invoice(demo_engine: Engine, tmp_path: Path) -> None:
    third = electrical_invoice(demo_engine, 3)
    row = add(demo_engine, "erin", third, write(tmp_path, "note.txt", b"ticket 4417\n"))
    target = tmp_path / "copy.txt"
    for login, attachment_id in (("dan", row.id), ("erin", 999_999)):
        with reading(demo_engine) as session:  # refused at the call, before any chunk is read
            with pytest.raises(NotFound, match=f"^there is no attachment {attachment_id}$"):
                read_attachment(session, who(demo_engine, login), attachment_id)
            with pytest.raises(NotFound):
                copy_attachment_to(session, who(demo_engine, login), attachment_id, target)
    assert not target.exists()


def test_a_file_that_is_not_a_pdf_is_kept_without_a_page_count(
        demo_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "someone"
    monkeypatch.setenv("HOME", str(home))
    write(home, "notes.txt", b"lien waiver to follow\n")
    third = electrical_invoice(demo_engine, 3)

    row = add(demo_engine, "erin", third, Path("~/notes.txt"))

    assert (row.original_name, row.page_count, row.content_type) == ("notes.txt", None,
                                                                     "text/plain")
    jpeg = add(demo_engine, "erin", third,
               write(tmp_path, "site.jpg", b"\xff\xd8\xff\xe0 not really a photo"))
    assert (jpeg.page_count, jpeg.content_type) == (None, "image/jpeg")
    assert len(stored_chunks(demo_engine)) == 2


def test_unreadable_pdfs_and_unsuitable_files_are_refused_leaving_nothing(
        demo_engine: Engine, tmp_path: Path, private_temp: Path) -> None:
    third, folder = electrical_invoice(demo_engine, 3), tmp_path / "in"
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
            add(demo_engine, "erin", third, source, max_bytes=MEGABYTE)

    assert attachment_rows(demo_engine) == []
    assert stored_chunks(demo_engine) == set()
    assert leftovers(private_temp) == []  # no private copy left behind
    assert audited(demo_engine, "add") == []


def test_a_broken_pdf_with_the_content_of_an_attached_file_keeps_that_content(
        demo_engine: Engine, tmp_path: Path) -> None:
    third = electrical_invoice(demo_engine, 3)
    content = b"plain text, attached once as text and once misnamed as a PDF\n"
    kept = add(demo_engine, "erin", third, write(tmp_path, "note.txt", content))
    assert kept.page_count is None
    with pytest.raises(Invalid, match="damaged and cannot be read as a PDF"):
        add(demo_engine, "erin", third, write(tmp_path, "note.pdf", content))
    assert stored_chunks(demo_engine) == {sha(content)}  # still named by the first row
    assert read(demo_engine, "erin", kept.id) == content


def test_a_refusal_reads_in_words_and_the_reader_s_detail_goes_to_the_log(
        demo_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    third = electrical_invoice(demo_engine, 3)
    content = recursion_pdf()  # pypdf raises RecursionError on it
    caplog.set_level(logging.WARNING, logger="payapp.attachments")
    with pytest.raises(Invalid) as refused:
        add(demo_engine, "erin", third, write(tmp_path, "deep.pdf", content))

    assert str(refused.value) == f"deep.pdf: {DAMAGED}"
    [record] = [r for r in caplog.records if r.name == "payapp.attachments"]
    logged = record.getMessage()
    assert "deep.pdf" in logged and sha(content) in logged
    assert DAMAGED in logged and "RecursionError: maximum recursion depth" in logged
    assert stored_chunks(demo_engine) == set() and attachment_rows(demo_engine) == []


def test_who_may_add_after_approval_and_who_never_may(demo_engine: Engine,
                                                      tmp_path: Path) -> None:
    second, third = electrical_invoice(demo_engine, 2), electrical_invoice(demo_engine, 3)
    source = write(tmp_path, "backup.pdf", pdf_bytes(1))

    with pytest.raises(NotAllowed, match="most recent invoice"):
        add(demo_engine, "erin", second, source)
    assert add(demo_engine, "pat", second, source).page_count == 1
    with pytest.raises(NotAllowed, match="read this invoice but not change it"):
        add(demo_engine, "sam", third, source)
    with pytest.raises((NotAllowed, NotFound)):
        add(demo_engine, "dan", third, source)
    with pytest.raises((NotAllowed, NotFound)):
        listed(demo_engine, "dan", third)
    with pytest.raises(NotFound):
        add(demo_engine, "pat", 999_999, source)

    assert [r.invoice_id for r in attachment_rows(demo_engine)] == [second]
    assert listed(demo_engine, "erin", second)[0].uploaded_by == "Pat Morales"

    with writing(demo_engine) as session:
        change_status(session, who(demo_engine, "erin"), third, InvoiceStatus.UNDER_REVIEW)
    with pytest.raises(NotAllowed, match="the invoice is Under Review"):
        add(demo_engine, "erin", third, source)
    assert add(demo_engine, "pat", third, source).page_count == 1


def test_remove_deletes_the_content_only_when_nothing_names_it(demo_engine: Engine,
                                                               tmp_path: Path) -> None:
    second, third = electrical_invoice(demo_engine, 2), electrical_invoice(demo_engine, 3)
    content = pdf_bytes(2)
    first = add(demo_engine, "erin", third, write(tmp_path, "a.pdf", content))
    twin = add(demo_engine, "erin", third, write(tmp_path, "b.pdf", content))

    remove(demo_engine, "erin", first.id)
    assert stored_chunks(demo_engine) == {sha(content)}  # the twin still names it
    assert listed(demo_engine, "erin", third) == [twin]

    with pytest.raises(RuntimeError, match="changed my mind"), writing(demo_engine) as session:
        remove_attachment(session, who(demo_engine, "erin"), twin.id)
        raise RuntimeError("changed my mind")
    assert listed(demo_engine, "erin", third) == [twin]  # rolled back, content and all
    assert read(demo_engine, "erin", twin.id) == content

    remove(demo_engine, "erin", twin.id)
    assert stored_chunks(demo_engine) == set() and listed(demo_engine, "erin", third) == []
    assert parts_of(demo_engine, twin.id) == []
    removals = audited(demo_engine, "remove")
    assert sorted(e.entity_id or 0 for e in removals) == sorted([first.id, twin.id])
    assert {e.actor_login for e in removals} == {"erin"}
    assert any("a.pdf" in e.before for e in removals)

    on_approved = add(demo_engine, "pat", second, write(tmp_path, "c.pdf", content))
    with pytest.raises(NotAllowed):
        remove(demo_engine, "erin", on_approved.id)
    with pytest.raises(NotAllowed):
        remove(demo_engine, "sam", on_approved.id)
    with pytest.raises(NotFound):
        remove(demo_engine, "pat", 999_999)
    assert read(demo_engine, "erin", on_approved.id) == content
    remove(demo_engine, "pat", on_approved.id)
    assert stored_chunks(demo_engine) == set()


def test_removal_keeps_the_chunks_another_file_shares(demo_engine: Engine,
                                                      tmp_path: Path) -> None:
    second, third = electrical_invoice(demo_engine, 2), electrical_invoice(demo_engine, 3)
    shared, own_a, own_b = random_bytes(CHUNK), random_bytes(100), random_bytes(200)
    first = add(demo_engine, "erin", third, write(tmp_path, "a.bin", shared + own_a))
    other = add(demo_engine, "pat", second, write(tmp_path, "b.bin", shared + own_b))
    assert stored_chunks(demo_engine) == {sha(shared), sha(own_a), sha(own_b)}

    remove(demo_engine, "erin", first.id)
    assert stored_chunks(demo_engine) == {sha(shared), sha(own_b)}
    assert read(demo_engine, "erin", other.id) == shared + own_b
    remove(demo_engine, "pat", other.id)
    assert stored_chunks(demo_engine) == set()


def test_content_missing_or_damaged_is_refused_in_words_and_leaves_no_file(
        demo_engine: Engine, tmp_path: Path) -> None:
    third = electrical_invoice(demo_engine, 3)
    head, middle, tail = random_bytes(CHUNK), random_bytes(CHUNK), random_bytes(10)
    row = add(demo_engine, "erin", third, write(tmp_path, "site photos.zip", head + middle + tail))
    download = tmp_path / "download"
    download.mkdir()

    def refused(match: str) -> None:
        with reading(demo_engine) as session, pytest.raises(UnreadableAttachment, match=match):
            copy_attachment_to(session, who(demo_engine, "erin"), row.id, download / "x.zip")
        assert leftovers(download) == []  # no partial file, no damaged one

    with demo_engine.begin() as connection:  # the chunks in the wrong order: each is intact
        connection.execute(text("UPDATE attachment_part SET chunk_sha256 = :k "
                                "WHERE attachment_id = :a AND position = 0"),
                           {"k": sha(middle), "a": row.id})
    refused(r"^site photos\.zip is damaged in the database: its content does not match its "
            r"SHA-256$")
    with demo_engine.begin() as connection:
        connection.execute(text("DELETE FROM attachment_part WHERE attachment_id = :a "
                                "AND position = 1"), {"a": row.id})
    refused(r"^site photos\.zip is incomplete in the database: parts of it are missing; "
            r"attach it again$")
    with demo_engine.begin() as connection:  # as migration 0009 marks a file it did not find
        connection.execute(text("UPDATE attachment SET content_missing = true WHERE id = :a"),
                           {"a": row.id})
    refused(r"^the file of site photos\.zip was not found when attachments moved into the "
            r"database; attach it again$")
    assert listed(demo_engine, "pat", third)[0].content_missing


def test_a_chunk_altered_in_a_sqlite_file_is_found_before_it_is_given(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    """On PostgreSQL the database refuses bytes that are not their key's; SQLite cannot."""
    engine = sqlite_demo_engine
    first, second = random_bytes(CHUNK), random_bytes(5)
    row = add(engine, "erin", electrical_invoice(engine, 3), write(tmp_path, "a.bin",
                                                                   first + second))
    with engine.begin() as connection:
        connection.execute(text("UPDATE attachment_chunk SET data = :d WHERE sha256 = :k"),
                           {"d": b"other bytes", "k": sha(second)})
    given: list[bytes] = []
    with reading(engine) as session, pytest.raises(
            UnreadableAttachment, match=r"^a\.bin is damaged in the database: part 2 of 2 is "
                                        r"missing or altered$"):
        given.extend(read_attachment(session, who(engine, "erin"), row.id))
    assert given == [first]


# --- memory ----------------------------------------------------------------------------------


def test_attaching_and_reading_40_mb_holds_only_a_few_chunks_in_memory(
        demo_engine: Engine, tmp_path: Path) -> None:
    source, expected = tmp_path / "scans.bin", hashlib.sha256()
    with source.open("wb") as out:
        for _ in range(40):
            block = random_bytes(MEGABYTE)
            expected.update(block)
            out.write(block)
    third, erin = electrical_invoice(demo_engine, 3), who(demo_engine, "erin")
    got = hashlib.sha256()
    tracemalloc.start()
    try:
        with writing(demo_engine) as session:
            row = add_attachment(session, erin, third, source, max_bytes=LIMIT, within=None)
        attaching = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with reading(demo_engine) as session:
            for chunk in read_attachment(session, erin, row.id):
                got.update(chunk)
        reading_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.hexdigest() == expected.hexdigest() == row_sha(demo_engine, row.id)
    assert attaching < 10 * MEGABYTE and reading_peak < 10 * MEGABYTE, (attaching, reading_peak)


def row_sha(engine: Engine, attachment_id: int) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT sha256 FROM attachment WHERE id = :a"),
                                      {"a": attachment_id}).scalar_one())


# --- migration 0009: from people's data folders into the database ----------------------------


def demo_at_0008(engine: Engine) -> None:
    """The demo, built by today's models on today's schema, then taken back to revision 0008
    (the demo attaches no file, so nothing it holds is lost on the way down)."""
    migrate.upgrade(engine)
    build_demo(engine, DEMO_TODAY)
    migrate.downgrade(engine, "0008")


@pytest.fixture
def at_0008(database_url: str) -> Iterator[Engine]:
    """The demo at revision 0008, when attachments were files in each person's data folder."""
    engine = make_engine(database_url)
    demo_at_0008(engine)
    yield engine
    engine.dispose()


def folder_store() -> Path:
    store = locations().data_dir / "attachments"
    store.mkdir(parents=True, exist_ok=True)
    return store


def old_attachment(engine: Engine, name: str, content: bytes) -> int:
    """An attachment row as payapp wrote it before 0009 (its file is the test's business)."""
    invoice = electrical_invoice(engine, 3)
    with engine.begin() as connection:
        erin = connection.execute(text("SELECT id FROM app_user WHERE login = 'erin'")
                                  ).scalar_one()
        return int(connection.execute(text(
            "INSERT INTO attachment (invoice_id, sha256, original_name, size_bytes, "
            "content_type, uploaded_by_id, uploaded_at) VALUES (:i, :s, :n, :b, "
            "'application/octet-stream', :u, '2026-11-20 10:00:00+00') RETURNING id"),
            {"i": invoice, "s": sha(content), "n": name, "b": len(content), "u": erin}
        ).scalar_one())


def test_the_migration_moves_the_files_in_and_names_those_it_could_not(
        at_0008: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, elsewhere = folder_store(), tmp_path / "dan" / "attachments"
    elsewhere.mkdir(parents=True)  # another person's folder store, named for the upgrade
    monkeypatch.setenv("PAYAPP_MOVE_ATTACHMENTS_FROM", f"{elsewhere}")
    big, small = random_bytes(2 * CHUNK + 3), b"lien waiver to follow\n"
    (store / sha(big)).write_bytes(big)
    (elsewhere / sha(small)).write_bytes(small)
    (store / sha(b"as attached")).write_bytes(b"changed since")
    moved = old_attachment(at_0008, "scans.bin", big)
    note = old_attachment(at_0008, "note.txt", small)
    again = old_attachment(at_0008, "note again.txt", small)
    lost = old_attachment(at_0008, "Backup May.pdf", b"never copied here")
    altered = old_attachment(at_0008, "ticket.pdf", b"as attached")
    invoice = electrical_invoice(at_0008, 3)

    told = migrate.upgrade(at_0008)

    assert told == [
        f"attachments: Backup May.pdf (attachment {lost}, invoice {invoice}) was not moved "
        f"into the database (not in {store}; not in {elsewhere}); it stays listed, marked as "
        "not found: attach it again",
        f"attachments: ticket.pdf (attachment {altered}, invoice {invoice}) was not moved into "
        f"the database ({store / sha(b'as attached')} does not match its SHA-256; not in "
        f"{elsewhere}); it stays listed, marked as not found: attach it again",
        f"attachments: moved 3 of 5 files into the database from {store}, {elsewhere}",
        f"attachments: payapp no longer uses {store}; delete it once you have checked the "
        "attachments",
        f"attachments: payapp no longer uses {elsewhere}; delete it once you have checked "
        "the attachments",
    ]
    assert read(at_0008, "pat", moved) == big
    assert read(at_0008, "sam", note) == read(at_0008, "erin", again) == small
    assert len(stored_chunks(at_0008)) == 4  # three of the big file, one of the note
    missing = {r.original_name for r in listed(at_0008, "erin", invoice) if r.content_missing}
    assert missing == {"Backup May.pdf", "ticket.pdf"}
    with reading(at_0008) as session, pytest.raises(
            UnreadableAttachment, match=r"^the file of Backup May\.pdf was not found when "
                                        "attachments moved into the database"):
        read_attachment(session, who(at_0008, "erin"), lost)
    assert len(list(store.iterdir())) == 2 and len(list(elsewhere.iterdir())) == 1  # as it was

    for stored in store.iterdir():
        stored.unlink()
    told = migrate.downgrade(at_0008, "0008")  # back down: the files go back into the folder
    assert told == [f"attachments: wrote 2 files back to {store}"]
    assert {p.name: p.read_bytes() for p in store.iterdir()} == {sha(big): big,
                                                                  sha(small): small}


def test_payapp_db_upgrade_prints_what_the_migration_moved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'payapp.sqlite'}"
    engine = make_engine(url)
    demo_at_0008(engine)
    content = b"delivery ticket 4417\n"
    (folder_store() / sha(content)).write_bytes(content)
    old_attachment(engine, "ticket.txt", content)
    old_attachment(engine, "gone.pdf", b"not here")
    engine.dispose()
    monkeypatch.setenv("PAYAPP_DATABASE_URL", url)

    done = CliRunner().invoke(main, ["db", "upgrade"])

    assert done.exit_code == 0, done.output
    assert "payapp: attachments: gone.pdf (attachment 2, invoice" in done.output
    assert "payapp: attachments: moved 1 of 2 files into the database from" in done.output
    assert f"schema 0008 -> {migrate.head_revision()}" in done.output
