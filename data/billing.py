"""Pay-application arithmetic: schedule-of-values lines (AIA G703) and the summary (AIA G702).

Pure functions over `Decimal` dollars: no database, no I/O. Column letters follow G703:
C scheduled value, D work from previous applications, E work this period, F materials presently
stored, G completed and stored to date, H balance to finish, I retainage.

Rounding: every line's retainage is rounded half-up to the cent (`money.round_cents`) and every
total is the sum of its rounded lines, so the summary always adds up to what the lines show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from data.money import CENT, HUNDRED, QUANTITY_PLACES, ZERO, round_cents

_QUANTITY_STEP = Decimal(1).scaleb(-QUANTITY_PLACES)


class Method(StrEnum):
    AMOUNT = "amount"
    UNIT = "unit"


class CapKind(StrEnum):
    """What a sliding-scale retainage rule's cap is measured against."""

    PERCENT_OF_ORIGINAL = "percent_of_original"
    PERCENT_OF_REVISED = "percent_of_revised"
    AMOUNT = "amount"


@dataclass(frozen=True)
class RetainageRule:
    """`rate` % of work is retained until the retainage held reaches the cap."""

    rate: Decimal
    cap_kind: CapKind
    cap: Decimal  # percent points for the PERCENT_* kinds, dollars for AMOUNT

    def cap_amount(self, original_sum: Decimal, revised_sum: Decimal) -> Decimal:
        if self.cap_kind is CapKind.AMOUNT:
            return self.cap
        base = original_sum if self.cap_kind is CapKind.PERCENT_OF_ORIGINAL else revised_sum
        return round_cents(base * self.cap / HUNDRED)


MAX_RETAINAGE_RULES = 5


@dataclass(frozen=True)
class ChangeOrderRef:
    """The change order an SOV line belongs to; `this_period` when approved in this period."""

    number: str
    this_period: bool = False


@dataclass(frozen=True)
class LineInput:
    """One SOV line as billed on one invoice. Amounts in dollars, rates in percent points.

    `work_this_period` (E) includes any stored materials installed this period; those are also
    given as `stored_installed`, which takes them out of stored materials (F).
    """

    item_no: str
    description: str
    scheduled_value: Decimal
    previous_work: Decimal = ZERO
    work_this_period: Decimal = ZERO
    previous_stored: Decimal = ZERO
    new_stored: Decimal = ZERO
    stored_installed: Decimal = ZERO
    previous_retainage_work: Decimal = ZERO
    previous_retainage_stored: Decimal = ZERO
    work_rate: Decimal = ZERO
    stored_rate: Decimal = ZERO
    release_requested: Decimal = ZERO
    change_order: ChangeOrderRef | None = None


class Problem(StrEnum):
    OVERBILLED = "overbilled"
    RELEASE_EXCEEDS_HELD = "release exceeds retainage held"
    INSTALLED_EXCEEDS_STORED = "installed materials exceed materials stored"
    NEGATIVE_STORED = "negative stored materials"
    # Completed to date (G, or the work in it, D + E) past zero: below it on an ordinary line,
    # above it on a deductive one (negative scheduled value), whose figures run from 0 down to C.
    NEGATIVE_COMPLETED = "completed to date below zero"
    CREDIT_ABOVE_ZERO = "completed to date above zero on a deductive line"


@dataclass(frozen=True)
class LineResult:
    line: LineInput
    materials_presently_stored: Decimal  # F
    completed_to_date: Decimal  # G
    percent_complete: Decimal | None  # G ÷ C in percent points, None when C is zero
    balance_to_finish: Decimal  # H
    retained_work_this_period: Decimal
    retained_stored_this_period: Decimal
    released_work: Decimal
    released_stored: Decimal
    retainage_work: Decimal  # currently retained on work, after this period's release
    retainage_stored: Decimal
    problems: tuple[Problem, ...] = ()
    # This line's share of the retainage held above the sliding scale's highest cap: proposed
    # for release (compute_invoice), released only when someone enters it.
    releasable_over_cap: Decimal = ZERO

    @property
    def scheduled_value(self) -> Decimal:
        return self.line.scheduled_value

    @property
    def released(self) -> Decimal:
        return self.released_work + self.released_stored

    @property
    def retainage(self) -> Decimal:  # column I
        return self.retainage_work + self.retainage_stored

    @property
    def retainage_held_before_release(self) -> Decimal:
        return self.retainage + self.released

    @property
    def overbilled(self) -> bool:
        return Problem.OVERBILLED in self.problems


