"""Check a G703 continuation sheet received from outside payapp and compute its G702 lines.

A general contractor receives pay applications built in spreadsheets; published ones are often
wrong. This module reads such a sheet as CSV, recomputes every derived cell from the amounts the
sheet states, and reports each cell that disagrees, plus the G702 summary payapp computes.

Reading the sheet
- UTF-8 CSV, with or without a byte-order mark. Rows above the header (title, application number)
  are ignored: the header is the first row that names both column C and column E.
- Columns are found by their G703 name, matched loosely (case, punctuation, "&" for "and", extra
  words such as "(D+E+F)"), or by their letter. A row of letters just under a row of names (as on
  the printed form) is merged into the header; where both say something, the name wins.
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
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import zip_longest
from pathlib import Path
from typing import Any

from data.billing import ChangeOrderRef, LineInput, Summary, compute_invoice
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


class Column(StrEnum):
    """A G703 column, by its 1992 letter; the percentage G ÷ C has no letter there."""

    ITEM = "A"
    DESCRIPTION = "B"
    SCHEDULED = "C"
    PREVIOUS = "D"
    THIS_PERIOD = "E"
    STORED = "F"
    COMPLETED = "G"
    PERCENT = "G%"
    BALANCE = "H"
    RETAINAGE = "I"


CAPTIONS: dict[Column, str] = {
    Column.ITEM: "Item No.",
    Column.DESCRIPTION: "Description of Work",
    Column.SCHEDULED: "Scheduled Value",
    Column.PREVIOUS: "Work Completed from Previous Application",
    Column.THIS_PERIOD: "Work Completed This Period",
    Column.STORED: "Materials Presently Stored",
    Column.COMPLETED: "Total Completed and Stored to Date",
    Column.PERCENT: "Percent Complete",
    Column.BALANCE: "Balance to Finish",
    Column.RETAINAGE: "Retainage",
}

_MONEY_COLUMNS = (
    Column.SCHEDULED,
    Column.PREVIOUS,
    Column.THIS_PERIOD,
    Column.STORED,
    Column.COMPLETED,
    Column.BALANCE,
    Column.RETAINAGE,
)
_WORK_AND_STORED = (Column.PREVIOUS, Column.THIS_PERIOD, Column.STORED)  # G = D + E + F
_OFFICIAL_LETTERS: dict[str, Column] = {c.value: c for c in Column if c is not Column.PERCENT}
_RELETTERED: dict[Column, str] = {Column.PERCENT: "H", Column.BALANCE: "I", Column.RETAINAGE: "J"}
_RELETTERED_LETTERS: dict[str, Column] = {
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
    unreadable: frozenset[Column] = frozenset()

    def value(self, column: Column) -> Decimal | None:
        return {
            Column.SCHEDULED: self.scheduled_value,
            Column.PREVIOUS: self.previous_work,
            Column.THIS_PERIOD: self.this_period,
            Column.STORED: self.stored,
            Column.COMPLETED: self.completed,
            Column.PERCENT: self.percent,
            Column.BALANCE: self.balance,
            Column.RETAINAGE: self.retainage,
        }.get(column)

    def amount(self, column: Column) -> Decimal:
        """The value payapp computes with: zero when absent or unreadable."""
        value = self.value(column)
        return ZERO if value is None else value

    def readable(self, *columns: Column) -> bool:
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
class SheetReport:
    rows: tuple[SheetRow, ...]  # the lines, without headings and totals
    totals: SheetRow | None
    discrepancies: tuple[Discrepancy, ...]
    unreadable: tuple[UnreadableCell, ...]
    summary: Summary  # the G702 lines computed by payapp
    relettered: bool  # H %, I balance, J retainage
    retainage_basis: str  # how the retainage was obtained, in words

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
            return f"Verdict: consistent; every cell of the {lines} and the totals agrees."
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
            "line_count": len(self.rows),
            "relettered": self.relettered,
            "retainage_basis": self.retainage_basis,
        }


# --- public entry points ----------------------------------------------------------------------


def check_sheet_file(path: Path, *, retainage: Decimal = ZERO, stored_retainage: Decimal = ZERO,
                     previous_certificates: Decimal = ZERO) -> SheetReport:
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
                                previous_certificates=previous_certificates)
    except SheetError as error:
        raise SheetError(f"{path}: {error}") from None


def check_sheet_text(text: str, *, retainage: Decimal = ZERO, stored_retainage: Decimal = ZERO,
                     previous_certificates: Decimal = ZERO) -> SheetReport:
    """Check a sheet given as CSV text; see the module docstring for the rules."""
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
    for row, (on_work, on_stored) in zip(rows, retained, strict=True):
        # Without a work rate the sheet's I is the retainage, so there is nothing to check it by.
        expected_retainage = on_work + on_stored if rates.given else None
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
        retainage_basis=rates.describe(layout.has(Column.RETAINAGE)),
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
    named: Column | None = None
    letter: str | None = None

    @property
    def recognised(self) -> bool:
        return self.named is not None or self.letter is not None

    def names(self, column: Column) -> bool:
        # C and E have the same letter in both layouts, so a letter is enough to find them.
        return self.named is column or self.letter == column.value


_BARE_LETTER = re.compile(r"(?:col(?:umn)?\.?\s*)?([a-j])\.?", re.IGNORECASE)
_PERCENT_SIGN = re.compile(r"%|÷|\bpercent|\bg\s*/\s*c\b", re.IGNORECASE)
_RATE_WORDS = {"rate", "release", "released", "percent", "percentage"}


def _normalised(text: str) -> str:
    """Lower case words only: "Total Completed & Stored" -> "total completed and stored"."""
    lowered = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", lowered).split())


def _column_named(text: str) -> Column | None:
    """The column a header name means, or None. Order matters: G's name mentions "stored"."""
    phrase = _normalised(text)
    words = set(phrase.split())
    if words & {"retainage", "retention", "retained"}:
        # The official I reads "Retainage (if variable rate)"; a rate or release column is not I.
        is_rate = bool(words & _RATE_WORDS) and "variable" not in words
        return None if is_rate or "%" in text else Column.RETAINAGE
    if _PERCENT_SIGN.search(text):
        return Column.PERCENT
    if "balance" in words:
        return Column.BALANCE
    if "total" in words or "to date" in phrase:
        return Column.COMPLETED
    if words & {"materials", "material", "stored"}:
        not_f = words & {"previous", "new", "installed"} or "this period" in phrase
        return None if not_f else Column.STORED
    if words & {"previous", "previously", "prior"}:
        return Column.PREVIOUS
    if "this period" in phrase or "this application" in phrase or "current" in words:
        return Column.THIS_PERIOD
    if words & {"scheduled", "schedule"}:
        return Column.SCHEDULED
    if "description" in words:
        return Column.DESCRIPTION
    if "item" in words or text.strip().lower() in {"#", "no", "no."}:
        return Column.ITEM
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
        if any(c.names(Column.SCHEDULED) for c in cells) and \
                any(c.names(Column.THIS_PERIOD) for c in cells):
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
    missing = [f"{CAPTIONS[column]} (column {column.value})"
               for column in (Column.SCHEDULED, Column.THIS_PERIOD)
               if not any(c.names(column) for c in cells)]
    raise SheetError(f"the header row (line {row.line}) has no {' and no '.join(missing)}; "
                     "both are required")


