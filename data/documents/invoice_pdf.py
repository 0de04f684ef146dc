"""An invoice as a PDF: a G702-style summary page, then the G703-style continuation sheet.

Landscape US Letter. Text is set in DejaVu Sans Condensed, embedded from data/assets/fonts,
because the PDF core fonts cannot print ’ — € “ ”. Every string from the database passes
through `printable` first: a character the font has no glyph for becomes U+FFFD instead of an
empty box or an exception. Amounts are exact Decimals formatted by data.money; fpdf2 measures
text in floats, which is layout only and never touches a figure.

The continuation sheet sizes its columns to what they hold: each figure column is as wide as its
widest cell, the description takes the rest, and the font steps down until the description has
room (unit-based commitments add five columns). Its rows are drawn cell by cell with `cell()`:
fpdf2's `table()` breaks every cell as wrapping text, which took most of the time of a long
sheet (issue 11). Here only a text that does not fit is broken into lines; each text is measured
once, at one size, because a width grows in proportion to the font size. The column headings
repeat on every page, and a row never splits across pages.

The fonts are parsed once per process and shared by the documents drawn after (see
_ParsedFont): each document still embeds its own subset of them, the one fpdf2 would make from
the font file, made once for each set of glyphs and kept for the next document using the same.

Words of the point-of-view dictionary (data/wording.py) are the project's: "Invoice #3" reads
"Progress Billing #3" to a specialty contractor, "Subcontractor" reads "Contractor" to an owner.
"""

from __future__ import annotations

import copy
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from io import BytesIO
from itertools import groupby, islice
from pathlib import Path
from typing import Literal

from fontTools import subset as ftsubset  # type: ignore[import-untyped]
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from data import g703
from data.billing import Method, Summary
from data.documents.export_files import safe_file_stem, write_export
from data.documents.pdf_fonts import (
    BOLD,
    FONT_FAMILY,
    FONT_FILES,
    REGULAR,
    printable,
)
from data.g703 import G703Column, Group
from data.models import PaymentStatus
from data.money import format_money
from data.services.invoice_views import InvoiceView, SheetLine
from data.wording import INVITE_TYPE_LABELS, reworded, word

NO_BREAK_SPACE = "\u00a0"

MARGIN = 10.0  # mm, all sides
FOOTER_ROOM = 12.0  # mm kept free at the bottom of each page for the page number
PAGE_WIDTH = 279.4  # landscape Letter, mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
POINT = 25.4 / 72  # mm

INK = (20, 20, 20)
MUTED = (90, 90, 90)
RULE = (150, 150, 150)
LABEL_FILL = (235, 235, 235)
HEADING_FILL = (220, 226, 234)
GROUP_FILL = (242, 242, 242)
DUE_FILL = (255, 244, 204)

LEFT_BLOCK_WIDTH = 132.0  # page 1: the application lines...
BLOCK_GAP = 10.0
RIGHT_BLOCK_WIDTH = CONTENT_WIDTH - LEFT_BLOCK_WIDTH - BLOCK_GAP  # ...and the change orders
PARTICULARS_WIDTHS = (42.0, 96.7, 38.0, 82.7)
PARTICULAR_MAX_LINES = 2  # a longer value is clipped with "…"...
LABEL_MAX_LINES = 3  # ...and a label, in any wording, has room
PARTICULAR_SIZE = 9.0
PARTICULAR_LINE_HEIGHT = 4.6
PARTICULAR_PADDING_X = 1.5
PARTICULAR_PADDING_Y = 1.0
ROW_HEIGHT = 6.2
TEXT_PADDING = 1.0  # mm left and right of a cell's text (fpdf2's default); tables set theirs

SHEET_FONT_SIZES = (8.0, 7.5, 7.0, 6.5, 6.0, 5.5, 5.0)
WIDE_DESCRIPTION = 70.0  # mm: a description column this wide is ample...
NARROW_DESCRIPTION = 32.0  # ...and this is the least it gets, even at the smallest font
CELL_PADDING_X = 0.8  # mm each side
CELL_PADDING_Y = 0.6
MEASURE_SLACK = 0.4  # mm, so that a cell sized to its text does not wrap on rounding
DESCRIPTION_MAX_LINES = 4  # a longer description is clipped with "…"
HEADING_MAX_LINES = 8  # the longest, D's, takes six at the narrowest
MEASURE_SIZE = 10.0  # pt: texts are measured at this size and scaled to any other

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- how figures and dates read --------------------------------------------------------------