@dataclass(frozen=True)
class ChangeOrderSummary:
    previous_additions: Decimal = ZERO
    previous_deductions: Decimal = ZERO
    this_period_additions: Decimal = ZERO
    this_period_deductions: Decimal = ZERO

    @property
    def additions(self) -> Decimal:
        return self.previous_additions + self.this_period_additions

    @property
    def deductions(self) -> Decimal:
        return self.previous_deductions + self.this_period_deductions

    @property
    def net_change(self) -> Decimal:
        return self.additions - self.deductions


@dataclass(frozen=True)
class Summary:
    """The G702 lines 1-9, plus the G703 column totals they come from."""

    original_contract_sum: Decimal  # 1
    change_orders: ChangeOrderSummary  # 2 = change_orders.net_change
    contract_sum_to_date: Decimal  # 3
    completed_and_stored_to_date: Decimal  # 4
    retainage_on_work: Decimal  # 5a
    retainage_on_stored: Decimal  # 5b
    total_earned_less_retainage: Decimal  # 6
    previous_certificates: Decimal  # 7
    current_payment_due: Decimal  # 8
    balance_to_finish_with_retainage: Decimal  # 9
    total_previous_work: Decimal  # column D
    total_work_this_period: Decimal  # column E
    total_stored: Decimal  # column F
    total_balance_to_finish: Decimal  # column H
    total_released: Decimal
    total_retained_this_period: Decimal
    # The stored-materials sub-columns F comes from (previous + new - installed).
    total_previous_stored: Decimal = ZERO
    total_new_stored: Decimal = ZERO
    total_installed: Decimal = ZERO
    # Retainage held above the sliding scale's highest cap (billing.releasable_over_cap).
    releasable_over_cap: Decimal = ZERO

    @property
    def net_change_by_change_orders(self) -> Decimal:  # 2
        return self.change_orders.net_change

    @property
    def total_retainage(self) -> Decimal:  # 5
        return self.retainage_on_work + self.retainage_on_stored

    def numbered_lines(self) -> list[tuple[str, str, Decimal]]:
        """The nine lines as (number, caption, amount), in G702 order."""
        return [
            ("1", "Original Contract Sum", self.original_contract_sum),
            ("2", "Net Change by Change Orders", self.net_change_by_change_orders),
            ("3", "Contract Sum to Date", self.contract_sum_to_date),
            ("4", "Total Completed & Stored to Date", self.completed_and_stored_to_date),
            ("5a", "Retainage on Completed Work", self.retainage_on_work),
            ("5b", "Retainage on Stored Material", self.retainage_on_stored),
            ("5", "Total Retainage", self.total_retainage),
            ("6", "Total Earned Less Retainage", self.total_earned_less_retainage),
            ("7", "Less Previous Certificates for Payment", self.previous_certificates),
            ("8", "Current Payment Due", self.current_payment_due),
            ("9", "Balance to Finish, Including Retainage", self.balance_to_finish_with_retainage),
        ]


@dataclass(frozen=True)
class Invoice:
    lines: tuple[LineResult, ...]
    summary: Summary
    rule_applied: RetainageRule | None = None

    def problem_lines(self, problem: Problem) -> list[LineResult]:
        return [r for r in self.lines if problem in r.problems]


