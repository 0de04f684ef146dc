"""The invoice PDF's fonts (data.documents.invoice_pdf): parsed once per process and shared by
the documents drawn after, each of which still embeds its own subset of the fonts, holding
every glyph it uses and no glyph it does not.

What a document embeds is read back from the PDF: each font's program (FontFile2) is opened
with fontTools and its character map, which fontTools' subsetting keeps for the glyphs kept,
is compared with the text the document shows (read back with pypdf and pdftotext).
"""

from __future__ import annotations

import io
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject, StreamObject
from sqlalchemy import Engine

from data.documents import invoice_pdf
from data.documents.invoice_pdf import render_invoice_pdf
from data.documents.pdf_fonts import FONT_FAMILY, FONT_FILES
from data.services.invoice_views import InvoiceView, SheetLine
from tests.test_invoice_pdf import ELECTRICAL, poppler_tool, view_of

# Characters DejaVu Sans Condensed has, in neither the demo's data nor payapp's own words.
ONLY_IN_THE_SECOND = "ЖΩŋ"
SECOND_DESCRIPTION = f"Заземление Ω-loop ŋ-bend {ONLY_IN_THE_SECOND}"
REGULAR_FONT = "DejaVuSansCondensed"


def _with_description(view: InvoiceView, description: str) -> InvoiceView:
    """`view` with its first line described as `description`."""
    first = view.lines[0]
    entered = replace(first.result.line, description=description)
    line: SheetLine = replace(first, result=replace(first.result, line=entered))
    return replace(view, lines=(line, *view.lines[1:]))


@pytest.fixture
def first(sqlite_demo_engine: Engine) -> InvoiceView:
    return view_of(sqlite_demo_engine, ELECTRICAL, 3, "pat")


@pytest.fixture
def second(first: InvoiceView) -> InvoiceView:
    return _with_description(first, SECOND_DESCRIPTION)


def _dictionary(value: object) -> DictionaryObject:
    found = value.get_object() if isinstance(value, PdfObject) else value
    assert isinstance(found, DictionaryObject)
    return found


def _font_programs(pdf: bytes) -> dict[str, bytes]:
    """Each embedded font's TrueType program, by its name without the subset tag."""
    programs: dict[str, bytes] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = _dictionary(page["/Resources"])
        for reference in _dictionary(resources["/Font"]).values():
            descendants = _dictionary(reference)["/DescendantFonts"].get_object()
            assert isinstance(descendants, ArrayObject)
            font = _dictionary(descendants[0])
            stream = _dictionary(font["/FontDescriptor"])["/FontFile2"].get_object()
            assert isinstance(stream, StreamObject)
            programs[str(font["/BaseFont"]).split("+")[-1]] = stream.get_data()
    return programs


def _drawable(program: bytes) -> set[int]:
    """The code points an embedded font maps to a glyph with an outline."""
    font = TTFont(io.BytesIO(program))
    glyphs = font["glyf"]
    return {code for code, name in font.getBestCmap().items()
            if glyphs[name].numberOfContours != 0}


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _forget_parsed_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(invoice_pdf, "_parsed", {})


def test_each_document_embeds_the_glyphs_it_uses_when_drawn_after_another(
        first: InvoiceView, second: InvoiceView, tmp_path: Path) -> None:
    before = render_invoice_pdf(first)
    after = render_invoice_pdf(second)  # drawn with the fonts the first one used
    assert not set(ONLY_IN_THE_SECOND) & set(_text(before))

    shown = _text(after)
    assert SECOND_DESCRIPTION in shown or ONLY_IN_THE_SECOND in shown
    used = {ord(c) for c in shown if not c.isspace()}
    regular, earlier = _font_programs(after)[REGULAR_FONT], _font_programs(before)[REGULAR_FONT]
    assert {ord(c) for c in ONLY_IN_THE_SECOND} <= _drawable(regular)
    assert used <= _drawable(regular) | _drawable(_font_programs(after)[f"{REGULAR_FONT}Bold"])
    assert not {ord(c) for c in ONLY_IN_THE_SECOND} & _drawable(earlier)  # each its own subset

    path = tmp_path / "second.pdf"
    path.write_bytes(after)
    done = subprocess.run([poppler_tool("pdftotext"), "-layout", str(path), "-"],
                          capture_output=True, check=True, timeout=60)
    assert ONLY_IN_THE_SECOND in done.stdout.decode("utf-8")


