"""data/money.py: the one parser, the one formatter, the one rounding rule, storage conversions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.money import (
    BIGINT_MAX,
    MAX_AMOUNT,
    MAX_PERCENT,
    MAX_QUANTITY,
    MAX_TEXT_LENGTH,
    MAX_UNIT_PRICE,
    PERCENT_SCALE,
    QUANTITY_SCALE,
    QUOTE_LIMIT,
    MoneyError,
    format_money,
    format_percent,
    format_quantity,
    format_unit_price,
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
        ("1" * 40, "largest amount"),
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


def test_format_money_shows_sub_cent_values_as_they_are() -> None:
    # A value that is not whole cents is a bug upstream: shown, neither rounded nor a crash.
    assert format_money(D("1.005")) == "$1.005"
    assert format_money(D("-0.001")) == "-$0.001"


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

MAX_CENTS = int(MAX_AMOUNT * 100)
# Any amount exact to the cent within the bound.
cents_amounts = st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS).map(
    lambda c: D(c).scaleb(-2)
)


@FAST
@given(cents_amounts)
def test_format_then_parse_round_trips(x: Decimal) -> None:
    assert parse_money(format_money(x)) == x


@FAST
@given(cents_amounts)
def test_format_then_parse_round_trips_without_symbol(x: Decimal) -> None:
    assert parse_money(format_money(x, symbol=False)) == x


# A refusal is short enough to show in one line of the status bar, whatever was typed.
MESSAGE_LIMIT = 120


def _parses_exactly_or_refuses(text: str) -> None:
    try:
        value = parse_money(text)
    except MoneyError as err:
        assert str(err)  # a refusal always says something
        assert len(str(err)) <= MESSAGE_LIMIT
        return
    assert isinstance(value, Decimal)
    assert value.is_finite()
    assert abs(value) <= MAX_AMOUNT
    assert abs(to_cents(value)) <= MAX_CENTS
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
@given(st.integers(min_value=0, max_value=int(MAX_AMOUNT)), st.booleans(), st.booleans())
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
@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
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


# --- bounds: one per kind of figure, named in the refusal ---------------------------------------


def test_bounds_keep_storage_far_inside_bigint() -> None:
    assert MAX_CENTS * 1000 < BIGINT_MAX
    assert to_scaled(MAX_QUANTITY, QUANTITY_SCALE) * 1000 < BIGINT_MAX
    assert to_scaled(MAX_UNIT_PRICE, QUANTITY_SCALE) * 1000 < BIGINT_MAX
    assert to_scaled(MAX_PERCENT, PERCENT_SCALE) * 1000 < BIGINT_MAX
    # The largest line value, quantity × unit price, in cents: well inside too.
    assert MAX_QUANTITY * MAX_UNIT_PRICE * 100 * 50 < BIGINT_MAX


@pytest.mark.parametrize(
    ("parse", "limit"),
    [
        (parse_money, MAX_AMOUNT),
        (parse_quantity, MAX_QUANTITY),
        (parse_percent, MAX_PERCENT),
    ],
)
def test_every_parser_accepts_its_bound_both_ways(
    parse: Callable[[str], Decimal], limit: Decimal
) -> None:
    assert parse(f"{limit:f}") == limit
    assert parse(f"-{limit:f}") == -limit
    assert parse(f"{limit:,f}") == limit


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (
            parse_money,
            "10000000000",
            "'10000000000' is more than the largest amount payapp accepts, $9,999,999,999.99",
        ),
        (
            parse_money,
            "$10,000,000,000.00",
            "'$10,000,000,000.00' is more than the largest amount payapp accepts, "
            "$9,999,999,999.99",
        ),
        (
            parse_money,
            "(10,000,000,000)",
            "'(10,000,000,000)' is less than the smallest amount payapp accepts, "
            "-$9,999,999,999.99",
        ),
        (
            parse_money,
            "99999999999999999999999999.99",
            "'99999999999999999999999999.99' is more than the largest amount payapp accepts, "
            "$9,999,999,999.99",
        ),
        (
            parse_money,
            "92233720368547758.08",
            "'92233720368547758.08' is more than the largest amount payapp accepts, "
            "$9,999,999,999.99",
        ),
        (
            parse_quantity,
            "100,000,000",
            "'100,000,000' is more than the largest quantity payapp accepts, 99,999,999.9999",
        ),
        (
            parse_percent,
            "1000%",
            "'1000%' is more than the largest percentage payapp accepts, 999.9999%",
        ),
    ],
)
def test_refusal_names_the_bound(
    parse: Callable[[str], Decimal], text: str, message: str
) -> None:
    with pytest.raises(MoneyError) as info:
        parse(text)
    assert str(info.value) == message


def test_to_cents_refuses_what_bigint_cannot_hold() -> None:
    with pytest.raises(MoneyError, match=r"largest amount payapp accepts, \$9,999,999,999\.99"):
        to_cents(D("92233720368547758.08"))
    with pytest.raises(MoneyError, match=r"smallest amount payapp accepts, -\$9,999,999,999\.99"):
        to_cents(D("-10000000000.00"))
    with pytest.raises(MoneyError, match="largest amount"):
        to_cents(D("1E+1000000"))
    for value in (D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity")):
        with pytest.raises(MoneyError):
            to_cents(value)
    assert to_cents(MAX_AMOUNT) == MAX_CENTS
    assert to_cents(-MAX_AMOUNT) == -MAX_CENTS


def test_to_cents_sees_a_sub_cent_digit_beyond_the_context_precision() -> None:
    # × 100 under 28 digits of precision would round this to a whole number of cents.
    with pytest.raises(ValueError, match="cents"):
        to_cents(D("1.0000000000000000000000000000001"))
    assert to_cents(D("1.000000000000000000000000000000000")) == 100


def test_to_scaled_refuses_what_bigint_cannot_hold() -> None:
    largest = from_scaled(BIGINT_MAX, QUANTITY_SCALE)
    assert to_scaled(largest, QUANTITY_SCALE) == BIGINT_MAX
    with pytest.raises(MoneyError, match="too large"):
        to_scaled(largest + D("0.0001"), QUANTITY_SCALE)
    with pytest.raises(MoneyError, match="too large"):
        to_scaled(D("-1E+40"), PERCENT_SCALE)
    with pytest.raises(MoneyError):
        to_scaled(D("NaN"), PERCENT_SCALE)


def test_from_cents_is_exact_at_any_size() -> None:
    assert str(from_cents(10**40 + 1)) == "1" + "0" * 38 + ".01"
    assert str(from_cents(-(10**30) - 5)) == "-10000000000000000000000000000.05"


@FAST
@given(
    st.integers(min_value=0, max_value=to_scaled(MAX_QUANTITY, QUANTITY_SCALE)),
    st.integers(min_value=0, max_value=to_scaled(MAX_UNIT_PRICE, QUANTITY_SCALE)),
)
def test_quantity_times_unit_price_is_exact_and_fits(q_stored: int, p_stored: int) -> None:
    quantity = from_scaled(q_stored, QUANTITY_SCALE)
    price = from_scaled(p_stored, QUANTITY_SCALE)
    product = quantity * price  # under the default 28 digits of precision
    assert product * 10**8 == q_stored * p_stored
    assert abs(round_cents(product)) * 100 * 50 < BIGINT_MAX


# --- leading zeros ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_money, "0,123"),
        (parse_money, "06,883,556"),
        (parse_money, "0,000.00"),
        (parse_money, "00,123"),
        (parse_money, "$0,123.00"),
        (parse_money, "(0,500)"),
        (parse_quantity, "0,123"),
        (parse_percent, "0,500%"),
    ],
)
def test_a_zero_before_a_thousands_comma_is_refused(
    parse: Callable[[str], Decimal], text: str
) -> None:
    # A European reader means 0,123 = 0.123: never read it as a hundred and twenty-three.
    with pytest.raises(MoneyError, match="starts with 0 before a comma; use a point for decimals"):
        parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.50", D("0.50")),
        ("0", D("0.00")),
        ("00", D("0.00")),
        ("007", D("7.00")),
        ("0000.10", D("0.10")),
        ("$0.05", D("0.05")),
        ("-0.50", D("-0.50")),
        ("10,000", D("10000.00")),
        ("100,000.00", D("100000.00")),
    ],
)
def test_leading_zeros_without_commas_are_accepted(text: str, expected: Decimal) -> None:
    assert parse_money(text) == expected


# --- signs: exactly one -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("(+1)", "more than one sign"),
        ("+$-1", "more than one sign"),
        ("++1", "more than one sign"),
        ("+-1", "more than one sign"),
        ("-+1", "more than one sign"),
        ("---1", "more than one sign"),
        ("--1", "negative twice"),
        ("(-1)", "negative twice"),
        ("-(1)", "negative twice"),
        ("-$-1", "negative twice"),
        ("($-1)", "negative twice"),
        ("((1))", "negative twice"),
        ("- - 1", "negative twice"),
        ("$(1)", "not a valid amount"),
        ("$+1", "not a valid amount"),
        ("$$1", "not a valid amount"),
        ("1-", "not a valid amount"),
        ("(1", "not a valid amount"),
        ("1)", "not a valid amount"),
    ],
)
def test_more_than_one_sign_is_refused(text: str, words: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_money(text)
    assert words in str(info.value)
    assert str(info.value).startswith(repr(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+1", D("1.00")),
        ("+$1", D("1.00")),
        ("-1", D("-1.00")),
        ("-$1", D("-1.00")),
        ("$-1", D("-1.00")),
        ("(1)", D("-1.00")),
        ("($1)", D("-1.00")),
        ("( $ 1 )", D("-1.00")),
        ("- $ 1", D("-1.00")),
    ],
)
def test_one_sign_is_accepted(text: str, expected: Decimal) -> None:
    assert parse_money(text) == expected


def test_percent_and_quantity_take_one_sign_too() -> None:
    assert parse_percent("(5%)") == D("-5")
    assert parse_quantity("+3") == D("3")
    for text in ("(-5%)", "--5%", "+-5"):
        with pytest.raises(MoneyError, match=r"more than one sign|negative twice"):
            parse_percent(text)
    for text in ("(-5)", "--5", "(+5)"):
        with pytest.raises(MoneyError, match=r"more than one sign|negative twice"):
            parse_quantity(text)


# --- refusals quote a short piece of what was typed ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1" * 1_000_000,
        "x" * 1_000_000,
        "1" * 60,
        "9" * MAX_TEXT_LENGTH,
        "\x00" * 500,
        "'\"" * 300,
        "1,234" + ",567" * 40,
        "\u0661" * 1000,
        "1.2" + "3" * 90,
    ],
)
def test_a_long_input_is_quoted_short(text: str) -> None:
    for parse in (parse_money, parse_quantity, parse_percent):
        with pytest.raises(MoneyError) as info:
            parse(text)
        message = str(info.value)
        assert len(message) <= MESSAGE_LIMIT
        quoted = message[: message.index(" ")] if message[0] in "'\"" else ""
        assert quoted.endswith(("…'", '…"'))
        assert len(quoted) <= QUOTE_LIMIT


def test_too_long_says_so() -> None:
    with pytest.raises(MoneyError, match=f"too long; type at most {MAX_TEXT_LENGTH} characters"):
        parse_money("1" * (MAX_TEXT_LENGTH + 1))


def test_a_short_input_is_quoted_whole() -> None:
    with pytest.raises(MoneyError) as info:
        parse_money("abc def")
    assert str(info.value) == "'abc def' is not a valid amount"


# --- every string: a value within the bound, or a short refusal ---------------------------------

PARSERS: list[tuple[Callable[[str], Decimal], Decimal, int]] = [
    (parse_money, MAX_AMOUNT, 2),
    (parse_quantity, MAX_QUANTITY, 4),
    (parse_percent, MAX_PERCENT, 4),
]


def _within_bound_or_refused(text: str) -> None:
    for parse, limit, places in PARSERS:
        try:
            value = parse(text)
        except MoneyError as err:
            assert str(err)
            assert len(str(err)) <= MESSAGE_LIMIT
            continue
        assert value.is_finite()
        assert abs(value) <= limit
        assert value.as_tuple().exponent == -places
        assert not (value == 0 and value.is_signed())
        if places == 2:
            assert abs(to_cents(value)) <= MAX_CENTS
        else:
            assert abs(to_scaled(value, 10**places)) * 1000 < BIGINT_MAX


@FAST
@given(st.text())
def test_any_text_is_within_bound_or_refused_briefly(text: str) -> None:
    _within_bound_or_refused(text)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="0123456789,.-+$()% ", max_size=30))
def test_figure_like_text_is_within_bound_or_refused_briefly(text: str) -> None:
    _within_bound_or_refused(text)


@FAST
@given(st.text(min_size=MAX_TEXT_LENGTH - 5, max_size=3000))
def test_long_text_is_within_bound_or_refused_briefly(text: str) -> None:
    _within_bound_or_refused(text)


@FAST
@given(st.from_regex(r"\A[-+(]{0,3}\$?[-+]?[0-9]{1,25}(,[0-9]{3}){0,6}(\.[0-9]{0,5})?\)?%?\Z"))
def test_number_shaped_text_is_within_bound_or_refused_briefly(text: str) -> None:
    _within_bound_or_refused(text)


# --- the formatters never raise -----------------------------------------------------------------

UNUSUAL = [
    "NaN",
    "-NaN",
    "sNaN",
    "-sNaN",
    "Infinity",
    "-Infinity",
    "-0",
    "-0.00",
    "-0E+50",
    "0E-50",
    "1E+1000000",
    "-1E+999999999",
    "1E-999999999",
    "-1E-50",
    "99999999999999999999999999.99",
    "92233720368547758.08",
    "123456789012345678901234567890.123456789",
    "1.0000000000000000000000000000001",
    "-0.00004",
    "0.00005",
]


def _formats(value: Decimal) -> list[str]:
    return [
        format_money(value),
        format_money(value, symbol=False),
        format_percent(value),
        format_percent(value, 0),
        format_percent(value, 4),
        format_quantity(value),
        format_unit_price(value),
    ]


def _check_formats(value: Decimal) -> None:
    for text in _formats(value):
        assert isinstance(text, str)
        assert text
        assert len(text) <= 50
        if not any(ch not in "0.,$%-" for ch in text):
            assert not text.startswith("-"), text  # never -0.00 or -$0


@pytest.mark.parametrize("text", UNUSUAL)
def test_formatters_never_raise_on_unusual_values(text: str) -> None:
    _check_formats(D(text))


@pytest.mark.parametrize(
    ("value", "money", "percent", "quantity"),
    [
        (D("-0"), "$0.00", "0.00%", "0"),
        (D("-0E+50"), "$0.00", "0.00%", "0"),
        (D("-0.00004"), "-$0.00004", "0.00%", "0"),
        (D("NaN"), "$NaN", "NaN%", "NaN"),
        (D("-Infinity"), "-$Infinity", "-Infinity%", "-Infinity"),
        (D("1E+40"), "$1E+40", "1E+40%", "1E+40"),
        (D("-1.23456789E+30"), "-$1.23457E+30", "-1.23457E+30%", "-1.23457E+30"),
        (D("1E-50"), "$0.0000000000…", "0.00%", "0"),
        (D("-1E-50"), "-$0.0000000000…", "0.00%", "0"),
        (D("12.5"), "$12.50", "12.50%", "12.5"),
        (D("-0.005"), "-$0.005", "-0.01%", "-0.005"),
    ],
)
def test_formatters_show_unusual_values(
    value: Decimal, money: str, percent: str, quantity: str
) -> None:
    assert format_money(value) == money
    assert format_percent(value) == percent
    assert format_quantity(value) == quantity


def test_format_unit_price() -> None:
    assert format_unit_price(D("18.5")) == "$18.50"
    assert format_unit_price(D("4.125")) == "$4.125"
    assert format_unit_price(D("-4.125")) == "-$4.125"
    assert format_unit_price(MAX_UNIT_PRICE) == "$9,999,999.9999"
    assert format_unit_price(D("-0.00001")) == "$0"


any_decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(
        lambda sign, digits, exponent: D((sign, tuple(digits), exponent)),
        st.integers(0, 1),
        st.lists(st.integers(0, 9), min_size=1, max_size=40),
        st.integers(-(10**9), 10**9),
    ),
    st.builds(
        lambda sign, digits, exponent: D((sign, tuple(digits), exponent)),
        st.integers(0, 1),
        st.lists(st.integers(0, 9), min_size=1, max_size=40),
        st.integers(-45, 25),
    ),
)


@settings(max_examples=1000, deadline=None)
@given(any_decimals)
def test_formatters_never_raise(value: Decimal) -> None:
    _check_formats(value)


@FAST
@given(cents_amounts)
def test_formatted_money_within_the_bound_is_exact(x: Decimal) -> None:
    assert parse_money(format_money(x)) == x
    assert to_cents(parse_money(format_money(x))) == to_cents(x)
