"""Money, quantities and percentages: exact decimals, one parser, one formatter, one rounding rule.

Amounts are stored as integer cents and handled in code as `Decimal` dollars. Nothing here ever
touches a float: the parser reads text digit by digit and refuses anything it cannot read exactly.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, getcontext

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# Quantities and unit prices keep four decimal places; they are stored as integers scaled by this.
QUANTITY_PLACES = 4
QUANTITY_SCALE = 10**QUANTITY_PLACES
# Percentages (retainage rates, percent complete) keep four decimal places too: 12.3456 %.
PERCENT_PLACES = 4
PERCENT_SCALE = 10**PERCENT_PLACES


class MoneyError(ValueError):
    """Text that is not an exact amount; the message says why, in words a user understands."""


_EXPONENT = re.compile(r"[0-9.]e[+-]?[0-9]")
_SHAPE = re.compile(r"^(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.(?P<frac>[0-9]*))?$")


def parse_decimal(
    text: str, *, places: int, what: str = "amount", currency: bool = True
) -> Decimal:
    """Read `text` as an exact decimal with at most `places` decimals, or raise `MoneyError`.

    Accepted: `1234.56`, `1,234.56`, `$1,234.56`, `-12.00`, `(12.00)`, `-$5`, `$-5`.
    Refused, with the reason: empty text, exponents, NaN/Infinity, more decimals than `places`,
    non-ASCII digits, underscores, misplaced thousands separators, anything else.
    """
    raw = text.strip()
    if not raw:
        raise MoneyError(f"the {what} is empty")
    for ch in raw:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            raise MoneyError(f"{raw!r} contains the non-ASCII digit {ch!r}; type 0-9 only")
    if "_" in raw:
        raise MoneyError(f"{raw!r} contains an underscore; write 1,000 or 1000, not 1_000")
    lowered = raw.lower()
    if any(word in lowered for word in ("nan", "inf")):
        raise MoneyError(f"{raw!r} is not a number")
    if _EXPONENT.search(lowered):
        raise MoneyError(f"{raw!r} uses an exponent; write the {what} out in full")

    body = raw
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative = True
        body = body[1:-1].strip()
    if body.startswith("-"):
        if negative:
            raise MoneyError(f"{raw!r} is negative twice")
        negative = True
        body = body[1:].strip()
    elif body.startswith("+"):
        body = body[1:].strip()
    if currency and body.startswith("$"):
        body = body[1:].strip()
        if body.startswith("-") and not negative:
            negative = True
            body = body[1:].strip()
    if what == "percentage" and body.endswith("%"):
        body = body[:-1].strip()

    match = _SHAPE.match(body)
    if not match or (match.group("int") is None and not match.group("frac")):
        if "," in body and _SHAPE.match(body.replace(",", "")):
            raise MoneyError(f"{raw!r} has a misplaced comma; commas separate thousands: 1,234.56")
        raise MoneyError(f"{raw!r} is not a valid {what}")
    frac = match.group("frac") or ""
    if len(frac) > places:
        raise MoneyError(f"{raw!r} has {len(frac)} decimal places; at most {places} are allowed")
    digits = (match.group("int") or "0").replace(",", "")
    if len(digits.lstrip("0")) + places > getcontext().prec:
        raise MoneyError(f"{raw!r} has too many digits; the {what} is too large")
    value = Decimal(f"{digits}.{frac or '0'}")
    value = -value if negative else value
    return value.quantize(Decimal(1).scaleb(-places)) + 0  # +0 turns -0.00 into 0.00


def parse_money(text: str) -> Decimal:
    """An amount of money in dollars, exact to the cent."""
    return parse_decimal(text, places=2, what="amount")


def parse_quantity(text: str) -> Decimal:
    return parse_decimal(text, places=QUANTITY_PLACES, what="quantity", currency=False)


def parse_unit_price(text: str) -> Decimal:
    return parse_decimal(text, places=QUANTITY_PLACES, what="unit price")


def parse_percent(text: str) -> Decimal:
    """A percentage such as `10`, `10 %` or `12.5%`, returned as percent points (10 means 10 %)."""
    return parse_decimal(text, places=PERCENT_PLACES, what="percentage", currency=False)


def round_cents(value: Decimal) -> Decimal:
    """The one rounding rule: half-up (away from zero on a tie) to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + 0


def format_money(value: Decimal, *, symbol: bool = True) -> str:
    """`$1,234.56`, `-$12.00`; never `-$0.00`. The value must already be exact to the cent."""
    cents = value.quantize(CENT)
    if cents != value:
        raise ValueError(f"{value} is not a whole number of cents; round it first")
    sign = "-" if cents < 0 else ""
    return f"{sign}{'$' if symbol else ''}{abs(cents):,.2f}"


def format_percent(value: Decimal, places: int = 2) -> str:
    """`50.00%`; the value is in percent points, rounded half-up for display only."""
    shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) + 0
    return f"{shown:,.{places}f}%"


def format_quantity(value: Decimal) -> str:
    """A quantity without trailing zeros beyond what it needs: `12`, `12.5`, `0.125`."""
    text = f"{value:,.{QUANTITY_PLACES}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_unit_price(price: Decimal) -> str:
    """`$18.50`, `$4.125`: a unit price may carry more decimals than money does."""
    if price == price.quantize(CENT):
        return format_money(price)
    sign = "-" if price < 0 else ""
    return f"{sign}${format_quantity(abs(price))}"


def to_cents(value: Decimal) -> int:
    """Dollars to integer cents; the value must be exact to the cent."""
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} is not a whole number of cents")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def to_scaled(value: Decimal, scale: int) -> int:
    """A quantity, unit price or percentage to the integer stored for it."""
    scaled = value * scale
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more decimals than can be stored")
    return int(scaled)


def from_scaled(stored: int, scale: int) -> Decimal:
    places = len(str(scale)) - 1
    return (Decimal(stored) / scale).quantize(Decimal(1).scaleb(-places))
