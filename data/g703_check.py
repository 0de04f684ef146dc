"""Check a G703 continuation sheet received from outside payapp and compute its G702 lines.

A general contractor receives pay applications built in spreadsheets; published ones are often
wrong. This module reads such a sheet as CSV, recomputes every derived cell from the amounts the
sheet states, and reports each cell that disagrees, plus the G702 summary payapp computes. (Named
g703_check, not sheet, so that it is not mistaken for the invoice's own sheet lines.)

Reading the sheet
- UTF-8 CSV, with or without a byte-order mark. Rows above the header (title, application number)
  are ignored: the header is the first row that names both column C and column E.
- Columns, their letters and their captions are those of data/g703.py. A column is found by its
  caption, short label or grid label (case, punctuation and "&" for "and" aside), else by the
  words of its G703 name, matched loosely (extra words such as "(D+E+F)"), or by its letter.
  A row of letters just under a row of names (as on the printed form) is merged into the header;
  where both say something, the name wins.
- Letters follow the 1992 G703: A item, B description, C scheduled value, D previous, E this
  period, F stored, G total to date, H balance to finish, I retainage; the percentage G ÷ C has no
  letter of its own and is found by name ("%", "G ÷ C", "Percent").
- Re-lettered layout. Many sheets give the percentage its own letter: H %, I balance, J retainage.
  Rule: letters are read that way when a header cell is the bare letter J, or when every filled
  cell under a bare letter H ends with "%". Names always win over letters.
- Only C and E are required. A missing D or F is zero; a missing G, H, % or I is computed by payapp
  and not checked.
- Amounts are read only by `money.parse_money` (exact, `$1,234.56`, `(12.00)`), percentages only
  by `money.parse_percent`. A blank cell on a line is zero. A cell that cannot be read is reported
  (file line, item, column, text, reason); payapp counts it as zero in the G702 lines and skips
  every check that depends on it.

Rows
- The totals row is the last row labelled "Total" / "Totals" / "Grand Total" (item or
  description); without one, the last row with amounts when its item and description are blank.
  Rows below it are not read. Earlier rows labelled total or subtotal are not lines.
- A row with no amounts is a heading; a heading that mentions "Change Order(s)" starts the change
  orders: every line below it is a change-order line, and so is any line whose item or
  description starts with CO, PCO, CCO or "Change Order". Change-order lines make G702 line 2.

Checks
- Each line, against what payapp computes from the line's C, D, E and F: G = D + E + F,
  H = C − G, % = G ÷ C rounded half-up to the number of decimals the sheet shows, I (see below).
- The totals row, against the sum of the cells of the lines above (each column footed as the
  sheet states it), and its % against the footed G ÷ the footed C. A blank total is not checked.

Retainage (rates in percent points: 10 means 10 %)
- Per line: retainage on work = round_cents(rate × (D + E)), on stored materials =
  round_cents(stored rate × F), each rounded half-up to the cent; totals are sums of the lines.
- A work rate of zero means "no rate given". With a work rate, the sheet's I is checked against
  work + stored retainage. Without one, the sheet's I is taken as the retainage: the stored
  retainage is computed from the stored rate (zero when none is given) and the rest of I counts
  as retainage on completed work (G702 5a). Without a work rate and without an I column, only the
  stored retainage is held.
- A deductive line gives back retainage (negative line retainage counts): the sheet states
  retainage to date, so billing's per-period rule that a line never gives back more than it held
  does not apply. That is why lines 5a to 9 are set here after `billing.compute_invoice`.

Rounding in several periods
- payapp (like most billing software) rounds retainage per period: a line billed $27,573.70 and
  then $22,978.10 at 5 % holds $1,378.69 + $1,148.91 = $2,527.60, where one rounding of 5 % of
  $50,551.80 gives $2,527.59. Rounded in k periods, a line's retainage may differ from one
  rounding of the whole by up to one cent for each period after the first: k − 1 cents.
- k is 1 for a line without previous work (D). With previous work: the application number N
  when given (`application_number`, `payapp g702 --application-number N`): N when the line also
  bills work this period (E), else N − 1; without N: 2 when the line has both D and E, else 1.
- A difference within k − 1 cents is a `Note` (printed, and under "notes" in JSON), not a
  discrepancy: the sheet stays consistent, and its I is used for the G702 lines. A larger one,
  and any difference on a line rounded once, is a discrepancy.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from itertools import zip_longest
from pathlib import Path
from typing import Any

from data import g703
from data.billing import ChangeOrderRef, LineInput, Summary, compute_invoice
from data.g703 import G703Column
from data.money import (
    CENT,
    HUNDRED,
    ZERO,
    MoneyError,
    format_money,
    parse_money,
    parse_percent,
    round_cents,
)


class SheetError(ValueError):
    """The file cannot be used at all: missing, not UTF-8, no header, no C or no E column."""


# The columns a sheet is read by. The percentage G ÷ C has no letter on the form; this checker
# letters it "G%" in what it reports.
_READ: tuple[G703Column, ...] = (*g703.FORM, g703.PERCENT)
_PERCENT_LETTER = "G%"
_MONEY_COLUMNS = (
    g703.SCHEDULED,
    g703.PREVIOUS,
    g703.THIS_PERIOD,
    g703.STORED,
    g703.COMPLETED,
    g703.BALANCE,
    g703.RETAINAGE,
)
_WORK_AND_STORED = (g703.PREVIOUS, g703.THIS_PERIOD, g703.STORED)  # G = D + E + F
_OFFICIAL_LETTERS: dict[str, G703Column] = g703.BY_LETTER
_RELETTERED: dict[G703Column, str] = {g703.PERCENT: "H", g703.BALANCE: "I", g703.RETAINAGE: "J"}
_RELETTERED_LETTERS: dict[str, G703Column] = {
    **{letter: c for letter, c in _OFFICIAL_LETTERS.items() if c not in _RELETTERED},
    **{letter: c for c, letter in _RELETTERED.items()},
}


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    """One row as the sheet states it. None: no such column, an unreadable cell, or (totals row
    only) a blank cell; on a line a blank amount is zero."""

    line: int  # 1-based line of the file where the row starts
    item: str
    description: str
    scheduled_value: Decimal | None  # C
    previous_work: Decimal | None  # D
    this_period: Decimal | None  # E
    stored: Decimal | None  # F
    completed: Decimal | None  # G
    percent: Decimal | None  # G ÷ C in percent points, as shown
    percent_places: int  # decimals the sheet shows for the percentage
    balance: Decimal | None  # H
    retainage: Decimal | None  # I
    change_order: bool = False
    unreadable: frozenset[G703Column] = frozenset()

    def value(self, column: G703Column) -> Decimal | None:
        return {
            g703.SCHEDULED: self.scheduled_value,
            g703.PREVIOUS: self.previous_work,
            g703.THIS_PERIOD: self.this_period,
            g703.STORED: self.stored,
            g703.COMPLETED: self.completed,
            g703.PERCENT: self.percent,
            g703.BALANCE: self.balance,
            g703.RETAINAGE: self.retainage,
        }.get(column)

    def amount(self, column: G703Column) -> Decimal:
        """The value payapp computes with: zero when absent or unreadable."""
        value = self.value(column)
        return ZERO if value is None else value

    def readable(self, *columns: G703Column) -> bool:
        return not self.unreadable.intersection(columns)

    @property
    def where(self) -> str:
        return f"Line {self.line}, item {self.item}" if self.item else f"Line {self.line}"


@dataclass(frozen=True)
class Discrepancy:
    """A cell whose value differs from what payapp computes."""

    line: int | None  # None for the totals row
    item: str
    column: str  # the letter as the sheet letters it
    sheet: Decimal
    computed: Decimal
    message: str
    percentage: bool = False  # sheet and computed are percent points, not dollars

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "item": self.item,
            "column": self.column,
            "sheet": str(self.sheet),
            "computed": str(self.computed),
            "percentage": self.percentage,
            "message": self.message,
        }


@dataclass(frozen=True)
class UnreadableCell:
    line: int
    item: str
    column: str
    text: str
    reason: str  # the parser's message

    @property
    def message(self) -> str:
        where = f"Line {self.line}, item {self.item}" if self.item else f"Line {self.line}"
        return (f'{where}: column {self.column} reads "{self.text}", which cannot be used: '
                f"{self.reason}.")

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "item": self.item, "column": self.column, "text": self.text,
                "reason": self.reason, "message": self.message}


@dataclass(frozen=True)
class Note:
    """A line's retainage that differs from payapp's by no more than rounding in several periods
    explains: reported, not counted against the sheet."""

    line: int
    item: str
    column: str  # the letter as the sheet letters it
    sheet: Decimal
    computed: Decimal
    periods: int  # the periods the line's retainage may have been rounded in
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "item": self.item,
            "column": self.column,
            "sheet": str(self.sheet),
            "computed": str(self.computed),
            "difference": str(self.sheet - self.computed),
            "periods": self.periods,
            "message": self.message,
        }


@dataclass(frozen=True)
class SheetReport:
    rows: tuple[SheetRow, ...]  # the lines, without headings and totals
    totals: SheetRow | None
    discrepancies: tuple[Discrepancy, ...]
    unreadable: tuple[UnreadableCell, ...]
    summary: Summary  # the G702 lines computed by payapp
    relettered: bool  # H %, I balance, J retainage
    retainage_basis: str  # how the retainage was obtained, in words
    notes: tuple[Note, ...] = ()  # differences within rounding: not discrepancies

    @property
    def consistent(self) -> bool:
        return not self.discrepancies and not self.unreadable

    @property
    def g702_lines(self) -> list[tuple[str, str, Decimal]]:
        """(number, caption, amount) for 1, 2, 3, 4, 5a, 5b, 5, 6, 7, 8, 9."""
        return self.summary.numbered_lines()

    @property
    def verdict(self) -> str:
        lines = f"{len(self.rows)} line{'s' if len(self.rows) != 1 else ''}"
        if self.consistent:
            noted = _count(len(self.notes), "line's", "lines'")
            within = f", {noted} retainage within rounding " \
                f"(see the note{'s' if len(self.notes) != 1 else ''})" if self.notes else ""
            return f"Verdict: consistent; every cell of the {lines} and the totals agrees{within}."
        problems = [_count(len(self.discrepancies), "discrepancy", "discrepancies"),
                    _count(len(self.unreadable), "unreadable cell", "unreadable cells")]
        found = ", ".join(p for p in problems if p)
        return f"Verdict: NOT consistent; {found} on {lines}."

    def as_text(self) -> str:
        table = [(number, caption, format_money(amount))
                 for number, caption, amount in self.g702_lines]
        caption_width = max(len(caption) for _, caption, _ in table)
        amount_width = max(len(amount) for _, _, amount in table)
        out = ["Application for payment (G702), computed by payapp:"]
        out += [f"  {number:<3} {caption:<{caption_width}}  {amount:>{amount_width}}"
                for number, caption, amount in table]
        out.append(f"Retainage: {self.retainage_basis}.")
        out += [f"Note: {n.message}" for n in self.notes]
        out += [d.message for d in self.discrepancies]
        out += [u.message for u in self.unreadable]
        out.append(self.verdict)
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "consistent": self.consistent,
            "lines": {number: _money_text(amount) for number, _, amount in self.g702_lines},
            "discrepancies": [d.as_dict() for d in self.discrepancies],
            "unreadable": [u.as_dict() for u in self.unreadable],
            "notes": [n.as_dict() for n in self.notes],
            "line_count": len(self.rows),
            "relettered": self.relettered,
            "retainage_basis": self.retainage_basis,
        }


# --- public entry points ----------------------------------------------------------------------


def check_sheet_file(path: Path, *, retainage: Decimal = ZERO, stored_retainage: Decimal = ZERO,
                     previous_certificates: Decimal = ZERO,
                     application_number: int | None = None) -> SheetReport:
    """Read and check the CSV sheet at `path`; `SheetError` when it cannot be used at all."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SheetError(f"{path}: no such file") from None
    except OSError as error:
        raise SheetError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SheetError(
            f"{path} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "save it as CSV UTF-8"
        ) from None
    try:
        return check_sheet_text(text, retainage=retainage, stored_retainage=stored_retainage,
                                previous_certificates=previous_certificates,
                                application_number=application_number)
    except SheetError as error:
        raise SheetError(f"{path}: {error}") from None


