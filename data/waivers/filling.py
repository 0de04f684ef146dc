"""A statutory waiver with payapp's values in its blanks, and nothing else changed.

Values are plain text: whatever a person typed is printed as it is, never read as markup, and
no value is ever searched for further blanks. Control, format and separator characters (ESC,
the bidirectional overrides, line breaks) become spaces and runs of spaces one space, so a value
stays on its blank's line and cannot reorder the text around it. Money is an exact Decimal,
printed as format_money prints it, after the "$" the statute itself prints before the blank:
"Amount of Check: $" and 1234.56 read "Amount of Check: $1,234.56". Several amounts read
"$1,000.00; $250.00", several dates "January 5, 2026; February 2, 2026". A date reads
"January 31, 2026". A blank with no value is a line of underscores, to be filled in by hand.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from data.money import CENT, format_money
from data.refusals import Invalid
from data.waivers.template import BLANKS, BlankKind, BlockStyle, WaiverTemplate

# A blank with no value: a line to write on (longer for words than for an amount or a date).
TEXT_LINE = "_" * 24
SHORT_LINE = "_" * 14
LIST_SEPARATOR = "; "
MAX_VALUE_LENGTH = 300  # characters, after cleaning: a name, an address, a title, never a page
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


@dataclass(frozen=True)
class WaiverValues:
    """What payapp knows for the blanks; None (or empty) leaves a blank to fill by hand.

    The names are the blanks' names (data.waivers.template.BLANKS). A template uses the ones
    its form has; the others are ignored.
    """

    claimant: str | None = None
    customer: str | None = None
    job_location: str | None = None
    owner: str | None = None
    project: str | None = None
    job_number: str | None = None
    job_description: str | None = None
    through_date: date | None = None
    check_maker: str | None = None
    check_amount: Decimal | None = None
    check_payee: str | None = None
    amount_paid: Decimal | None = None
    unpaid_waiver_dates: tuple[date, ...] = ()
    unpaid_progress_amounts: tuple[Decimal, ...] = ()
    disputed_claims: Decimal | None = None
    claimant_signature: str | None = None
    claimant_title: str | None = None
    signature_date: date | None = None


@dataclass(frozen=True)
class Segment:
    """Part of a filled line: statutory words (`blank` None), a value, or an empty blank."""

    text: str
    blank: str | None = None
    filled: bool = False


@dataclass(frozen=True)
class FilledBlock:
    style: BlockStyle
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class FilledWaiver:
    """A template with its blanks filled: what is printed, block by block."""

    template: WaiverTemplate
    blocks: tuple[FilledBlock, ...]

    @property
    def text(self) -> str:
        """The filled form as plain text, one block a line."""
        return "\n".join(block.text for block in self.blocks)


def fill_waiver(template: WaiverTemplate, values: WaiverValues) -> FilledWaiver:
    """`template` with `values` in its blanks; Invalid for a value payapp will not print (an
    amount that is negative, not exact to the cent or not a Decimal; text too long)."""
    blocks = []
    for block in template.blocks:
        segments = []
        for piece in block.pieces:
            if piece.blank is None:
                segments.append(Segment(piece.text))
            else:
                shown = _shown(piece.blank, getattr(values, piece.blank))
                segments.append(Segment(shown or _empty_line(piece.blank), piece.blank,
                                        filled=bool(shown)))
        blocks.append(FilledBlock(block.style, tuple(segments)))
    return FilledWaiver(template, tuple(blocks))


def plain_text(value: str) -> str:
    """`value` as one line of plain text: NFC, every control, format or separator character a
    space, runs of spaces one space, no space at either end."""
    text = unicodedata.normalize("NFC", value)
    spaced = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    return " ".join(spaced.split())


def long_date(day: date) -> str:
    """`January 31, 2026`."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def amount_text(amount: Decimal) -> str:
    """An amount for a blank the statute prints a "$" before: `1,234.56`."""
    return format_money(_amount(amount), symbol=False)


def _amount(value: object) -> Decimal:
    """`value` if it is an amount payapp prints on a waiver; Invalid otherwise."""
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise Invalid(f"an amount on a waiver must be an exact Decimal, not "
                      f"{type(value).__name__}")
    if not value.is_finite() or value != value.quantize(CENT):
        raise Invalid(f"an amount on a waiver must be exact to the cent, not {value}")
    if value < 0:
        raise Invalid(f"an amount on a waiver cannot be negative ({format_money(value)})")
    return value


def _shown(blank: str, value: object) -> str:
    kind = BLANKS[blank]
    if value is None:
        return ""
    if kind is BlankKind.TEXT:
        if not isinstance(value, str):
            raise Invalid(f"the {blank} on a waiver must be text")
        text = plain_text(value)
        if len(text) > MAX_VALUE_LENGTH:
            raise Invalid(f"the {blank} on a waiver is too long ({len(text)} characters; "
                          f"at most {MAX_VALUE_LENGTH})")
        return text
    if kind is BlankKind.MONEY:
        return amount_text(_amount(value))
    if kind is BlankKind.DATE:
        return long_date(_a_date(blank, value))
    items = tuple(value) if isinstance(value, tuple | list) else (value,)
    if kind is BlankKind.DATE_LIST:
        return LIST_SEPARATOR.join(long_date(_a_date(blank, item)) for item in items)
    # MONEY_LIST: the statute's "$" stands before the first amount; the others carry their own.
    amounts = [_amount(item) for item in items]
    return LIST_SEPARATOR.join(amount_text(amount) if index == 0 else format_money(amount)
                               for index, amount in enumerate(amounts))


def _a_date(blank: str, value: object) -> date:
    if not isinstance(value, date):
        raise Invalid(f"the {blank} on a waiver must be a date")
    return value


def _empty_line(blank: str) -> str:
    return TEXT_LINE if BLANKS[blank] is BlankKind.TEXT else SHORT_LINE


def blank_names() -> frozenset[str]:
    """The names WaiverValues can fill (every name in BLANKS)."""
    return frozenset(field.name for field in fields(WaiverValues))
