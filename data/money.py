"""Money, quantities and percentages: exact decimals, one parser, one formatter, one rounding rule.

Amounts are stored as integer cents and handled in code as `Decimal` dollars. Nothing here ever
touches a float: the parser reads text digit by digit and refuses anything it cannot read exactly.

Every kind of figure has one bound, named below and stated in the parser's refusal, chosen so that
what is stored (cents, or the ×10,000 integer of a quantity, unit price or percentage) and the
product quantity × unit price in cents stay far inside a signed 64-bit BIGINT.

The formatters never raise: a value no caller should produce (sub-cent money, NaN, 10^40) is
shown as it is, shortened, rather than crashing a screen or a PDF.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from data.refusals import Invalid

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# Quantities and unit prices keep four decimal places; they are stored as integers scaled by this.
QUANTITY_PLACES = 4
QUANTITY_SCALE = 10**QUANTITY_PLACES
# Percentages (retainage rates, percent complete) keep four decimal places too: 12.3456 %.
PERCENT_PLACES = 4
PERCENT_SCALE = 10**PERCENT_PLACES

# The largest integer a BIGINT column (SQLite INTEGER, PostgreSQL bigint) holds.
BIGINT_MAX = 2**63 - 1

# The bounds, on the absolute value (the same bound applies below zero):
# any amount of money: under ten billion dollars, 10^12 cents.
MAX_AMOUNT = Decimal("9999999999.99")
# a quantity: under a hundred million units, stored below 10^12.
MAX_QUANTITY = Decimal("99999999.9999")
# a unit price: under ten million dollars a unit, stored below 10^11. A line worth more than
# that for one unit is a lump-sum line. Quantity × unit price stays below 10^17 cents.
MAX_UNIT_PRICE = Decimal("9999999.9999")
# a percentage (retainage, percent complete, overbilling included), stored below 10^7.
MAX_PERCENT = Decimal("999.9999")

# A refusal quotes at most this many characters of what was typed, `…` included.
QUOTE_LIMIT = 40
# Text longer than this is refused before it is read: no figure within the bounds needs it.
MAX_TEXT_LENGTH = 100

# Values this large (10^21 and more) are shown in scientific notation: none is a real figure.
_SCIENTIFIC_FROM = 21
# Sub-cent money is shown exactly up to this many decimals, then cut with `…`.
_SHOWN_DECIMALS = 10


class MoneyError(Invalid):
    """Text that is not an exact amount; the message says why, in words a user understands."""


_EXPONENT = re.compile(r"[0-9.]e[+-]?[0-9]")
_SHAPE = re.compile(r"^(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.(?P<frac>[0-9]*))?$")
_SIGNS = "(-+"


def _elide(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` cut to at most `limit` characters, ending in `…` when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(raw: str) -> str:
    """What was typed, quoted as `repr` does, at most `QUOTE_LIMIT` characters in all."""
    shown = repr(raw)
    if len(shown) <= QUOTE_LIMIT:
        return shown
    cut = raw[:QUOTE_LIMIT]
    while cut and len(repr(cut + "…")) > QUOTE_LIMIT:
        cut = cut[:-1]
    return repr(cut + "…")


def _limit_text(limit: Decimal, *, what: str, currency: bool) -> str:
    if currency:
        return format_unit_price(limit)
    if what == "percentage":
        return format_percent(limit, PERCENT_PLACES)
    return format_quantity(limit)


def _read_signs(raw: str, *, what: str, currency: bool) -> tuple[bool, str]:
    """Take the sign and the dollar sign off the front: (negative, the rest), or refuse.

    One sign at most: `-5`, `(5)`, `+5`, with `$` after it (`-$5`, `($5)`, `+$5`) or a minus
    after the `$` (`$-5`). Two signs (`(-5)`, `--5`, `-(5)`, `(+5)`, `+$-5`) are refused.
    """
    markers: list[str] = []
    rest = raw
    while rest and rest[0] in "(-+$":
        markers.append(rest[0])
        if rest[0] == "(":
            if not rest.endswith(")"):
                markers.pop()
                break
            rest = rest[1:-1]
        else:
            rest = rest[1:]
        rest = rest.strip()
    signs = [m for m in markers if m in _SIGNS]
    if len(signs) > 1:
        q = _quote(raw)
        if "+" in signs or len(signs) > 2:
            raise MoneyError(f"{q} is not a valid {what}: it has more than one sign")
        raise MoneyError(f"{q} is not a valid {what}: it is negative twice; write -12 or (12)")
    dollar = markers.index("$") if "$" in markers else None
    valid = "(" not in markers[1:] and (
        dollar is None
        or (currency and markers.count("$") == 1 and "+" not in markers[dollar + 1 :])
    )
    if not valid:
        raise MoneyError(f"{_quote(raw)} is not a valid {what}")
    return bool(signs) and signs[0] != "+", rest


def parse_decimal(
    text: str,
    *,
    places: int,
    what: str = "amount",
    currency: bool = True,
    limit: Decimal = MAX_AMOUNT,
) -> Decimal:
    """Read `text` as an exact decimal with at most `places` decimals, or raise `MoneyError`.

    Accepted: `1234.56`, `1,234.56`, `$1,234.56`, `-12.00`, `(12.00)`, `-$5`, `$-5`, `+5`, and
    leading zeros without commas (`0.50`, `007`). The absolute value is at most `limit`.
    Refused, with the reason: empty or over-long text, exponents, NaN/Infinity, more decimals
    than `places`, non-ASCII digits, underscores, misplaced thousands separators, a zero before
    a thousands comma (`0,123` and `06,883,556` read as decimals to a European eye; `0,000.00`
    too), more than one sign, anything beyond `limit`, anything else. A refusal quotes at most
    `QUOTE_LIMIT` characters of `text`.
    """
    raw = text.strip()
    if not raw:
        raise MoneyError(f"the {what} is empty")
    q = _quote(raw)
    if len(raw) > MAX_TEXT_LENGTH:
        raise MoneyError(f"{q} is too long; type at most {MAX_TEXT_LENGTH} characters")
    for ch in raw:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            raise MoneyError(f"{q} contains the non-ASCII digit {ch!r}; type 0-9 only")
    if "_" in raw:
        raise MoneyError(f"{q} contains an underscore; write 1,000 or 1000, not 1_000")
    lowered = raw.lower()
    if any(word in lowered for word in ("nan", "inf")):
        raise MoneyError(f"{q} is not a number")
    if _EXPONENT.search(lowered):
        raise MoneyError(f"{q} uses an exponent; write the {what} out in full")

    negative, body = _read_signs(raw, what=what, currency=currency)
    if what == "percentage" and body.endswith("%"):
        body = body[:-1].strip()

    match = _SHAPE.match(body)
    if not match or (match.group("int") is None and not match.group("frac")):
        if "," in body and _SHAPE.match(body.replace(",", "")):
            raise MoneyError(f"{q} has a misplaced comma; commas separate thousands: 1,234.56")
        raise MoneyError(f"{q} is not a valid {what}")
    grouped = match.group("int") or "0"
    if "," in grouped and grouped.startswith("0"):
        raise MoneyError(f"{q} starts with 0 before a comma; use a point for decimals: 0.12")
    frac = match.group("frac") or ""
    if len(frac) > places:
        raise MoneyError(f"{q} has {len(frac)} decimal places; at most {places} are allowed")
    value = Decimal(f"{grouped.replace(',', '')}.{frac or '0'}")  # exact, whatever the length
    if value > limit:
        shown = _limit_text(limit, what=what, currency=currency)
        if negative:
            raise MoneyError(f"{q} is less than the smallest {what} payapp accepts, -{shown}")
        raise MoneyError(f"{q} is more than the largest {what} payapp accepts, {shown}")
    value = -value if negative else value
    return value.quantize(Decimal(1).scaleb(-places)) + 0  # +0 turns -0.00 into 0.00


def parse_money(text: str) -> Decimal:
    """An amount of money in dollars, exact to the cent, at most `MAX_AMOUNT` either way."""
    return parse_decimal(text, places=2, what="amount")


def parse_quantity(text: str) -> Decimal:
    """A quantity to four decimals, at most `MAX_QUANTITY` either way."""
    return parse_decimal(
        text, places=QUANTITY_PLACES, what="quantity", currency=False, limit=MAX_QUANTITY
    )


def parse_percent(text: str) -> Decimal:
    """A percentage such as `10`, `10 %` or `12.5%`, returned as percent points (10 means 10 %).

    At most `MAX_PERCENT` either way."""
    return parse_decimal(
        text, places=PERCENT_PLACES, what="percentage", currency=False, limit=MAX_PERCENT
    )


def round_cents(value: Decimal) -> Decimal:
    """The one rounding rule: half-up (away from zero on a tie) to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + 0


