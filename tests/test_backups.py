"""Invoice backups (issue 11, domain.md §7), through the services, on the demo project: which
invoices go in and in what order, each invoice followed by its PDF attachments, a page in place
of a file that cannot be merged, the file's name, who may compile one, what is refused, and
cancelling. Run on a real SQLite file and on PostgreSQL as the people's own roles; the result is
read back with pdftotext and checked with qpdf."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from data.db import reading, writing
from data.documents.invoice_backups import (
    BackupResult,
    compile_backup,
    invoices_of_project,
    plan_backup,
)
from data.documents.invoice_pdf import render_invoice_pdf
from data.documents.pdf_merge import MergeCancelled, Progress
from data.models import (
    CHUNK_MAX_BYTES,
    AppUser,
    Attachment,
    AttachmentChunk,
    AttachmentPart,
    Invoice,
)
from data.refusals import Refusal
from data.services.actors import actor_for_login
from data.services.attachments import add_attachment
from data.services.invoice_views import load_invoice
from tests.pg_people import (  # noqa: F401
    CONCRETE,
    ELECTRICAL,
    admin,
    as_login,
    demo_template,
    demo_url,
    invoice_ids,
)

NOW = datetime(2026, 11, 30, 17, 45)
MB = 1024 * 1024

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="pdftotext (poppler-utils) is not installed")


def _pdf(path: Path, *texts: str) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=14)
    for words in texts:
        pdf.add_page()
        pdf.cell(text=words)
    pdf.output(str(path))
    return path


def _ids(engine: Engine, commitment: str) -> list[int]:
    return invoice_ids(engine, commitment)


def _attach(engine: Engine, login: str, invoice_id: int, path: Path) -> None:
    with writing(engine) as session:
        add_attachment(session, actor_for_login(session, login), invoice_id, path,
                       max_bytes=50 * MB, within=None)


def _attach_as_stored(engine: Engine, invoice_id: int, name: str, content: bytes) -> None:
    """A file kept as it is, past the checks an upload gets today: what an older payapp, or
    files moved in from people's folders, may have left in the database."""
    key = hashlib.sha256(content).hexdigest()
    with writing(engine) as session:
        pat = session.exec(select(AppUser.id).where(AppUser.login == "pat")).one()
        assert pat is not None
        row = Attachment(invoice_id=invoice_id, sha256=key, original_name=name,
                         size_bytes=len(content), content_type="application/pdf",
                         uploaded_by_id=pat)
        session.add(row)
        session.flush()
        assert row.id is not None
        for position in range(0, len(content), CHUNK_MAX_BYTES):
            data = content[position:position + CHUNK_MAX_BYTES]
            chunk = hashlib.sha256(data).hexdigest()
            if session.get(AttachmentChunk, chunk) is None:
                session.add(AttachmentChunk(sha256=chunk, data=data))
                session.flush()
            session.add(AttachmentPart(attachment_id=row.id,
                                       position=position // CHUNK_MAX_BYTES,
                                       chunk_sha256=chunk))


def _pages_of(engine: Engine, invoice_id: int) -> int:
    with reading(engine) as session:
        view = load_invoice(session, actor_for_login(session, "pat"), invoice_id)
    return len(PdfReader(io.BytesIO(render_invoice_pdf(view))).pages)


def _page_texts(path: Path) -> list[str]:
    pages = len(PdfReader(path).pages)
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(path), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, pages + 1)]


def _compile(engine: Engine, login: str, ids: list[int], folder: Path,
             cancelled: Callable[[], bool] = lambda: False,
             on_progress: Callable[[Progress], None] | None = None) -> BackupResult:
    def session() -> AbstractContextManager[Session]:
        return reading(engine)

    with reading(engine) as s:
        actor = actor_for_login(s, login)
        plan = plan_backup(s, actor, ids)
    return compile_backup(session, actor, plan, folder, now=NOW, cancelled=cancelled,
                          on_progress=on_progress)


