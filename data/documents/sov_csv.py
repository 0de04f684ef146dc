"""An invoice's schedule of values as CSV, in the printed G703's columns (data/g703.py).

What a spreadsheet opens and what `payapp g702` reads back: a few title rows (in the words of
the project's point of view, data/wording.py), one header row of the form's captions, the
original lines, the change orders under a "Change Orders" heading, and the grand total. Figures
are plain numbers a spreadsheet computes with (`-1234.50`, `45.00%`); text that a spreadsheet
would run as a formula (`=`, `+`, `-`, `@` first) is quoted with `'`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import groupby
from typing import TYPE_CHECKING

from data import g703
from data.billing import Method
from data.g703 import G703Column, Kind
from data.money import round_cents
from data.terminal_text import terminal_safe
from data.wording import word

if TYPE_CHECKING:
    from data.services.invoice_views import InvoiceView, SheetLine

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    clean = terminal_safe(value)
    return f"'{clean}" if clean.startswith(FORMULA_STARTS) else clean


def _cell(value: g703.Value, kind: Kind) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(value)
    if kind is Kind.MONEY:
        return f"{round_cents(value):f}"
    if kind is Kind.PERCENT:
        return f"{value.quantize(Decimal('0.01')) + 0:f}%"  # + 0: never -0.00%
    return f"{value:f}"


def _line(line: SheetLine, columns: Sequence[G703Column]) -> list[str]:
    return [_cell(column.value(line), column.kind) for column in columns]


def _title(label: str, columns: Sequence[G703Column]) -> list[str]:
    return [_text(label), *([""] * (len(columns) - 1))]


def _rows(view: InvoiceView, columns: Sequence[G703Column]) -> Iterable[list[str]]:
    yield from (_line(line, columns) for line in view.lines if not line.section)
    changes = [line for line in view.lines if line.section]
    if changes:
        yield _title("Change Orders", columns)
    for section, in_section in groupby(changes, key=lambda line: line.section):
        yield _title(section, columns)
        for order, in_order in groupby(in_section, key=lambda line: line.change_order):
            yield _title(order, columns)
            yield from (_line(line, columns) for line in in_order)
    totals = [_cell(column.total(view.summary) if column.total else None, column.kind)
              for column in columns]
    totals[columns.index(g703.DESCRIPTION)] = g703.TOTAL_CAPTION
    yield totals


def _titles(view: InvoiceView) -> list[str]:
    """What the sheet is of: `Subcontract: SC-2417-016 Electrical`, `Invoice #3, Application
    No. 3, period ...` (the number the history import reads, data/services/commitment_history)."""
    pov = view.point_of_view
    number = f" ({view.invoice_number})" if view.invoice_number else ""
    return [
        f"Continuation sheet (G703): {view.project_number} {view.project_name}",
        f"{word('Subcontract', pov)}: {view.commitment_number} {view.commitment_title}",
        f"{word('Subcontractor', pov)}: {view.contract_company}",
        f"{word('Invoice #', pov)}{view.position}{number}, Application No. {view.position}, "
        f"period {view.period_start.isoformat()} to {view.period_end.isoformat()}",
    ]


def sov_csv_text(view: InvoiceView) -> str:
    """The continuation sheet of `view` as CSV text (UTF-8 when written; see the module)."""
    unit_based = any(line.units is not None for line in view.lines)
    columns = g703.printed_columns(Method.UNIT if unit_based else Method.AMOUNT)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(_title(title, columns) for title in _titles(view))
    writer.writerow([column.caption for column in columns])
    writer.writerows(_rows(view, columns))
    return out.getvalue()


def csv_file_name(view: InvoiceView) -> str:
    """`SC-2417-016 Invoice 3 - 2026-11-21 - G703.csv`, beside the PDF's name (and in the same
    words: `SC-2417-016 Progress Billing 3 - ...` to a specialty contractor)."""
    from data.documents.invoice_pdf import export_file_name

    return export_file_name(view).removesuffix(".pdf") + " - G703.csv"
