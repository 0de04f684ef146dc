"""data/money.py: the one parser, the one formatter, the one rounding rule, storage conversions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.money import (
    PERCENT_SCALE,
    QUANTITY_SCALE,
    MoneyError,
    format_money,
    from_cents,
    from_scaled,
    parse_money,
    parse_percent,
    parse_quantity,
    round_cents,
    to_cents,
    to_scaled,
)

D = Decimal
FAST = settings(max_examples=300, deadline=None)

# --- parse_money: accepted ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", D("1234.56")),
        ("1,234.56", D("1234.56")),
        ("$1,234.56", D("1234.56")),
        ("-12.00", D("-12.00")),
        ("(12.00)", D("-12.00")),
        ("($1,234.56)", D("-1234.56")),
        ("-$5", D("-5.00")),
        ("$-5", D("-5.00")),
        ("  42  ", D("42.00")),
        ("1,234,567.8", D("1234567.80")),
        (".5", D("0.50")),
        ("0", D("0.00")),
        ("-0.00", D("0.00")),
    ],
)
def test_parse_money_accepts(text: str, expected: Decimal) -> None:
    got = parse_money(text)
    assert got == expected
    # Exact to the cent, and the sign of zero is never negative.
    assert got.as_tuple().exponent == -2
    assert str(got) == str(expected)


def test_parse_money_zero_is_never_negative() -> None:
    assert not parse_money("-0").is_signed()
    assert not parse_money("(0.00)").is_signed()


# --- parse_money: refused, and the message says why --------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1e5", "exponent"),
        ("1E-2", "exponent"),
        ("2.5e+3", "exponent"),
        ("NaN", "not a number"),
        ("nan", "not a number"),
        ("Infinity", "not a number"),
        ("-Infinity", "not a number"),
        ("inf", "not a number"),
        ("1.234", "decimal places"),
        ("$0.001", "decimal places"),
        ("\u0661\u0662\u0663", "non-ASCII digit"),  # Arabic-Indic 123
        ("\uff11\uff12.\uff15\uff10", "non-ASCII digit"),  # fullwidth 12.50
        ("1\u06f0", "non-ASCII digit"),  # Extended Arabic-Indic zero
        ("1_000", "underscore"),
        ("1_000.00", "underscore"),
        ("", "empty"),
        ("   ", "empty"),
        ("\t\n", "empty"),
        ("1,23.45", "comma"),
        ("12,34", "comma"),
        (",123", "comma"),
        ("1,,234", "comma"),
        ("1234,567", "comma"),
        ("1,234,56", "comma"),
        ("1.234,50", "comma"),
        ("(-5)", "negative twice"),
        ("1" * 40, "too large"),
    ],
)
def test_parse_money_refuses_with_reason(text: str, words: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_money(text)
    assert words in str(info.value)


@pytest.mark.parametrize("text", ["abc", "$", "-", "()", ".", "12.34.56", "1 000", "--5", "5-"])
def test_parse_money_refuses_garbage(text: str) -> None:
    with pytest.raises(MoneyError, match="not a valid amount"):
        parse_money(text)


def test_money_error_is_a_value_error() -> None:
    # Callers that catch ValueError (form validation) also catch the parser's refusals.
    assert issubclass(MoneyError, ValueError)


# --- format_money ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1234.56"), "$1,234.56"),
        (D("-12.00"), "-$12.00"),
        (D("-12"), "-$12.00"),
        (D("0"), "$0.00"),
        (D("0.00"), "$0.00"),
        (D("-0.00"), "$0.00"),
        (D("-0"), "$0.00"),
        (D("1234567.8"), "$1,234,567.80"),
        (D("0.05"), "$0.05"),
    ],
)
def test_format_money(value: Decimal, text: str) -> None:
    assert format_money(value) == text


def test_format_money_without_symbol() -> None:
    assert format_money(D("1234.56"), symbol=False) == "1,234.56"
    assert format_money(D("-12.00"), symbol=False) == "-12.00"
    assert format_money(D("-0.00"), symbol=False) == "0.00"


def test_format_money_refuses_sub_cent_values() -> None:
    with pytest.raises(ValueError, match="cents"):
        format_money(D("1.005"))


# --- round_cents: half-up ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (D("2.005"), D("2.01")),
        (D("2.004"), D("2.00")),
        (D("2.0049999"), D("2.00")),
        (D("-2.005"), D("-2.01")),
        (D("-2.004"), D("-2.00")),
        (D("0.125"), D("0.13")),  # half-even would give 0.12
        (D("0.135"), D("0.14")),
        (D("-0.004"), D("0.00")),
    ],
)
def test_round_cents_half_up(value: Decimal, rounded: Decimal) -> None:
    got = round_cents(value)
    assert got == rounded
    assert got.as_tuple().exponent == -2
    assert not (got == 0 and got.is_signed())  # never -0.00


# --- properties of parse/format ----------------------------------------------------------------

# Any amount exact to the cent within ±10^12.
cents_amounts = st.integers(min_value=-(10**14), max_value=10**14).map(lambda c: D(c).scaleb(-2))


@FAST
@given(cents_amounts)
def test_format_then_parse_round_trips(x: Decimal) -> None:
    assert parse_money(format_money(x)) == x


@FAST
@given(cents_amounts)
def test_format_then_parse_round_trips_without_symbol(x: Decimal) -> None:
    assert parse_money(format_money(x, symbol=False)) == x


def _parses_exactly_or_refuses(text: str) -> None:
    try:
        value = parse_money(text)
    except MoneyError as err:
        assert str(err)  # a refusal always says something
        return
    assert isinstance(value, Decimal)
    assert value.is_finite()
    assert value == value.quantize(D("0.01"))
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    assert exponent >= -2
    assert parse_money(format_money(value)) == value
    assert parse_money(format_money(value, symbol=False)) == value


@FAST
@given(st.text())
def test_any_text_parses_or_refuses(text: str) -> None:
    _parses_exactly_or_refuses(text)


money_like = st.text(alphabet="0123456789,.-+$()e E", max_size=40)


@settings(max_examples=1500, deadline=None)
@given(money_like)
def test_money_like_text_parses_or_refuses(text: str) -> None:
    _parses_exactly_or_refuses(text)


@FAST
@given(st.text(alphabet="0123456789", min_size=1, max_size=60))
def test_long_digit_strings_parse_or_refuse(text: str) -> None:
    _parses_exactly_or_refuses(text)


@FAST
@given(st.integers(min_value=0, max_value=10**15), st.booleans(), st.booleans())
def test_thousands_separators_are_optional(n: int, dollar: bool, negative: bool) -> None:
    plain = f"{n}.37"
    grouped = f"{n:,}.37"
    if dollar:
        grouped = "$" + grouped
    if negative:
        plain, grouped = "-" + plain, f"({grouped})"
    assert parse_money(plain) == parse_money(grouped) == D(plain)


# --- parse_percent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10", D("10")),
        ("10 %", D("10")),
        ("12.5%", D("12.5")),
        ("12.3456", D("12.3456")),
        ("0", D("0")),
        ("100", D("100")),
    ],
)
def test_parse_percent(text: str, expected: Decimal) -> None:
    got = parse_percent(text)
    assert got == expected
    assert got.as_tuple().exponent == -4


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("12.34567", "decimal places"),
        ("$10", "not a valid percentage"),
        ("1e1", "exponent"),
        ("", "empty"),
        ("10%%", "not a valid percentage"),
    ],
)
def test_parse_percent_refuses(text: str, words: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_percent(text)
    assert words in str(info.value)


# --- parse_quantity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", D("12")), ("1,250.5", D("1250.5")), ("0.0001", D("0.0001")), ("-3", D("-3"))],
)
def test_parse_quantity(text: str, expected: Decimal) -> None:
    got = parse_quantity(text)
    assert got == expected
    assert got.as_tuple().exponent == -4


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0.00001", "decimal places"),
        ("$5", "not a valid quantity"),
        ("5%", "not a valid quantity"),
        ("1_0", "underscore"),
    ],
)
def test_parse_quantity_refuses(text: str, words: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_quantity(text)
    assert words in str(info.value)


# --- cents and scaled integers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cents"),
    [(D("1234.56"), 123456), (D("-12.00"), -1200), (D("0"), 0), (D("0.1"), 10), (D("7"), 700)],
)
def test_to_and_from_cents(value: Decimal, cents: int) -> None:
    assert to_cents(value) == cents
    assert isinstance(to_cents(value), int)
    back = from_cents(cents)
    assert back == value
    assert back.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [D("1.005"), D("0.001"), D("-12.345")])
def test_to_cents_refuses_sub_cent_values(value: Decimal) -> None:
    with pytest.raises(ValueError, match="cents"):
        to_cents(value)


@FAST
@given(st.integers(min_value=-(10**16), max_value=10**16))
def test_cents_round_trip(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents


@pytest.mark.parametrize(
    ("value", "scale", "stored"),
    [
        (D("12.5"), QUANTITY_SCALE, 125000),
        (D("0.0001"), QUANTITY_SCALE, 1),
        (D("10"), PERCENT_SCALE, 100000),
        (D("12.3456"), PERCENT_SCALE, 123456),
        (D("-3.25"), QUANTITY_SCALE, -32500),
    ],
)
def test_to_and_from_scaled(value: Decimal, scale: int, stored: int) -> None:
    assert to_scaled(value, scale) == stored
    back = from_scaled(stored, scale)
    assert back == value
    assert back.as_tuple().exponent == -4


def test_to_scaled_refuses_too_many_decimals() -> None:
    with pytest.raises(ValueError, match="decimals"):
        to_scaled(D("0.00001"), QUANTITY_SCALE)
    with pytest.raises(ValueError, match="decimals"):
        to_scaled(D("12.34567"), PERCENT_SCALE)


@FAST
@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_scaled_round_trip(stored: int) -> None:
    assert to_scaled(from_scaled(stored, QUANTITY_SCALE), QUANTITY_SCALE) == stored


@FAST
@given(st.integers(min_value=0, max_value=10**9).map(lambda n: D(n).scaleb(-4)))
def test_parsed_quantity_fits_storage(q: Decimal) -> None:
    text = f"{q:f}"
    assert from_scaled(to_scaled(parse_quantity(text), QUANTITY_SCALE), QUANTITY_SCALE) == q
