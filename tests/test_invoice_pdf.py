"""The invoice PDF (data.documents.invoice_pdf) on the demo database.

The text is read back with pypdf and, where poppler is installed, with `pdftotext -layout`
(required under CI=true); page 1 is rendered with `pdftoppm`. Figures are compared with
format_money of the view's own summary, never with hard-coded amounts.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from data import g703
from data.billing import Method
from data.db import reading, writing
from data.documents.export_files import safe_file_stem
from data.documents.invoice_pdf import (
    export_file_name,
    export_invoice_pdf,
    render_invoice_pdf,
)
from data.documents.pdf_fonts import REPLACEMENT_CHARACTER, printable
from data.models import Commitment, Company, Invoice, SovLine
from data.money import format_money, format_percent, format_unit_price
from data.services.actors import actor_for_login
from data.services.invoice_views import InvoiceView, SheetLine, load_invoice

ELECTRICAL = "SC-2417-016"
CONCRETE = "SC-2417-031"
DESCRIPTION = "Owner’s lobby — pendant fixtures, café € “quoted”"
COMPANY = "Coastline Électrique Co."
CJK_IDEOGRAPH = "\u4e2d"  # DejaVu has no CJK ideographs
EMOJI_DEJAVU_LACKS = "\U0001f9a9"  # flamingo


# --- helpers ---------------------------------------------------------------------------------


def poppler_tool(name: str) -> str:
    """The path of a poppler program; skipped when missing, except under CI=true."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {name} (apt-get install poppler-utils)")
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils)")
    return found


def commitment_of(session: Session, number: str) -> Commitment:
    return session.exec(select(Commitment).where(Commitment.number == number)).one()


def view_of(engine: Engine, number: str, position: int, login: str) -> InvoiceView:
    with reading(engine) as session:
        commitment = commitment_of(session, number)
        invoice = session.exec(select(Invoice).where(Invoice.commitment_id == commitment.id,
                                                     Invoice.position == position)).one()
        assert invoice.id is not None
        return load_invoice(session, actor_for_login(session, login), invoice.id)


