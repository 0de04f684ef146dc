"""The G703 continuation sheet's columns, specified once.

Each column says what it is (key, official letter, caption as on the form, short label for narrow
screens), where a line's figure comes from, where its total comes from, which field a person
types into (if any) and which narrow-screen groups show it. Whatever shows the schedule of values
reads its columns from here: the grid, the PDF's continuation sheet
(data/documents/invoice_pdf.py) and the sheet checker behind `payapp g702`
(data/g703_check.py). A total is always read from the column (`total_of`), never looked up by a
display label.

Letters follow the 1992 G703: A item, B description, C scheduled value, D work from previous
applications, E work this period, F materials presently stored, G total completed and stored,
H balance to finish, I retainage. The percentage G ÷ C, the unit columns, the stored-materials
sub-columns and retainage released are not on the form and have no letter.

A column reads its figure from a `Line`: the computed line (`billing.LineResult`, as `result`),
its unit figures (`units`, None on an amount-based line) and its budget code.
`services.invoice_views.SheetLine` is such a line.

This module depends on data.billing and data.money only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal, Protocol

from data.billing import LineResult, Method, Summary
from data.money import HUNDRED, format_money, format_percent, format_quantity, format_unit_price


class Group(StrEnum):
    """The columns a narrow screen shows at a time; item and description are in every group."""

    WORK = "work"
    STORED = "stored"
    RETAINAGE = "retainage"
    UNITS = "units"
    ALL = "all"


class Kind(StrEnum):
    """What a column holds, and so how its figures read."""

    TEXT = "text"
    MONEY = "money"
    PERCENT = "percent"
    QUANTITY = "quantity"
    UNIT_PRICE = "unit price"


# The values of data.editing.Field: the cells a person can type into.
EditField = Literal["work", "percent", "new_quantity", "new_value", "new_stored", "installed",
                    "release"]

Value = Decimal | str | None
TOTAL_CAPTION = "Grand Total"  # what the description column says on the totals row


class Units(Protocol):
    """A unit-based line's figures (services.invoice_figures.UnitFigures has them)."""

    @property
    def unit(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def previous_quantity(self) -> Decimal: ...
    @property
    def new_quantity(self) -> Decimal: ...
    @property
    def total_percent(self) -> Decimal | None: ...


class Line(Protocol):
    """One line of the sheet as a column reads it (services.invoice_views.SheetLine is one)."""

    @property
    def result(self) -> LineResult: ...
    @property
    def units(self) -> Units | None: ...
    @property
    def budget_code(self) -> str: ...


def text_of(value: Value, kind: Kind) -> str:
    """A figure as every document shows it; blank when there is none."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind is Kind.MONEY:
        return format_money(value)
    if kind is Kind.PERCENT:
        return format_percent(value)
    if kind is Kind.QUANTITY:
        return format_quantity(value)
    if kind is Kind.UNIT_PRICE:
        return format_unit_price(value)
    return str(value)


@dataclass(frozen=True, eq=False)  # eq=False: columns compare and hash by identity
class G703Column:
    key: str  # unique among all columns
    letter: str | None  # the 1992 G703 letter; None for a column that is not on the form
    caption: str  # as on the form (or, off the form, in full)
    short: str  # for narrow screens
    kind: Kind
    line_value: Callable[[Line], Value]
    total: Callable[[Summary], Value] | None = None  # None: the totals row leaves it blank
    field: EditField | None = None  # the field a person types into here
    groups: frozenset[Group] = frozenset()
    needs_units: bool = False  # figures (and typing) only on unit-based lines

    @property
    def numeric(self) -> bool:
        """Right-aligned figures, as opposed to words."""
        return self.kind is not Kind.TEXT

    @property
    def label(self) -> str:
        """A grid heading: the letter and the short label of a figure column ("C Scheduled"),
        the short label alone otherwise ("Item", "Qty")."""
        return f"{self.letter} {self.short}" if self.letter and self.numeric else self.short

    def shown_in(self, group: Group) -> bool:
        return group is Group.ALL or group in self.groups

    def value(self, line: Line) -> Value:
        return self.line_value(line)

    def total_of(self, summary: Summary) -> Value:
        return None if self.total is None else self.total(summary)

    def line_text(self, line: Line) -> str:
        return text_of(self.value(line), self.kind)

    def total_text(self, summary: Summary) -> str:
        return text_of(self.total_of(summary), self.kind)

    def editable_on(self, line: Line) -> bool:
        return self.field is not None and (not self.needs_units or line.units is not None)


# --- how lines and totals are read ------------------------------------------------------------


def _result(read: Callable[[LineResult], Value]) -> Callable[[Line], Value]:
    return lambda line: read(line.result)


def _units(read: Callable[[Units], Value]) -> Callable[[Line], Value]:
    return lambda line: None if line.units is None else read(line.units)


def percent_complete(summary: Summary) -> Decimal | None:
    """G ÷ C of the totals, in percent points; None when C is zero."""
    scheduled = summary.contract_sum_to_date
    return summary.completed_and_stored_to_date * HUNDRED / scheduled if scheduled else None


_EVERY_GROUP = frozenset(Group)


def _in(*groups: Group) -> frozenset[Group]:
    return frozenset(groups)


# --- the columns ------------------------------------------------------------------------------

ITEM = G703Column("item", "A", "Item No.", "Item", Kind.TEXT,
                  _result(lambda r: r.line.item_no), groups=_EVERY_GROUP)
DESCRIPTION = G703Column("description", "B", "Description of Work", "Description", Kind.TEXT,
                         _result(lambda r: r.line.description), lambda _s: TOTAL_CAPTION,
                         groups=_EVERY_GROUP)
BUDGET_CODE = G703Column("budget_code", None, "Budget Code", "Code", Kind.TEXT,
                         lambda line: line.budget_code)

SCHEDULED = G703Column("scheduled", "C", "Scheduled Value", "Scheduled", Kind.MONEY,
                       _result(lambda r: r.scheduled_value),
                       lambda s: s.contract_sum_to_date, groups=_in(Group.WORK))
PREVIOUS = G703Column("previous", "D", "Work Completed from Previous Application", "Previous",
                      Kind.MONEY, _result(lambda r: r.line.previous_work),
                      lambda s: s.total_previous_work)
THIS_PERIOD = G703Column("this_period", "E", "Work Completed This Period", "This Period",
                         Kind.MONEY, _result(lambda r: r.line.work_this_period),
                         lambda s: s.total_work_this_period, field="work",
                         groups=_in(Group.WORK))

# Unit-based lines: C, D and E are quantity × unit price, and E is typed as a value.
UNIT = G703Column("unit", None, "Unit", "Unit", Kind.TEXT, _units(lambda u: u.unit),
                  groups=_in(Group.UNITS), needs_units=True)
QUANTITY = G703Column("quantity", None, "Quantity", "Qty", Kind.QUANTITY,
                      _units(lambda u: u.quantity), groups=_in(Group.UNITS), needs_units=True)
UNIT_PRICE = G703Column("unit_price", None, "Unit Price", "Unit Price", Kind.UNIT_PRICE,
                        _units(lambda u: u.unit_price), groups=_in(Group.UNITS),
                        needs_units=True)
VALUE = G703Column("value", "C", "Value (Quantity × Unit Price)", "Value", Kind.MONEY,
                   SCHEDULED.line_value, SCHEDULED.total, groups=_in(Group.WORK, Group.UNITS))
PREVIOUS_QUANTITY = G703Column("previous_quantity", None, "Previous Quantity", "Prev. Qty",
                               Kind.QUANTITY, _units(lambda u: u.previous_quantity),
                               groups=_in(Group.UNITS), needs_units=True)
PREVIOUS_VALUE = G703Column("previous_value", "D", "Previous Value", "Prev. Value", Kind.MONEY,
                            PREVIOUS.line_value, PREVIOUS.total,
                            groups=_in(Group.UNITS))
PROGRESS = G703Column("progress", None, "Total Progress %", "Total %", Kind.PERCENT,
                      _units(lambda u: u.total_percent), field="percent",
                      groups=_in(Group.WORK, Group.UNITS), needs_units=True)
NEW_QUANTITY = G703Column("new_quantity", None, "New Quantity", "New Qty", Kind.QUANTITY,
                          _units(lambda u: u.new_quantity), field="new_quantity",
                          groups=_in(Group.WORK, Group.UNITS), needs_units=True)
NEW_VALUE = G703Column("new_value", "E", "New Value", "New Value", Kind.MONEY,
                       THIS_PERIOD.line_value, THIS_PERIOD.total, field="new_value",
                       groups=_in(Group.WORK, Group.UNITS), needs_units=True)

# Stored materials billed separately: F and the three figures it comes from.
PREVIOUS_STORED = G703Column("previous_stored", None, "Previous Materials Stored",
                             "Prev. Stored", Kind.MONEY, _result(lambda r: r.line.previous_stored),
                             lambda s: s.total_previous_stored, groups=_in(Group.STORED))
NEW_STORED = G703Column("new_stored", None, "New Materials Stored", "New Stored", Kind.MONEY,
                        _result(lambda r: r.line.new_stored), lambda s: s.total_new_stored,
                        field="new_stored", groups=_in(Group.STORED))
INSTALLED = G703Column("installed", None, "Stored Materials Installed", "Installed",
                       Kind.MONEY, _result(lambda r: r.line.stored_installed),
                       lambda s: s.total_installed, field="installed", groups=_in(Group.STORED))
STORED = G703Column("stored", "F", "Materials Presently Stored", "Stored", Kind.MONEY,
                    _result(lambda r: r.materials_presently_stored), lambda s: s.total_stored,
                    groups=_in(Group.STORED))

COMPLETED = G703Column("completed", "G", "Total Completed and Stored to Date", "To Date",
                       Kind.MONEY, _result(lambda r: r.completed_to_date),
                       lambda s: s.completed_and_stored_to_date,
                       groups=_in(Group.WORK, Group.STORED, Group.RETAINAGE))
PERCENT = G703Column("percent", None, "% (G ÷ C)", "G÷C", Kind.PERCENT,
                     _result(lambda r: r.percent_complete), percent_complete, field="percent",
                     groups=_in(Group.WORK))
BALANCE = G703Column("balance", "H", "Balance to Finish", "Balance", Kind.MONEY,
                     _result(lambda r: r.balance_to_finish),
                     lambda s: s.total_balance_to_finish, groups=_in(Group.WORK))
RETAINAGE = G703Column("retainage", "I", "Retainage", "Retainage", Kind.MONEY,
                       _result(lambda r: r.retainage), lambda s: s.total_retainage,
                       groups=_in(Group.RETAINAGE))
RELEASED = G703Column("released", None, "Retainage Released", "Released", Kind.MONEY,
                      _result(lambda r: r.released), lambda s: s.total_released,
                      field="release", groups=_in(Group.RETAINAGE))

COLUMNS: tuple[G703Column, ...] = (
    ITEM, DESCRIPTION, BUDGET_CODE, SCHEDULED, PREVIOUS, THIS_PERIOD, UNIT, QUANTITY,
    UNIT_PRICE, VALUE, PREVIOUS_QUANTITY, PREVIOUS_VALUE, PROGRESS, NEW_QUANTITY, NEW_VALUE,
    PREVIOUS_STORED, NEW_STORED, INSTALLED, STORED, COMPLETED, PERCENT, BALANCE, RETAINAGE,
    RELEASED,
)
BY_KEY: dict[str, G703Column] = {column.key: column for column in COLUMNS}

# The form's own columns, A to I in order, and the percentage the form prints between G and H.
FORM: tuple[G703Column, ...] = (ITEM, DESCRIPTION, SCHEDULED, PREVIOUS, THIS_PERIOD, STORED,
                                COMPLETED, BALANCE, RETAINAGE)
BY_LETTER: dict[str, G703Column] = {column.letter: column for column in FORM
                                    if column.letter is not None}


# --- column sets ------------------------------------------------------------------------------


def _is_unit(method: Method) -> bool:
    return Method(method) is Method.UNIT


def sheet_columns(method: Method, *, stored_separately: bool) -> tuple[G703Column, ...]:
    """The columns a person sees and types into, for the commitment's accounting method; the
    stored-materials columns only when the commitment bills stored materials separately.

    The cells a person types into come first in each narrow-screen group, so that at 80 columns
    they are in view without scrolling sideways: G ÷ C right after E (it is the other way of
    typing E). D (previous work) shows in "all" and in the line detail under the grid, the
    previous value of a unit-based line in the units group."""
    if _is_unit(method):
        work = [UNIT, QUANTITY, UNIT_PRICE, VALUE, PREVIOUS_QUANTITY, PREVIOUS_VALUE, PROGRESS,
                NEW_QUANTITY, NEW_VALUE]
        percent: list[G703Column] = []  # the total progress % stands in for G ÷ C
    else:
        work, percent = [SCHEDULED, PREVIOUS, THIS_PERIOD], [PERCENT]
    stored = [PREVIOUS_STORED, NEW_STORED, INSTALLED, STORED] if stored_separately else []
    return (ITEM, DESCRIPTION, *work, *percent, *stored, COMPLETED, BALANCE, RETAINAGE,
            RELEASED)


def printed_columns(method: Method) -> tuple[G703Column, ...]:
    """The printed continuation sheet: the form's A to I and G ÷ C, the budget code beside the
    description, the unit columns beside C, D and E on a unit-based sheet, and the release."""
    work: tuple[G703Column, ...]
    if _is_unit(method):
        work = (QUANTITY, UNIT, UNIT_PRICE, SCHEDULED, PREVIOUS_QUANTITY, PREVIOUS, NEW_QUANTITY,
                THIS_PERIOD)
    else:
        work = (SCHEDULED, PREVIOUS, THIS_PERIOD)
    return (ITEM, DESCRIPTION, BUDGET_CODE, *work, STORED, COMPLETED, PERCENT, BALANCE,
            RETAINAGE, RELEASED)


def in_group(columns: Iterable[G703Column], group: Group) -> tuple[G703Column, ...]:
    """The columns of a set that a narrow screen shows for `group`, in the set's order."""
    return tuple(column for column in columns if column.shown_in(group))


def groups_of(columns: Iterable[G703Column]) -> tuple[Group, ...]:
    """The narrow-screen groups a column set has, work first and all last."""
    named = {group for column in columns if column.groups != _EVERY_GROUP
             for group in column.groups}
    return (*(group for group in Group if group in named and group is not Group.ALL), Group.ALL)