def check_sheet_text(text: str, *, retainage: Decimal = ZERO, stored_retainage: Decimal = ZERO,
                     previous_certificates: Decimal = ZERO,
                     application_number: int | None = None) -> SheetReport:
    """Check a sheet given as CSV text; see the module docstring for the rules.

    `application_number`: the sheet's application number N, so that a line may have been billed
    in up to N periods (see "Rounding in several periods")."""
    if application_number is not None and application_number < 1:
        raise ValueError(f"application number {application_number}: it must be 1 or more")
    rates = _Rates(retainage, stored_retainage)
    raw_rows = _read_csv(text)
    header, body_start = _find_header(raw_rows)
    body = raw_rows[body_start:]
    layout = _layout(header, body)

    line_rows, totals_row = _split_rows(body, layout)
    rows: list[SheetRow] = []
    unreadable: list[UnreadableCell] = []
    for raw, change_order in line_rows:
        row, bad = _read_row(raw, layout, change_order=change_order, blank_is_zero=True)
        rows.append(row)
        unreadable += bad
    totals: SheetRow | None = None
    if totals_row is not None:
        totals, bad = _read_row(totals_row, layout, change_order=False, blank_is_zero=False)
        unreadable += bad

    retained = [_line_retainage(row, rates) for row in rows]
    discrepancies: list[Discrepancy] = []
    notes: list[Note] = []
    for index, (row, (on_work, on_stored)) in enumerate(zip(rows, retained, strict=True)):
        # Without a work rate the sheet's I is the retainage, so there is nothing to check it by.
        expected_retainage = on_work + on_stored if rates.given else None
        note = None if expected_retainage is None else _rounding_note(
            row, layout, expected_retainage, rates, application_number)
        if note is not None:
            notes.append(note)
            expected_retainage = None  # within rounding: the sheet's I stands
            retained[index] = (note.sheet - on_stored, on_stored)
        discrepancies += _check_line(row, layout, expected_retainage, rates)
    if totals is not None:
        discrepancies += _check_totals(totals, rows, layout)

    summary = _g702(rows, retained, previous_certificates)
    return SheetReport(
        rows=tuple(rows),
        totals=totals,
        discrepancies=tuple(discrepancies),
        unreadable=tuple(unreadable),
        summary=summary,
        relettered=layout.relettered,
        retainage_basis=rates.describe(layout.has(g703.RETAINAGE)),
        notes=tuple(notes),
    )