@dataclass
class SlidingScale:
    """An invoice's sliding-scale rules as its lines are computed, in schedule order (A).

    Each rule holds `rate` % of work until the retainage held reaches its cap (domain.md §4);
    the rule in force is the first whose cap is above what is held so far. `held` starts at
    what earlier invoices left held and grows by each line's retainage as it is computed.
    """

    rates: tuple[Decimal, ...]
    caps: tuple[Decimal, ...]
    held: Decimal

    @classmethod
    def of(cls, rules: Sequence[RetainageRule], *, held: Decimal, original_sum: Decimal,
           revised_sum: Decimal) -> SlidingScale:
        return cls(tuple(rule.rate for rule in rules),
                   tuple(rule.cap_amount(original_sum, revised_sum) for rule in rules), held)

    def _in_force(self, held: Decimal) -> int | None:
        return next((i for i, cap in enumerate(self.caps) if held < cap), None)

    def retain_work(self, work: Decimal) -> Decimal:
        """Retainage on `work` billed this period, split where it crosses a cap.

        The work up to the cap of the rule in force takes that rule's rate, the rest the next
        rule's, and so on; past the last cap nothing more is held. Every full part fills its
        rule's room exactly (a whole-cent amount, since caps and what is held are whole cents),
        so only the last part can be a fraction of a cent, and the line's retainage is rounded
        once, half-up (`money.round_cents`). The work a part covers is room ÷ rate, which can
        be a recurring decimal (a 7 % rate); it is carried to 60 digits, and a recurring value
        is never exactly on a half cent, so the one rounding gives the exact answer.

        A line crossing a cap is split within itself; the lines before it in schedule order
        have taken the first rate and the lines after it take the next. Worked: caps $5,000
        (10 %) then 5 %, $4,000 held, $20,000 of work: $1,000 fills the first cap with $10,000
        of work, the other $10,000 at 5 % holds $500; $1,500 in all.

        A negative correction gives back retainage at the rate in force and leaves `held` as it
        is: what a correction may give back is limited per line, by what that line held."""
        if work <= 0:
            rule = self._in_force(self.held)
            return _percent_of(ZERO if rule is None else self.rates[rule], work)
        exact = ZERO
        with localcontext() as context:
            context.prec = 60
            while work > 0 and (rule := self._in_force(self.held + exact)) is not None:
                rate, room = self.rates[rule], self.caps[rule] - self.held - exact
                wanted = rate * work / HUNDRED
                if wanted <= room:
                    exact += wanted
                    break
                exact += room
                work -= room * HUNDRED / rate
        retained = round_cents(exact)
        self.held += retained
        return retained

    def take(self, amount: Decimal) -> Decimal:
        """Up to `amount` (whole cents) more held, as far as the highest cap still allows: the
        stored-materials retainage keeps its own rate, the caps count all retainage held."""
        if amount <= 0 or not self.caps:
            return amount
        granted = min(amount, max(max(self.caps) - self.held, ZERO))
        self.held += granted
        return granted


def _percent_of(rate: Decimal, amount: Decimal) -> Decimal:
    return round_cents(rate * amount / HUNDRED)