# --- layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    positions: dict[Column, int]
    relettered: bool

    def has(self, column: Column) -> bool:
        return column in self.positions

    def letter(self, column: Column) -> str:
        return _RELETTERED.get(column, column.value) if self.relettered else column.value

    def cell(self, row: _RawRow, column: Column) -> str:
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
    positions: dict[Column, int] = {}
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
    item = layout.cell(row, Column.ITEM)
    description = layout.cell(row, Column.DESCRIPTION)
    return _normalised(f"{item} {description}")


def _has_amounts(row: _RawRow, layout: _Layout) -> bool:
    return any(layout.cell(row, column) for column in (*_MONEY_COLUMNS, Column.PERCENT))


def _is_total(row: _RawRow, layout: _Layout) -> bool:
    return bool(_TOTAL_LABEL.match(_label(row, layout)))


def _is_change_order_line(row: _RawRow, layout: _Layout) -> bool:
    return any(_CHANGE_ORDER_LINE.match(_normalised(layout.cell(row, column)))
               for column in (Column.ITEM, Column.DESCRIPTION))


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
    item = layout.cell(raw, Column.ITEM)
    values: dict[Column, Decimal | None] = {}
    unreadable: dict[Column, UnreadableCell] = {}
    for column in (*_MONEY_COLUMNS, Column.PERCENT):
        text = layout.cell(raw, column)
        values[column] = None
        if not layout.has(column) or (not text and not blank_is_zero):
            continue
        parse = parse_percent if column is Column.PERCENT else parse_money
        try:
            values[column] = parse(text) if text else ZERO
        except MoneyError as error:
            unreadable[column] = UnreadableCell(raw.line, item, layout.letter(column), text,
                                                str(error))
    row = SheetRow(
        line=raw.line,
        item=item,
        description=layout.cell(raw, Column.DESCRIPTION),
        scheduled_value=values[Column.SCHEDULED],
        previous_work=values[Column.PREVIOUS],
        this_period=values[Column.THIS_PERIOD],
        stored=values[Column.STORED],
        completed=values[Column.COMPLETED],
        percent=values[Column.PERCENT],
        percent_places=_places_shown(layout.cell(raw, Column.PERCENT)),
        balance=values[Column.BALANCE],
        retainage=values[Column.RETAINAGE],
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
    on_stored = _percent_of(rates.stored, row.amount(Column.STORED))
    if rates.given:
        work = row.amount(Column.PREVIOUS) + row.amount(Column.THIS_PERIOD)
        return _percent_of(rates.work, work), on_stored
    if row.retainage is None:
        return ZERO, on_stored
    return row.retainage - on_stored, on_stored


# --- checks -----------------------------------------------------------------------------------


def _shown(value: Decimal, percentage: bool, places: int) -> str:
    return f"{value:.{places}f}%" if percentage else format_money(value)


def _difference(row: SheetRow, layout: _Layout, column: Column, computed: Decimal, *,
                is_totals: bool, how: str) -> Discrepancy | None:
    """A discrepancy when the sheet states something other than `computed` in this cell."""
    stated = row.value(column)
    if stated is None or stated == computed:
        return None
    percentage = column is Column.PERCENT
    places = row.percent_places
    if percentage:
        stated = stated.quantize(Decimal(1).scaleb(-places))
    letter = layout.letter(column)
    said = f"{letter} ({CAPTIONS[column]}) is {_shown(stated, percentage, places)} on the sheet"
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
    scheduled = row.amount(Column.SCHEDULED)
    expected: list[tuple[Column, Decimal, str]] = [(Column.COMPLETED, completed, "D + E + F")]
    if row.readable(Column.SCHEDULED):
        expected.append((Column.BALANCE, scheduled - completed, "C − G"))
        if scheduled:
            percent = _rounded_percent(completed, scheduled, row.percent_places)
            expected.append((Column.PERCENT, percent, "G ÷ C"))
    if retainage is not None:
        expected.append((Column.RETAINAGE, retainage, rates.formula))
    found = (_difference(row, layout, column, value, is_totals=False, how=how)
             for column, value, how in expected)
    return [d for d in found if d is not None]


def _footing(rows: Sequence[SheetRow], column: Column) -> Decimal | None:
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
    scheduled = _footing(rows, Column.SCHEDULED)
    if completed is not None and scheduled and totals.percent is not None:
        percent = _rounded_percent(completed, scheduled, totals.percent_places)
        found.append(_difference(totals, layout, Column.PERCENT, percent, is_totals=True,
                                 how="the lines' G ÷ C is"))
    return [d for d in found if d is not None]


def _completed_footing(rows: Sequence[SheetRow], layout: _Layout) -> Decimal | None:
    if layout.has(Column.COMPLETED):
        return _footing(rows, Column.COMPLETED)
    inputs = [_footing(rows, c) for c in _WORK_AND_STORED]
    return None if None in inputs else sum((i for i in inputs if i is not None), ZERO)


# --- the G702 lines ---------------------------------------------------------------------------


def _line_input(row: SheetRow) -> LineInput:
    return LineInput(
        item_no=row.item,
        description=row.description,
        scheduled_value=row.amount(Column.SCHEDULED),
        previous_work=row.amount(Column.PREVIOUS),
        work_this_period=row.amount(Column.THIS_PERIOD),
        new_stored=row.amount(Column.STORED),
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