# --- reading the CSV and its header -----------------------------------------------------------


@dataclass(frozen=True)
class _RawRow:
    line: int
    cells: tuple[str, ...]


def _read_csv(text: str) -> list[_RawRow]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows: list[_RawRow] = []
    first_line = 1
    try:
        for cells in reader:
            rows.append(_RawRow(first_line, tuple(cells)))
            first_line = reader.line_num + 1  # a quoted cell may span several lines
    except csv.Error as error:
        raise SheetError(f"line {reader.line_num} is not valid CSV ({error})") from None
    return rows


@dataclass(frozen=True)
class _HeaderCell:
    named: G703Column | None = None
    letter: str | None = None

    @property
    def recognised(self) -> bool:
        return self.named is not None or self.letter is not None

    def names(self, column: G703Column) -> bool:
        # C and E have the same letter in both layouts, so a letter is enough to find them.
        return self.named is column or self.letter == column.letter


_BARE_LETTER = re.compile(r"(?:col(?:umn)?\.?\s*)?([a-j])\.?", re.IGNORECASE)
_PERCENT_SIGN = re.compile(r"%|÷|\bpercent|\bg\s*/\s*c\b", re.IGNORECASE)
_RATE_WORDS = {"rate", "release", "released", "percent", "percentage"}


