"""Invoice PDFs kept once drawn (data.documents.rendered_invoices), and backups that use them:
an invoice unchanged since it was drawn is not drawn again; any change to what it shows makes
a new file; a damaged or swapped file is drawn again; the folder is private and bounded; and
a backup that takes its invoices from the folder holds the same pages as one that draws them,
leaving no temporary file behind even when the database refuses an invoice mid-way."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import select

from data.db import reading
from data.documents import invoice_pdf
from data.documents.invoice_backups import compile_backup, plan_backup
from data.documents.rendered_invoices import RenderedInvoices, _canonical, _key
from data.models import Invoice
from data.services.actors import actor_for_login
from data.services.errors import NotFound
from data.services.invoice_views import InvoiceView, load_invoice
from tests.pg_people import CONCRETE, ELECTRICAL, invoice_ids

NOW = datetime(2026, 11, 30, 17, 45)


def _view(engine: Engine, commitment: str = ELECTRICAL, index: int = 0) -> InvoiceView:
    with reading(engine) as session:
        return load_invoice(session, actor_for_login(session, "pat"),
                            invoice_ids(engine, commitment)[index])


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the invoices drawn (each call of the real drawing, which still runs)."""
    drawn: list[int] = []
    real = invoice_pdf.render_invoice_pdf

    def counted(view: InvoiceView) -> bytes:
        drawn.append(view.invoice_id)
        return real(view)

    monkeypatch.setattr(invoice_pdf, "render_invoice_pdf", counted)
    return drawn


def test_an_unchanged_invoice_is_drawn_once_and_a_changed_one_again(
        sqlite_demo_engine: Engine, tmp_path: Path, drawings: list[int]) -> None:
    rendered = RenderedInvoices(tmp_path / "rendered")
    view = _view(sqlite_demo_engine)
    first = rendered.pdf_of(view)
    again = rendered.pdf_of(_view(sqlite_demo_engine))  # read afresh: the same invoice
    assert again == first and drawings == [view.invoice_id]
    assert first.read_bytes().startswith(b"%PDF-") and len(PdfReader(first).pages) >= 2

    renamed = rendered.pdf_of(replace(view, commitment_title="Electrical, phase 2"))
    assert renamed != first and len(drawings) == 2
    assert "Electrical, phase 2" in "".join(p.extract_text() for p in PdfReader(renamed).pages)


