"""An invoice being edited: what the person typed, on top of the invoice as loaded, recomputed
in memory on every change (no database until they save).

Each setter takes the text typed in a cell, parses it with the one money parser, checks the
rules that do not need the database, and either records the value or raises `EntryError` with
the reason, leaving the previous value in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from data import billing
from data.billing import LineInput, UnitLine
from data.money import (
    HUNDRED,
    MoneyError,
    format_money,
    format_percent,
    format_quantity,
    parse_money,
    parse_percent,
    parse_quantity,
    round_cents,
)
from data.services.invoice_changes import GeneralInfo, LineEntry
from data.services.invoice_views import InvoiceView, SheetLine
from data.wording import overbilled_sentence, refusal_sentence

# What a typed value may never do to its line: such a value is refused and the old one kept.
# (Overbilling is only flagged here; the project setting that forbids it is the save's to apply.)
# The first that applies is the one said (stored materials first: they move completed to date).
BLOCKING_PROBLEMS = (
    billing.Problem.INSTALLED_EXCEEDS_STORED,
    billing.Problem.NEGATIVE_STORED,
    billing.Problem.NEGATIVE_COMPLETED,
    billing.Problem.CREDIT_ABOVE_ZERO,
)


class EntryError(ValueError):
    """A value that cannot be taken; the message says why. The old value stays."""


class Field(StrEnum):
    """The cells a person can type into."""

    WORK = "work"  # E, amount-based
    PERCENT = "percent"  # G ÷ C (amount) or total progress % (unit)
    NEW_QUANTITY = "new_quantity"
    NEW_VALUE = "new_value"  # E, unit-based
    NEW_STORED = "new_stored"
    INSTALLED = "installed"
    RELEASE = "release"


@dataclass
class _Typed:
    work: Decimal | None = None
    new_quantity: Decimal | None = None
    value_typed: bool = False  # a unit value typed by hand (possibly an override)
    new_stored: Decimal | None = None
    installed: Decimal | None = None
    release: Decimal | None = None


class DraftInvoice:
    def __init__(self, view: InvoiceView) -> None:
        self.view = view
        self._lines = {line.sov_line_id: line for line in view.lines}
        self._index = {sov_line_id: i for i, sov_line_id in enumerate(self._lines)}
        self._typed: dict[int, _Typed] = {}
        self.general = GeneralInfo()
        self._inputs: list[LineInput] = []  # what the figures were computed from
        self._result = self._compute()

    # --- reading ---------------------------------------------------------------------------

    @property
    def result(self) -> billing.Invoice:
        return self._result

    @property
    def dirty(self) -> bool:
        return bool(self._typed) or self.general != GeneralInfo()

    def line_result(self, sov_line_id: int) -> billing.LineResult:
        return self._result.lines[self._index[sov_line_id]]

    def units(self, sov_line_id: int) -> tuple[Decimal, Decimal, bool] | None:
        """(new quantity, total progress %, override) as typed or loaded, for unit lines."""
        line = self._lines[sov_line_id]
        if line.units is None:
            return None
        typed = self._typed.get(sov_line_id, _Typed())
        quantity = typed.new_quantity if typed.new_quantity is not None \
            else line.units.new_quantity
        unit_line = self._unit_line(line)
        percent = ((unit_line.previous_quantity + quantity) * HUNDRED / unit_line.quantity
                   if unit_line.quantity else Decimal(0))
        value = self.line_result(sov_line_id).line.work_this_period
        return quantity, percent, unit_line.value_of(quantity) != value

    def overbilled_lines(self) -> list[str]:
        """The lines billed past their scheduled value, one phrase each, for the confirmation
        before sending: `line 3 “Framing” is billed $1,200.00 past its scheduled value`."""
        return [overbilled_sentence(r)
                for r in self._result.problem_lines(billing.Problem.OVERBILLED)]

    # --- typing ----------------------------------------------------------------------------

    def set(self, sov_line_id: int, field: Field, text: str) -> None:
        """Take what was typed in one cell, or raise EntryError and keep the old value."""
        line = self._lines[sov_line_id]
        item = line.result.line.item_no
        try:
            self._set(line, field, text)
        except MoneyError as error:
            raise EntryError(f"line {item}: {error}; the old value is kept") from error

    def set_many(self, sov_line_ids: Iterable[int], field: Field, text: str) -> None:
        """One value for several lines (percent complete, release %): all or none."""
        saved = {k: replace(v) for k, v in self._typed.items()}
        try:
            for sov_line_id in sov_line_ids:
                if field is Field.RELEASE:
                    self._release_percent(self._lines[sov_line_id], text)
                else:
                    self.set(sov_line_id, field, text)
        except (EntryError, MoneyError) as error:
            self._typed = saved
            self._result = self._compute()
            raise EntryError(str(error)) from error

    def set_general(self, general: GeneralInfo) -> None:
        if general.period_start and general.period_end \
                and general.period_start > general.period_end:
            raise EntryError("the period cannot start after it ends")
        self.general = general

    def entries(self) -> dict[int, LineEntry]:
        """What to save: only the lines the person changed."""
        return {
            sov_line_id: LineEntry(
                work=typed.work if (typed.value_typed or typed.new_quantity is None)
                else None,
                new_quantity=typed.new_quantity, new_stored=typed.new_stored,
                stored_installed=typed.installed, release=typed.release,
            )
            for sov_line_id, typed in self._typed.items()
        }

    # --- the rules -------------------------------------------------------------------------

    def _set(self, line: SheetLine, field: Field, text: str) -> None:
        sov_line_id = line.sov_line_id
        typed = replace(self._typed.get(sov_line_id, _Typed()))
        current = self.line_result(sov_line_id).line
        if field is Field.WORK:
            typed.work = parse_money(text)
        elif field is Field.PERCENT and line.units is None:
            percent = parse_percent(text)
            typed.work = billing.work_for_percent(percent, current)
        elif field is Field.PERCENT:
            progress = self._unit_line(line).from_total_percent(parse_percent(text))
            typed.new_quantity, typed.work, typed.value_typed = (
                progress.new_quantity, progress.new_value, False)
        elif field is Field.NEW_QUANTITY:
            self._require_units(line)
            progress = self._unit_line(line).from_new_quantity(parse_quantity(text))
            typed.new_quantity, typed.work, typed.value_typed = (
                progress.new_quantity, progress.new_value, False)
        elif field is Field.NEW_VALUE:
            self._require_units(line)
            progress = self._unit_line(line).from_new_value(parse_money(text))
            typed.new_quantity, typed.work, typed.value_typed = (
                progress.new_quantity, progress.new_value, True)
        elif field is Field.NEW_STORED:
            typed.new_stored = self._not_negative(line, "new stored materials", text)
        elif field is Field.INSTALLED:
            typed.installed = self._not_negative(line, "stored materials installed", text)
        else:
            typed.release = self._release(line, parse_money(text))
        self._commit(sov_line_id, typed)

    def _commit(self, sov_line_id: int, typed: _Typed) -> None:
        before = self._typed.get(sov_line_id)
        self._typed[sov_line_id] = typed
        result, inputs = self._compute_one(sov_line_id)
        line_result = result.lines[self._index[sov_line_id]]
        blocking = [p for p in BLOCKING_PROBLEMS if p in line_result.problems]
        if blocking:
            if before is None:
                del self._typed[sov_line_id]
            else:
                self._typed[sov_line_id] = before
            raise EntryError(f"{refusal_sentence(line_result, blocking[0])}; "
                             "the old value is kept")
        self._result, self._inputs = result, inputs

    def _release(self, line: SheetLine, amount: Decimal) -> Decimal:
        if amount < 0:
            raise EntryError(f"line {line.result.line.item_no}: a release cannot be negative")
        held = self.line_result(line.sov_line_id).retainage_held_before_release
        if amount > held:
            raise EntryError(f"line {line.result.line.item_no}: only {format_money(held)} is "
                             f"held; {format_money(amount)} cannot be released")
        return amount

    def _release_percent(self, line: SheetLine, text: str) -> None:
        percent = parse_percent(text)
        if not 0 <= percent <= HUNDRED:
            raise EntryError("a release percentage is between 0 and 100")
        held = self.line_result(line.sov_line_id).retainage_held_before_release
        self.set(line.sov_line_id, Field.RELEASE, str(round_cents(held * percent / HUNDRED)))

    def _not_negative(self, line: SheetLine, what: str, text: str) -> Decimal:
        value = parse_money(text)
        if value < 0:
            raise EntryError(f"line {line.result.line.item_no}: {what} cannot be negative")
        return value

    @staticmethod
    def _require_units(line: SheetLine) -> None:
        if line.units is None:
            raise EntryError(f"line {line.result.line.item_no} is billed by amount, "
                             "not by quantity")

    @staticmethod
    def _unit_line(line: SheetLine) -> UnitLine:
        assert line.units is not None
        return UnitLine(line.units.quantity, line.units.unit_price,
                        line.units.previous_quantity,
                        previous_value=line.result.line.previous_work)

    def _input(self, line: SheetLine) -> LineInput:
        typed = self._typed.get(line.sov_line_id)
        loaded = line.result.line
        if typed is None:
            return loaded
        return replace(
            loaded,
            work_this_period=loaded.work_this_period if typed.work is None else typed.work,
            new_stored=loaded.new_stored if typed.new_stored is None else typed.new_stored,
            stored_installed=(loaded.stored_installed if typed.installed is None
                              else typed.installed),
            release_requested=(loaded.release_requested if typed.release is None
                               else typed.release),
        )

    def _compute(self) -> billing.Invoice:
        self._inputs = [self._input(line) for line in self._lines.values()]
        return billing.compute_invoice(
            self._inputs, previous_certificates=self.view.summary.previous_certificates,
            rules=self.view.rules)

    def _compute_one(self, sov_line_id: int) -> tuple[billing.Invoice, list[LineInput]]:
        """After a change to one line: only its figures again (unless retainage rules tie the
        lines together) and the summary; and the inputs they came from, kept if it is taken."""
        index = self._index[sov_line_id]
        inputs = list(self._inputs)
        inputs[index] = self._input(self._lines[sov_line_id])
        result = billing.recompute_line(
            self._result, inputs, index,
            previous_certificates=self.view.summary.previous_certificates, rules=self.view.rules)
        return result, inputs

    def rebase(self, view: InvoiceView) -> DraftInvoice:
        """The same typed values on top of a newer version of the invoice (after a conflict)."""
        draft = DraftInvoice(view)
        draft._typed = {k: replace(v) for k, v in self._typed.items() if k in draft._lines}
        draft.general = self.general
        draft._result = draft._compute()
        return draft


def _line_figures(line: SheetLine) -> dict[str, str]:
    """A line's figures as the rest of the product shows them ($1,234.50, 12.5 SF, 40.00%)."""
    li = line.result.line
    figures: dict[str, str] = {}
    if line.units is not None:
        figures["new quantity"] = " ".join(
            filter(None, (format_quantity(line.units.new_quantity), line.units.unit)))
    figures |= {
        "work this period": format_money(li.work_this_period),
        "new stored materials": format_money(li.new_stored),
        "stored materials installed": format_money(li.stored_installed),
        "release requested": format_money(li.release_requested),
    }
    percent = line.result.percent_complete
    figures["percent complete"] = "—" if percent is None else format_percent(percent)
    return figures


def changes_between(old: InvoiceView, new: InvoiceView) -> list[str]:
    """What someone else changed between two versions of an invoice, one sentence each."""
    changes: list[str] = []
    for label, before, after in (
        ("invoice number", old.invoice_number or "—", new.invoice_number or "—"),
        ("billing date", f"{old.billing_date:%b %d, %Y}", f"{new.billing_date:%b %d, %Y}"),
        ("period start", f"{old.period_start:%b %d, %Y}", f"{new.period_start:%b %d, %Y}"),
        ("period end", f"{old.period_end:%b %d, %Y}", f"{new.period_end:%b %d, %Y}"),
        ("status", old.status_label, new.status_label),
    ):
        if before != after:
            changes.append(f"{label}: {before} → {after}")
    new_lines = {line.sov_line_id: line for line in new.lines}
    for line in old.lines:
        other = new_lines.get(line.sov_line_id)
        if other is None:
            continue
        before_figures, after_figures = _line_figures(line), _line_figures(other)
        for name, before in before_figures.items():
            after = after_figures.get(name, before)
            if before != after:
                changes.append(f"line {line.result.line.item_no}, {name}: {before} → {after}")
    return changes
