"""data/g703_check.py: checking a G703 continuation sheet received from outside payapp.

The expected G702 amounts are worked out by hand from the fixtures (tests/fixtures/sheets/):

official.csv, 10 % retainage on work (D + E), 5 % on stored materials (F):
  line  C           D + E       F          work ret.  stored ret.
  1     12,000.00    6,000.00       0.00     600.00     0.00
  2     25,000.00   25,000.00       0.00   2,500.00     0.00
  3     40,000.00   18,500.00   3,000.00   1,850.00   150.00
  4     18,500.00    2,096.30   1,250.00     209.63    62.50   (209.630)
  5      9,750.00    1,234.65       0.00     123.47     0.00   (123.465, half-up)
  CO-1   3,250.00    1,625.00       0.00     162.50     0.00
  1 = 108,500.00 − 3,250.00 = 105,250.00; 2 = 3,250.00; 3 = 108,500.00
  4 = 40,234.65 + 14,221.30 + 4,250.00 = 58,705.95
  5a = 5,445.60; 5b = 212.50; 5 = 5,658.10; 6 = 58,705.95 − 5,658.10 = 53,047.85
  7 = 36,000.00; 8 = 17,047.85; 9 = 108,500.00 − 53,047.85 = 55,452.15

rounded_per_period.csv, 5 % retainage (the issue's line, billed in two periods):
  item 3: D 27,573.70 → 1,378.685 → 1,378.69; E 22,978.10 → 1,148.905 → 1,148.91; held 2,527.60.
          5 % of G = 50,551.80 is 2,527.59: one cent less than the two roundings.
  item 4: E 5,000.00 only → 250.00.  5a = 2,527.60 + 250.00 = 2,777.60 (the sheet's I stands).

The column specification (data/g703.py) that the checker reads is tested at the end.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from data import g703
from data.billing import LineInput, LineResult, Method, compute_invoice
from data.editing import Field
from data.g703 import G703Column, Group, Units
from data.g703_check import SheetError, SheetReport, check_sheet_file, check_sheet_text
from data.money import ZERO, round_cents
from tui.cli import main

D = Decimal
SHEETS = Path(__file__).parent / "fixtures" / "sheets"

OFFICIAL_G702 = {
    "1": D("105250.00"),
    "2": D("3250.00"),
    "3": D("108500.00"),
    "4": D("58705.95"),
    "5a": D("5445.60"),
    "5b": D("212.50"),
    "5": D("5658.10"),
    "6": D("53047.85"),
    "7": D("36000.00"),
    "8": D("17047.85"),
    "9": D("55452.15"),
}


def check(name: str, *, retainage: Decimal = ZERO, stored_retainage: Decimal = ZERO,
          previous_certificates: Decimal = ZERO,
          application_number: int | None = None) -> SheetReport:
    return check_sheet_file(SHEETS / name, retainage=retainage, stored_retainage=stored_retainage,
                            previous_certificates=previous_certificates,
                            application_number=application_number)


def at_ten_and_five(name: str) -> SheetReport:
    return check(name, retainage=D(10), stored_retainage=D(5), previous_certificates=D(36000))


def g702(report: SheetReport) -> dict[str, Decimal]:
    return {number: amount for number, _, amount in report.g702_lines}


def problems(report: SheetReport) -> list[tuple[int | None, str, str, Decimal, Decimal]]:
    return [(d.line, d.item, d.column, d.sheet, d.computed) for d in report.discrepancies]


# --- correct sheets in the three layouts ------------------------------------------------------


def test_official_names_give_the_g702_lines_worked_out_by_hand() -> None:
    report = at_ten_and_five("official.csv")

    assert g702(report) == OFFICIAL_G702
    assert report.discrepancies == ()
    assert report.unreadable == ()
    assert report.consistent


def test_official_sheet_rows_are_read_with_file_lines_and_change_orders() -> None:
    report = at_ten_and_five("official.csv")

    # Line 1 of the file is a title, line 2 the header.
    assert [(r.line, r.item, r.change_order) for r in report.rows] == [
        (3, "1", False), (4, "2", False), (5, "3", False), (6, "4", False), (7, "5", False),
        (8, "CO-1", True),
    ]
    concrete = report.rows[2]
    assert (concrete.scheduled_value, concrete.previous_work, concrete.this_period,
            concrete.stored) == (D("40000.00"), D("10000.00"), D("8500.00"), D("3000.00"))
    assert report.rows[0].stored == D("0.00")  # blank cell
    assert report.totals is not None
    assert (report.totals.line, report.totals.description) == (9, "Grand Total")
    assert report.relettered is False


def test_letters_a_to_i_with_a_bom_and_a_change_order_heading() -> None:
    report = at_ten_and_five("letters.csv")

    assert g702(report) == OFFICIAL_G702
    assert report.consistent
    assert report.rows[0].item == "1"  # the BOM does not hide column A
    assert [r.item for r in report.rows if r.change_order] == ["6"]
    assert report.rows[0].percent_places == 1
    assert report.relettered is False


def test_relettered_sheet_reads_h_as_percent_i_as_balance_j_as_retainage() -> None:
    # The J column alone decides: the percentages under H carry no "%" sign in this sheet.
    report = at_ten_and_five("relettered.csv")

    assert report.relettered is True
    first = report.rows[0]
    assert (first.percent, first.balance, first.retainage) == (D(50), D("6000.00"), D("600.00"))
    assert g702(report) == OFFICIAL_G702
    assert report.consistent
    assert report.totals is not None and report.totals.line == 8  # unlabelled last row


def test_a_letters_row_under_the_names_is_part_of_the_header() -> None:
    report = check("names_and_letters.csv")

    # Not lines: the letters row, the subtotal row; "Retainage Released" is not column I.
    assert [(r.line, r.item) for r in report.rows] == [(3, "1"), (5, "2")]
    assert report.rows[0].retainage == D("3.00")
    assert report.consistent
    assert g702(report)["5a"] == D("3.50")


def test_a_header_in_the_grids_short_labels_is_read_through_the_specification() -> None:
    labels = [column.label for column in g703.sheet_columns(Method.AMOUNT,
                                                              stored_separately=False)]
    assert labels[:5] == ["Item", "Description", "C Scheduled", "D Previous", "E This Period"]
    text = ",".join(labels) + "\n" + "1,Framing,$100.00,$10.00,$20.00,30.00%,$30.00,$70.00,$3.00,\n"

    report = check_sheet_text(text, retainage=D(10))

    row = report.rows[0]
    assert (row.scheduled_value, row.previous_work, row.this_period, row.completed,
            row.percent, row.balance, row.retainage) == (
        D("100.00"), D("10.00"), D("20.00"), D("30.00"), D(30), D("70.00"), D("3.00"))
    assert report.consistent


def test_check_sheet_text_accepts_a_leading_bom() -> None:
    text = (SHEETS / "letters.csv").read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")

    report = check_sheet_text(text, retainage=D(10), stored_retainage=D(5))

    assert report.rows[0].item == "1"
    assert report.consistent


def test_relettered_without_j_is_detected_from_percent_signs_under_h() -> None:
    report = check("relettered_no_j.csv")

    assert report.relettered is True
    assert report.unreadable == ()
    assert problems(report) == [(3, "2", "I", D("13500.00"), D("13000.00"))]
    assert "Balance to Finish" in report.discrepancies[0].message


# --- discrepancies ----------------------------------------------------------------------------


def test_a_wrong_g_on_a_line_and_a_wrong_total_are_both_named() -> None:
    report = check("wrong.csv")

    assert problems(report) == [
        (4, "3", "G", D("21000.00"), D("21500.00")),
        (None, "", "E", D("14211.30"), D("14221.30")),
    ]
    row_message, total_message = (d.message for d in report.discrepancies)
    assert "Line 4, item 3" in row_message and "$21,500.00" in row_message
    assert "Totals row (line 8)" in total_message and "$14,221.30" in total_message
    assert not report.consistent
    # payapp computes G from D + E + F, not from the sheet's G.
    assert g702(report)["4"] == D("58705.95")


def test_percent_matches_when_it_equals_g_over_c_rounded_half_up_to_the_decimals_shown() -> None:
    report = check("percent_rounding.csv")

    # 490 / 4,000 = 12.25 % shown as 12.3 % is right; 125 / 1,000 = 12.5 % shown as 12 % is not.
    assert problems(report) == [(3, "2", "G%", D(12), D(13))]
    assert report.discrepancies[0].percentage is True


def test_a_given_rate_checks_column_i_per_line() -> None:
    report = check("official.csv", retainage=D(10))

    # Without a stored rate, the stored part of I on lines 3 and 4 is not expected.
    assert problems(report) == [
        (5, "3", "I", D("2000.00"), D("1850.00")),
        (6, "4", "I", D("272.13"), D("209.63")),
    ]


# --- retainage without a rate -----------------------------------------------------------------


def test_without_a_rate_column_i_is_taken_as_retainage_on_work() -> None:
    report = check("official.csv")

    lines = g702(report)
    assert (lines["5a"], lines["5b"], lines["5"]) == (D("5658.10"), D("0.00"), D("5658.10"))
    assert lines["6"] == D("53047.85")
    assert report.consistent
    assert "column I" in report.retainage_basis


def test_without_a_work_rate_a_stored_rate_splits_column_i() -> None:
    report = check("official.csv", stored_retainage=D(5))

    lines = g702(report)
    assert (lines["5a"], lines["5b"]) == (D("5445.60"), D("212.50"))


# --- unreadable cells, negatives, unusable files ----------------------------------------------


def test_unreadable_cells_are_named_and_do_not_crash() -> None:
    report = check("unreadable.csv")

    assert [(u.line, u.item, u.column, u.text) for u in report.unreadable] == [
        (2, "1", "D", "abc"),
        (3, "2", "E", "1.234"),
    ]
    abc, too_precise = report.unreadable
    assert "not a valid amount" in abc.reason
    assert "3 decimal places" in too_precise.reason
    assert 'reads "1.234"' in too_precise.message and "Line 3, item 2" in too_precise.message
    # Checks that need an unreadable cell are skipped rather than reported as discrepancies.
    assert report.discrepancies == ()
    assert not report.consistent
    # Unreadable cells count as zero: 2,000 + 1,000 + 500.
    assert g702(report)["4"] == D("3500.00")
    assert "2 unreadable cells" in report.as_text()


def test_negative_amounts_in_parentheses() -> None:
    report = check("negative.csv", retainage=D(10))

    deduct = report.rows[1]
    assert (deduct.scheduled_value, deduct.this_period, deduct.retainage) == (
        D("-1500.00"), D("-600.00"), D("-60.00"))
    assert deduct.change_order
    assert report.consistent
    assert g702(report) == {
        "1": D("10000.00"),
        "2": D("-1500.00"),
        "3": D("8500.00"),
        "4": D("4400.00"),
        "5a": D("440.00"),  # 500.00 − 60.00: the deductive line gives retainage back
        "5b": D("0.00"),
        "5": D("440.00"),
        "6": D("3960.00"),
        "7": D("0.00"),
        "8": D("3960.00"),
        "9": D("4540.00"),
    }


def test_a_missing_scheduled_value_column_is_a_sheet_error() -> None:
    with pytest.raises(SheetError, match=r"Scheduled Value \(column C\)"):
        check("missing_c.csv")


def test_a_missing_file_is_a_sheet_error(tmp_path: Path) -> None:
    with pytest.raises(SheetError, match="no such file"):
        check_sheet_file(tmp_path / "nowhere.csv")


def test_text_without_a_header_is_a_sheet_error() -> None:
    with pytest.raises(SheetError, match="no header row"):
        check_sheet_text("just,some\nwords,here\n")


# --- output -----------------------------------------------------------------------------------


def test_as_dict_is_json_ready() -> None:
    report = check("wrong.csv", retainage=D(10), stored_retainage=D(5),
                   previous_certificates=D(36000))

    data = json.loads(json.dumps(report.as_dict()))
    assert list(data["lines"]) == ["1", "2", "3", "4", "5a", "5b", "5", "6", "7", "8", "9"]
    assert data["lines"]["8"] == "17047.85"
    assert data["lines"]["4"] == "58705.95"
    assert data["consistent"] is False
    assert [(d["line"], d["column"], d["sheet"], d["computed"]) for d in data["discrepancies"]] == [
        (4, "G", "21000.00", "21500.00"),
        (None, "E", "14211.30", "14221.30"),
    ]


def test_previous_certificates_drive_line_8() -> None:
    first = check("official.csv", retainage=D(10), stored_retainage=D(5))
    later = check("official.csv", retainage=D(10), stored_retainage=D(5),
                  previous_certificates=D("40000.00"))

    assert (g702(first)["7"], g702(first)["8"]) == (D("0.00"), D("53047.85"))
    assert (g702(later)["7"], g702(later)["8"]) == (D("40000.00"), D("13047.85"))
    assert g702(later)["9"] == g702(first)["9"] == D("55452.15")


def test_as_text_aligns_the_g702_table_then_lists_discrepancies_and_a_verdict() -> None:
    text = check("wrong.csv", retainage=D(10), stored_retainage=D(5),
                 previous_certificates=D(36000)).as_text()
    lines = text.splitlines()

    table = [line for line in lines if line.startswith("  ")]
    assert len(table) == 11
    assert len({len(line) for line in table}) == 1  # amounts right-aligned in one column
    assert table[9].split()[0] == "8" and table[9].endswith("$17,047.85")
    assert lines[-3].startswith("Line 4, item 3: G")
    assert lines[-2].startswith("Totals row (line 8): E")
    assert lines[-1] == "Verdict: NOT consistent; 2 discrepancies on 6 lines."


def test_as_text_verdict_for_a_consistent_sheet() -> None:
    text = at_ten_and_five("official.csv").as_text()

    assert text.splitlines()[-1].startswith("Verdict: consistent")
    assert "$53,047.85" in text


# --- retainage rounded in several periods -----------------------------------------------------


HEADER = ("Item No.,Description of Work,Scheduled Value,"
          "Work Completed From Previous Application,Work Completed This Period,Retainage\n")


def one_line(previous: str, this_period: str, retainage: str,
             application_number: int | None = None) -> SheetReport:
    text = HEADER + f'1,Curb,"$100,000.00","{previous}","{this_period}","{retainage}"\n'
    return check_sheet_text(text, retainage=D(5), application_number=application_number)


def notes(report: SheetReport) -> list[tuple[int, str, str, Decimal, Decimal, int]]:
    return [(n.line, n.item, n.column, n.sheet, n.computed, n.periods) for n in report.notes]


def test_the_issue_figures_round_per_period_to_one_cent_more() -> None:
    first, second = round_cents(D("27573.70") * 5 / 100), round_cents(D("22978.10") * 5 / 100)
    assert (first, second, first + second) == (D("1378.69"), D("1148.91"), D("2527.60"))
    assert round_cents(D("50551.80") * 5 / 100) == D("2527.59")


def test_a_line_billed_in_two_periods_may_differ_by_a_cent_and_gets_a_note() -> None:
    report = check("rounded_per_period.csv", retainage=D(5))

    assert report.consistent
    assert report.discrepancies == ()
    assert notes(report) == [(3, "3", "I", D("2527.60"), D("2527.59"), 2)]
    message = report.notes[0].message
    assert "Line 3, item 3" in message and "$2,527.60" in message and "$2,527.59" in message
    assert "2 periods" in message and "up to $0.01" in message
    # The sheet's figure stands in the G702 lines.
    lines = g702(report)
    assert (lines["5a"], lines["5"], lines["6"]) == (D("2777.60"), D("2777.60"), D("52774.20"))
    text = report.as_text()
    assert "Note: Line 3, item 3: I (Retainage) is $2,527.60" in text
    assert text.splitlines()[-1] == ("Verdict: consistent; every cell of the 2 lines and the "
                                     "totals agrees, 1 line's retainage within rounding "
                                     "(see the note).")
    data = json.loads(json.dumps(report.as_dict()))
    assert data["consistent"] is True and data["discrepancies"] == []
    assert [(n["line"], n["sheet"], n["computed"], n["difference"], n["periods"])
            for n in data["notes"]] == [(3, "2527.60", "2527.59", "0.01", 2)]


def test_payapp_g702_exits_0_with_a_note_for_payapps_own_rounding() -> None:
    sheet = str(SHEETS / "rounded_per_period.csv")
    result = CliRunner().invoke(main, ["g702", sheet, "--retainage", "5"])
    assert result.exit_code == 0, result.output
    assert "Note: Line 3, item 3" in result.output and "Verdict: consistent" in result.output
    as_json = CliRunner().invoke(main, ["g702", sheet, "--retainage", "5", "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.output)["notes"][0]["difference"] == "0.01"


def test_application_number_one_allows_no_rounding_difference() -> None:
    report = check("rounded_per_period.csv", retainage=D(5), application_number=1)

    assert report.notes == ()
    assert problems(report) == [(3, "3", "I", D("2527.60"), D("2527.59"))]
    result = CliRunner().invoke(main, ["g702", str(SHEETS / "rounded_per_period.csv"),
                                       "--retainage", "5", "--application-number", "1"])
    assert result.exit_code == 1
    refused = CliRunner().invoke(main, ["g702", str(SHEETS / "rounded_per_period.csv"),
                                        "--application-number", "0"])
    assert refused.exit_code == 2


@pytest.mark.parametrize("retainage", ["$250.01", "$250.02", "$249.98"])
def test_a_line_rounded_once_must_match_to_the_cent(retainage: str) -> None:
    report = one_line("$0.00", "$5,000.00", retainage)  # no D: one period, one rounding

    assert report.notes == ()
    assert problems(report) == [(2, "1", "I", D(retainage.lstrip("$")), D("250.00"))]
    assert not report.consistent


def test_two_cents_off_with_two_periods_stays_an_error() -> None:
    report = one_line("$1,000.00", "$4,000.00", "$250.02")

    assert report.notes == ()
    assert problems(report) == [(2, "1", "I", D("250.02"), D("250.00"))]


def test_the_application_number_allows_a_cent_for_each_period_after_the_first() -> None:
    three = one_line("$1,000.00", "$4,000.00", "$250.02", application_number=3)
    assert notes(three) == [(2, "1", "I", D("250.02"), D("250.00"), 3)]
    assert "application No. 3" in three.notes[0].message and three.consistent
    # Without work this period, the line was billed in the earlier periods only: 2 of them.
    earlier_only = one_line("$5,000.00", "$0.00", "$250.02", application_number=3)
    assert earlier_only.notes == () and not earlier_only.consistent
    assert notes(one_line("$5,000.00", "$0.00", "$250.01", application_number=3)) == [
        (2, "1", "I", D("250.01"), D("250.00"), 2)]
    # Without an application number, a line with only D counts as rounded once.
    assert not one_line("$5,000.00", "$0.00", "$250.01").consistent


# --- the column specification (data/g703.py) --------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A line as the columns read it: services.invoice_views.SheetLine has the same three fields."""

    result: LineResult
    units: Units | None = None
    budget_code: str = ""