def _long_date(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


# --- the fonts, parsed once ----------------------------------------------------------------

# Tables that never reach a font fpdf2 embeds: those it drops (glyph substitution and
# positioning, maths layout, FontForge's time stamps) and `kern`, which fontTools' subsetting
# drops from a font with GPOS; dropped here once instead of decompiled for each document.
_UNEMBEDDED_TABLES = ("GSUB", "GPOS", "GDEF", "MATH", "FFTM", "kern")
_MACINTOSH = 1  # a character map the subsetting drops as well (fontTools' legacy_cmap)
SUBSETS_KEPT = 64  # per font: the glyph sets of the invoices drawn last


@dataclass(frozen=True)
class _ParsedFont:
    """A font as fpdf2 parsed it from its file (metrics, character map, glyph ids: read, never
    changed, by the documents that share it), the font file to embed without the tables in
    _UNEMBEDDED_TABLES, and the subsets of it made for the glyph sets used last.

    Parsing the file took most of the fixed cost of a document (fpdf2's TTFFont decompiles the
    glyph table to look for `.notdef` and reads every glyph's width). What fpdf2 changes while
    it draws and writes a document is that document's own: the record of the glyphs it used
    (SubsetMap), the glyphs it lacked, the largest size, the font descriptor (its object
    number and font file are set when written), and the fontTools font, which is cut down in
    place to the glyphs used when the document is written; each document gets a fresh one.

    Cutting the whole font down (fontTools decompiles every glyph, name and width) was the
    other half of that cost, so it is done once per set of glyphs: before a document is
    written its fontTools font becomes the subset, made or kept, of exactly the glyphs it used
    (their names kept), and fpdf2 cuts that down to the same glyphs, which takes next to
    nothing and embeds what it would have made from the whole font."""

    template: TTFFont
    embedded: bytes
    subsets: OrderedDict[frozenset[str], bytes] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def for_document(self, pdf: FPDF) -> TTFFont:
        font = copy.copy(self.template)
        font.i = len(pdf.fonts) + 1
        font.ttfont = ttLib.TTFont(BytesIO(self.embedded), recalcTimestamp=False, lazy=True)
        font.desc = copy.copy(self.template.desc)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
        return font

    def subset_of(self, glyphs: frozenset[str]) -> bytes:
        """The font cut down to `glyphs` (and those fpdf2 always keeps), names kept."""
        with self.lock:
            kept = self.subsets.get(glyphs)
            if kept is not None:
                self.subsets.move_to_end(glyphs)
                return kept
        font = ttLib.TTFont(BytesIO(self.embedded), recalcTimestamp=False, lazy=True)
        options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True,
                                   glyph_names=True)
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(glyphs=sorted(glyphs))
        subsetter.subset(font)
        made = BytesIO()
        font.save(made)
        font.close()
        with self.lock:
            self.subsets[glyphs] = made.getvalue()
            while len(self.subsets) > SUBSETS_KEPT:
                self.subsets.popitem(last=False)
        return made.getvalue()


_parsing = threading.Lock()
_parsed: dict[Path, _ParsedFont | None] = {}


def _add_parsed_font(pdf: FPDF, style: str, path: Path) -> None:
    """`pdf.add_font(FONT_FAMILY, style, path)`, with the font parsed once per process."""
    with _parsing:
        if path not in _parsed:
            _parsed[path] = _parse_font(style, path)
        parsed = _parsed[path]
    if parsed is None:
        pdf.add_font(FONT_FAMILY, style, fname=str(path))
    else:
        pdf.fonts[parsed.template.fontkey] = parsed.for_document(pdf)


def _cut_down_fonts(pdf: FPDF) -> None:
    """Before `pdf` is written: each shared font's fontTools font replaced by the subset of the
    glyphs the document used (see _ParsedFont)."""
    with _parsing:
        shared = {parsed.template.fontkey: parsed for parsed in _parsed.values()
                  if parsed is not None}
    for key, font in pdf.fonts.items():
        parsed = shared.get(key)
        if parsed is None or not isinstance(font, TTFFont) or font.cw is not parsed.template.cw:
            continue  # not a font made by parsed.for_document
        subset = parsed.subset_of(frozenset(font.subset.get_all_glyph_names()))
        font.ttfont.close()
        # Its glyphs' bounding boxes were worked out when the subset was made: not again.
        font.ttfont = ttLib.TTFont(BytesIO(subset), recalcBBoxes=False, recalcTimestamp=False,
                                   lazy=True)


def _parse_font(style: str, path: Path) -> _ParsedFont | None:
    """The font parsed, or None for a font fpdf2 treats in ways not shared here (colour,
    CFF outlines, WOFF, or a `.notdef` glyph that fpdf2 adds to its copy of the font)."""
    scratch = FPDF()
    scratch.add_font(FONT_FAMILY, style, fname=str(path))
    template = next(iter(scratch.fonts.values()))
    assert isinstance(template, TTFFont)
    try:
        if (template.color_font is not None or template.is_cff or template.is_compressed
                or template.is_symbol):
            return None
        original = ttLib.TTFont(path, recalcTimestamp=False, lazy=True)
        try:
            if "glyf" not in original or ".notdef" not in original.getGlyphOrder():
                return None
            for tag in _UNEMBEDDED_TABLES:
                if tag in original:
                    del original[tag]
            cmap = original["cmap"]
            cmap.tables = [table for table in cmap.tables if table.platformID != _MACINTOSH]
            embedded = BytesIO()
            original.recalcBBoxes = False
            original.save(embedded)
        finally:
            original.close()
        return _ParsedFont(template, embedded.getvalue())
    finally:
        template.close()