def _three_invoices_with_files(engine: Engine, tmp_path: Path) -> tuple[int, int, int]:
    """Electrical #1 with a good 2-page PDF and a text file, electrical #2 with a broken PDF,
    concrete #1 with a good 1-page PDF."""
    electrical, concrete = _ids(engine, ELECTRICAL), _ids(engine, CONCRETE)
    _attach(engine, "pat", electrical[0], _pdf(tmp_path / "lien release.pdf",
                                               "RELEASE PAGE ONE", "RELEASE PAGE TWO"))
    notes = tmp_path / "notes.txt"
    notes.write_text("site notes")
    _attach(engine, "pat", electrical[0], notes)
    _attach_as_stored(engine, electrical[1], "scan of delivery ticket.pdf",
                      b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is not a PDF")
    _attach(engine, "pat", concrete[0], _pdf(tmp_path / "pour log.pdf", "POUR LOG PAGE"))
    return electrical[0], electrical[1], concrete[0]


@needs_poppler
def test_a_backup_holds_each_invoice_then_its_pdfs_with_a_page_for_a_broken_file(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_demo_engine
    e1, e2, c1 = _three_invoices_with_files(engine, tmp_path)
    progress: list[Progress] = []
    folder = tmp_path / "out"
    result = _compile(engine, "pat", [c1, e2, e1], folder, on_progress=progress.append)

    path = result.path
    assert path.parent == folder and path.name == (
        "Subcontractor invoice backup - Mission Bay Medical Office Building - 2417 - "
        "2026-11-30 - 17.45.pdf")
    assert [p.name for p in folder.iterdir()] == [path.name]  # nothing else left behind
    pages = _page_texts(path)
    own = [_pages_of(engine, i) for i in (e1, e2, c1)]
    expected = own[0] + 2 + own[1] + 1 + own[2] + 1
    assert len(pages) == expected == result.pages

    at = 0
    assert "Invoice #1" in pages[at] or "#1" in pages[at]
    assert ELECTRICAL in pages[at]
    at += own[0]
    assert "RELEASE PAGE ONE" in pages[at] and "RELEASE PAGE TWO" in pages[at + 1]
    at += 2
    assert ELECTRICAL in pages[at]
    at += own[1]
    left_out = " ".join(pages[at].split())
    assert "scan of delivery ticket.pdf" in left_out and ELECTRICAL in left_out
    assert "damaged" in left_out  # the reason, in words
    at += 1
    assert CONCRETE in pages[at]
    at += own[2]
    assert "POUR LOG PAGE" in pages[at]

    assert len(result.left_out) == 1
    assert "scan of delivery ticket.pdf" in result.left_out[0]
    assert [n for n in result.not_pdf if "notes.txt" in n]
    assert len(progress) == 6  # three invoices and three PDFs attached
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_content_that_no_longer_matches_its_hash_is_left_out_with_the_reason(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_demo_engine
    e1 = _ids(engine, ELECTRICAL)[0]
    _attach(engine, "pat", e1, _pdf(tmp_path / "ticket.pdf", "TICKET"))
    with writing(engine) as session:  # someone with the file in hand changes the bytes
        session.execute(text("UPDATE attachment_chunk SET data = :d"), {"d": b"%PDF-tamper"})
    result = _compile(engine, "pat", [e1], tmp_path)
    assert len(result.left_out) == 1 and "ticket.pdf" in result.left_out[0]


def test_cancelling_leaves_nothing_behind(sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_demo_engine
    _three_invoices_with_files(engine, tmp_path / "..")
    progress: list[Progress] = []
    folder = tmp_path / "out"
    with pytest.raises(MergeCancelled):
        _compile(engine, "pat", _ids(engine, ELECTRICAL) + _ids(engine, CONCRETE), folder,
                 cancelled=lambda: len(progress) >= 2, on_progress=progress.append)
    assert len(progress) == 2
    assert list(folder.iterdir()) == []  # neither the backup nor a temporary file


def test_who_may_compile_and_what_is_refused(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    electrical = _ids(engine, ELECTRICAL)
    with reading(engine) as session:
        for login in ("erin", "dan"):  # contacts do not compile backups
            with pytest.raises(Refusal, match="administrators and support"):
                plan_backup(session, actor_for_login(session, login), electrical[:1])
        sam = actor_for_login(session, "sam")
        assert len(plan_backup(session, sam, electrical).invoices) == len(electrical)
        with pytest.raises(Refusal, match="at least one invoice"):
            plan_backup(session, sam, [])
        with pytest.raises(Refusal, match="no invoice 999999"):
            plan_backup(session, sam, [999999])
        pat = actor_for_login(session, "pat")
        everything = invoices_of_project(session, pat, "2417")
        assert sorted(everything) == sorted(electrical + _ids(engine, CONCRETE))
        from data.models import InvoiceStatus

        approved = invoices_of_project(session, pat, "2417", [InvoiceStatus.APPROVED])
        assert approved and set(approved) < set(everything)


def test_a_missing_billing_period_is_named_instead_of_a_wrong_backup(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    first, second = _ids(engine, ELECTRICAL)[:2]
    import sqlite3

    assert engine.url.database
    connection = sqlite3.connect(engine.url.database)  # as if removed behind payapp's back
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute("DELETE FROM billing_period WHERE id = (SELECT period_id FROM invoice "
                       "WHERE id = ?)", (first,))
    connection.commit()
    connection.close()
    with reading(engine) as session:
        with pytest.raises(Refusal, match=r"billing period of SC-2417-016 Invoice #1 .* is "
                                          r"missing"):
            plan_backup(session, actor_for_login(session, "pat"), [second])
        assert session.get(Invoice, second) is not None


@needs_poppler
def test_on_postgresql_the_reviewer_and_support_back_up_a_contacts_files(
        admin: Engine, demo_url: str, tmp_path: Path) -> None:  # noqa: F811
    from data.db import make_engine

    erin = make_engine(as_login(demo_url, "erin"))
    current = invoice_ids(admin, ELECTRICAL)[-1]  # erin's invoice in Revise & Resubmit
    _attach(erin, "erin", current, _pdf(tmp_path / "erin's backup.pdf", "ERIN ATTACHED THIS"))
    erin.dispose()
    for login in ("pat", "sam"):
        engine = make_engine(as_login(demo_url, login))
        try:
            result = _compile(engine, login, [current], tmp_path / login)
        finally:
            engine.dispose()
        pages = _page_texts(result.path)
        assert "ERIN ATTACHED THIS" in pages[-1] and not result.left_out
    dan = make_engine(as_login(demo_url, "dan"))
    try:
        with reading(dan) as session, pytest.raises(Refusal):
            plan_backup(session, actor_for_login(session, "dan"), [current])
    finally:
        dan.dispose()