# --- showing figures: never raises --------------------------------------------------------------


def _is_multiple(value: Decimal, places: int) -> bool:
    """Whether the finite `value` has no non-zero digit beyond `places` decimals (exact)."""
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return False
    beyond = -places - exponent
    return beyond <= 0 or not any(digits[-beyond:])


def _unusual(value: Decimal) -> str | None:
    """The magnitude of a value that is not a figure (NaN, infinite) or absurdly large, in
    words or scientific notation; None for every other value."""
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "Infinity"
    if value and value.adjusted() >= _SCIENTIFIC_FROM:
        mantissa, _, exponent = f"{value.copy_abs():.5E}".partition("E")
        return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
    return None


def _signed(value: Decimal, digits: str) -> str:
    """`-` for a negative value unless what is shown of it is all zeros (never `-0.00`, `-NaN`)."""
    negative = value.is_signed() and not value.is_nan()
    return "-" if negative and any(ch not in "0.," for ch in digits) else ""


def _half_up(magnitude: Decimal, places: int) -> str:
    """`1,234.57`: a non-negative value rounded half-up for display only."""
    with localcontext() as context:
        context.rounding = ROUND_HALF_UP
        return f"{magnitude:,.{places}f}"


def _sub_cent(magnitude: Decimal) -> str:
    """`1.005`, `0.0000000000…`: the digits of a non-negative value that is not whole cents."""
    with localcontext() as context:
        context.prec = _SCIENTIFIC_FROM + _SHOWN_DECIMALS + 5
        cut = magnitude.quantize(Decimal(1).scaleb(-_SHOWN_DECIMALS), rounding=ROUND_DOWN)
    whole, _, decimals = f"{cut:,f}".partition(".")
    if cut != magnitude:
        return f"{whole}.{decimals}…"
    return f"{whole}.{decimals.rstrip('0')}"