def _normalised(text: str) -> str:
    """Lower case words only: "Total Completed & Stored" -> "total completed and stored"."""
    lowered = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", lowered).split())


# A header that reads exactly as a column's caption, short label or grid label ("Scheduled
# Value", "To Date", "C Scheduled") names that column; other names are read by their words.
_NAMES: dict[str, G703Column] = {
    _normalised(name): column
    for column in _READ
    for name in (column.caption, column.short, column.label)
}


# payapp's other columns (quantities, unit price, budget code, release), as its own CSV export
# names them: known, not read, and never taken for a G703 column by their words ("Previous
# Quantity" is not D).
_NOT_READ: frozenset[str] = frozenset(
    _normalised(name)
    for column in g703.COLUMNS if column not in _READ
    for name in (column.caption, column.short, column.label)
) - _NAMES.keys()


def _column_named(text: str) -> G703Column | None:
    """The column a header name means, or None. Order matters: G's name mentions "stored"."""
    phrase = _normalised(text)
    if phrase in _NAMES:
        return _NAMES[phrase]
    if phrase in _NOT_READ:
        return None
    words = set(phrase.split())
    if words & {"retainage", "retention", "retained"}:
        # The official I reads "Retainage (if variable rate)"; a rate or release column is not I.
        is_rate = bool(words & _RATE_WORDS) and "variable" not in words
        return None if is_rate or "%" in text else g703.RETAINAGE
    if _PERCENT_SIGN.search(text):
        return g703.PERCENT
    if "balance" in words:
        return g703.BALANCE
    if "total" in words or "to date" in phrase:
        return g703.COMPLETED
    if words & {"materials", "material", "stored"}:
        not_f = words & {"previous", "new", "installed"} or "this period" in phrase
        return None if not_f else g703.STORED
    if words & {"previous", "previously", "prior"}:
        return g703.PREVIOUS
    if "this period" in phrase or "this application" in phrase or "current" in words:
        return g703.THIS_PERIOD
    if words & {"scheduled", "schedule"}:
        return g703.SCHEDULED
    if "description" in words:
        return g703.DESCRIPTION
    if "item" in words or text.strip().lower() in {"#", "no", "no."}:
        return g703.ITEM
    return None