def pypdf_text(path: Path) -> str:
    """All pages' text with runs of white space as one space (a wrapped cell reads whole)."""
    reader = PdfReader(path)
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def layout_text(path: Path) -> str:
    done = subprocess.run([poppler_tool("pdftotext"), "-layout", str(path), "-"],
                          capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def line_amount(view: InvoiceView, number: str) -> Decimal:
    return {line: amount for line, _caption, amount in view.summary.numbered_lines()}[number]


def sheet_totals(view: InvoiceView) -> list[str]:
    """The grand total row's figures, left to right: C, D, E, F, G, G ÷ C, H, I, released."""
    summary = view.summary
    money = [format_money(amount) for amount in (
        summary.contract_sum_to_date, summary.total_previous_work,
        summary.total_work_this_period, summary.total_stored,
        summary.completed_and_stored_to_date, summary.total_balance_to_finish,
        summary.total_retainage, summary.total_released)]
    percent = format_percent(summary.completed_and_stored_to_date * 100
                             / summary.contract_sum_to_date)
    return [*money[:5], percent, *money[5:]]


def with_description(line: SheetLine, description: str) -> SheetLine:
    entered = replace(line.result.line, description=description)
    return replace(line, result=replace(line.result, line=entered))


@pytest.fixture
def electrical(sqlite_demo_engine: Engine) -> InvoiceView:
    """Electrical invoice #3 as Pat, with accented, curly and euro text in the data."""
    with writing(sqlite_demo_engine) as session:
        commitment = commitment_of(session, ELECTRICAL)
        first_line = session.exec(
            select(SovLine).where(SovLine.commitment_id == commitment.id,
                                  col(SovLine.change_order_id).is_(None))
            .order_by(col(SovLine.position))).first()
        company = session.get(Company, commitment.contract_company_id)
        assert first_line is not None and company is not None
        first_line.description = DESCRIPTION
        company.name = COMPANY
        session.add(first_line)
        session.add(company)
    return view_of(sqlite_demo_engine, ELECTRICAL, 3, "pat")


@pytest.fixture
def exported(electrical: InvoiceView, tmp_path: Path) -> Path:
    return export_invoice_pdf(electrical, tmp_path / "exports")


# --- the document ----------------------------------------------------------------------------


def test_the_export_opens_and_has_the_summary_page_and_the_sheet(exported: Path) -> None:
    reader = PdfReader(exported)
    assert len(reader.pages) >= 2
    first, second = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "Application and Certificate for Payment" in first
    assert "Continuation Sheet" in second and "Scheduled" in second


def test_every_character_of_names_and_descriptions_survives(electrical: InvoiceView,
                                                            exported: Path) -> None:
    text = pypdf_text(exported)
    assert DESCRIPTION in text
    assert COMPANY in text
    for character in "’—é€“”":
        assert character in text
    assert REPLACEMENT_CHARACTER not in text


def test_the_summary_lines_and_the_totals_are_printed(electrical: InvoiceView,
                                                      exported: Path) -> None:
    text = pypdf_text(exported)
    assert "Current Payment Due" in text
    assert format_money(line_amount(electrical, "8")) in text
    for _number, caption, amount in electrical.summary.numbered_lines():
        assert f"{caption} {format_money(amount)}" in text
    assert f"Grand Total {' '.join(sheet_totals(electrical))}" in text


def test_pdftotext_layout_reads_the_same_text(electrical: InvoiceView, exported: Path) -> None:
    text = layout_text(exported)
    assert DESCRIPTION in text  # on one line: the description column is wide enough for it
    assert COMPANY in text
    assert "Current Payment Due" in text
    assert format_money(line_amount(electrical, "8")) in text
    total_line = next(line for line in text.splitlines() if "Grand Total" in line)
    assert total_line.split()[2:] == sheet_totals(electrical)


def as_dictionary(value: object) -> DictionaryObject:
    found = value.get_object() if isinstance(value, PdfObject) else value
    assert isinstance(found, DictionaryObject)
    return found


def test_the_fonts_are_embedded(exported: Path) -> None:
    resources = as_dictionary(PdfReader(exported).pages[0]["/Resources"])
    embedded = set()
    for reference in as_dictionary(resources["/Font"]).values():
        descendants = as_dictionary(reference)["/DescendantFonts"].get_object()
        assert isinstance(descendants, ArrayObject)  # a Type0 font has one CIDFont
        font = as_dictionary(descendants[0])
        assert "/FontFile2" in as_dictionary(font["/FontDescriptor"])  # the TrueType program
        embedded.add(str(font["/BaseFont"]).split("+")[-1])
    assert embedded == {"DejaVuSansCondensed", "DejaVuSansCondensedBold"}


def test_change_orders_are_grouped_under_their_section(electrical: InvoiceView,
                                                       exported: Path) -> None:
    text = pypdf_text(exported)
    sections = [line.section for line in electrical.lines if line.section]
    orders = [line.change_order for line in electrical.lines if line.change_order]
    assert sections and orders
    heading = text.index("Change Orders", text.index("Continuation Sheet"))
    assert heading < text.index(sections[0]) < text.index(orders[0])


def test_the_sheet_headings_are_the_g703_specification(electrical: InvoiceView,
                                                      exported: Path) -> None:
    """The continuation sheet reads its columns from data/g703.py: each form column's letter
    over its caption, the other columns by caption, in the specification's order."""
    sheet = pypdf_text(exported).split("Continuation Sheet", 1)[1]
    headings = [f"{column.letter} {column.caption}" if column.letter else column.caption
                for column in g703.printed_columns(Method.AMOUNT)]
    assert headings[2:4] == ["Budget Code", "C Scheduled Value"]
    positions = [sheet.index(heading) for heading in headings]
    assert positions == sorted(positions)


def test_a_unit_based_invoice_shows_its_units(sqlite_demo_engine: Engine,
                                              tmp_path: Path) -> None:
    view = view_of(sqlite_demo_engine, CONCRETE, 2, "dan")
    assert any(line.units is not None for line in view.lines)
    path = export_invoice_pdf(view, tmp_path)
    text = pypdf_text(path)
    assert "$4.125" in text
    assert "Unit Price" in text and "Prev. Qty" in text and "New Qty" in text
    assert format_money(line_amount(view, "8")) in text
    assert f"Grand Total {' '.join(sheet_totals(view))}" in text


def test_every_page_is_numbered_and_repeats_the_column_headings(
        electrical: InvoiceView) -> None:
    long_sheet = replace(electrical, lines=electrical.lines * 4)
    reader = PdfReader(io.BytesIO(render_invoice_pdf(long_sheet)))
    count = len(reader.pages)
    assert count >= 3
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Page {number} of {count}" in text
        if number > 1:
            assert "Scheduled" in text and "Balance to" in text


def test_a_change_order_heading_never_ends_a_page(electrical: InvoiceView) -> None:
    """A heading row (Change Orders, a section, a change order) goes to the next page with the
    first line under it: the change orders are moved down a line at a time across the foot of
    page 3."""
    originals = [line for line in electrical.lines if not line.section]
    changes = [line for line in electrical.lines if line.section]
    headings = {"Change Orders", *(line.section for line in changes),
                *(line.change_order for line in changes)}
    for extra in range(10, 20):
        lines = (*originals, *originals, *originals[:extra], *changes)
        reader = PdfReader(io.BytesIO(render_invoice_pdf(replace(electrical, lines=lines))))
        for page in reader.pages[1:]:
            rows = [row.strip() for row in page.extract_text().splitlines() if row.strip()]
            assert rows[-2] not in headings, (extra, rows[-2])  # the last row above the footer


def test_long_text_is_clipped_with_an_ellipsis(electrical: InvoiceView) -> None:
    endless = "Conduit " * 300 + "X" * 500
    lines = (with_description(electrical.lines[0], endless), *electrical.lines[1:])
    clipped_line = PdfReader(io.BytesIO(render_invoice_pdf(replace(electrical, lines=lines))))
    sheet = " ".join(page.extract_text() for page in clipped_line.pages[1:])
    assert "…" in sheet
    assert 10 < sheet.count("Conduit") < 80  # a few lines of it, not three hundred words
    assert "X" * 50 not in sheet
    clipped_name = PdfReader(io.BytesIO(render_invoice_pdf(
        replace(electrical, project_name=endless))))
    first_page = clipped_name.pages[0].extract_text()
    assert "…" in first_page and first_page.count("Conduit") < 80


# --- characters the font lacks ---------------------------------------------------------------


def test_a_character_without_a_glyph_becomes_the_replacement_character() -> None:
    assert printable(f"a{CJK_IDEOGRAPH}b") == f"a{REPLACEMENT_CHARACTER}b"
    assert printable(EMOJI_DEJAVU_LACKS) == REPLACEMENT_CHARACTER
    assert printable("café — “€”") == "café — “€”"
    assert printable("cafe\u0301") == "café"  # composed, so the accent sits on its letter
    assert printable("a\x00b\tc") == "a b c"


def test_text_the_font_lacks_does_not_crash_the_export(electrical: InvoiceView,
                                                       tmp_path: Path) -> None:
    odd = f"Lobby {CJK_IDEOGRAPH} {EMOJI_DEJAVU_LACKS} lights"
    lines = (with_description(electrical.lines[0], odd), *electrical.lines[1:])
    view = replace(electrical, lines=lines, contract_company=f"{CJK_IDEOGRAPH} Electric",
                   project_name=f"Tower {EMOJI_DEJAVU_LACKS}")
    path = export_invoice_pdf(view, tmp_path)
    text = pypdf_text(path)
    assert f"Lobby {REPLACEMENT_CHARACTER} {REPLACEMENT_CHARACTER} lights" in text
    assert f"{REPLACEMENT_CHARACTER} Electric" in text


# --- figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("price", "shown"), [
    ("4.125", "$4.125"), ("18.50", "$18.50"), ("1234.5", "$1,234.50"), ("0.0001", "$0.0001"),
    ("-4.125", "-$4.125"), ("3850", "$3,850.00"),
])
def test_unit_prices_keep_their_decimals(price: str, shown: str) -> None:
    assert format_unit_price(Decimal(price)) == shown