def format_money(value: Decimal, *, symbol: bool = True) -> str:
    """`$1,234.56`, `-$12.00`; never `-$0.00`, and never an exception.

    The value should already be exact to the cent; one that is not (a bug upstream) is shown
    with its extra decimals (`$1.005`), cut after ten, neither rounded nor refused. NaN and
    infinities are shown as words, values of 10^21 and more in scientific notation.
    """
    exponent = value.as_tuple().exponent  # a letter for NaN and infinities
    if isinstance(exponent, int) and exponent >= -2 \
            and value.adjusted() < _SCIENTIFIC_FROM:  # whole cents: nearly every figure
        return f"{'-' if value < 0 else ''}{'$' if symbol else ''}{value.copy_abs():,.2f}"
    magnitude = value.copy_abs() if value.is_finite() else value
    unusual = _unusual(value)
    if unusual is not None:
        digits = unusual
    elif _is_multiple(value, 2):
        digits = f"{magnitude:,.2f}"
    else:
        digits = _sub_cent(magnitude)
    return f"{_signed(value, digits)}{'$' if symbol else ''}{digits}"


def format_percent(value: Decimal, places: int = 2) -> str:
    """`50.00%`; the value is in percent points, rounded half-up for display only."""
    unusual = _unusual(value)
    digits = unusual if unusual is not None else _half_up(value.copy_abs(), max(0, min(places, 28)))
    return f"{_signed(value, digits)}{digits}%"