def test_what_a_document_embeds_does_not_depend_on_the_documents_before_it(
        first: InvoiceView, second: InvoiceView, monkeypatch: pytest.MonkeyPatch) -> None:
    _forget_parsed_fonts(monkeypatch)
    alone = _font_programs(render_invoice_pdf(second))
    _forget_parsed_fonts(monkeypatch)
    render_invoice_pdf(first)
    render_invoice_pdf(second)
    render_invoice_pdf(first)
    assert _font_programs(render_invoice_pdf(second)) == alone
    assert _font_programs(render_invoice_pdf(first)) != alone


def test_the_fonts_are_parsed_once_per_process(
        first: InvoiceView, second: InvoiceView, monkeypatch: pytest.MonkeyPatch) -> None:
    _forget_parsed_fonts(monkeypatch)
    parsed: list[str] = []
    parse = invoice_pdf._parse_font

    def counted(style: str, path: Path) -> object:
        parsed.append(style)
        return parse(style, path)

    monkeypatch.setattr(invoice_pdf, "_parse_font", counted)
    render_invoice_pdf(first)
    assert sorted(parsed) == sorted(FONT_FILES)

    def refused(*_arguments: object, **_named: object) -> None:
        raise AssertionError("a font file was parsed again")

    monkeypatch.setattr(FPDF, "add_font", refused)
    assert ONLY_IN_THE_SECOND in _text(render_invoice_pdf(second))
    assert len(parsed) == len(FONT_FILES)


def test_documents_drawn_at_once_in_two_threads_embed_what_each_uses(
        first: InvoiceView, second: InvoiceView) -> None:
    expected = {id(view): _font_programs(render_invoice_pdf(view)) for view in (first, second)}
    found: dict[int, list[dict[str, bytes]]] = {id(first): [], id(second): []}

    def draw(view: InvoiceView) -> None:
        for _ in range(3):
            found[id(view)].append(_font_programs(render_invoice_pdf(view)))

    threads = [threading.Thread(target=draw, args=(view,)) for view in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for view in (first, second):
        assert found[id(view)] == [expected[id(view)]] * 3


def test_the_fonts_embedded_are_those_fpdf2_makes_from_the_font_files(
        first: InvoiceView, second: InvoiceView, monkeypatch: pytest.MonkeyPatch) -> None:
    _forget_parsed_fonts(monkeypatch)
    made = [_font_programs(render_invoice_pdf(view)) for view in (first, second)]
    kept = [_font_programs(render_invoice_pdf(view)) for view in (first, second)]  # subsets kept

    def from_the_file(pdf: FPDF, style: str, path: Path) -> None:
        pdf.add_font(FONT_FAMILY, style, fname=str(path))

    monkeypatch.setattr(invoice_pdf, "_add_parsed_font", from_the_file)
    plain = [_font_programs(render_invoice_pdf(view)) for view in (first, second)]
    assert made == kept == plain
    assert plain[0] != plain[1]


def test_the_subsets_kept_are_bounded(first: InvoiceView, second: InvoiceView,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _forget_parsed_fonts(monkeypatch)
    monkeypatch.setattr(invoice_pdf, "SUBSETS_KEPT", 1)
    render_invoice_pdf(first)
    render_invoice_pdf(second)
    shared = [parsed for parsed in invoice_pdf._parsed.values() if parsed is not None]
    assert len(shared) == len(FONT_FILES)
    assert all(len(parsed.subsets) == 1 for parsed in shared)
