"""A filled statutory waiver written as a PDF (data.documents.waiver_pdf).

The text is read back with pypdf and with poppler's pdftotext (required under CI=true) and
compared, whitespace-normalised, with the statute as typed in tests/waiver_statutes.py. The type
rules are checked from the PDF's own content stream: the sizes its Tf operators set, and the
size, font and position pypdf reports for each piece of text it extracts.
"""

from __future__ import annotations

import math
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, PdfObject

from data.documents.pdf_fonts import REPLACEMENT_CHARACTER
from data.documents.waiver_pdf import (
    SCALES,
    render_waiver_pdf,
    write_waiver_pdf,
)
from data.waivers.filling import WaiverValues, fill_waiver
from data.waivers.registry import WaiverRegistry, shipped_registry
from data.waivers.template import WaiverForm, read_template
from tests.waiver_statutes import (
    CA_8138_NOTICE,
    SAMPLE,
    SAMPLE_SHOWN,
    STATUTES,
    TEST_NOTICE,
    expected_text,
    normalised,
    pdftotext_text,
    poppler_tool,
    pypdf_text,
    write_zz_template,
    zz_template_text,
)

ON = date(2026, 11, 21)


@dataclass(frozen=True)
class Run:
    """A piece of text as drawn: its characters, size in points, font and baseline height."""

    text: str
    size: float
    font: str
    y: float

    @property
    def bold(self) -> bool:
        return "Bold" in self.font


def runs_of(path: Path, page: int = 0) -> list[Run]:
    """Every piece of text on the page, in drawing order, with its effective size."""
    found: list[Run] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any,
              font_size: float) -> None:
        if not text.strip():
            return
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        y = tm[5] * cm[3] + cm[5]
        name = str(font.get("/BaseFont", "")) if font is not None else ""
        found.append(Run(text, round(font_size * scale, 2), name, y))

    PdfReader(path).pages[page].extract_text(visitor_text=visit)
    return found


def tf_sizes(path: Path, page: int = 0) -> list[float]:
    """The size operand of every Tf operator in the page's content stream."""
    reader = PdfReader(path)
    content = ContentStream(reader.pages[page].get_contents(), reader)
    return [float(operands[1]) for operands, operator in content.operations
            if operator == b"Tf"]


def sizes_drawn_for(runs: Sequence[Run], text: str) -> set[float]:
    """The sizes of the runs that spell `text` (contiguously, whitespace-normalised)."""
    words = normalised(text)
    for start in range(len(runs)):
        spelled = ""
        for end in range(start, len(runs)):
            spelled = normalised(f"{spelled} {runs[end].text}")
            if spelled == words:
                return {run.size for run in runs[start:end + 1]}
            if not words.startswith(spelled):
                break
    raise AssertionError(f"{text!r} is not drawn as one piece")


def as_dictionary(value: object) -> DictionaryObject:
    resolved = value.get_object() if isinstance(value, PdfObject) else value
    assert isinstance(resolved, DictionaryObject)
    return resolved


def as_array(value: object) -> ArrayObject:
    resolved = value.get_object() if isinstance(value, PdfObject) else value
    assert isinstance(resolved, ArrayObject)
    return resolved


def written(tmp_path: Path, state: str, form: str, version: str,
            values: WaiverValues = SAMPLE, registry: WaiverRegistry | None = None) -> Path:
    template = (registry or shipped_registry()).exact(state, form, version)
    return write_waiver_pdf(fill_waiver(template, values), tmp_path / f"{form}.pdf")


# --- the statute's words, and the values, read back -------------------------------------------


@pytest.mark.parametrize("key", sorted(STATUTES), ids="-".join)
def test_the_pdf_reads_as_the_statute_with_the_values_in_its_blanks(
        tmp_path: Path, key: tuple[str, str, str]) -> None:
    path = written(tmp_path, *key)
    expected = normalised(expected_text(STATUTES[key], SAMPLE_SHOWN))
    assert len(PdfReader(path).pages) == 1
    assert normalised(pypdf_text(path)) == expected
    assert normalised(pdftotext_text(path)) == expected


@pytest.mark.parametrize("key", sorted(STATUTES), ids="-".join)
def test_a_blank_without_a_value_prints_as_a_line_to_write_on(
        tmp_path: Path, key: tuple[str, str, str]) -> None:
    path = written(tmp_path, *key, values=WaiverValues())
    expected = normalised(expected_text(STATUTES[key]))
    assert normalised(pypdf_text(path)) == expected
    assert normalised(pdftotext_text(path)) == expected
    assert "Date of Signature: ______________" in normalised(pdftotext_text(path))