def compute_line(line: LineInput, *, scale: SlidingScale | None = None) -> LineResult:
    """One line's F, G, %, H and retainage. With a sliding `scale`, its rules' rates replace
    the line's work rate and its caps limit all retainage held."""
    problems: list[Problem] = []
    c = line.scheduled_value
    stored_before_install = line.previous_stored + line.new_stored
    if line.stored_installed > stored_before_install:
        problems.append(Problem.INSTALLED_EXCEEDS_STORED)
    f = stored_before_install - line.stored_installed
    if f < 0:
        problems.append(Problem.NEGATIVE_STORED)
    g = line.previous_work + line.work_this_period + f
    percent = (g * HUNDRED / c) if c else None
    h = c - g
    if (c >= 0 and g > c) or (c < 0 and g < c):
        problems.append(Problem.OVERBILLED)
    work_to_date = line.previous_work + line.work_this_period
    if c >= 0 and (g < 0 or work_to_date < 0):
        problems.append(Problem.NEGATIVE_COMPLETED)
    if c < 0 and (g > 0 or work_to_date > 0):
        problems.append(Problem.CREDIT_ABOVE_ZERO)

    if scale is None:
        retained_work = _percent_of(line.work_rate, line.work_this_period)
    else:
        retained_work = scale.retain_work(line.work_this_period)
    # A negative correction of work gives back retainage, never more than was held.
    retained_work = max(retained_work, -line.previous_retainage_work)

    # Materials retainage: held on new stored materials; when materials are installed their
    # retainage leaves the stored column (the work retainage on E now covers them).
    retained_stored = _percent_of(line.stored_rate, line.new_stored)
    if scale is not None:
        retained_stored = scale.take(retained_stored)
    moved_to_work = min(_percent_of(line.stored_rate, line.stored_installed),
                        line.previous_retainage_stored + retained_stored)
    retained_stored -= max(moved_to_work, ZERO)

    held_work = line.previous_retainage_work + retained_work
    held_stored = line.previous_retainage_stored + retained_stored
    request = max(line.release_requested, ZERO)
    if request > held_work + held_stored:
        problems.append(Problem.RELEASE_EXCEEDS_HELD)
    released_work = min(request, max(held_work, ZERO))
    released_stored = min(request - released_work, max(held_stored, ZERO))

    return LineResult(
        line=line,
        materials_presently_stored=f,
        completed_to_date=g,
        percent_complete=percent,
        balance_to_finish=h,
        retained_work_this_period=retained_work,
        retained_stored_this_period=retained_stored,
        released_work=released_work,
        released_stored=released_stored,
        retainage_work=held_work - released_work,
        retainage_stored=held_stored - released_stored,
        problems=tuple(problems),
    )


def _change_order_summary(lines: Iterable[LineInput]) -> ChangeOrderSummary:
    per_order: dict[tuple[str, bool], Decimal] = {}
    for line in lines:
        if line.change_order is not None:
            key = (line.change_order.number, line.change_order.this_period)
            per_order[key] = per_order.get(key, ZERO) + line.scheduled_value
    prev_add = prev_ded = now_add = now_ded = ZERO
    for (_, this_period), total in per_order.items():
        if this_period:
            now_add += max(total, ZERO)
            now_ded += max(-total, ZERO)
        else:
            prev_add += max(total, ZERO)
            prev_ded += max(-total, ZERO)
    return ChangeOrderSummary(prev_add, prev_ded, now_add, now_ded)


def select_rule(rules: Sequence[RetainageRule], held: Decimal, original_sum: Decimal,
                revised_sum: Decimal) -> tuple[RetainageRule | None, Decimal | None]:
    """The first sliding-scale rule whose cap is not yet reached, and what it still allows.

    With no rules: (None, None), the lines' own rates apply. With rules all reached: retainage
    stops, which is a rule at 0 % allowing nothing.
    """
    if not rules:
        return None, None
    if len(rules) > MAX_RETAINAGE_RULES:
        raise ValueError(f"at most {MAX_RETAINAGE_RULES} sliding-scale rules")
    for rule in rules:
        cap = rule.cap_amount(original_sum, revised_sum)
        if held < cap:
            return rule, cap - held
    return RetainageRule(ZERO, CapKind.AMOUNT, ZERO), ZERO


def compute_invoice(lines: Sequence[LineInput], *, previous_certificates: Decimal = ZERO,
                    rules: Sequence[RetainageRule] = ()) -> Invoice:
    """Every line and the G702 summary. `previous_certificates` is line 6 of the last invoice.

    `rule_applied` is the sliding-scale rule in force when the invoice starts; a period whose
    work crosses its cap goes on at the next rule's rate (`SlidingScale.retain_work`)."""
    original = sum((ln.scheduled_value for ln in lines if ln.change_order is None), ZERO)
    revised = sum((ln.scheduled_value for ln in lines), ZERO)
    held_before = sum(
        (ln.previous_retainage_work + ln.previous_retainage_stored for ln in lines), ZERO
    )
    rule, _ = select_rule(rules, held_before, original, revised)
    scale = (SlidingScale.of(rules, held=held_before, original_sum=original,
                             revised_sum=revised) if rules else None)
    results = tuple(compute_line(ln, scale=scale) for ln in lines)
    over_cap = releasable_over_cap(rules, sum((r.retainage for r in results), ZERO),
                                   original_sum=original, revised_sum=revised)
    if over_cap:
        results = propose_release_over_cap(results, over_cap)
    summary = replace(_summarize(lines, results, previous_certificates),
                      releasable_over_cap=over_cap)
    return Invoice(lines=results, summary=summary, rule_applied=rule)