def test_the_folder_is_private(sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "rendered"
    path = RenderedInvoices(folder).pdf_of(_view(sqlite_demo_engine))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_cut_short_or_swapped_for_a_link_is_drawn_again(
        sqlite_demo_engine: Engine, tmp_path: Path, drawings: list[int]) -> None:
    rendered = RenderedInvoices(tmp_path / "rendered")
    view = _view(sqlite_demo_engine)
    path = rendered.pdf_of(view)
    whole, pages = path.read_bytes(), _text(path)
    path.write_bytes(whole[: len(whole) // 2])  # a full disk, a crash
    assert _text(rendered.pdf_of(view)) == pages and len(drawings) == 2

    elsewhere = tmp_path / "someone else's.pdf"
    elsewhere.write_bytes(whole)
    path.unlink()
    path.symlink_to(elsewhere)
    again = rendered.pdf_of(view)
    assert not again.is_symlink() and _text(again) == pages and len(drawings) == 3
    assert elsewhere.read_bytes() == whole  # the file the link led to is left alone


def test_the_folder_is_trimmed_to_its_limit_the_longest_unused_first(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "rendered"
    unbounded = RenderedInvoices(folder)
    views = [_view(sqlite_demo_engine, ELECTRICAL, 0), _view(sqlite_demo_engine, ELECTRICAL, 1),
             _view(sqlite_demo_engine, CONCRETE, 0)]
    paths = [unbounded.pdf_of(view) for view in views]
    for age, path in enumerate(paths):  # the first used longest ago
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    sizes = [path.stat().st_size for path in paths]

    unbounded.pdf_of(views[0])  # used again now: no longer the oldest
    bounded = RenderedInvoices(folder, limit_bytes=sizes[0] + sizes[2] + sizes[2] // 2)
    newest = bounded.pdf_of(replace(views[2], commitment_title="A fourth drawing"))
    left = sorted(p.name for p in folder.iterdir())
    assert newest.name in left and paths[0].name in left
    assert paths[1].name not in left  # the longest unused went first
    assert sum(p.stat().st_size for p in folder.iterdir()) <= bounded.limit_bytes


def _text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def _backup(engine: Engine, ids: list[int], folder: Path,
            rendered: RenderedInvoices | None) -> Path:
    with reading(engine) as session:
        actor = actor_for_login(session, "pat")
        plan = plan_backup(session, actor, ids)
    return compile_backup(lambda: reading(engine), actor, plan, folder, now=NOW,
                          rendered=rendered).path


def test_a_backup_from_kept_invoices_holds_the_same_pages_as_one_drawn_afresh(
        sqlite_demo_engine: Engine, tmp_path: Path, drawings: list[int]) -> None:
    engine = sqlite_demo_engine
    ids = invoice_ids(engine, ELECTRICAL) + invoice_ids(engine, CONCRETE)
    drawn = _backup(engine, ids, tmp_path / "drawn", None)
    rendered = RenderedInvoices(tmp_path / "rendered")
    _backup(engine, ids, tmp_path / "first", rendered)
    assert sorted(drawings) == sorted(ids)
    kept = _backup(engine, ids, tmp_path / "kept", rendered)
    assert sorted(drawings) == sorted(ids)  # nothing drawn the second time
    assert len(list(rendered.folder.iterdir())) == len(ids)

    assert _text(kept) == _text(drawn)


def test_a_refusal_mid_way_is_raised_and_leaves_nothing_behind(
        sqlite_demo_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The invoices are made ahead of the merge, in a thread: what goes wrong there reaches
    whoever compiles, and the files made ahead go with the temporary folder."""
    engine = sqlite_demo_engine
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    ids = invoice_ids(engine, ELECTRICAL) + invoice_ids(engine, CONCRETE)
    with reading(engine) as session:
        actor = actor_for_login(session, "pat")
        plan = plan_backup(session, actor, ids)
    real = load_invoice

    def refused_at_the_third(session: object, actor: object, invoice_id: int) -> InvoiceView:
        if invoice_id == ids[2]:
            raise NotFound(f"there is no invoice {invoice_id}")
        return real(session, actor, invoice_id)  # type: ignore[arg-type]

    monkeypatch.setattr("data.documents.invoice_backups.load_invoice", refused_at_the_third)
    out = tmp_path / "out"
    with pytest.raises(NotFound, match=str(ids[2])):
        compile_backup(lambda: reading(engine), actor, plan, out, now=NOW)
    assert list(out.iterdir()) == [] and list(scratch.iterdir()) == []


def test_the_name_of_an_invoice_file_is_the_same_in_every_interpreter(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    """A set in the view (who may make a move) is written in order: its own order follows the
    string hashes, which differ from one interpreter to the next (PYTHONHASHSEED)."""
    with reading(sqlite_demo_engine) as session:
        pat = actor_for_login(session, "pat")
        views = [load_invoice(session, pat, invoice_id) for invoice_id in
                 session.exec(select(Invoice.id)).all() if invoice_id is not None]
    assert any("frozenset(" in _canonical(view) for view in views)  # there is a set to order
    pickled = tmp_path / "views.pickle"
    pickled.write_bytes(pickle.dumps(views))
    script = ("import pickle, sys; from data.documents.rendered_invoices import _key; "
              "print(' '.join(_key(v) for v in pickle.loads(open(sys.argv[1], 'rb').read())))")
    names = {subprocess.run([sys.executable, "-c", script, str(pickled)], check=True,
                            capture_output=True, text=True, cwd=Path(__file__).parents[1],
                            env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
             for seed in range(1, 7)}
    assert len(names) == 1
    assert names == {" ".join(_key(view) for view in views) + "\n"}
