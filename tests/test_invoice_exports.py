"""One invoice exported with its attachments (issue 11 item 3): the files chosen, in the order
chosen, after the invoice's PDF in one PDF, or with it in a ZIP; by the service and by keys on
the invoice screen (e)."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from data.config import locations
from data.db import reading
from data.documents.invoice_pdf import render_invoice_pdf
from data.documents.invoice_with_files import ExportWithFiles, export_with_attachments
from data.services.actors import actor_for_login
from data.services.attachments import list_attachments
from data.services.errors import Invalid
from data.services.invoice_views import load_invoice
from tests.invoice_pilot import make_app, settle
from tests.pg_people import ELECTRICAL
from tests.test_backups import _attach, _ids, _pdf

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="pdftotext (poppler-utils) is not installed")


def _with_three_files(engine: Engine, tmp_path: Path) -> tuple[int, list[int]]:
    """Erin's invoice #3 with two PDFs and a photo, attached in that order."""
    invoice = _ids(engine, ELECTRICAL)[-1]
    _attach(engine, "erin", invoice, _pdf(tmp_path / "first.pdf", "FIRST FILE"))
    _attach(engine, "erin", invoice, _pdf(tmp_path / "second.pdf", "SECOND FILE A",
                                          "SECOND FILE B"))
    photo = tmp_path / "site photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    _attach(engine, "erin", invoice, photo)
    with reading(engine) as session:
        rows = list_attachments(session, actor_for_login(session, "erin"), invoice)
    return invoice, [row.id for row in rows]


def _own_pages(engine: Engine, invoice: int) -> int:
    with reading(engine) as session:
        view = load_invoice(session, actor_for_login(session, "erin"), invoice)
    return len(PdfReader(io.BytesIO(render_invoice_pdf(view))).pages)


def _export(engine: Engine, login: str, invoice: int, ids: list[int], folder: Path,
            as_zip: bool) -> ExportWithFiles:
    with reading(engine) as session:
        actor = actor_for_login(session, login)
    return export_with_attachments(lambda: reading(engine), actor, invoice, ids, folder,
                                   as_zip=as_zip)


@needs_poppler
def test_one_pdf_holds_the_invoice_then_the_chosen_pdfs_in_the_chosen_order(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    invoice, (first, second, photo) = _with_three_files(sqlite_demo_engine, tmp_path)
    result = _export(sqlite_demo_engine, "erin", invoice, [second, photo, first], tmp_path,
                     as_zip=False)
    path = result.path
    assert path.name == "SC-2417-016 Invoice 3 - 2026-11-21 with files.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout.split("\f")
    own = _own_pages(sqlite_demo_engine, invoice)
    assert "SECOND FILE A" in text[own] and "SECOND FILE B" in text[own + 1]
    assert "FIRST FILE" in text[own + 2]
    assert len(PdfReader(path).pages) == own + 3
    assert result.not_pdf == ("site photo.jpg",)
    assert "Not PDFs, so not in it: site photo.jpg" in result.summary()


def test_a_zip_holds_the_invoice_pdf_and_each_chosen_file_under_its_name(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    invoice, (first, _second, photo) = _with_three_files(sqlite_demo_engine, tmp_path)
    result = _export(sqlite_demo_engine, "erin", invoice, [photo, first], tmp_path,
                     as_zip=True)
    with zipfile.ZipFile(result.path) as archive:
        assert archive.namelist() == ["SC-2417-016 Invoice 3 - 2026-11-21.pdf", "site photo.jpg",
                                      "first.pdf"]
        assert archive.read("site photo.jpg") == (tmp_path / "site photo.jpg").read_bytes()
        assert archive.read("first.pdf") == (tmp_path / "first.pdf").read_bytes()
        assert archive.read("SC-2417-016 Invoice 3 - 2026-11-21.pdf").startswith(b"%PDF-")


def test_a_file_not_attached_to_the_invoice_is_refused(sqlite_demo_engine: Engine,
                                                       tmp_path: Path) -> None:
    invoice, ids = _with_three_files(sqlite_demo_engine, tmp_path)
    with pytest.raises(Invalid, match="not attached to this invoice"):
        _export(sqlite_demo_engine, "erin", invoice, [*ids, 99999], tmp_path, as_zip=True)
    with pytest.raises(Invalid, match="chosen twice"):
        _export(sqlite_demo_engine, "erin", invoice, [ids[0], ids[0]], tmp_path, as_zip=True)
    assert not list(tmp_path.glob("*with files*"))  # nothing half-written


async def test_by_keys_the_person_leaves_a_file_out_reorders_and_gets_a_zip(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    _with_three_files(sqlite_demo_engine, tmp_path)
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "enter")  # her newest invoice, #3, is the first row
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        # first.pdf, second.pdf, site photo.jpg: leave first.pdf out, move the photo to the top
        await pilot.press("space", "down", "down", "shift+up", "shift+up", "z")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Exported with 2 attached files to ") for m in said), said
    written = list(locations().exports_dir.glob("*with files.zip"))
    with zipfile.ZipFile(written[0]) as archive:
        assert archive.namelist() == ["SC-2417-016 Invoice 3 - 2026-11-21.pdf", "site photo.jpg",
                                      "second.pdf"]