def releasable_over_cap(rules: Sequence[RetainageRule], held: Decimal, *,
                        original_sum: Decimal, revised_sum: Decimal) -> Decimal:
    """What is held above the most the sliding-scale rules allow, once this period's retention
    and release are counted: the highest cap, past which retainage stops.

    A deductive change order lowers a cap measured on the revised commitment value; when it
    falls below what is already held, the difference is the subcontractor's to be paid, but
    only when someone enters the release: this amount is proposed, never released by itself."""
    if not rules:
        return ZERO
    ceiling = max(rule.cap_amount(original_sum, revised_sum) for rule in rules)
    return max(held - ceiling, ZERO)


def propose_release_over_cap(results: Sequence[LineResult],
                             amount: Decimal) -> tuple[LineResult, ...]:
    """`amount` spread over the lines in proportion to what each holds, to the cent.

    Each line's share is cut down to the cent; the cents left go one each to the lines with the
    largest cut-off remainders (the earlier line first on a tie), so the shares add up to
    `amount` exactly and none exceeds what its line holds."""
    held = [max(r.retainage, ZERO) for r in results]
    total = sum(held, ZERO)
    exact = [amount * h / total for h in held] if total else [ZERO for _ in held]
    shares = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((amount - sum(shares, ZERO)) / CENT) if total else 0
    by_remainder = sorted(range(len(shares)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[:left]:
        shares[i] += CENT
    return tuple(replace(r, releasable_over_cap=share) for r, share in zip(results, shares,
                                                                             strict=True))


def recompute_line(invoice: Invoice, lines: Sequence[LineInput], index: int, *,
                   previous_certificates: Decimal = ZERO,
                   rules: Sequence[RetainageRule] = ()) -> Invoice:
    """`invoice` (computed from `lines` but for line `index`, which changed) computed again.

    Without sliding-scale rules a line's figures depend on that line alone, so only it is
    computed again and the summary summed again: what a typed figure costs on a long schedule.
    With rules, one line's retainage depends on the lines before it: everything is computed
    again. Either way the answer is `compute_invoice(lines, ...)`."""
    if rules:
        return compute_invoice(lines, previous_certificates=previous_certificates, rules=rules)
    results = list(invoice.lines)
    results[index] = compute_line(lines[index])
    done = tuple(results)
    return Invoice(lines=done, summary=_summarize(lines, done, previous_certificates),
                   rule_applied=None)


def _summarize(lines: Sequence[LineInput], results: Sequence[LineResult],
               previous_certificates: Decimal) -> Summary:
    """The G702 lines and the G703 column totals, from the lines and their figures."""
    original = sum((ln.scheduled_value for ln in lines if ln.change_order is None), ZERO)
    revised = sum((ln.scheduled_value for ln in lines), ZERO)
    total_g = total_d = total_e = total_f = total_h = ZERO
    ret_work = ret_stored = released = retained_now = ZERO
    for r in results:
        total_g += r.completed_to_date
        total_d += r.line.previous_work
        total_e += r.line.work_this_period
        total_f += r.materials_presently_stored
        total_h += r.balance_to_finish
        ret_work += r.retainage_work
        ret_stored += r.retainage_stored
        released += r.released
        retained_now += r.retained_work_this_period + r.retained_stored_this_period
    earned = total_g - ret_work - ret_stored
    return Summary(
        original_contract_sum=original,
        change_orders=_change_order_summary(lines),
        contract_sum_to_date=revised,
        completed_and_stored_to_date=total_g,
        retainage_on_work=ret_work,
        retainage_on_stored=ret_stored,
        total_earned_less_retainage=earned,
        previous_certificates=previous_certificates,
        current_payment_due=earned - previous_certificates,
        balance_to_finish_with_retainage=revised - earned,
        total_previous_work=total_d,
        total_work_this_period=total_e,
        total_stored=total_f,
        total_balance_to_finish=total_h,
        total_released=released,
        total_retained_this_period=retained_now,
        total_previous_stored=sum((ln.previous_stored for ln in lines), ZERO),
        total_new_stored=sum((ln.new_stored for ln in lines), ZERO),
        total_installed=sum((ln.stored_installed for ln in lines), ZERO),
    )


def work_for_percent(percent: Decimal, line: LineInput) -> Decimal:
    """Back-solve E so that G ÷ C equals `percent` (percent points), to the cent."""
    target = round_cents(line.scheduled_value * percent / HUNDRED)
    stored = line.previous_stored + line.new_stored - line.stored_installed
    return target - line.previous_work - stored


# --- unit-based lines -------------------------------------------------------------------------


def unit_value(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Quantity × unit price, to the cent."""
    return round_cents(quantity * unit_price)


@dataclass(frozen=True)
class UnitProgress:
    """This period's progress on a unit-based line: the three ways of saying it, kept in step."""

    new_quantity: Decimal
    new_value: Decimal  # column E
    total_percent: Decimal | None  # cumulative quantity ÷ contract quantity, percent points
    override: bool = False  # new value typed by hand and different from quantity × price


@dataclass(frozen=True)
class UnitLine:
    """A unit-based line. Values are rounded on the cumulative quantity, so that billing the
    whole quantity over any number of periods adds up to exactly the scheduled value: this
    period's value is value(previous + new quantity) − previous value."""

    quantity: Decimal
    unit_price: Decimal
    previous_quantity: Decimal = ZERO
    unit: str = ""
    previous_value: Decimal | None = None  # None: the previous quantity × price

    @property
    def scheduled_value(self) -> Decimal:
        return unit_value(self.quantity, self.unit_price)

    @property
    def _previous_value(self) -> Decimal:
        if self.previous_value is not None:
            return self.previous_value
        return unit_value(self.previous_quantity, self.unit_price)

    def value_of(self, new_quantity: Decimal) -> Decimal:
        """Column E for `new_quantity` this period."""
        total = unit_value(self.previous_quantity + new_quantity, self.unit_price)
        return total - self._previous_value

    def _percent(self, new_quantity: Decimal) -> Decimal | None:
        if not self.quantity:
            return None
        return (self.previous_quantity + new_quantity) * HUNDRED / self.quantity

    def from_new_quantity(self, new_quantity: Decimal) -> UnitProgress:
        new_quantity = new_quantity.quantize(_QUANTITY_STEP, rounding=ROUND_HALF_UP)
        return UnitProgress(new_quantity, self.value_of(new_quantity),
                            self._percent(new_quantity))

    def from_total_percent(self, percent: Decimal) -> UnitProgress:
        total = (self.quantity * percent / HUNDRED).quantize(_QUANTITY_STEP, rounding=ROUND_HALF_UP)
        return self.from_new_quantity(total - self.previous_quantity)

    def from_new_value(self, new_value: Decimal) -> UnitProgress:
        """A value typed by hand: the quantity follows when the price allows, else an override."""
        new_value = round_cents(new_value)
        if not self.unit_price:
            return UnitProgress(ZERO, new_value, self._percent(ZERO), override=bool(new_value))
        total = ((self._previous_value + new_value) / self.unit_price).quantize(
            _QUANTITY_STEP, rounding=ROUND_HALF_UP)
        quantity = total - self.previous_quantity
        override = self.value_of(quantity) != new_value
        return UnitProgress(quantity, new_value, self._percent(quantity), override=override)