def test_keys_are_unique_and_letters_are_the_1992_form() -> None:
    assert len({column.key for column in g703.COLUMNS}) == len(g703.COLUMNS)
    assert [column.letter for column in g703.FORM] == list("ABCDEFGHI")
    assert g703.BY_LETTER["I"] is g703.RETAINAGE
    assert g703.BY_KEY["percent"] is g703.PERCENT and g703.PERCENT.letter is None
    assert all(column.caption and column.short for column in g703.COLUMNS)


def test_editable_fields_are_the_fields_a_person_types_into() -> None:
    fields = {column.key: column.field for column in g703.COLUMNS if column.field is not None}
    assert all(Field(field) for field in fields.values())  # each is a data.editing.Field
    assert fields == {"this_period": "work", "progress": "percent", "new_quantity": "new_quantity",
                      "new_value": "new_value", "new_stored": "new_stored",
                      "installed": "installed", "percent": "percent", "released": "release"}


def test_line_values_and_totals_come_from_billing_not_from_labels() -> None:
    line = LineInput("7", "Curb", D("91912.50"), previous_work=D("27573.70"),
                     work_this_period=D("22978.10"), previous_retainage_work=D("1378.69"),
                     work_rate=D(5))
    invoice = compute_invoice([line])
    figures, summary = Figures(invoice.lines[0], budget_code="02-770"), invoice.summary

    shown = {column.key: column.line_text(figures) for column in g703.printed_columns(
        Method.AMOUNT)}
    assert shown == {
        "item": "7", "description": "Curb", "budget_code": "02-770",
        "scheduled": "$91,912.50", "previous": "$27,573.70", "this_period": "$22,978.10",
        "stored": "$0.00", "completed": "$50,551.80", "percent": "55.00%",
        "balance": "$41,360.70", "retainage": "$2,527.60", "released": "$0.00",
    }
    totals = {column.key: column.total_of(summary) for column in g703.COLUMNS}
    assert totals["retainage"] == summary.total_retainage == D("2527.60")
    assert totals["completed"] == summary.completed_and_stored_to_date
    assert totals["description"] == g703.TOTAL_CAPTION
    assert totals["new_stored"] == D(0) and totals["quantity"] is None
    assert g703.QUANTITY.line_text(figures) == ""  # no units on an amount-based line
    assert not g703.NEW_QUANTITY.editable_on(figures) and g703.THIS_PERIOD.editable_on(figures)


