"""A typed figure recomputes one line and the summary, not the whole schedule; the answer is
always what computing everything again gives."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from data import billing
from data.billing import CapKind, LineInput, RetainageRule
from data.editing import DraftInvoice, EntryError, Field
from tests.test_entry_rules import _erins

D = Decimal
LINES = [LineInput(item_no=str(n), description=f"Line {n}", scheduled_value=D(1000 * n),
                   previous_work=D(100 * n), previous_retainage_work=D(10 * n),
                   previous_stored=D(5 * n), work_rate=D(10), stored_rate=D(5))
         for n in range(1, 9)]
amounts = st.decimals(min_value=D("-50"), max_value=D("5000"), places=2)


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, len(LINES) - 1), work=amounts, stored=amounts,
       with_rules=st.booleans())
def test_one_line_again_is_everything_again(index: int, work: Decimal, stored: Decimal,
                                            with_rules: bool) -> None:
    rules = (RetainageRule(D(10), CapKind.AMOUNT, D(200)),) if with_rules else ()
    before = billing.compute_invoice(LINES, previous_certificates=D(700), rules=rules)
    changed = list(LINES)
    changed[index] = replace(LINES[index], work_this_period=work,
                             new_stored=max(stored, D(0)))
    again = billing.recompute_line(before, changed, index, previous_certificates=D(700),
                                   rules=rules)
    assert again == billing.compute_invoice(changed, previous_certificates=D(700), rules=rules)


def test_a_draft_typed_into_line_by_line_has_the_figures_of_a_fresh_one(
        sqlite_demo_engine: Engine) -> None:
    draft = _erins(sqlite_demo_engine)
    lines = [line.sov_line_id for line in draft.view.lines]
    typed = 0
    for n, sov_line_id in enumerate(lines):
        for field, text in ((Field.WORK, f"{n * 37}.15"), (Field.NEW_STORED, f"{n}.01"),
                            (Field.PERCENT, "50")):
            try:
                draft.set(sov_line_id, field, text)
                typed += 1
            except EntryError:
                pass  # refused figures keep the old ones, in both computations
    assert typed > len(lines)
    fresh: DraftInvoice = draft.rebase(draft.view)  # the same typed values, all at once
    assert draft.result == fresh.result
