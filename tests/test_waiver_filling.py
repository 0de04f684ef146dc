"""Filling a waiver's blanks (data.waivers.filling): plain text, exact money, dates, empty lines."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.refusals import Invalid
from data.waivers.filling import (
    MAX_VALUE_LENGTH,
    WaiverValues,
    amount_text,
    fill_waiver,
    long_date,
    plain_text,
)
from data.waivers.registry import WaiverRegistry, shipped_registry
from data.waivers.template import WaiverTemplate
from tests.waiver_statutes import SAMPLE, write_zz_template, zz_template_text

LISTS_BLOCK = ('[[blocks]]\nstyle = "text"\n'
               'text = "Dates: {unpaid_waiver_dates} Amounts: ${unpaid_progress_amounts}"\n')


def unconditional_final() -> WaiverTemplate:
    return shipped_registry().exact("CA", "unconditional-final", "2012-07-01")


def zz_template(tmp_path: Path) -> WaiverTemplate:
    write_zz_template(tmp_path, zz_template_text(extra_block=LISTS_BLOCK))
    return WaiverRegistry.from_folder(tmp_path).exact("ZZ", "unconditional-progress", "1")


def line_of(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


@pytest.mark.parametrize(("amount", "shown"), [
    (Decimal("1234.56"), "1,234.56"),
    (Decimal("0"), "0.00"),
    (Decimal("0.5"), "0.50"),
    (Decimal("1000000"), "1,000,000.00"),
    (Decimal("9999999999.99"), "9,999,999,999.99"),
])
def test_an_amount_is_dollars_and_cents_with_thousands_separated(amount: Decimal,
                                                                  shown: str) -> None:
    assert amount_text(amount) == shown


@pytest.mark.parametrize("amount", [1234.56, 5, True, "12.00", Decimal("1.005"),
                                    Decimal("-0.01"), Decimal("NaN"), Decimal("Infinity")])
def test_an_amount_that_is_not_an_exact_non_negative_decimal_is_refused(amount: object) -> None:
    values = replace(SAMPLE, disputed_claims=amount)  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="amount on a waiver"):
        fill_waiver(unconditional_final(), values)


def test_dates_read_as_the_month_the_day_and_the_year() -> None:
    assert long_date(date(2026, 1, 5)) == "January 5, 2026"
    assert long_date(date(2025, 12, 31)) == "December 31, 2025"
    filled = fill_waiver(unconditional_final(), SAMPLE).text
    assert line_of(filled, "Date of Signature:") == "Date of Signature: November 21, 2026"


def test_several_dates_and_amounts_fill_one_blank_each(tmp_path: Path) -> None:
    values = WaiverValues(unpaid_waiver_dates=(date(2026, 1, 5), date(2026, 2, 2)),
                          unpaid_progress_amounts=(Decimal("1000"), Decimal("250.50")))
    text = fill_waiver(zz_template(tmp_path), values).text
    assert line_of(text, "Dates:") == ("Dates: January 5, 2026; February 2, 2026 "
                                       "Amounts: $1,000.00; $250.50")
    empty = fill_waiver(zz_template(tmp_path), WaiverValues()).text
    assert line_of(empty, "Dates:") == "Dates: ______________ Amounts: $______________"
    with pytest.raises(Invalid, match="exact to the cent"):
        fill_waiver(zz_template(tmp_path),
                    WaiverValues(unpaid_progress_amounts=(Decimal("1"), Decimal("0.001"))))


def test_an_empty_or_blank_value_leaves_the_line_to_write_on() -> None:
    values = replace(SAMPLE, claimant="", claimant_title=" \t\x00 ")
    filled = fill_waiver(unconditional_final(), values)
    assert line_of(filled.text, "Name of Claimant:") == "Name of Claimant: " + "_" * 24
    assert line_of(filled.text, "Claimant’s Title:") == "Claimant’s Title: " + "_" * 24
    segments = [s for block in filled.blocks for s in block.segments if s.blank == "claimant"]
    assert [s.filled for s in segments] == [False]


def test_text_is_one_clean_line() -> None:
    assert plain_text("Acme\x1b[2J Drywall\r\n Inc.\x00") == "Acme [2J Drywall Inc."
    assert plain_text("\u202eOwner\u202c\u2028Trust\u00a0LLC ") == "Owner Trust LLC"
    assert plain_text("Cafe\u0301 “Déjà” — 中") == "Café “Déjà” — 中"
    assert plain_text("<b>x</b> **y** [b]z[/b] {claimant}") == "<b>x</b> **y** [b]z[/b] {claimant}"


@given(st.text())
def test_clean_text_has_no_control_format_or_line_break_characters(text: str) -> None:
    cleaned = plain_text(text)
    assert all(c == " " or unicodedata.category(c)[0] not in "CZ" for c in cleaned)
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert plain_text(cleaned) == cleaned


def test_a_value_too_long_for_a_blank_is_refused() -> None:
    with pytest.raises(Invalid, match=f"the owner on a waiver is too long .*{MAX_VALUE_LENGTH}"):
        fill_waiver(unconditional_final(), replace(SAMPLE, owner="x" * (MAX_VALUE_LENGTH + 1)))
    fill_waiver(unconditional_final(), replace(SAMPLE, owner="x" * MAX_VALUE_LENGTH))


def test_a_value_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(Invalid, match="the owner on a waiver must be text"):
        fill_waiver(unconditional_final(), replace(SAMPLE, owner=42))  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="the signature_date on a waiver must be a date"):
        fill_waiver(unconditional_final(),
                    replace(SAMPLE, signature_date="2026-11-21"))  # type: ignore[arg-type]


def test_values_for_blanks_the_form_lacks_are_ignored() -> None:
    values = replace(SAMPLE, through_date=date(2026, 10, 31), check_amount=Decimal("5.00"))
    text = fill_waiver(unconditional_final(), values).text
    assert "October 31, 2026" not in text and "5.00" not in text