def _header_cell(text: str) -> _HeaderCell:
    bare = _BARE_LETTER.fullmatch(text.strip())
    if bare:
        return _HeaderCell(letter=bare.group(1).upper())
    return _HeaderCell(named=_column_named(text))


def _header_cells(row: _RawRow) -> list[_HeaderCell]:
    return [_header_cell(text) for text in row.cells]


def _is_header_like(row: _RawRow, cells: list[_HeaderCell]) -> bool:
    filled = [cell for text, cell in zip(row.cells, cells, strict=True) if text.strip()]
    return len(filled) >= 2 and all(cell.recognised for cell in filled)


def _merged(upper: list[_HeaderCell], lower: list[_HeaderCell]) -> list[_HeaderCell]:
    empty = _HeaderCell()
    return [_HeaderCell(a.named or b.named, a.letter or b.letter)
            for a, b in zip_longest(upper, lower, fillvalue=empty)]


def _find_header(rows: Sequence[_RawRow]) -> tuple[list[_HeaderCell], int]:
    """The header cells and the index of the first row below the header."""
    candidate: tuple[_RawRow, list[_HeaderCell]] | None = None
    for index, row in enumerate(rows):
        cells = _header_cells(row)
        if sum(cell.recognised for cell in cells) < 2:
            continue
        if any(c.names(g703.SCHEDULED) for c in cells) and \
                any(c.names(g703.THIS_PERIOD) for c in cells):
            below = index + 1
            if below < len(rows):
                under = _header_cells(rows[below])
                if _is_header_like(rows[below], under):
                    return _merged(cells, under), below + 1
            return cells, below
        candidate = candidate or (row, cells)
    if not any(any(text.strip() for text in row.cells) for row in rows):
        raise SheetError("the sheet is empty")
    if candidate is None:
        raise SheetError("no header row: no row names the G703 columns "
                         "(Scheduled Value, Work Completed This Period, ...) or letters them A-I")
    row, cells = candidate
    missing = [f"{column.caption} (column {column.letter})"
               for column in (g703.SCHEDULED, g703.THIS_PERIOD)
               if not any(c.names(column) for c in cells)]
    raise SheetError(f"the header row (line {row.line}) has no {' and no '.join(missing)}; "
                     "both are required")


# --- layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    positions: dict[G703Column, int]
    relettered: bool

    def has(self, column: G703Column) -> bool:
        return column in self.positions

    def letter(self, column: G703Column) -> str:
        """The column's letter as the sheet letters it."""
        if self.relettered and column in _RELETTERED:
            return _RELETTERED[column]
        return column.letter or _PERCENT_LETTER

    def named(self, column: G703Column) -> str:
        """ "H (Balance to Finish)"; the percentage, which the form does not letter, by its
        caption ("% (G ÷ C)", or "% (G ÷ C) in column H" on a re-lettered sheet)."""
        if column.letter is None:
            return f"{column.caption} in column {self.letter(column)}" if self.relettered \
                else column.caption
        return f"{self.letter(column)} ({column.caption})"

    def cell(self, row: _RawRow, column: G703Column) -> str:
        index = self.positions.get(column)
        if index is None or index >= len(row.cells):
            return ""
        return row.cells[index].strip()


def _is_relettered(header: list[_HeaderCell], body: Sequence[_RawRow]) -> bool:
    letters = [cell.letter if cell.named is None else None for cell in header]
    if "J" in letters:
        return True
    if "H" not in letters:
        return False
    h = letters.index("H")
    filled = [row.cells[h].strip() for row in body if h < len(row.cells) and row.cells[h].strip()]
    return bool(filled) and all(text.endswith("%") for text in filled)