# --- the document ----------------------------------------------------------------------------


class _InvoiceDocument(FPDF):
    """Landscape Letter with the fonts embedded, a running head on continuation pages and
    "Page N of M" at the foot of every page."""

    def __init__(self, view: InvoiceView) -> None:
        super().__init__(orientation="L", unit="mm", format="letter")
        for style, path in FONT_FILES.items():
            _add_parsed_font(self, style, path)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=FOOTER_ROOM)
        self.alias_nb_pages()
        self.set_creator("payapp")
        self.set_title(view.title)
        self.set_draw_color(*RULE)
        self.set_line_width(0.15)
        self.c_margin = TEXT_PADDING
        self.view = view
        self.on_continuation_sheet = False
        self._widths_per_point: dict[tuple[str, str], float] = {}

    def text_width(self, text: str, style: str, size: float) -> float:
        """The width of `text` (one line) in mm at `size` pt: measured once per text and style.
        Leaves the font at MEASURE_SIZE when it had to measure."""
        key = (style, text)
        per_point = self._widths_per_point.get(key)
        if per_point is None:
            self.set_font(FONT_FAMILY, style, MEASURE_SIZE)
            per_point = self.get_string_width(text) / MEASURE_SIZE
            self._widths_per_point[key] = per_point
        return per_point * size

    def width_of(self, style: str, size: float) -> Callable[[str], float]:
        return lambda text: self.text_width(text, style, size)

    def write_cell(self, width: float, height: float, text: str, *, style: str = REGULAR,
                   size: float = 9.0, align: str = "L", fill: bool = False,
                   border: Literal[0, 1] | str = 0, color: tuple[int, int, int] = INK) -> None:
        """One line of text in a box: shrunk (figures) or clipped with "…" (words) to fit."""
        shown = printable(text, style)
        self.set_font(FONT_FAMILY, style, size)
        self.set_text_color(*color)
        room = width - 2 * self.c_margin
        if align == "R":
            self._shrink_font_to_fit(shown, room, style, size)
        self.cell(width, height, _clipped(self, shown, room), border=border, align=align,
                  fill=fill)
        self.set_text_color(*INK)

    def _shrink_font_to_fit(self, text: str, room: float, style: str, size: float) -> None:
        """Steps the font down (to 5 pt at least) until `text` fits in `room`."""
        while self.get_string_width(text) > room and size > 5:
            size -= 0.5
            self.set_font(FONT_FAMILY, style, size)

    def header(self) -> None:
        if not self.on_continuation_sheet:
            return
        view = self.view
        self.set_xy(MARGIN, MARGIN)
        self.write_cell(CONTENT_WIDTH * 0.45, 6, "Continuation Sheet", style=BOLD, size=12)
        self.write_cell(
            CONTENT_WIDTH * 0.55, 6,
            f"Application No. {view.position}   ·   Application date "
            f"{_long_date(view.billing_date)}   ·   Period to {_long_date(view.period_end)}",
            size=8, align="R", color=MUTED,
        )
        self.ln(6)
        self.write_cell(CONTENT_WIDTH, 4.5, _running_title(view), size=8, color=MUTED)
        self.ln(7)

    def footer(self) -> None:
        self.set_xy(MARGIN, -MARGIN - 2)
        self.write_cell(CONTENT_WIDTH - 40, 5, _running_title(self.view), size=7, color=MUTED)
        self.write_cell(40, 5, f"Page {self.page_no()} of {{nb}}", size=7, align="R",
                        color=MUTED)


def _running_title(view: InvoiceView) -> str:
    invoice = word("Invoice #", view.point_of_view)
    return (f"{view.project_number} {view.project_name}  ·  {view.commitment_number} "
            f"{view.commitment_title}  ·  {view.contract_company}  ·  {invoice}{view.position}")


# --- text in boxes ---------------------------------------------------------------------------


def _printable(text: str, style: str = REGULAR) -> str:
    """`printable`, without its work for plain ASCII (every figure), which the font has."""
    return text if text.isascii() and text.isprintable() else printable(text, style)


def _clipped(pdf: FPDF, text: str, room: float) -> str:
    """`text` on one line, cut short with "…" if it does not fit in `room` mm."""
    text = " ".join(text.split())
    if pdf.get_string_width(text) <= room:
        return text
    return _with_ellipsis(text, room, pdf.get_string_width)


