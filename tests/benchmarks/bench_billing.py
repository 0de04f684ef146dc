"""How long compute_invoice takes on a realistic 1,000-line invoice. Prints; asserts nothing.

Run from the repository root:  python tests/benchmarks/bench_billing.py [--runs 50]
Importing this module builds nothing and times nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make `data` importable
    sys.path.insert(0, str(_ROOT))

from data.billing import (  # noqa: E402
    CapKind,
    ChangeOrderRef,
    Invoice,
    LineInput,
    RetainageRule,
    compute_invoice,
)

WORK_RATE = Decimal("10")
STORED_RATE = Decimal("5")


def _dollars(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _percent_of(rate: Decimal, amount: Decimal) -> Decimal:
    return (rate * amount / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def build_lines(count: int = 1000, seed: int = 702) -> list[LineInput]:
    """A mid-project invoice: 90 % original SOV lines, 10 % change-order lines (some deductive,
    some approved this period), stored materials on about a third of the lines, retainage held
    from earlier periods and a few release requests."""
    rng = random.Random(seed)
    lines: list[LineInput] = []
    originals = count * 9 // 10
    for i in range(count):
        change_order = None
        if i >= originals:
            number = str(100 + (i - originals) // 3)
            change_order = ChangeOrderRef(number, this_period=rng.random() < 0.3)
        scheduled_cents = rng.randint(50_000, 50_000_000)
        if change_order is not None and rng.random() < 0.25:
            scheduled_cents = -scheduled_cents // 10
        scheduled = _dollars(scheduled_cents)
        done = rng.uniform(0, 0.8)
        previous_work = _dollars(int(scheduled_cents * done))
        work = _dollars(int(scheduled_cents * rng.uniform(0, 0.15)))
        previous_stored = new_stored = installed = Decimal("0.00")
        if scheduled_cents > 0 and rng.random() < 0.35:
            previous_stored = _dollars(int(scheduled_cents * rng.uniform(0, 0.1)))
            new_stored = _dollars(int(scheduled_cents * rng.uniform(0, 0.05)))
            available = int((previous_stored + new_stored) * 100)
            installed = _dollars(available * rng.randint(0, 100) // 100)
        previous_retainage_work = max(_percent_of(WORK_RATE, previous_work), Decimal("0.00"))
        previous_retainage_stored = _percent_of(STORED_RATE, previous_stored)
        release = Decimal("0.00")
        if rng.random() < 0.05:
            release = previous_retainage_work
        lines.append(LineInput(
            item_no=str(i + 1) if change_order is None else f"{change_order.number}.{i % 3}",
            description=f"SOV line {i + 1}",
            scheduled_value=scheduled,
            previous_work=previous_work,
            work_this_period=work,
            previous_stored=previous_stored,
            new_stored=new_stored,
            stored_installed=installed,
            previous_retainage_work=previous_retainage_work,
            previous_retainage_stored=previous_retainage_stored,
            work_rate=WORK_RATE,
            stored_rate=STORED_RATE,
            release_requested=release,
            change_order=change_order,
        ))
    return lines


SLIDING_SCALE = (
    RetainageRule(Decimal("10"), CapKind.PERCENT_OF_REVISED, Decimal("4.5")),
    RetainageRule(Decimal("5"), CapKind.PERCENT_OF_REVISED, Decimal("10")),
)


def time_compute(lines: list[LineInput], runs: int,
                 rules: tuple[RetainageRule, ...] = ()) -> tuple[list[float], Invoice]:
    """Milliseconds per run of compute_invoice, after one warm-up run."""
    invoice = compute_invoice(lines, rules=rules)
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        invoice = compute_invoice(lines, rules=rules)
        times.append((time.perf_counter() - start) * 1000)
    return times, invoice


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    lines = build_lines(args.lines)
    stored = sum(1 for ln in lines if ln.previous_stored or ln.new_stored)
    orders = sum(1 for ln in lines if ln.change_order is not None)
    print(f"compute_invoice: {len(lines)} lines ({stored} with stored materials, "
          f"{orders} change-order lines), {args.runs} runs, Python {sys.version.split()[0]}")
    for label, rules in (("line rates", ()), ("sliding scale", SLIDING_SCALE)):
        times, invoice = time_compute(lines, args.runs, rules)
        print(f"  {label:<14} median {statistics.median(times):8.2f} ms   "
              f"best {min(times):8.2f} ms   "
              f"(line 8 = {invoice.summary.current_payment_due:,})")


if __name__ == "__main__":
    main()