def _layout(header: list[_HeaderCell], body: Sequence[_RawRow]) -> _Layout:
    relettered = _is_relettered(header, body)
    by_letter = _RELETTERED_LETTERS if relettered else _OFFICIAL_LETTERS
    positions: dict[G703Column, int] = {}
    for index, cell in enumerate(header):  # names first: they win over letters
        if cell.named is not None:
            positions.setdefault(cell.named, index)
    for index, cell in enumerate(header):
        if cell.named is None and cell.letter in by_letter:
            positions.setdefault(by_letter[cell.letter], index)
    return _Layout(positions, relettered)


# --- rows -------------------------------------------------------------------------------------


_TOTAL_LABEL = re.compile(r"(?:grand )?totals?\b")
_SUBTOTAL_LABEL = re.compile(r"sub ?totals?\b")
_CHANGE_ORDER_HEADING = re.compile(r"\bchange orders?\b")
_CHANGE_ORDER_LINE = re.compile(r"(?:[pc]?co|change orders?)(?: |\d|$)")


def _label(row: _RawRow, layout: _Layout) -> str:
    item = layout.cell(row, g703.ITEM)
    description = layout.cell(row, g703.DESCRIPTION)
    return _normalised(f"{item} {description}")


def _has_amounts(row: _RawRow, layout: _Layout) -> bool:
    return any(layout.cell(row, column) for column in (*_MONEY_COLUMNS, g703.PERCENT))


def _is_total(row: _RawRow, layout: _Layout) -> bool:
    return bool(_TOTAL_LABEL.match(_label(row, layout)))


def _is_change_order_line(row: _RawRow, layout: _Layout) -> bool:
    return any(_CHANGE_ORDER_LINE.match(_normalised(layout.cell(row, column)))
               for column in (g703.ITEM, g703.DESCRIPTION))


def _totals_row(amount_rows: Sequence[_RawRow], layout: _Layout) -> _RawRow | None:
    labelled = [row for row in amount_rows if _is_total(row, layout)]
    if labelled:
        return labelled[-1]
    if amount_rows and not _label(amount_rows[-1], layout):
        return amount_rows[-1]
    return None


def _split_rows(body: Sequence[_RawRow],
                layout: _Layout) -> tuple[list[tuple[_RawRow, bool]], _RawRow | None]:
    """The line rows, each with its change-order flag, and the totals row."""
    totals = _totals_row([row for row in body if _has_amounts(row, layout)], layout)
    lines: list[tuple[_RawRow, bool]] = []
    in_change_orders = False
    for row in body:
        if row is totals:
            break
        label = _label(row, layout)
        if not _has_amounts(row, layout):
            in_change_orders = in_change_orders or bool(_CHANGE_ORDER_HEADING.search(label))
        elif not (_TOTAL_LABEL.match(label) or _SUBTOTAL_LABEL.match(label)):
            lines.append((row, in_change_orders or _is_change_order_line(row, layout)))
    return lines, totals


def _places_shown(text: str) -> int:
    decimals = re.search(r"\.([0-9]*)", text)
    return len(decimals.group(1)) if decimals else 0


def _read_row(raw: _RawRow, layout: _Layout, *, change_order: bool,
              blank_is_zero: bool) -> tuple[SheetRow, list[UnreadableCell]]:
    item = layout.cell(raw, g703.ITEM)
    values: dict[G703Column, Decimal | None] = {}
    unreadable: dict[G703Column, UnreadableCell] = {}
    for column in (*_MONEY_COLUMNS, g703.PERCENT):
        text = layout.cell(raw, column)
        values[column] = None
        if not layout.has(column) or (not text and not blank_is_zero):
            continue
        parse = parse_percent if column is g703.PERCENT else parse_money
        try:
            values[column] = parse(text) if text else ZERO
        except MoneyError as error:
            unreadable[column] = UnreadableCell(raw.line, item, layout.letter(column), text,
                                                str(error))
    row = SheetRow(
        line=raw.line,
        item=item,
        description=layout.cell(raw, g703.DESCRIPTION),
        scheduled_value=values[g703.SCHEDULED],
        previous_work=values[g703.PREVIOUS],
        this_period=values[g703.THIS_PERIOD],
        stored=values[g703.STORED],
        completed=values[g703.COMPLETED],
        percent=values[g703.PERCENT],
        percent_places=_places_shown(layout.cell(raw, g703.PERCENT)),
        balance=values[g703.BALANCE],
        retainage=values[g703.RETAINAGE],
        change_order=change_order,
        unreadable=frozenset(unreadable),
    )
    return row, list(unreadable.values())


