"""data/billing.py: the G703 columns, retainage and the G702 summary (domain.md section 4)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.billing import (
    CapKind,
    ChangeOrderRef,
    Invoice,
    LineInput,
    LineResult,
    Problem,
    RetainageRule,
    UnitLine,
    compute_invoice,
    compute_line,
    select_rule,
    unit_value,
    work_for_percent,
)
from data.money import format_percent

D = Decimal
ZERO = D("0.00")


def whole_cents(x: Decimal) -> bool:
    return (x * 100) % 1 == 0


def half_up(x: Decimal) -> Decimal:
    """The rounding rule, written out independently of data.money."""
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


# --- the seed's worked examples ----------------------------------------------------------------


def test_half_of_500_is_250_and_50_percent() -> None:
    r = compute_line(LineInput("1", "Framing", D("500.00"), work_this_period=D("250.00")))
    assert r.completed_to_date == D("250.00")
    assert r.percent_complete == D("50")
    assert format_percent(r.percent_complete) == "50.00%"
    assert r.balance_to_finish == D("250.00")


def test_percent_is_none_when_scheduled_value_is_zero() -> None:
    r = compute_line(LineInput("1", "Allowance", ZERO, work_this_period=D("10.00")))
    assert r.percent_complete is None


def test_work_for_percent_back_solves_e() -> None:
    plain = LineInput("1", "Framing", D("500.00"))
    assert work_for_percent(D("50"), plain) == D("250.00")
    busy = LineInput("2", "Drywall", D("500.00"), previous_work=D("100.00"),
                     previous_stored=D("60.00"), new_stored=D("20.00"),
                     stored_installed=D("30.00"))
    e = work_for_percent(D("50"), busy)
    assert e == D("250.00") - D("100.00") - D("50.00")
    r = compute_line(LineInput("2", "Drywall", D("500.00"), previous_work=D("100.00"),
                               work_this_period=e, previous_stored=D("60.00"),
                               new_stored=D("20.00"), stored_installed=D("30.00")))
    assert r.completed_to_date == D("250.00")
    assert r.percent_complete == D("50")


def test_work_for_percent_rounds_half_up_to_the_cent() -> None:
    # 33.335 % of $100.00 is $33.335: half-up to $33.34.
    assert work_for_percent(D("33.335"), LineInput("1", "x", D("100.00"))) == D("33.34")


@settings(max_examples=200, deadline=None)
@given(
    c=st.integers(1, 10**10),
    d=st.integers(0, 10**9),
    f=st.integers(0, 10**8),
    pct=st.integers(0, 15000),
)
def test_work_for_percent_hits_the_percentage(c: int, d: int, f: int, pct: int) -> None:
    scheduled, previous, stored, percent = (D(c).scaleb(-2), D(d).scaleb(-2), D(f).scaleb(-2),
                                            D(pct).scaleb(-2))
    base = LineInput("1", "x", scheduled, previous_work=previous, previous_stored=stored)
    e = work_for_percent(percent, base)
    r = compute_line(LineInput("1", "x", scheduled, previous_work=previous,
                               previous_stored=stored, work_this_period=e))
    assert whole_cents(e)
    assert r.completed_to_date == half_up(scheduled * percent / 100)


def test_ten_percent_retainage_on_two_lines_then_full_release() -> None:
    period1 = compute_invoice([
        LineInput("1", "Framing", D("1000.00"), work_this_period=D("500.00"),
                  work_rate=D("10")),
        LineInput("2", "Drywall", D("5000.00"), work_this_period=D("2096.30"),
                  work_rate=D("10")),
    ])
    assert [r.retainage for r in period1.lines] == [D("50.00"), D("209.63")]
    assert period1.summary.retainage_on_work == D("259.63")
    assert period1.summary.total_retainage == D("259.63")
    assert period1.summary.total_earned_less_retainage == D("2596.30") - D("259.63")
    assert period1.summary.current_payment_due == D("2336.67")

    # Next period: a retainage-only invoice releasing 100 % of what is held.
    period2 = compute_invoice(
        [
            LineInput("1", "Framing", D("1000.00"), previous_work=D("500.00"),
                      previous_retainage_work=D("50.00"), work_rate=D("10"),
                      release_requested=D("50.00")),
            LineInput("2", "Drywall", D("5000.00"), previous_work=D("2096.30"),
                      previous_retainage_work=D("209.63"), work_rate=D("10"),
                      release_requested=D("209.63")),
        ],
        previous_certificates=period1.summary.total_earned_less_retainage,
    )
    s = period2.summary
    assert s.total_released == D("259.63")
    assert s.total_retainage == ZERO
    assert s.total_work_this_period == ZERO
    assert s.current_payment_due == D("259.63")
    assert not period2.problem_lines(Problem.RELEASE_EXCEEDS_HELD)


def test_negative_correction_gives_back_retainage_never_more_than_held() -> None:
    partial = compute_line(LineInput("1", "x", D("1000.00"), previous_work=D("500.00"),
                                     work_this_period=D("-200.00"),
                                     previous_retainage_work=D("50.00"), work_rate=D("10")))
    assert partial.retained_work_this_period == D("-20.00")
    assert partial.retainage_work == D("30.00")
    full = compute_line(LineInput("1", "x", D("1000.00"), previous_work=D("500.00"),
                                  work_this_period=D("-1000.00"),
                                  previous_retainage_work=D("50.00"), work_rate=D("10")))
    assert full.retained_work_this_period == D("-50.00")
    assert full.retainage_work == ZERO


def test_five_percent_of_12500_is_625() -> None:
    r = compute_line(LineInput("1", "Steel", D("12500.00"), work_this_period=D("12500.00"),
                               work_rate=D("5")))
    assert r.retained_work_this_period == D("625.00")
    assert r.retainage == D("625.00")


def test_each_line_is_rounded_half_up_and_totals_add_the_rounded_lines() -> None:
    # 10 % of $0.05 is $0.005: each line rounds half-up to $0.01; the total is the sum of the
    # rounded lines ($0.03), not the rounded sum of the raw amounts ($0.015 -> $0.02).
    inv = compute_invoice([
        LineInput(str(i), "x", D("1.00"), work_this_period=D("0.05"), work_rate=D("10"))
        for i in range(3)
    ])
    assert [r.retainage for r in inv.lines] == [D("0.01")] * 3
    assert inv.summary.retainage_on_work == D("0.03")
    # 10 % of $0.04 is $0.004: rounds down.
    r = compute_line(LineInput("1", "x", D("1.00"), work_this_period=D("0.04"), work_rate=D("10")))
    assert r.retainage == ZERO


# --- stored materials --------------------------------------------------------------------------


def test_stored_materials_columns() -> None:
    r = compute_line(LineInput(
        "1", "Pipe", D("10000.00"), previous_work=D("2000.00"), work_this_period=D("800.00"),
        previous_stored=D("1000.00"), new_stored=D("500.00"), stored_installed=D("300.00"),
    ))
    assert r.materials_presently_stored == D("1200.00")  # 1000 + 500 - 300
    assert r.completed_to_date == D("4000.00")  # D + E + F = 2000 + 800 + 1200
    assert r.percent_complete == D("40")
    assert r.balance_to_finish == D("6000.00")
    assert r.problems == ()


def test_materials_retainage_has_its_own_rate_and_leaves_f_when_installed() -> None:
    inv = compute_invoice([LineInput(
        "1", "Pipe", D("10000.00"), previous_work=D("2000.00"), work_this_period=D("800.00"),
        previous_stored=D("1000.00"), new_stored=D("500.00"), stored_installed=D("300.00"),
        previous_retainage_work=D("200.00"), previous_retainage_stored=D("50.00"),
        work_rate=D("10"), stored_rate=D("5"),
    )])
    r = inv.lines[0]
    assert r.retained_work_this_period == D("80.00")  # 10 % of E
    # 5 % of the new $500 stored, less 5 % of the $300 installed, which moved into E.
    assert r.retained_stored_this_period == D("10.00")
    assert r.retainage_stored == D("60.00")  # 5 % of F = $1,200
    assert r.retainage_work == D("280.00")
    assert inv.summary.retainage_on_work == D("280.00")  # 5a
    assert inv.summary.retainage_on_stored == D("60.00")  # 5b
    assert inv.summary.total_retainage == D("340.00")
    assert inv.summary.total_stored == D("1200.00")


def test_installing_all_stored_materials_empties_their_retainage() -> None:
    r = compute_line(LineInput(
        "1", "Pipe", D("10000.00"), work_this_period=D("1000.00"),
        previous_stored=D("1000.00"), stored_installed=D("1000.00"),
        previous_retainage_stored=D("50.00"), work_rate=D("10"), stored_rate=D("5"),
    ))
    assert r.materials_presently_stored == ZERO
    assert r.retainage_stored == ZERO
    assert r.retained_stored_this_period == D("-50.00")
    assert r.retainage_work == D("100.00")


def test_installing_more_than_stored_is_flagged() -> None:
    r = compute_line(LineInput("1", "Pipe", D("1000.00"), work_this_period=D("300.00"),
                               previous_stored=D("100.00"), new_stored=D("100.00"),
                               stored_installed=D("250.00")))
    assert Problem.INSTALLED_EXCEEDS_STORED in r.problems
    assert Problem.NEGATIVE_STORED in r.problems
    assert r.materials_presently_stored == D("-50.00")


# --- releases ----------------------------------------------------------------------------------


def test_release_above_held_is_flagged_and_capped() -> None:
    inv = compute_invoice([LineInput("1", "x", D("1000.00"), previous_work=D("1000.00"),
                                     previous_retainage_work=D("100.00"),
                                     release_requested=D("150.00"))])
    r = inv.lines[0]
    assert Problem.RELEASE_EXCEEDS_HELD in r.problems
    assert inv.problem_lines(Problem.RELEASE_EXCEEDS_HELD) == [r]
    assert r.released == D("100.00")
    assert r.retainage == ZERO
    assert inv.summary.total_released == D("100.00")


def test_release_within_held_is_not_flagged() -> None:
    r = compute_line(LineInput("1", "x", D("1000.00"), previous_work=D("1000.00"),
                               previous_retainage_work=D("100.00"),
                               release_requested=D("40.00")))
    assert r.problems == ()
    assert r.released == D("40.00")
    assert r.retainage == D("60.00")
    assert r.retainage_held_before_release == D("100.00")


def test_release_takes_work_retainage_first_then_stored() -> None:
    r = compute_line(LineInput("1", "x", D("2000.00"), previous_work=D("1000.00"),
                               previous_stored=D("400.00"), previous_retainage_work=D("100.00"),
                               previous_retainage_stored=D("40.00"),
                               release_requested=D("120.00")))
    assert r.released_work == D("100.00")
    assert r.released_stored == D("20.00")
    assert r.retainage_work == ZERO
    assert r.retainage_stored == D("20.00")


def test_release_can_include_retainage_held_this_period() -> None:
    r = compute_line(LineInput("1", "x", D("1000.00"), work_this_period=D("1000.00"),
                               work_rate=D("10"), release_requested=D("100.00")))
    assert r.retained_work_this_period == D("100.00")
    assert r.released == D("100.00")
    assert r.retainage == ZERO
    assert r.problems == ()


# --- overbilling -------------------------------------------------------------------------------


def test_overbilling_is_flagged() -> None:
    inv = compute_invoice([
        LineInput("1", "x", D("1000.00"), previous_work=D("800.00"),
                  work_this_period=D("300.00")),
        LineInput("2", "y", D("1000.00"), previous_work=D("800.00"),
                  work_this_period=D("200.00")),
    ])
    over, exact = inv.lines
    assert over.overbilled
    assert over.balance_to_finish == D("-100.00")
    assert not exact.overbilled
    assert inv.problem_lines(Problem.OVERBILLED) == [over]


def test_overbilling_counts_stored_materials() -> None:
    r = compute_line(LineInput("1", "x", D("1000.00"), previous_work=D("900.00"),
                               new_stored=D("200.00")))
    assert r.overbilled


def test_overbilling_on_a_negative_change_order_line() -> None:
    co = ChangeOrderRef("15")
    over = compute_line(LineInput("15", "Deduct", D("-500.00"), work_this_period=D("-600.00"),
                                  change_order=co))
    assert over.overbilled
    assert over.balance_to_finish == D("100.00")
    within = compute_line(LineInput("15", "Deduct", D("-500.00"),
                                    work_this_period=D("-250.00"), change_order=co))
    assert not within.overbilled
    assert within.percent_complete == D("50")


# --- change orders and the summary lines -------------------------------------------------------


def test_change_order_summary_splits_previous_and_this_period() -> None:
    inv = compute_invoice([
        LineInput("1", "Base", D("10000.00")),
        LineInput("2", "Base", D("5000.00")),
        LineInput("15", "CO 15", D("1000.00"), change_order=ChangeOrderRef("15")),
        LineInput("15.1", "CO 15", D("-300.00"), change_order=ChangeOrderRef("15")),
        LineInput("16", "CO 16", D("-200.00"), change_order=ChangeOrderRef("16")),
        LineInput("17", "CO 17", D("400.00"), change_order=ChangeOrderRef("17", True)),
        LineInput("18", "CO 18", D("-50.00"), change_order=ChangeOrderRef("18", True)),
    ])
    s = inv.summary
    co = s.change_orders
    assert co.previous_additions == D("700.00")  # CO 15 nets 1000 - 300
    assert co.previous_deductions == D("200.00")
    assert co.this_period_additions == D("400.00")
    assert co.this_period_deductions == D("50.00")
    assert co.additions == D("1100.00")
    assert co.deductions == D("250.00")
    assert s.original_contract_sum == D("15000.00")  # line 1
    assert s.net_change_by_change_orders == D("850.00")  # line 2
    assert s.contract_sum_to_date == D("15850.00")  # line 3


def test_summary_numbered_lines() -> None:
    inv = compute_invoice(
        [LineInput("1", "x", D("10000.00"), previous_work=D("2000.00"),
                   work_this_period=D("3000.00"), previous_retainage_work=D("200.00"),
                   work_rate=D("10"))],
        previous_certificates=D("1800.00"),
    )
    lines = {number: amount for number, _, amount in inv.summary.numbered_lines()}
    assert [n for n, _, _ in inv.summary.numbered_lines()] == [
        "1", "2", "3", "4", "5a", "5b", "5", "6", "7", "8", "9"]
    assert lines == {
        "1": D("10000.00"), "2": ZERO, "3": D("10000.00"), "4": D("5000.00"),
        "5a": D("500.00"), "5b": ZERO, "5": D("500.00"), "6": D("4500.00"),
        "7": D("1800.00"), "8": D("2700.00"), "9": D("5500.00"),
    }


# --- sliding-scale retainage -------------------------------------------------------------------

TEN_UNTIL_5_ORIG = RetainageRule(D("10"), CapKind.PERCENT_OF_ORIGINAL, D("5"))
FIVE_UNTIL_10_REV = RetainageRule(D("5"), CapKind.PERCENT_OF_REVISED, D("10"))


def test_select_rule_without_rules() -> None:
    assert select_rule([], ZERO, D("100000.00"), D("100000.00")) == (None, None)


def test_select_rule_picks_the_first_rule_whose_cap_is_not_reached() -> None:
    rules = [TEN_UNTIL_5_ORIG, FIVE_UNTIL_10_REV]
    original, revised = D("100000.00"), D("120000.00")
    assert select_rule(rules, ZERO, original, revised) == (TEN_UNTIL_5_ORIG, D("5000.00"))
    assert select_rule(rules, D("4999.99"), original, revised) == (TEN_UNTIL_5_ORIG, D("0.01"))
    # 5 % of the original is reached; 10 % of the revised ($12,000) is not.
    assert select_rule(rules, D("5000.00"), original, revised) == (FIVE_UNTIL_10_REV,
                                                                   D("7000.00"))
    rule, allows = select_rule(rules, D("12000.00"), original, revised)
    assert rule is not None
    assert rule.rate == ZERO
    assert allows == ZERO


def test_cap_by_percent_of_revised_differs_from_original() -> None:
    original, revised = D("100000.00"), D("150000.00")
    by_revised = RetainageRule(D("10"), CapKind.PERCENT_OF_REVISED, D("5"))
    by_original = RetainageRule(D("10"), CapKind.PERCENT_OF_ORIGINAL, D("5"))
    assert by_revised.cap_amount(original, revised) == D("7500.00")
    assert by_original.cap_amount(original, revised) == D("5000.00")
    assert select_rule([by_revised], D("6000.00"), original, revised) == (by_revised,
                                                                          D("1500.00"))
    assert select_rule([by_original], D("6000.00"), original, revised)[0] != by_original


def test_cap_percent_is_rounded_half_up_to_the_cent() -> None:
    rule = RetainageRule(D("10"), CapKind.PERCENT_OF_ORIGINAL, D("5"))
    assert rule.cap_amount(D("0.50"), D("0.50")) == D("0.03")  # 5 % of 0.50 = 0.025


def test_cap_by_amount() -> None:
    rule = RetainageRule(D("10"), CapKind.AMOUNT, D("2500.00"))
    assert select_rule([rule], D("1000.00"), D("1.00"), D("1.00")) == (rule, D("1500.00"))
    assert select_rule([rule], D("2500.00"), D("1.00"), D("1.00"))[1] == ZERO


def test_at_most_five_rules() -> None:
    rule = RetainageRule(D("10"), CapKind.AMOUNT, D("100.00"))
    select_rule([rule] * 5, ZERO, ZERO, ZERO)
    with pytest.raises(ValueError, match=r"five|5"):
        select_rule([rule] * 6, ZERO, ZERO, ZERO)


def test_rule_rate_replaces_the_line_rate() -> None:
    inv = compute_invoice(
        [LineInput("1", "x", D("100000.00"), work_this_period=D("10000.00"), work_rate=D("2"))],
        rules=[TEN_UNTIL_5_ORIG],
    )
    assert inv.rule_applied == TEN_UNTIL_5_ORIG
    assert inv.lines[0].retained_work_this_period == D("1000.00")


def test_retainage_this_period_never_pushes_held_past_the_cap() -> None:
    lines = [
        LineInput("1", "x", D("60000.00"), previous_work=D("49000.00"),
                  previous_retainage_work=D("4900.00"), work_this_period=D("1000.00")),
        LineInput("2", "y", D("40000.00"), work_this_period=D("10000.00")),
    ]
    inv = compute_invoice(lines, rules=[TEN_UNTIL_5_ORIG])
    # Wanted $100 + $1,000; the cap ($5,000 = 5 % of $100,000) allows $100 more.
    assert inv.summary.total_retained_this_period == D("100.00")
    assert inv.summary.total_retainage == D("5000.00")


def test_retainage_stops_once_the_last_cap_is_reached() -> None:
    lines = [LineInput("1", "x", D("100000.00"), previous_work=D("50000.00"),
                       previous_retainage_work=D("12000.00"), work_this_period=D("10000.00"),
                       work_rate=D("10"))]
    inv = compute_invoice(lines, rules=[TEN_UNTIL_5_ORIG, FIVE_UNTIL_10_REV])
    assert inv.rule_applied is not None
    assert inv.rule_applied.rate == ZERO
    assert inv.lines[0].retained_work_this_period == ZERO
    assert inv.summary.total_retainage == D("12000.00")


# --- unit-based lines --------------------------------------------------------------------------


def test_unit_line_scheduled_value_is_quantity_times_price() -> None:
    assert UnitLine(D("200"), D("12.50")).scheduled_value == D("2500.00")
    assert UnitLine(D("3"), D("0.3333")).scheduled_value == D("1.00")  # 0.9999 rounded
    assert UnitLine(D("1.5"), D("0.0050")).scheduled_value == D("0.01")  # 0.0075 half-up
    assert unit_value(D("2"), D("0.0025")) == D("0.01")  # 0.005 half-up, not half-even


def test_unit_line_from_total_percent() -> None:
    ln = UnitLine(D("200"), D("12.50"), previous_quantity=D("50"))
    p = ln.from_total_percent(D("50"))
    assert p.new_quantity == D("50")
    assert p.new_value == D("625.00")
    assert p.total_percent == D("50")
    assert not p.override


def test_unit_line_from_new_quantity() -> None:
    ln = UnitLine(D("200"), D("12.50"), previous_quantity=D("50"))
    p = ln.from_new_quantity(D("25"))
    assert p.new_value == D("312.50")
    assert p.total_percent == D("37.5")
    assert not p.override


def test_unit_line_from_new_value() -> None:
    ln = UnitLine(D("200"), D("12.50"), previous_quantity=D("50"))
    p = ln.from_new_value(D("625.00"))
    assert p.new_quantity == D("50")
    assert p.total_percent == D("50")
    assert not p.override


def test_unit_line_value_that_is_not_quantity_times_price_is_an_override() -> None:
    ln = UnitLine(D("10"), D("100000.00"))
    p = ln.from_new_value(D("5.01"))  # no quantity to 4 decimals gives $5.01
    assert p.override
    assert p.new_value == D("5.01")
    free = UnitLine(D("10"), ZERO)
    assert free.from_new_value(D("20.00")).override
    assert not free.from_new_value(ZERO).override


def test_unit_line_without_quantity_has_no_percent() -> None:
    assert UnitLine(ZERO, D("5.00")).from_new_quantity(D("1")).total_percent is None


quantities = st.integers(0, 10**8).map(lambda n: D(n).scaleb(-4))
prices = st.integers(1, 10**9).map(lambda n: D(n).scaleb(-4))


@settings(max_examples=300, deadline=None)
@given(q=quantities.filter(bool), price=prices, prev=quantities, new=quantities)
def test_unit_line_three_ways_stay_in_step(q: Decimal, price: Decimal, prev: Decimal,
                                           new: Decimal) -> None:
    ln = UnitLine(q, price, previous_quantity=prev)
    by_qty = ln.from_new_quantity(new)
    # Rounded on the cumulative quantity, so that the periods add up to the scheduled value.
    assert by_qty.new_value == half_up((prev + new) * price) - half_up(prev * price)
    assert by_qty.total_percent == (prev + new) * 100 / q
    assert not by_qty.override
    # Typing back the value that quantity gives is not an override, and lands on a quantity
    # that gives the same value.
    by_value = ln.from_new_value(by_qty.new_value)
    assert not by_value.override
    assert by_value.new_value == by_qty.new_value
    assert ln.value_of(by_value.new_quantity) == by_qty.new_value
    assert by_value.total_percent == (prev + by_value.new_quantity) * 100 / q
    # Typing the total percentage that quantity gives comes back to the same quantity.
    assert by_qty.total_percent is not None
    by_pct = ln.from_total_percent(by_qty.total_percent)
    assert by_pct.new_quantity == new
    assert by_pct.new_value == by_qty.new_value


# --- properties over random invoices -----------------------------------------------------------


def cents(lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    return st.integers(lo, hi).map(lambda c: D(c).scaleb(-2))


rates = cents(0, 2000)  # 0-20 %, up to two decimals


@st.composite
def line_inputs(draw: st.DrawFn, item: int = 1, stored: bool = True) -> LineInput:
    co = draw(st.one_of(st.none(), st.builds(ChangeOrderRef, st.sampled_from(["15", "16", "17"]),
                                             st.booleans())))
    scheduled = draw(cents(-(10**8), 10**9) if co is not None else cents(0, 10**9))
    previous_stored = draw(cents(0, 10**7)) if stored else ZERO
    new_stored = draw(cents(0, 10**7)) if stored else ZERO
    installed = draw(cents(0, int((previous_stored + new_stored) * 100))) if stored else ZERO
    return LineInput(
        item_no=str(item),
        description=f"Line {item}",
        scheduled_value=scheduled,
        previous_work=draw(cents(0, 10**9)),
        work_this_period=draw(cents(0, 10**8)),
        previous_stored=previous_stored,
        new_stored=new_stored,
        stored_installed=installed,
        previous_retainage_work=draw(cents(0, 10**7)),
        previous_retainage_stored=draw(cents(0, 10**6)) if stored else ZERO,
        work_rate=draw(rates),
        stored_rate=draw(rates),
        release_requested=draw(st.one_of(st.just(ZERO), cents(0, 2 * 10**7))),
        change_order=co,
    )


@st.composite
def invoices(draw: st.DrawFn, stored: bool = True) -> list[LineInput]:
    n = draw(st.integers(1, 30))
    return [draw(line_inputs(i + 1, stored)) for i in range(n)]


def total(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO)


def check_line(r: LineResult, rate: Decimal | None = None) -> None:
    ln = r.line
    # F, G, H
    f = r.materials_presently_stored
    assert f == ln.previous_stored + ln.new_stored - ln.stored_installed
    assert r.completed_to_date == ln.previous_work + ln.work_this_period + f
    assert r.balance_to_finish == ln.scheduled_value - r.completed_to_date
    # Retainage: non-negative, whole cents, and a release never exceeds what was held.
    for amount in (r.retainage_work, r.retainage_stored, r.released_work, r.released_stored,
                   r.retained_work_this_period, r.retained_stored_this_period):
        assert whole_cents(amount)
    assert r.retainage_work >= 0
    assert r.retainage_stored >= 0
    assert r.released_work >= 0
    assert r.released_stored >= 0
    held_work = ln.previous_retainage_work + r.retained_work_this_period
    held_stored = ln.previous_retainage_stored + r.retained_stored_this_period
    assert r.released_work <= held_work
    assert r.released_stored <= held_stored
    assert r.released <= ln.release_requested
    assert r.retainage_work == held_work - r.released_work
    assert r.retainage_stored == held_stored - r.released_stored
    assert (Problem.RELEASE_EXCEEDS_HELD in r.problems) == (
        ln.release_requested > held_work + held_stored)
    if Problem.RELEASE_EXCEEDS_HELD in r.problems:
        assert r.released == held_work + held_stored
    else:
        assert r.released == ln.release_requested
    if rate is None:  # no sliding scale: the line's own rate applies, rounded half-up per line
        assert r.retained_work_this_period == half_up(ln.work_rate * ln.work_this_period / 100)
    assert r.retained_stored_this_period == (
        half_up(ln.stored_rate * ln.new_stored / 100)
        - min(half_up(ln.stored_rate * ln.stored_installed / 100),
              ln.previous_retainage_stored + half_up(ln.stored_rate * ln.new_stored / 100)))
    assert r.overbilled == (
        r.completed_to_date > ln.scheduled_value if ln.scheduled_value >= 0
        else r.completed_to_date < ln.scheduled_value)


def check_summary(inv: Invoice, lines: Sequence[LineInput], previous: Decimal) -> None:
    s = inv.summary
    rs = inv.lines
    assert [r.line for r in rs] == list(lines)
    assert s.original_contract_sum == total([ln.scheduled_value for ln in lines
                                             if ln.change_order is None])
    assert s.contract_sum_to_date == total([ln.scheduled_value for ln in lines])
    assert s.contract_sum_to_date == s.original_contract_sum + s.net_change_by_change_orders
    assert s.completed_and_stored_to_date == total([r.completed_to_date for r in rs])
    assert s.retainage_on_work == total([r.retainage_work for r in rs])
    assert s.retainage_on_stored == total([r.retainage_stored for r in rs])
    assert s.total_retainage == s.retainage_on_work + s.retainage_on_stored
    assert s.total_previous_work == total([ln.previous_work for ln in lines])
    assert s.total_work_this_period == total([ln.work_this_period for ln in lines])
    assert s.total_stored == total([r.materials_presently_stored for r in rs])
    assert s.total_balance_to_finish == total([r.balance_to_finish for r in rs])
    assert s.total_released == total([r.released for r in rs])
    assert s.total_retained_this_period == total(
        [r.retained_work_this_period + r.retained_stored_this_period for r in rs])
    assert s.completed_and_stored_to_date == (
        s.total_previous_work + s.total_work_this_period + s.total_stored)
    assert s.total_earned_less_retainage == s.completed_and_stored_to_date - s.total_retainage
    assert s.previous_certificates == previous
    assert s.current_payment_due == s.total_earned_less_retainage - s.previous_certificates
    assert s.balance_to_finish_with_retainage == (
        s.contract_sum_to_date - s.total_earned_less_retainage)
    for amount in (s.retainage_on_work, s.retainage_on_stored, s.current_payment_due):
        assert whole_cents(amount)


INVOICE_SETTINGS = settings(max_examples=100, deadline=None)


@INVOICE_SETTINGS
@given(lines=invoices(), previous=cents(0, 10**10))
def test_random_invoice_adds_up(lines: list[LineInput], previous: Decimal) -> None:
    inv = compute_invoice(lines, previous_certificates=previous)
    assert inv.rule_applied is None
    for r in inv.lines:
        check_line(r)
    check_summary(inv, lines, previous)


@INVOICE_SETTINGS
@given(lines=invoices())
def test_two_invoice_sequence_release_everything(lines: list[LineInput]) -> None:
    period1 = compute_invoice(lines)
    period2_lines = [
        LineInput(
            item_no=r.line.item_no,
            description=r.line.description,
            scheduled_value=r.line.scheduled_value,
            previous_work=r.line.previous_work + r.line.work_this_period,
            previous_stored=r.materials_presently_stored,
            previous_retainage_work=r.retainage_work,
            previous_retainage_stored=r.retainage_stored,
            work_rate=r.line.work_rate,
            stored_rate=r.line.stored_rate,
            release_requested=r.retainage,
            change_order=r.line.change_order,
        )
        for r in period1.lines
    ]
    period2 = compute_invoice(
        period2_lines, previous_certificates=period1.summary.total_earned_less_retainage)
    s2 = period2.summary
    check_summary(period2, period2_lines, period1.summary.total_earned_less_retainage)
    assert s2.total_work_this_period == ZERO
    assert s2.total_released == period1.summary.total_retainage
    assert s2.total_retainage == ZERO
    assert s2.current_payment_due == s2.total_released
    assert s2.completed_and_stored_to_date == period1.summary.completed_and_stored_to_date
    assert not period2.problem_lines(Problem.RELEASE_EXCEEDS_HELD)


rules_strategy = st.lists(
    st.one_of(
        st.builds(RetainageRule, rates, st.sampled_from(
            [CapKind.PERCENT_OF_ORIGINAL, CapKind.PERCENT_OF_REVISED]), cents(0, 2000)),
        st.builds(RetainageRule, rates, st.just(CapKind.AMOUNT), cents(0, 10**8)),
    ),
    min_size=1, max_size=5,
)


@INVOICE_SETTINGS
@given(lines=invoices(stored=False), rules=rules_strategy)
def test_sliding_scale_never_pushes_held_past_the_cap(lines: list[LineInput],
                                                      rules: list[RetainageRule]) -> None:
    inv = compute_invoice(lines, rules=rules)
    s = inv.summary
    original = total([ln.scheduled_value for ln in lines if ln.change_order is None])
    revised = total([ln.scheduled_value for ln in lines])
    held_before = total([ln.previous_retainage_work for ln in lines])
    reached = [rule.cap_amount(original, revised) <= held_before for rule in rules]
    for r in inv.lines:
        check_line(r, rate=inv.rule_applied.rate if inv.rule_applied else None)
        assert r.retained_work_this_period >= 0
    check_summary(inv, lines, ZERO)
    if all(reached):
        assert inv.rule_applied is not None
        assert inv.rule_applied.rate == ZERO
        assert s.total_retained_this_period == ZERO
    else:
        first = rules[reached.index(False)]
        assert inv.rule_applied == first
        # Work crossing a cap goes on at the next rule's rate, up to the highest cap.
        ceiling = max(rule.cap_amount(original, revised) for rule in rules)
        assert held_before + s.total_retained_this_period <= ceiling
        assert s.total_retainage + s.total_released <= ceiling
        # Each line retains at most the highest rule rate of its work, never the line's own.
        highest = max(rule.rate for rule in rules[reached.index(False):])
        for r in inv.lines:
            assert r.retained_work_this_period <= half_up(
                highest * r.line.work_this_period / 100)
        if held_before + s.total_retained_this_period < first.cap_amount(original, revised):
            for r in inv.lines:  # no cap crossed: the first rule's rate throughout
                assert r.retained_work_this_period == half_up(
                    first.rate * r.line.work_this_period / 100)


def test_unit_line_billed_in_parts_adds_up_to_the_scheduled_value() -> None:
    # 2 units at $0.125: $0.25 in all; rounding each period's unit on its own would bill $0.26.
    first = UnitLine(D("2"), D("0.125"))
    assert first.from_new_quantity(D("1")).new_value == D("0.13")
    second = UnitLine(D("2"), D("0.125"), previous_quantity=D("1"), previous_value=D("0.13"))
    assert second.from_new_quantity(D("1")).new_value == D("0.12")
    assert D("0.13") + D("0.12") == first.scheduled_value


def test_sliding_scale_cap_also_stops_retainage_on_stored_materials() -> None:
    # $100 cap, $95 already held on work: 10 % of $1,000 of new stored materials would be
    # $100; only the $5 left under the cap is retained.
    rule = RetainageRule(D("10"), CapKind.AMOUNT, D("100.00"))
    line = LineInput("1", "switchgear", D("10000.00"), previous_work=D("950.00"),
                     previous_retainage_work=D("95.00"), new_stored=D("1000.00"),
                     work_rate=D("10"), stored_rate=D("10"))
    invoice = compute_invoice([line], rules=[rule])
    assert invoice.lines[0].retained_stored_this_period == D("5.00")
    assert invoice.summary.total_retainage == D("100.00")
