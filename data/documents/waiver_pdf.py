"""A filled statutory lien waiver as a PDF: the statute's words, payapp's values, nothing else.

Portrait US Letter, one form to a page where it fits (the type steps down a little until it
does; a form that still does not fit runs on to a second page). Text is set in DejaVu Sans
Condensed from data/assets/fonts, because the PDF core fonts cannot print ’ or §; a character
the font has no glyph for becomes U+FFFD rather than vanishing. Values are drawn as plain text:
fpdf2's markdown is never switched on, so `**`, `<b>` or `[b]` in a name print as typed.

Type: the notice is set in bold, in the largest type on the form, so that whatever the statute
asks of it (California §8134 and §8138: at least as large as any other type; Texas, unconditional
forms: at the top of the page, bold, at least as large as the largest type and not under 10
point) holds, and no title or heading is ever larger than the notice. A template whose notice
must stand at the top has it as its first block, so it is printed first, above the title.

A filled blank is underlined, as if written on the form's line; a blank without a value is a
line of underscores, to be filled in by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.util import Padding

from data.documents.export_files import write_atomically
from data.documents.pdf_fonts import BOLD, FONT_FAMILY, FONT_FILES, REGULAR
from data.documents.pdf_fonts import printable as printable_in_font
from data.waivers.filling import FilledBlock, FilledWaiver
from data.waivers.template import BlockStyle, NoticeRule

UNDERLINE = "U"

MARGIN = 19.0  # mm, all sides (three quarters of an inch)
POINT = 25.4 / 72  # mm
LEADING = 1.35  # line height as a multiple of the type size
NOTICE_PADDING = Padding(2.5, 2.5, 2.5, 2.5)  # mm between the notice and its frame
INK = (0, 0, 0)


@dataclass(frozen=True)
class TypeSizes:
    """Type sizes in points. The notice is never smaller than any other."""

    notice: float
    title: float
    heading: float
    text: float


BASE_SIZES = TypeSizes(notice=12.0, title=12.0, heading=10.5, text=10.0)
# The scales tried, largest first, until the form fits on one page.
SCALES = (1.0, 0.95, 0.9, 0.85, 0.8)


def type_sizes(rule: NoticeRule, scale: float = 1.0) -> TypeSizes:
    """The sizes at `scale`, with the notice at least `rule.min_points` and as large as the
    largest other type (the title is never larger than the notice)."""
    text = round(BASE_SIZES.text * scale, 2)
    heading = round(BASE_SIZES.heading * scale, 2)
    title = round(BASE_SIZES.title * scale, 2)
    notice = max(round(BASE_SIZES.notice * scale, 2), float(rule.min_points), title, heading,
                 text)
    return TypeSizes(notice=notice, title=title, heading=heading, text=text)


def printable(text: str, style: str = REGULAR) -> str:
    """`text` as the font prints it on a form's one-line blanks: line breaks as spaces too."""
    return printable_in_font(text, style, keep_lines=False)


# --- the document ----------------------------------------------------------------------------


class _WaiverDocument(FPDF):
    def __init__(self, waiver: FilledWaiver) -> None:
        super().__init__(orientation="P", unit="mm", format="letter")
        for style, path in FONT_FILES.items():
            self.add_font(FONT_FAMILY, style, fname=str(path))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.set_text_color(*INK)
        self.set_draw_color(*INK)
        template = waiver.template
        self.set_creator("payapp")
        self.set_title(template.title)
        self.set_subject(f"{template.citation}, version {template.version}")
        self.set_keywords(f"lien waiver {template.jurisdiction} {template.form} "
                          f"{template.version}")
        self.set_lang("en-US")


def render_waiver_pdf(waiver: FilledWaiver) -> bytes:
    """The PDF of `waiver`, on one page if any of SCALES fits it there."""
    pdf = _draw(waiver, type_sizes(waiver.template.notice, SCALES[0]))
    for scale in SCALES[1:]:
        if pdf.pages_count <= 1:
            break
        pdf = _draw(waiver, type_sizes(waiver.template.notice, scale))
    return bytes(pdf.output())


def write_waiver_pdf(waiver: FilledWaiver, path: Path) -> Path:
    """Writes the PDF of `waiver` to `path` (replacing the file atomically, readable by its
    owner only) and returns the path. The folder must exist."""
    write_atomically(path, render_waiver_pdf(waiver))
    return path


def _draw(waiver: FilledWaiver, sizes: TypeSizes) -> _WaiverDocument:
    pdf = _WaiverDocument(waiver)
    pdf.add_page()
    previous: BlockStyle | None = None
    for block in waiver.blocks:
        _space_before(pdf, previous, block.style, sizes)
        if block.style is BlockStyle.TITLE:
            _draw_title(pdf, block.text, sizes.title)
        elif block.style is BlockStyle.NOTICE:
            _draw_notice(pdf, block.text, sizes.notice)
        elif block.style is BlockStyle.HEADING:
            _draw_heading(pdf, block.text, sizes.heading)
        else:
            _draw_text(pdf, block, sizes.text)
        previous = block.style
    return pdf


def _line_height(size: float) -> float:
    return size * LEADING * POINT


def _space_before(pdf: FPDF, previous: BlockStyle | None, style: BlockStyle,
                  sizes: TypeSizes) -> None:
    if previous is None:
        return
    if style in (BlockStyle.NOTICE, BlockStyle.HEADING) or previous is BlockStyle.NOTICE:
        pdf.ln(_line_height(sizes.text) * 0.9)
    elif previous is BlockStyle.TITLE:
        pdf.ln(_line_height(sizes.text) * 0.6)
    else:
        pdf.ln(_line_height(sizes.text) * 0.25)


def _draw_title(pdf: FPDF, text: str, size: float) -> None:
    pdf.set_font(FONT_FAMILY, BOLD, size)
    pdf.multi_cell(0, _line_height(size), printable(text, BOLD), align="C",
                   new_x="LMARGIN", new_y="NEXT")


def _draw_notice(pdf: FPDF, text: str, size: float) -> None:
    pdf.set_font(FONT_FAMILY, BOLD, size)
    pdf.set_line_width(0.4)
    pdf.multi_cell(0, _line_height(size), printable(text, BOLD), border=1, align="L",
                   padding=NOTICE_PADDING, new_x="LMARGIN", new_y="NEXT")


def _draw_heading(pdf: FPDF, text: str, size: float) -> None:
    pdf.set_font(FONT_FAMILY, BOLD, size)
    pdf.multi_cell(0, _line_height(size), printable(text, BOLD), align="L",
                   new_x="LMARGIN", new_y="NEXT")


def _draw_text(pdf: FPDF, block: FilledBlock, size: float) -> None:
    """Statutory words and values inline, wrapping at the right margin; a value underlined."""
    height = _line_height(size)
    pdf.set_x(pdf.l_margin)
    for text, style in _runs(block):
        pdf.set_font(FONT_FAMILY, style, size)
        pdf.write(height, printable(text))
    pdf.ln(height)


def _runs(block: FilledBlock) -> Sequence[tuple[str, str]]:
    return [(segment.text, UNDERLINE if segment.filled else REGULAR)
            for segment in block.segments if segment.text]