def keys(columns: tuple[G703Column, ...]) -> list[str]:
    return [column.key for column in columns]


def test_column_sets_per_method_and_stored_materials() -> None:
    amount = g703.sheet_columns(Method.AMOUNT, stored_separately=False)
    assert [column.label for column in amount] == [
        "Item", "Description", "C Scheduled", "D Previous", "E This Period", "G÷C", "G To Date",
        "H Balance", "I Retainage", "Released"]
    stored = g703.sheet_columns(Method.AMOUNT, stored_separately=True)
    assert keys(stored)[6:10] == ["previous_stored", "new_stored", "installed", "stored"]
    unit = g703.sheet_columns(Method.UNIT, stored_separately=False)
    assert [column.label for column in unit] == [
        "Item", "Description", "Unit", "Qty", "Unit Price", "C Value", "Prev. Qty",
        "D Prev. Value", "Total %", "New Qty", "E New Value", "G To Date", "H Balance",
        "I Retainage", "Released"]
    printed = g703.printed_columns(Method.UNIT)
    assert set(g703.FORM) <= set(printed) and g703.PERCENT in printed
    assert keys(printed)[3:6] == ["quantity", "unit", "unit_price"]


def test_narrow_screen_groups_keep_item_and_description() -> None:
    columns = g703.sheet_columns(Method.AMOUNT, stored_separately=True)
    assert keys(g703.in_group(columns, Group.RETAINAGE)) == [
        "item", "description", "completed", "retainage", "released"]
    assert keys(g703.in_group(columns, Group.STORED)) == [
        "item", "description", "previous_stored", "new_stored", "installed", "stored",
        "completed"]
    assert g703.in_group(columns, Group.ALL) == columns
    assert keys(g703.in_group(columns, Group.WORK))[2:] == [
        "scheduled", "this_period", "percent", "completed", "balance"]
    assert g703.groups_of(columns) == (Group.WORK, Group.STORED, Group.RETAINAGE, Group.ALL)
    unit = g703.sheet_columns(Method.UNIT, stored_separately=False)
    assert keys(g703.in_group(unit, Group.WORK))[2:6] == [
        "value", "progress", "new_quantity", "new_value"]
    assert g703.groups_of(unit)[0] is Group.WORK
    assert keys(g703.in_group(g703.sheet_columns(Method.UNIT, stored_separately=False),
                              Group.UNITS))[2:5] == ["unit", "quantity", "unit_price"]