def test_money_reads_as_dollars_and_cents_after_the_statutes_dollar_sign(tmp_path: Path) -> None:
    text = normalised(pypdf_text(written(tmp_path, "CA", "conditional-final", "2012-07-01")))
    assert "Amount of Check: $48,250.75 " in text
    assert "Disputed claims for extras in the amount of: $1,234.56 " in text
    assert "Date of Signature: November 21, 2026" in text


# --- type ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(STATUTES), ids="-".join)
def test_no_type_on_the_form_is_larger_than_the_notice(
        tmp_path: Path, key: tuple[str, str, str]) -> None:
    path = written(tmp_path, *key)
    runs = runs_of(path)
    template = shipped_registry().exact(*key)
    notice_sizes = sizes_drawn_for(runs, template.notice_text)
    assert len(notice_sizes) == 1
    notice = notice_sizes.pop()
    assert notice == max(run.size for run in runs) == max(tf_sizes(path))
    assert all(run.bold for run in runs if normalised(run.text) in template.notice_text)


def test_california_8138_notice_to_claimant_is_as_large_as_any_type_on_the_form(
        tmp_path: Path) -> None:
    path = written(tmp_path, "CA", "unconditional-final", "2012-07-01")
    runs = runs_of(path)
    (notice,) = sizes_drawn_for(runs, CA_8138_NOTICE)
    others = [run.size for run in runs if normalised(run.text) not in CA_8138_NOTICE]
    assert others and notice >= max(others)
    assert notice >= max(tf_sizes(path))
    (title,) = sizes_drawn_for(runs, "UNCONDITIONAL WAIVER AND RELEASE ON FINAL PAYMENT")
    assert title <= notice


def test_a_notice_required_at_the_top_in_bold_of_ten_points_is_drawn_so(tmp_path: Path) -> None:
    """The Texas rule for unconditional forms, on a test-only template (no Texas text ships)."""
    write_zz_template(tmp_path, zz_template_text(at_top=True, bold=True, min_points=10))
    registry = WaiverRegistry.from_folder(tmp_path)
    path = written(tmp_path, "ZZ", "unconditional-progress", "1", registry=registry)
    runs = runs_of(path)
    (notice,) = sizes_drawn_for(runs, TEST_NOTICE)
    assert notice >= 10 and notice >= max(run.size for run in runs) == max(tf_sizes(path))
    top = max(runs, key=lambda run: run.y)
    assert normalised(top.text) in TEST_NOTICE and top.bold
    assert normalised(runs[0].text) in TEST_NOTICE
    notice_runs = [run for run in runs if normalised(run.text) in TEST_NOTICE]
    assert notice_runs and all(run.bold for run in notice_runs)


def test_a_minimum_notice_size_larger_than_the_rest_is_kept(tmp_path: Path) -> None:
    write_zz_template(tmp_path, zz_template_text(min_points=14))
    path = written(tmp_path, "ZZ", "unconditional-progress", "1",
                   registry=WaiverRegistry.from_folder(tmp_path))
    runs = runs_of(path)
    assert sizes_drawn_for(runs, TEST_NOTICE) == {14.0}
    assert max(run.size for run in runs if normalised(run.text) not in TEST_NOTICE) < 14


def test_a_long_form_steps_its_type_down_to_fit_one_page_and_keeps_the_notice_largest(
        tmp_path: Path) -> None:
    write_zz_template(tmp_path, zz_template_text(extra_lines=40))
    registry = WaiverRegistry.from_folder(tmp_path)
    path = written(tmp_path, "ZZ", "unconditional-progress", "1", registry=registry)
    assert len(PdfReader(path).pages) == 1
    runs = runs_of(path)
    body = {run.size for run in runs if run.text.startswith("Test line")}
    assert body and max(body) < 10  # stepped down from 10 points
    (notice,) = sizes_drawn_for(runs, TEST_NOTICE)
    assert notice >= 10 and notice == max(run.size for run in runs)


def test_a_form_too_long_for_one_page_runs_on_with_the_notice_still_first_and_largest(
        tmp_path: Path) -> None:
    write_zz_template(tmp_path, zz_template_text(extra_lines=120))
    registry = WaiverRegistry.from_folder(tmp_path)
    path = written(tmp_path, "ZZ", "unconditional-progress", "1", registry=registry)
    reader = PdfReader(path)
    assert len(reader.pages) >= 2
    first = runs_of(path, 0)
    assert normalised(max(first, key=lambda run: run.y).text) in TEST_NOTICE
    sizes = [run.size for page in range(len(reader.pages)) for run in runs_of(path, page)]
    (notice,) = sizes_drawn_for(first, TEST_NOTICE)
    assert notice == max(sizes)
    assert min(SCALES) < 1