def format_quantity(value: Decimal) -> str:
    """A quantity without trailing zeros beyond what it needs: `12`, `12.5`, `0.125`."""
    unusual = _unusual(value)
    if unusual is None:
        digits = _half_up(value.copy_abs(), QUANTITY_PLACES).rstrip("0").rstrip(".")
    else:
        digits = unusual
    return f"{_signed(value, digits)}{digits}"


def format_unit_price(price: Decimal) -> str:
    """`$18.50`, `$4.125`: a unit price may carry more decimals than money does."""
    if not price.is_finite() or _is_multiple(price, 2):
        return format_money(price)
    digits = format_quantity(price.copy_abs())
    return f"{_signed(price, digits)}${digits}"


# --- storage: integer cents and scaled integers -------------------------------------------------


def to_cents(value: Decimal) -> int:
    """Dollars to integer cents; the value must be exact to the cent and within `MAX_AMOUNT`.

    Raises `MoneyError` (a `ValueError`), in words, rather than return an integer that a BIGINT
    column cannot hold.
    """
    if not value.is_finite():
        raise MoneyError(f"{format_money(value)} is not an amount of money")
    if value.copy_abs() > MAX_AMOUNT:
        shown = _elide(format_money(value))
        if value < 0:
            raise MoneyError(
                f"{shown} is less than the smallest amount payapp accepts, "
                f"{format_money(-MAX_AMOUNT)}"
            )
        raise MoneyError(
            f"{shown} is more than the largest amount payapp accepts, {format_money(MAX_AMOUNT)}"
        )
    if not _is_multiple(value, 2):
        raise MoneyError(f"{_elide(str(value))} is not a whole number of cents")
    return int(value.scaleb(2))


def from_cents(cents: int) -> Decimal:
    """Integer cents to dollars, exactly, with two decimals."""
    return _shifted(cents, 2)


def _shifted(stored: int, places: int) -> Decimal:
    """`stored` × 10^-places, exactly (no context rounding, whatever the size)."""
    sign, digits, _ = Decimal(stored).as_tuple()
    return Decimal((sign, digits, -places))


def _places_of(scale: int) -> int:
    """4 for 10,000: the decimals a scale keeps. Scales are powers of ten."""
    places = len(str(scale)) - 1
    if scale != 10**places:
        raise ValueError(f"the scale {scale} is not a power of ten")
    return places


def to_scaled(value: Decimal, scale: int) -> int:
    """A quantity, unit price or percentage to the integer stored for it.

    Raises `MoneyError` (a `ValueError`) for more decimals than `scale` keeps, or for a value
    whose integer a BIGINT column cannot hold; the parsers' bounds keep far inside that.
    """
    places = _places_of(scale)
    if not value.is_finite():
        raise MoneyError(f"{_elide(str(value))} is not a number that can be stored")
    if not _is_multiple(value, places):
        raise MoneyError(f"{_elide(str(value))} has more decimals than can be stored")
    if value.copy_abs() > _shifted(BIGINT_MAX, places):
        raise MoneyError(f"{_elide(str(value))} is too large to be stored")
    return int(value.scaleb(places))


def from_scaled(stored: int, scale: int) -> Decimal:
    """The stored integer of a quantity, unit price or percentage back to its value, exactly."""
    return _shifted(stored, _places_of(scale))