def test_payapps_own_sheet_written_with_the_columns_passes_its_own_checker() -> None:
    """Two periods of payapp's billing, written out with the printed columns' captions and
    figures, read back by the checker: consistent, with a note for the rounding."""
    curb = LineInput("3", "Concrete curb and gutter", D("91912.50"), work_rate=D(5))
    walk = LineInput("4", "Concrete sidewalk", D("20000.00"), work_rate=D(5))
    first = compute_invoice([replace(curb, work_this_period=D("27573.70")), walk])
    held = first.lines[0].retainage_work
    second = compute_invoice([
        replace(curb, previous_work=D("27573.70"), work_this_period=D("22978.10"),
                previous_retainage_work=held),
        replace(walk, work_this_period=D("5000.00")),
    ], previous_certificates=first.summary.total_earned_less_retainage)
    columns = g703.printed_columns(Method.AMOUNT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.caption for column in columns])
    writer.writerows([column.line_text(Figures(line)) for column in columns]
                     for line in second.lines)
    writer.writerow([column.total_text(second.summary) for column in columns])

    report = check_sheet_text(out.getvalue(), retainage=D(5),
                              previous_certificates=second.summary.previous_certificates)

    assert second.lines[0].retainage == D("2527.60")
    assert report.consistent and report.discrepancies == ()
    assert notes(report) == [(2, "3", "I", D("2527.60"), D("2527.59"), 2)]
    assert report.summary.total_retainage == second.summary.total_retainage
    assert g702(report)["8"] == second.summary.current_payment_due


def test_the_stored_materials_columns_have_totals() -> None:
    """The totals row of the stored group adds up previous, new and installed materials too,
    and F is previous + new - installed."""
    from data.billing import LineInput, compute_invoice

    lines = [LineInput(item_no="1", description="Panels", scheduled_value=D("1000.00"),
                       previous_stored=D("300.00"), new_stored=D("50.00"),
                       stored_installed=D("100.00")),
             LineInput(item_no="2", description="Wire", scheduled_value=D("500.00"),
                       previous_stored=D("20.00"), new_stored=D("5.00"))]
    summary = compute_invoice(lines).summary
    assert [g703.PREVIOUS_STORED.total_text(summary), g703.NEW_STORED.total_text(summary),
            g703.INSTALLED.total_text(summary), g703.STORED.total_text(summary)] == [
        "$320.00", "$55.00", "$100.00", "$275.00"]