# --- the file --------------------------------------------------------------------------------


def test_the_file_is_private_named_for_the_invoice_and_never_overwritten(
        electrical: InvoiceView, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    first = export_invoice_pdf(electrical, folder)
    content = first.read_bytes()
    second = export_invoice_pdf(electrical, folder)
    assert first.name == f"{ELECTRICAL} Invoice 3 - {electrical.billing_date.isoformat()}.pdf"
    assert second != first and second.name.endswith(" (2).pdf")
    assert first.read_bytes() == content
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(second.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == sorted([first.name, second.name])


def test_unsafe_characters_never_leave_the_folder(electrical: InvoiceView,
                                                  tmp_path: Path) -> None:
    hostile = replace(electrical, commitment_number='../../etc/pa:ss*wd?"<x>|\u202e\x00')
    path = export_invoice_pdf(hostile, tmp_path)
    assert path.parent == tmp_path
    assert not set('/\\:*?"<>|\u202e\x00') & set(path.name)
    assert not safe_file_stem("..hidden").startswith(".")
    assert not safe_file_stem("-rf").startswith("-")
    assert safe_file_stem("") == "invoice"
    assert len(safe_file_stem("é" * 500).encode()) <= 200
    assert export_file_name(electrical).endswith(".pdf")


def test_page_one_renders_to_png(exported: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "page"
    subprocess.run([poppler_tool("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1",
                    str(exported), str(prefix)], check=True, capture_output=True, timeout=60)
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert len(rendered) == 1 and rendered[0].stat().st_size > 0