# --- retainage --------------------------------------------------------------------------------


def _rate_text(rate: Decimal) -> str:
    text = f"{rate:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _percent_of(rate: Decimal, amount: Decimal) -> Decimal:
    return round_cents(rate * amount / HUNDRED)


@dataclass(frozen=True)
class _Rates:
    work: Decimal
    stored: Decimal

    @property
    def given(self) -> bool:
        return self.work != 0

    @property
    def formula(self) -> str:
        return f"{_rate_text(self.work)} of D + E plus {_rate_text(self.stored)} of F"

    def describe(self, sheet_has_retainage: bool) -> str:
        stored = f"{_rate_text(self.stored)} of stored materials (F)"
        if self.given:
            computed = f"{_rate_text(self.work)} of completed work (D + E) and {stored}, per line"
            checked = "column I checked" if sheet_has_retainage else "the sheet has no column I"
            return f"{computed}; {checked}"
        if not sheet_has_retainage:
            held = stored if self.stored else "none"
            return f"{held}; no rate given for completed work and the sheet has no column I"
        if self.stored:
            return f"{stored}; the rest of column I counted as retainage on completed work"
        return "taken from column I (no rate given), all of it as retainage on completed work"


def _line_retainage(row: SheetRow, rates: _Rates) -> tuple[Decimal, Decimal]:
    """(on completed work, on stored materials) for one line."""
    on_stored = _percent_of(rates.stored, row.amount(g703.STORED))
    if rates.given:
        work = row.amount(g703.PREVIOUS) + row.amount(g703.THIS_PERIOD)
        return _percent_of(rates.work, work), on_stored
    if row.retainage is None:
        return ZERO, on_stored
    return row.retainage - on_stored, on_stored


def _periods(row: SheetRow, application_number: int | None) -> tuple[int, str]:
    """How many periods the line's retainage may have been rounded in, and why."""
    earlier = row.amount(g703.PREVIOUS) != 0
    now = row.amount(g703.THIS_PERIOD) != 0
    if not earlier:
        return 1, "no previous work (D)"
    if application_number is None:
        if now:
            return 2, "D and E both billed"
        return 1, "no work this period (E) and no application number given"
    before = application_number - 1
    if now:
        return application_number, (f"application No. {application_number}: D from up to "
                                    f"{before} earlier period{'s' if before != 1 else ''}, "
                                    "E from this one")
    return max(before, 1), (f"application No. {application_number}: D from up to {before} "
                            f"earlier period{'s' if before != 1 else ''}, no E")


def _rounding_note(row: SheetRow, layout: _Layout, expected: Decimal, rates: _Rates,
                   application_number: int | None) -> Note | None:
    """A note when the sheet's I differs from `expected` by at most one cent for each period
    after the first that the line may have been rounded in; None otherwise."""
    stated = row.retainage
    if stated is None or stated == expected or not row.readable(*_WORK_AND_STORED):
        return None
    periods, why = _periods(row, application_number)
    allowed = CENT * (periods - 1)
    difference = stated - expected
    if abs(difference) > allowed:
        return None
    letter = layout.letter(g703.RETAINAGE)
    message = (
        f"{row.where}: {layout.named(g703.RETAINAGE)} is {format_money(stated)} on the sheet; "
        f"payapp computes {format_money(expected)} ({rates.formula}). The difference, "
        f"{format_money(difference)}, is within rounding: retainage rounded to the cent in each "
        f"of {periods} periods ({why}) can differ by up to {format_money(allowed)} from one "
        "rounding of the whole; the sheet's figure is used in G702 lines 5 to 9."
    )
    return Note(row.line, row.item, letter, stated, expected, periods, message)


# --- checks -----------------------------------------------------------------------------------


def _shown(value: Decimal, percentage: bool, places: int) -> str:
    return f"{value:.{places}f}%" if percentage else format_money(value)


def _difference(row: SheetRow, layout: _Layout, column: G703Column, computed: Decimal, *,
                is_totals: bool, how: str) -> Discrepancy | None:
    """A discrepancy when the sheet states something other than `computed` in this cell."""
    stated = row.value(column)
    if stated is None or stated == computed:
        return None
    percentage = column is g703.PERCENT
    places = row.percent_places
    if percentage:
        stated = stated.quantize(Decimal(1).scaleb(-places))
    letter = layout.letter(column)
    said = f"{layout.named(column)} is {_shown(stated, percentage, places)} on the sheet"
    computed_text = _shown(computed, percentage, places)
    if is_totals:
        message = f"Totals row (line {row.line}): {said}; {how} {computed_text}."
    else:
        message = f"{row.where}: {said}; payapp computes {computed_text} ({how})."
    return Discrepancy(None if is_totals else row.line, row.item, letter, stated, computed,
                       message, percentage)