def _with_ellipsis(text: str, room: float, width_of: Callable[[str], float]) -> str:
    """The longest start of `text` that fits in `room` mm with "…" after it."""
    fits, too_long = 0, len(text) + 1  # lengths of the text kept before the "…"
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if width_of(text[:middle].rstrip() + "…") <= room:
            fits = middle
        else:
            too_long = middle
    return text[:fits].rstrip() + "…"


def _wrapped(text: str, room: float, width_of: Callable[[str], float],
             max_lines: int) -> tuple[str, ...]:
    """`text` in lines at most `room` mm wide, broken at its line breaks and spaces (a word
    longer than a line where it must be); past `max_lines` lines it is cut with "…"."""
    lines = list(islice((line for paragraph in text.split("\n")
                         for line in _wrapped_paragraph(paragraph, room, width_of)),
                        max_lines + 1))
    if len(lines) <= max_lines:
        return tuple(lines)
    return (*lines[:max_lines - 1], _with_ellipsis(lines[max_lines - 1], room, width_of))


def _wrapped_paragraph(text: str, room: float,
                       width_of: Callable[[str], float]) -> Iterator[str]:
    if width_of(text) <= room:
        yield text
        return
    line = ""
    for piece in text.split(" "):
        longer = f"{line} {piece}" if line else piece
        if width_of(longer) <= room:
            line = longer
            continue
        if line:
            yield line
        while len(piece) > 1 and width_of(piece) > room:
            cut = _longest_start(piece, room, width_of)
            yield piece[:cut]
            piece = piece[cut:]
        line = piece
    yield line


def _longest_start(text: str, room: float, width_of: Callable[[str], float]) -> int:
    """The length of the longest start of `text` that fits in `room` (one character at least)."""
    fits, too_long = 1, len(text)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if width_of(text[:middle]) <= room:
            fits = middle
        else:
            too_long = middle
    return fits


@contextmanager
def _cell_padding(pdf: FPDF, padding: float) -> Iterator[None]:
    """`cell()` sets its text `c_margin` in from the left and right: a table's padding."""
    kept = pdf.c_margin
    pdf.c_margin = padding
    try:
        yield
    finally:
        pdf.c_margin = kept


_VerticalAlign = Literal["T", "M", "B"]


@dataclass(frozen=True)
class _Lines:
    """How the lines of a box are set: their height, the padding above and below them, and
    where they stand in a box taller than they need."""

    height: float
    padding: float
    v_align: _VerticalAlign


def _draw_box(pdf: FPDF, x: float, y: float, width: float, height: float,
              lines: Sequence[str], setting: _Lines, *, align: str, fill: bool) -> None:
    """A bordered box of text lines at (x, y), filled with the current fill colour if `fill`,
    in the current font. A line that fills its box is one `cell()`."""
    used = len(lines) * setting.height
    top = {"T": y + setting.padding, "M": y + (height - used) / 2,
           "B": y + height - setting.padding - used}[setting.v_align]
    if len(lines) == 1 and abs(top - (y + (height - used) / 2)) < 1e-6:
        pdf.set_xy(x, y)
        pdf.cell(width, height, lines[0], border=1, align=align, fill=fill)
        return
    pdf.rect(x, y, width, height, style="DF" if fill else "D")
    for index, line in enumerate(lines):
        pdf.set_xy(x, top + index * setting.height)
        pdf.cell(width, setting.height, line, align=align)


def render_invoice_pdf(view: InvoiceView) -> bytes:
    """The invoice as PDF bytes: page 1 the summary, then the continuation sheet."""
    pdf = _InvoiceDocument(view)
    pdf.add_page()
    _draw_summary_page(pdf, view)
    pdf.on_continuation_sheet = True
    pdf.add_page()
    _draw_continuation_sheet(pdf, view)
    _cut_down_fonts(pdf)
    return bytes(pdf.output())


# --- page 1: application and certificate for payment (G702) ---------------------------------