# --- values are plain text -------------------------------------------------------------------


HOSTILE = replace(
    SAMPLE,
    claimant="Acme\x1b[2J\x1b]52;c;aGk=\x07 Drywall\r\nInc.\x00",
    customer="**Bold** _it_ <b>GC</b> [b]x[/b] {claimant} %s \\(",
    owner="\u202eOwner\u202c Trust\tLLC",
    job_location="Lot 7 \u4e2d \U0001f9a9",
)


def test_control_characters_never_reach_the_pdf_and_markup_prints_as_typed(
        tmp_path: Path) -> None:
    path = written(tmp_path, "CA", "unconditional-final", "2012-07-01", values=HOSTILE)
    for text in (normalised(pypdf_text(path)), normalised(pdftotext_text(path))):
        assert "Name of Claimant: Acme [2J ]52;c;aGk= Drywall Inc. Name of Customer:" in text
        assert ("Name of Customer: **Bold** _it_ <b>GC</b> [b]x[/b] {claimant} %s \\( "
                "Job Location:") in text
        assert "Owner: Owner Trust LLC Unconditional Waiver" in text
        assert f"Job Location: Lot 7 {REPLACEMENT_CHARACTER} {REPLACEMENT_CHARACTER} " in text
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u202e\u202c"
                       for c in text)
        assert text.count("Coastline") == 0  # "{claimant}" in a value is not a blank


def test_the_statutory_text_cannot_be_altered_by_a_value(tmp_path: Path) -> None:
    template = shipped_registry().exact("CA", "unconditional-final", "2012-07-01")
    filled = fill_waiver(template, HOSTILE)
    statutory = [segment.text for block in filled.blocks for segment in block.segments
                 if segment.blank is None]
    untouched = fill_waiver(template, WaiverValues())
    assert statutory == [segment.text for block in untouched.blocks
                         for segment in block.segments if segment.blank is None]


# --- the file --------------------------------------------------------------------------------


def test_the_file_is_private_replaced_whole_and_the_fonts_are_embedded(tmp_path: Path) -> None:
    path = tmp_path / "waiver.pdf"
    path.write_bytes(b"old")
    template = shipped_registry().in_effect("CA", WaiverForm.UNCONDITIONAL_FINAL, ON)
    assert write_waiver_pdf(fill_waiver(template, SAMPLE), path) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["waiver.pdf"]
    reader = PdfReader(path)
    fonts = as_dictionary(as_dictionary(reader.pages[0]["/Resources"])["/Font"])
    names = {str(as_dictionary(font)["/BaseFont"]) for font in fonts.values()}
    assert names and all("DejaVuSansCondensed" in name for name in names)
    for font in fonts.values():
        descendants = as_array(as_dictionary(font)["/DescendantFonts"])
        assert "/FontFile2" in as_dictionary(as_dictionary(descendants[0])["/FontDescriptor"])
    assert reader.metadata is not None
    assert reader.metadata.title == "UNCONDITIONAL WAIVER AND RELEASE ON FINAL PAYMENT"
    assert reader.metadata.subject == "Cal. Civ. Code § 8138, version 2012-07-01"


def test_rendering_twice_gives_the_same_text(tmp_path: Path) -> None:
    template = shipped_registry().in_effect("CA", WaiverForm.CONDITIONAL_FINAL, ON)
    filled = fill_waiver(template, SAMPLE)
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    first.write_bytes(render_waiver_pdf(filled))
    second.write_bytes(render_waiver_pdf(filled))
    assert pypdf_text(first) == pypdf_text(second)


@pytest.mark.parametrize("key", sorted(STATUTES), ids="-".join)
def test_the_page_renders_to_an_image(tmp_path: Path, key: tuple[str, str, str]) -> None:
    path = written(tmp_path, *key)
    subprocess.run([poppler_tool("pdftoppm"), "-png", "-r", "60", str(path),
                    str(tmp_path / "page")], check=True, capture_output=True)
    (image,) = tmp_path.glob("page*.png")
    assert image.read_bytes().startswith(b"\x89PNG") and image.stat().st_size > 5_000


def test_a_test_template_is_read_from_its_own_folder_only(tmp_path: Path) -> None:
    path = write_zz_template(tmp_path, zz_template_text())
    assert read_template(path).jurisdiction == "ZZ"
    assert "ZZ" not in shipped_registry().jurisdictions