def _rounded_percent(part: Decimal, whole: Decimal, places: int) -> Decimal:
    return (part * HUNDRED / whole).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _check_line(row: SheetRow, layout: _Layout, retainage: Decimal | None,
                rates: _Rates) -> list[Discrepancy]:
    """Each derived cell of a line against payapp's value from the line's C, D, E and F."""
    if not row.readable(*_WORK_AND_STORED):
        return []
    completed = sum((row.amount(c) for c in _WORK_AND_STORED), ZERO)
    scheduled = row.amount(g703.SCHEDULED)
    expected: list[tuple[G703Column, Decimal, str]] = [(g703.COMPLETED, completed, "D + E + F")]
    if row.readable(g703.SCHEDULED):
        expected.append((g703.BALANCE, scheduled - completed, "C − G"))
        if scheduled:
            percent = _rounded_percent(completed, scheduled, row.percent_places)
            expected.append((g703.PERCENT, percent, "G ÷ C"))
    if retainage is not None:
        expected.append((g703.RETAINAGE, retainage, rates.formula))
    found = (_difference(row, layout, column, value, is_totals=False, how=how)
             for column, value, how in expected)
    return [d for d in found if d is not None]


def _footing(rows: Sequence[SheetRow], column: G703Column) -> Decimal | None:
    """The sum of a column over the lines; None when a cell of it cannot be read."""
    if any(not row.readable(column) for row in rows):
        return None
    return sum((row.amount(column) for row in rows), ZERO)


def _check_totals(totals: SheetRow, rows: Sequence[SheetRow],
                  layout: _Layout) -> list[Discrepancy]:
    found: list[Discrepancy | None] = []
    for column in _MONEY_COLUMNS:
        footing = _footing(rows, column)
        if footing is not None:
            found.append(_difference(totals, layout, column, footing, is_totals=True,
                                     how="the lines add up to"))
    completed = _completed_footing(rows, layout)
    scheduled = _footing(rows, g703.SCHEDULED)
    if completed is not None and scheduled and totals.percent is not None:
        percent = _rounded_percent(completed, scheduled, totals.percent_places)
        found.append(_difference(totals, layout, g703.PERCENT, percent, is_totals=True,
                                 how="the lines' G ÷ C is"))
    return [d for d in found if d is not None]


def _completed_footing(rows: Sequence[SheetRow], layout: _Layout) -> Decimal | None:
    if layout.has(g703.COMPLETED):
        return _footing(rows, g703.COMPLETED)
    inputs = [_footing(rows, c) for c in _WORK_AND_STORED]
    return None if None in inputs else sum((i for i in inputs if i is not None), ZERO)


# --- the G702 lines ---------------------------------------------------------------------------


def _line_input(row: SheetRow) -> LineInput:
    return LineInput(
        item_no=row.item,
        description=row.description,
        scheduled_value=row.amount(g703.SCHEDULED),
        previous_work=row.amount(g703.PREVIOUS),
        work_this_period=row.amount(g703.THIS_PERIOD),
        new_stored=row.amount(g703.STORED),
        change_order=ChangeOrderRef(row.item or str(row.line)) if row.change_order else None,
    )


def _g702(rows: Sequence[SheetRow], retained: Sequence[tuple[Decimal, Decimal]],
          previous_certificates: Decimal) -> Summary:
    summary = compute_invoice([_line_input(row) for row in rows],
                              previous_certificates=previous_certificates).summary
    on_work = sum((work for work, _ in retained), ZERO)
    on_stored = sum((stored for _, stored in retained), ZERO)
    # Retainage is set here, not by billing: see "A deductive line" in the module docstring.
    earned = summary.completed_and_stored_to_date - on_work - on_stored
    return replace(
        summary,
        retainage_on_work=on_work,
        retainage_on_stored=on_stored,
        total_earned_less_retainage=earned,
        current_payment_due=earned - previous_certificates,
        balance_to_finish_with_retainage=summary.contract_sum_to_date - earned,
    )


# --- small helpers ----------------------------------------------------------------------------


def _money_text(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _count(number: int, one: str, many: str) -> str:
    if not number:
        return ""
    return f"{number} {one if number == 1 else many}"