def _draw_summary_page(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    _draw_title(pdf, view)
    _draw_particulars(pdf, view)
    top = pdf.get_y() + 6
    _draw_application_lines(pdf, view.summary, x=MARGIN, y=top, width=LEFT_BLOCK_WIDTH)
    right = MARGIN + LEFT_BLOCK_WIDTH + BLOCK_GAP
    _draw_change_order_summary(pdf, view.summary, x=right, y=top, width=RIGHT_BLOCK_WIDTH)
    _draw_payment(pdf, view, x=right, y=pdf.get_y() + 14, width=RIGHT_BLOCK_WIDTH)


def _draw_title(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    pdf.set_xy(MARGIN, MARGIN)
    pdf.write_cell(CONTENT_WIDTH - 60, 8, "Application and Certificate for Payment",
                   style=BOLD, size=15)
    pdf.write_cell(60, 8, f"Application No. {view.position}", style=BOLD, size=12, align="R")
    pdf.ln(8)
    pdf.write_cell(CONTENT_WIDTH, 5,
                   "G702-style summary. The continuation sheet (G703-style) with the schedule "
                   "of values follows. All amounts in US dollars.", size=8, color=MUTED)
    pdf.ln(8)


def _particulars(view: InvoiceView) -> list[tuple[str, str, str, str]]:
    """The invoice's identity, as (label, value, label, value) rows, in the project's words."""
    pov = view.point_of_view
    return [
        ("Project", f"{view.project_number} {view.project_name}",
         "Application No.", str(view.position)),
        (reworded("Contract company (Subcontractor)", pov), view.contract_company,
         reworded("Subcontractor's invoice No.", pov), view.invoice_number or "—"),
        (word("Subcontract", pov), f"{view.commitment_number} {view.commitment_title}",
         "Billing date", _long_date(view.billing_date)),
        ("Period", f"{_long_date(view.period_start)} to {_long_date(view.period_end)}",
         "Billing type", view.billing_type_label),
        (reworded("Invoice type", pov), INVITE_TYPE_LABELS[view.invoice_type],
         "Status", reworded(view.status_label, pov)),
    ]


_PARTICULAR_LINES = _Lines(PARTICULAR_LINE_HEIGHT, PARTICULAR_PADDING_Y, "M")


def _draw_particulars(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    """The identity rows as a bordered table, labels shaded; a value longer than two lines is
    clipped with "…"."""
    with _cell_padding(pdf, PARTICULAR_PADDING_X):
        for cells in _particulars(view):
            _draw_particulars_row(pdf, cells)


def _draw_particulars_row(pdf: _InvoiceDocument, cells: Sequence[str]) -> None:
    styles = (BOLD, REGULAR) * 2
    boxes = [_wrapped(" ".join(_printable(text, style).split()),
                      width - 2 * PARTICULAR_PADDING_X, pdf.width_of(style, PARTICULAR_SIZE),
                      PARTICULAR_MAX_LINES if style == REGULAR else LABEL_MAX_LINES)
             for text, width, style in zip(cells, PARTICULARS_WIDTHS, styles, strict=True)]
    height = max(len(lines) for lines in boxes) * PARTICULAR_LINE_HEIGHT \
        + 2 * PARTICULAR_PADDING_Y
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_fill_color(*LABEL_FILL)
    for lines, width, style in zip(boxes, PARTICULARS_WIDTHS, styles, strict=True):
        pdf.set_font(FONT_FAMILY, style, PARTICULAR_SIZE)
        _draw_box(pdf, x, y, width, height, lines, _PARTICULAR_LINES, align="L",
                  fill=style == BOLD)
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


@dataclass(frozen=True)
class _Box:
    """A cell on page 1: its width, text and alignment."""

    width: float
    text: str
    align: str = "L"


def _draw_boxes(pdf: _InvoiceDocument, x: float, boxes: Sequence[_Box], *, style: str = REGULAR,
                size: float = 9.0, fill: bool = False) -> None:
    """One ruled row of boxes at `x`, below the previous row."""
    pdf.set_x(x)
    for box in boxes:
        pdf.write_cell(box.width, ROW_HEIGHT, box.text, style=style, size=size, align=box.align,
                       fill=fill, border="B")
    pdf.ln(ROW_HEIGHT)


def _draw_block_title(pdf: _InvoiceDocument, title: str, *, x: float, y: float,
                      width: float) -> None:
    pdf.set_xy(x, y)
    pdf.write_cell(width, 7, title, style=BOLD, size=11)
    pdf.ln(7)


def _draw_application_lines(pdf: _InvoiceDocument, summary: Summary, *, x: float, y: float,
                            width: float) -> None:
    """G702 lines 1 to 9; line 8, the payment due, stands out."""
    _draw_block_title(pdf, "Application for Payment", x=x, y=y, width=width)
    number_width, amount_width = 10.0, 40.0
    caption_width = width - number_width - amount_width
    for number, caption, amount in summary.numbered_lines():
        is_due = number == "8"
        style = BOLD if number in {"3", "6", "8"} else REGULAR
        indent = "    " if number in {"5a", "5b"} else ""
        pdf.set_fill_color(*(DUE_FILL if is_due else LABEL_FILL))
        pdf.set_x(x)
        pdf.write_cell(number_width, ROW_HEIGHT, number, style=BOLD, align="C", fill=True,
                       border="B")
        _draw_boxes(pdf, x + number_width,
                    [_Box(caption_width, indent + caption),
                     _Box(amount_width, format_money(amount), "R")],
                    style=style, fill=is_due)


def _change_order_rows(summary: Summary) -> list[tuple[str, Decimal, Decimal]]:
    orders = summary.change_orders
    return [
        ("Approved in previous months", orders.previous_additions,
         orders.previous_deductions),
        ("Approved this month", orders.this_period_additions,
         orders.this_period_deductions),
        ("Totals", orders.additions, orders.deductions),
    ]


def _draw_change_order_summary(pdf: _InvoiceDocument, summary: Summary, *, x: float, y: float,
                               width: float) -> None:
    """Additions and deductions approved in previous months and this month, and the net."""
    amount_width = 27.0
    caption_width = width - 2 * amount_width
    _draw_block_title(pdf, "Change Order Summary", x=x, y=y, width=width)
    pdf.set_fill_color(*LABEL_FILL)
    _draw_boxes(pdf, x, [_Box(caption_width, "Change orders"),
                         _Box(amount_width, "Additions", "R"),
                         _Box(amount_width, "Deductions", "R")], style=BOLD, fill=True)
    for caption, additions, deductions in _change_order_rows(summary):
        _draw_boxes(pdf, x, [_Box(caption_width, caption),
                             _Box(amount_width, format_money(additions), "R"),
                             _Box(amount_width, format_money(deductions), "R")],
                    style=BOLD if caption == "Totals" else REGULAR)
    _draw_boxes(pdf, x, [_Box(caption_width, "Net changes by change order"),
                         _Box(2 * amount_width, format_money(summary.net_change_by_change_orders),
                              "R")], style=BOLD)


def _draw_payment(pdf: _InvoiceDocument, view: InvoiceView, *, x: float, y: float,
                  width: float) -> None:
    """What has been paid against this invoice so far."""
    amount_width = 2 * 27.0
    _draw_block_title(pdf, "Payment", x=x, y=y, width=width)
    _draw_boxes(pdf, x, [_Box(width - amount_width, "Paid"),
                         _Box(amount_width, format_money(view.paid), "R")])
    _draw_boxes(pdf, x, [_Box(width - amount_width, "Payment status"),
                         _Box(amount_width, _payment_status_text(view), "R")])


def _payment_status_text(view: InvoiceView) -> str:
    if view.payment_status is PaymentStatus.NOT_APPROVED:
        return "Not approved for payment yet"
    return view.payment_label


# --- the continuation sheet (G703) -----------------------------------------------------------


class _RowKind(Enum):
    LINE = "line"
    GROUP = "group"  # "Change Orders"
    SECTION = "section"  # "Commitment Change Orders"
    CHANGE_ORDER = "change order"  # "CCO 001 Added exam-room receptacles"
    TOTAL = "total"
    HEADINGS = "headings"  # the columns' headings, on top of every page


_FIGURE_ROWS = (_RowKind.LINE, _RowKind.TOTAL)  # one text per column; the others span the sheet


@dataclass(frozen=True)
class _Row:
    kind: _RowKind
    cells: tuple[str, ...]  # one text spanning the whole row for the heading kinds

    @property
    def style(self) -> str:
        return REGULAR if self.kind is _RowKind.LINE else BOLD


def _heading(column: G703Column) -> str:
    """A form column under its letter ("C" over "Scheduled Value"); a unit column, where five
    more columns compete for the width, by its short label ("Prev. Qty"); any other column by
    its caption. Words in parentheses stay together: "%" over "(G ÷ C)"."""
    if column.letter is not None:
        text = f"{column.letter}\n{column.caption}"
    elif Group.UNITS in column.groups:
        text = column.short
    else:
        text = column.caption
    return re.sub(r"\([^)]*\)", lambda kept: kept.group().replace(" ", NO_BREAK_SPACE), text)


def _heading_words(column: G703Column) -> list[str]:
    """The pieces a heading may wrap between (not at a no-break space)."""
    return [word for word in re.split(r"[ \n]+", _heading(column)) if word]


def _align(column: G703Column) -> str:
    return "R" if column.numeric else "L"


def _flexible(column: G703Column) -> bool:
    """The description takes the width the other columns leave."""
    return column is g703.DESCRIPTION


def _sheet_columns(unit_based: bool) -> tuple[G703Column, ...]:
    """The printed sheet's columns (data/g703.py): G703's A to I, with the unit columns beside
    C, D and E when there are units."""
    return g703.printed_columns(Method.UNIT if unit_based else Method.AMOUNT)


def _line_rows(lines: Iterable[SheetLine], columns: Sequence[G703Column]) -> list[_Row]:
    return [_Row(_RowKind.LINE, tuple(column.line_text(line) for column in columns))
            for line in lines]


def _sheet_rows(view: InvoiceView, columns: Sequence[G703Column]) -> list[_Row]:
    """Original lines, then change-order lines under their section and change order, then the
    grand total (which is the summary's); each text printable and on one line."""
    rows = _line_rows((line for line in view.lines if not line.section), columns)
    change_lines = [line for line in view.lines if line.section]
    if change_lines:
        rows.append(_Row(_RowKind.GROUP, ("Change Orders",)))
    for section, in_section in groupby(change_lines, key=lambda line: line.section):
        rows.append(_Row(_RowKind.SECTION, (section,)))
        for order, in_order in groupby(in_section, key=lambda line: line.change_order):
            rows.append(_Row(_RowKind.CHANGE_ORDER, (order,)))
            rows.extend(_line_rows(in_order, columns))
    rows.append(_Row(_RowKind.TOTAL,
                     tuple(column.total_text(view.summary) for column in columns)))
    return [_Row(row.kind, tuple(" ".join(_printable(cell, row.style).split())
                                 for cell in row.cells))
            for row in rows]


@dataclass(frozen=True)
class _SheetLayout:
    font_size: float
    widths: tuple[float, ...]

    @property
    def line_height(self) -> float:
        return self.font_size * POINT * 1.2


def _widest_per_point(pdf: _InvoiceDocument, columns: Sequence[G703Column],
                      rows: Sequence[_Row]) -> list[float]:
    """For each column, the width per point of font size of its widest cell, or of its
    heading's longest word if that is wider."""
    figure_rows = [row for row in rows if row.kind in _FIGURE_ROWS]
    return [max(max((pdf.text_width(row.cells[index], row.style, 1.0) for row in figure_rows),
                    default=0.0),
                max(pdf.text_width(heading_word, BOLD, 1.0)
                    for heading_word in _heading_words(column)))
            for index, column in enumerate(columns)]


def _layout_at(columns: Sequence[G703Column], widest: Sequence[float],
               size: float) -> tuple[list[float], float, float]:
    """The natural widths at `size`, the description's natural width and the room left for
    the description once the other columns have theirs."""
    widths = [per_point * size + 2 * CELL_PADDING_X + MEASURE_SLACK for per_point in widest]
    flexible = [index for index, column in enumerate(columns) if _flexible(column)]
    room = CONTENT_WIDTH - sum(w for index, w in enumerate(widths) if index not in flexible)
    wanted = sum(widths[index] for index in flexible)
    return widths, wanted, room


def _choose_layout(pdf: _InvoiceDocument, columns: Sequence[G703Column],
                   rows: Sequence[_Row]) -> _SheetLayout:
    """The largest font at which the description gets enough room; at the smallest font the
    figure columns give up width (a figure then too wide is set smaller)."""
    widest = _widest_per_point(pdf, columns, rows)
    for size in SHEET_FONT_SIZES:
        widths, wanted, room = _layout_at(columns, widest, size)
        if room >= min(wanted, WIDE_DESCRIPTION):
            return _SheetLayout(size, _with_flexible_room(columns, widths, room))
    size = SHEET_FONT_SIZES[-1]
    widths, _wanted, room = _layout_at(columns, widest, size)
    if room < NARROW_DESCRIPTION:
        squeeze = (CONTENT_WIDTH - NARROW_DESCRIPTION) / (CONTENT_WIDTH - room)
        widths = [w * squeeze for w in widths]
        room = NARROW_DESCRIPTION
    return _SheetLayout(size, _with_flexible_room(columns, widths, room))


def _with_flexible_room(columns: Sequence[G703Column], widths: Sequence[float],
                        room: float) -> tuple[float, ...]:
    flexible_count = sum(1 for column in columns if _flexible(column))
    return tuple(room / flexible_count if _flexible(column) else width
                 for column, width in zip(columns, widths, strict=True))


_ROW_FILLS: dict[_RowKind, tuple[int, int, int] | None] = {
    _RowKind.LINE: None,
    _RowKind.GROUP: HEADING_FILL,
    _RowKind.SECTION: GROUP_FILL,
    _RowKind.CHANGE_ORDER: None,
    _RowKind.TOTAL: LABEL_FILL,
    _RowKind.HEADINGS: HEADING_FILL,
}


@dataclass(frozen=True)
class _LaidOut:
    """A row ready to draw: each box's lines, width, alignment and font size."""

    kind: _RowKind
    boxes: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    aligns: tuple[str, ...]
    sizes: tuple[float, ...]  # the sheet's size, but for a figure set smaller to fit
    height: float


class _Sheet:
    """The continuation sheet's rows, laid out in its columns and drawn with `cell()`."""

    def __init__(self, pdf: _InvoiceDocument, columns: Sequence[G703Column],
                 layout: _SheetLayout) -> None:
        self.pdf = pdf
        self.columns = columns
        self.layout = layout
        self.aligns = tuple(_align(column) for column in columns)
        self.lines = _Lines(layout.line_height, CELL_PADDING_Y, "T")
        self.heading_lines = _Lines(layout.line_height, CELL_PADDING_Y, "B")

    def _height(self, boxes: Iterable[tuple[str, ...]]) -> float:
        return max(len(lines) for lines in boxes) * self.layout.line_height + 2 * CELL_PADDING_Y

    def _room(self, width: float) -> float:
        return width - 2 * CELL_PADDING_X

    def headings(self) -> _LaidOut:
        width_of = self.pdf.width_of(BOLD, self.layout.font_size)
        boxes = tuple(_wrapped(_heading(column), self._room(width), width_of, HEADING_MAX_LINES)
                      for column, width in zip(self.columns, self.layout.widths, strict=True))
        return _LaidOut(_RowKind.HEADINGS, boxes, self.layout.widths, ("C",) * len(boxes),
                        (self.layout.font_size,) * len(boxes), self._height(boxes))

    def lay_out(self, row: _Row) -> _LaidOut:
        if row.kind in _FIGURE_ROWS:
            return self._figure_row(row)
        size = self.layout.font_size
        width = sum(self.layout.widths)
        indent = "    " if row.kind is _RowKind.CHANGE_ORDER else ""
        text = indent + row.cells[0]
        if self.pdf.text_width(text, BOLD, size) > self._room(width):
            text = _with_ellipsis(text, self._room(width), self.pdf.width_of(BOLD, size))
        return _LaidOut(row.kind, ((text,),), (width,), ("L",), (size,),
                        self._height([(text,)]))

    def _figure_row(self, row: _Row) -> _LaidOut:
        """Words wrap (a description up to DESCRIPTION_MAX_LINES lines); a figure stays on one
        line, set smaller if a squeezed column is too narrow for it."""
        size = self.layout.font_size
        width_of = self.pdf.width_of(row.style, size)
        boxes: list[tuple[str, ...]] = []
        sizes: list[float] = []
        for text, column, width in zip(row.cells, self.columns, self.layout.widths,
                                       strict=True):
            room = self._room(width)
            sizes.append(size)
            if not column.numeric:
                boxes.append(_wrapped(text, room, width_of, DESCRIPTION_MAX_LINES))
                continue
            boxes.append((text,))
            needed = self.pdf.text_width(text, row.style, size)
            if needed > room:
                sizes[-1] = size * room / needed
        return _LaidOut(row.kind, tuple(boxes), self.layout.widths, self.aligns, tuple(sizes),
                        self._height(boxes))

    def draw(self, rows: Sequence[_Row]) -> None:
        """Every row, the headings on top of each page; a row that does not fit goes to the
        next page whole, and a heading row (change orders, a section, a change order) goes
        with the first line under it."""
        pdf = self.pdf
        headings = self.headings()
        laid_out = [self.lay_out(row) for row in rows]
        with _cell_padding(pdf, CELL_PADDING_X):
            self._draw_row(headings)
            for index, row in enumerate(laid_out):
                if pdf.get_y() + _kept_together(laid_out, index) > pdf.page_break_trigger:
                    with _cell_padding(pdf, TEXT_PADDING):  # the running head's own
                        pdf.add_page()
                    self._draw_row(headings)
                self._draw_row(row)

    def _draw_row(self, row: _LaidOut) -> None:
        pdf = self.pdf
        x, y = pdf.l_margin, pdf.get_y()
        fill = _ROW_FILLS[row.kind]
        if fill is not None:
            pdf.set_fill_color(*fill)
        style = REGULAR if row.kind is _RowKind.LINE else BOLD
        setting = self.heading_lines if row.kind is _RowKind.HEADINGS else self.lines
        for lines, width, align, size in zip(row.boxes, row.widths, row.aligns, row.sizes,
                                             strict=True):
            pdf.set_font(FONT_FAMILY, style, size)
            _draw_box(pdf, x, y, width, row.height, lines, setting, align=align,
                      fill=fill is not None)
            x += width
        pdf.set_xy(pdf.l_margin, y + row.height)


def _kept_together(rows: Sequence[_LaidOut], start: int) -> float:
    """The height from row `start` down to the first row of figures, inclusive."""
    height = 0.0
    for row in rows[start:]:
        height += row.height
        if row.kind in _FIGURE_ROWS:
            break
    return height


def _draw_continuation_sheet(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    columns = _sheet_columns(any(line.units is not None for line in view.lines))
    rows = _sheet_rows(view, columns)
    _Sheet(pdf, columns, _choose_layout(pdf, columns, rows)).draw(rows)


# --- export to a file ------------------------------------------------------------------------


def export_file_name(view: InvoiceView) -> str:
    """`SC-2417-016 Invoice 3 - 2026-11-21.pdf`."""
    invoice = word("Invoice", view.point_of_view)
    stem = (f"{view.commitment_number} {invoice} {view.position} - "
            f"{view.billing_date.isoformat()}")
    return f"{safe_file_stem(stem)}.pdf"


def export_invoice_pdf(view: InvoiceView, folder: Path) -> Path:
    """Writes the invoice's PDF into `folder` (created private, 0700) as a new 0600 file that
    never replaces an earlier export, and returns its full path."""
    return write_export(folder, export_file_name(view), render_invoice_pdf(view))
