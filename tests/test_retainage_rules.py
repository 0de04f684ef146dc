"""The general contractor's retainage rules (domain.md §3 and §4), with worked numbers:

1. a period whose work crosses a sliding-scale cap is split: the work up to the cap takes the
   rule's rate, the rest the next rule's (data.billing.SlidingScale);
2. when a deductive change order lowers a cap below what is held, the excess is proposed for
   release and released only when someone enters it (data.billing.releasable_over_cap);
3. the "previous" columns and line 7 count approved invoices only, and a new invoice starts only
   when every earlier one is approved (data/services/invoice_figures, invoice_changes, invites).

Rules cap the retainage *held* (domain.md §4: "X % until Y % of the original / revised
commitment value is held", "X % until $Y is held"). "10 % until 50 % complete" on a $100,000.00
contract is "10 % until 5 % of the original value ($5,000.00) is held".
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from data.billing import (
    CapKind,
    ChangeOrderRef,
    LineInput,
    RetainageRule,
    compute_invoice,
)
from data.db import reading, writing
from data.models import (
    BillingPeriod,
    ChangeOrder,
    Commitment,
    Invite,
    InviteResponse,
    Invoice,
    InvoiceStatus,
    PeriodStatus,
    SovLine,
)
from data.models import RetainageRule as RuleRow
from data.money import PERCENT_SCALE, to_cents, to_scaled
from data.refusals import Invalid
from data.services.actors import actor_for_login
from data.services.invites import respond
from data.services.invoice_changes import LineEntry, change_status, create_invoice, save_lines
from data.services.invoice_views import InvoiceView, load_invoice
from tests.conftest import DEMO_TODAY

D = Decimal
ZERO = D("0.00")
ELECTRICAL, CONCRETE = "SC-2417-016", "SC-2417-031"

# 10 % until 5 % of the original value is held, then 5 % until 10 % of it is held.
TEN_THEN_FIVE = [RetainageRule(D("10"), CapKind.PERCENT_OF_ORIGINAL, D("5")),
                 RetainageRule(D("5"), CapKind.PERCENT_OF_ORIGINAL, D("10"))]


# --- 1. a period crossing a sliding-scale threshold ------------------------------------------


def test_the_work_up_to_the_threshold_takes_the_first_rate_and_the_rest_the_next() -> None:
    # Contract $100,000.00; $40,000.00 billed before, $4,000.00 held (10 %).
    # Cap of the first rule: 5 % × $100,000.00 = $5,000.00, reached at $50,000.00 (50 %).
    # This period $20,000.00:  $10,000.00 × 10 % = $1,000.00 (fills the cap: $5,000.00 held)
    #                        + $10,000.00 ×  5 % =   $500.00
    #                                            = $1,500.00 retained this period.
    line = LineInput("1", "Building", D("100000.00"), previous_work=D("40000.00"),
                     previous_retainage_work=D("4000.00"), work_this_period=D("20000.00"))
    invoice = compute_invoice([line], rules=TEN_THEN_FIVE)
    assert invoice.lines[0].retained_work_this_period == D("1500.00")
    assert invoice.summary.total_retained_this_period == D("1500.00")
    assert invoice.summary.total_retainage == D("5500.00")  # $4,000 + $1,500
    assert invoice.rule_applied == TEN_THEN_FIVE[0]  # the rule in force when the period began


def test_the_crossing_is_taken_in_schedule_order_across_lines() -> None:
    # The same $20,000.00 this period, on two lines of the same $100,000.00 contract:
    # $4,000.00 held, $1,000.00 of room under the $5,000.00 cap.
    # line 1: $8,000.00 × 10 % = $800.00                   ($200.00 room left)
    # line 2: $12,000.00 crosses: $2,000.00 × 10 % = $200.00 fills the cap,
    #         the other $10,000.00 × 5 % = $500.00          → $700.00 on line 2
    # $800.00 + $700.00 = $1,500.00, the same as on one line.
    lines = [
        LineInput("1", "Structure", D("60000.00"), previous_work=D("40000.00"),
                  previous_retainage_work=D("4000.00"), work_this_period=D("8000.00")),
        LineInput("2", "Finishes", D("40000.00"), work_this_period=D("12000.00")),
    ]
    invoice = compute_invoice(lines, rules=TEN_THEN_FIVE)
    assert [r.retained_work_this_period for r in invoice.lines] == [D("800.00"), D("700.00")]
    assert invoice.summary.total_retained_this_period == D("1500.00")


def test_the_line_that_crosses_is_rounded_once() -> None:
    # 7 % until $1,000.00 is held, then 3 % until $5,000.00; $990.00 held; $1,000.00 billed.
    # 7 % fills the $10.00 left with $10.00 ÷ 7 % = $142.857142... of work;
    # the other $857.142857... × 3 % = $25.714285...;
    # $10.00 + $25.714285... = $35.714285... → $35.71 (half-up, once).
    rules = [RetainageRule(D("7"), CapKind.AMOUNT, D("1000.00")),
             RetainageRule(D("3"), CapKind.AMOUNT, D("5000.00"))]
    line = LineInput("1", "x", D("50000.00"), previous_work=D("14142.86"),
                     previous_retainage_work=D("990.00"), work_this_period=D("1000.00"))
    invoice = compute_invoice([line], rules=rules)
    assert invoice.lines[0].retained_work_this_period == D("35.71")


def test_a_half_cent_on_the_crossing_line_rounds_up_once() -> None:
    # 10 % until $100.00, then 5 %; nothing held; $1,000.10 billed.
    # $1,000.00 × 10 % = $100.00 fills the cap; $0.10 × 5 % = $0.005; $100.005 → $100.01.
    rules = [RetainageRule(D("10"), CapKind.AMOUNT, D("100.00")),
             RetainageRule(D("5"), CapKind.AMOUNT, D("1000.00"))]
    invoice = compute_invoice([LineInput("1", "x", D("5000.00"), work_this_period=D("1000.10"))],
                              rules=rules)
    assert invoice.lines[0].retained_work_this_period == D("100.01")


def test_one_period_can_cross_two_thresholds() -> None:
    # 10 % until $1,000.00, 5 % until $1,500.00, 2 % until $2,000.00; nothing held.
    # $25,000.00: $10,000.00 × 10 % = $1,000.00, $10,000.00 × 5 % = $500.00,
    #             $5,000.00 × 2 % = $100.00; $1,600.00 in all.
    rules = [RetainageRule(D("10"), CapKind.AMOUNT, D("1000.00")),
             RetainageRule(D("5"), CapKind.AMOUNT, D("1500.00")),
             RetainageRule(D("2"), CapKind.AMOUNT, D("2000.00"))]
    invoice = compute_invoice([LineInput("1", "x", D("100000.00"),
                                         work_this_period=D("25000.00"))], rules=rules)
    assert invoice.summary.total_retained_this_period == D("1600.00")


def test_past_the_last_threshold_retainage_stops() -> None:
    # 10 % until $5,000.00 only; $4,000.00 held; $20,000.00 billed:
    # $10,000.00 × 10 % = $1,000.00 fills the cap; the other $10,000.00 retains nothing.
    rules = [RetainageRule(D("10"), CapKind.PERCENT_OF_ORIGINAL, D("5"))]
    line = LineInput("1", "x", D("100000.00"), previous_work=D("40000.00"),
                     previous_retainage_work=D("4000.00"), work_this_period=D("20000.00"))
    assert compute_invoice([line], rules=rules).summary.total_retained_this_period == D("1000.00")


def test_a_threshold_on_the_revised_value_counts_approved_change_orders() -> None:
    # Original $100,000.00 + change order $10,000.00 = revised $110,000.00.
    # 10 % until 5 % of the revised value ($5,500.00), then 5 % until 10 % of it ($11,000.00).
    # $5,000.00 held; $10,000.00 billed: $5,000.00 × 10 % = $500.00 fills the cap,
    # $5,000.00 × 5 % = $250.00; $750.00.
    rules = [RetainageRule(D("10"), CapKind.PERCENT_OF_REVISED, D("5")),
             RetainageRule(D("5"), CapKind.PERCENT_OF_REVISED, D("10"))]
    lines = [LineInput("1", "x", D("100000.00"), previous_work=D("50000.00"),
                       previous_retainage_work=D("5000.00"), work_this_period=D("10000.00")),
             LineInput("15", "Added", D("10000.00"), change_order=ChangeOrderRef("CCO 001"))]
    assert compute_invoice(lines, rules=rules).summary.total_retained_this_period == D("750.00")


def test_stored_materials_count_towards_the_thresholds_at_their_own_rate() -> None:
    # $4,000.00 held; caps $5,000.00 (10 %) and $10,000.00 (5 %) of a $100,000.00 contract.
    # line 1: $20,000.00 stored at its stored rate 10 % = $2,000.00 ($6,000.00 held: the
    #         first cap is passed, the second allows it all);
    # line 2: $10,000.00 of work at the next rule's 5 % = $500.00.
    lines = [LineInput("1", "Switchgear", D("50000.00"), previous_work=D("40000.00"),
                       previous_retainage_work=D("4000.00"), new_stored=D("20000.00"),
                       stored_rate=D("10")),
             LineInput("2", "Feeders", D("50000.00"), work_this_period=D("10000.00"))]
    invoice = compute_invoice(lines, rules=TEN_THEN_FIVE)
    assert invoice.lines[0].retained_stored_this_period == D("2000.00")
    assert invoice.lines[1].retained_work_this_period == D("500.00")


# --- 2. a cap lowered below what is held ----------------------------------------------------


def _lowered_cap_lines(*, release: Decimal = ZERO) -> list[LineInput]:
    # Original $100,000.00 with $80,000.00 billed and $8,000.00 held (10 %); a deductive change
    # order of -$40,000.00 approved this period: revised $60,000.00.
    return [LineInput("1", "Building", D("100000.00"), previous_work=D("80000.00"),
                      previous_retainage_work=D("8000.00"), release_requested=release),
            LineInput("15", "Deleted wing", D("-40000.00"),
                      change_order=ChangeOrderRef("CCO 002", this_period=True))]


TEN_UNTIL_TEN_OF_REVISED = [RetainageRule(D("10"), CapKind.PERCENT_OF_REVISED, D("10"))]


def test_retainage_over_a_lowered_cap_is_proposed_not_released() -> None:
    # Cap: 10 % × $60,000.00 = $6,000.00; held $8,000.00 → $2,000.00 over it, proposed on line
    # 1 (the only line holding retainage). Nothing is released and nothing more is retained.
    invoice = compute_invoice(_lowered_cap_lines(), rules=TEN_UNTIL_TEN_OF_REVISED)
    s = invoice.summary
    assert s.releasable_over_cap == D("2000.00")
    assert [r.releasable_over_cap for r in invoice.lines] == [D("2000.00"), ZERO]
    assert s.total_released == ZERO
    assert s.total_retainage == D("8000.00")
    assert s.current_payment_due == D("72000.00")  # $80,000 − $8,000 held − line 7 ($0 here)


def test_once_the_release_is_entered_nothing_is_over_the_cap() -> None:
    # $2,000.00 entered as the release: $6,000.00 held, the cap; line 8 pays the $2,000.00.
    invoice = compute_invoice(_lowered_cap_lines(release=D("2000.00")),
                              rules=TEN_UNTIL_TEN_OF_REVISED,
                              previous_certificates=D("72000.00"))
    s = invoice.summary
    assert s.releasable_over_cap == ZERO
    assert s.total_released == D("2000.00")
    assert s.total_retainage == D("6000.00")
    assert s.current_payment_due == D("2000.00")  # $80,000 − $6,000 − $72,000


def test_the_proposal_is_split_over_the_lines_by_what_each_holds_to_the_cent() -> None:
    # Three $10,000.00 lines, each billed and holding $1,000.00; a -$10.00 change order makes
    # the revised value $29,990.00 and the cap 10 % of it = $2,999.00: $1.00 over.
    # $1.00 × 1,000 ÷ 3,000 = $0.3333... each → $0.33 each ($0.99); the cent left goes to the
    # largest remainder, a tie, so to the first line: $0.34 + $0.33 + $0.33 = $1.00.
    lines = [LineInput(str(n), f"Line {n}", D("10000.00"), previous_work=D("10000.00"),
                       previous_retainage_work=D("1000.00")) for n in (1, 2, 3)]
    lines.append(LineInput("15", "Credit", D("-10.00"), change_order=ChangeOrderRef("CCO 1")))
    invoice = compute_invoice(lines, rules=TEN_UNTIL_TEN_OF_REVISED)
    assert invoice.summary.releasable_over_cap == D("1.00")
    assert [r.releasable_over_cap for r in invoice.lines] == [
        D("0.34"), D("0.33"), D("0.33"), ZERO]


def test_without_rules_or_under_the_cap_nothing_is_proposed() -> None:
    assert compute_invoice(_lowered_cap_lines()).summary.releasable_over_cap == ZERO
    generous = [RetainageRule(D("10"), CapKind.AMOUNT, D("8000.00"))]
    assert compute_invoice(_lowered_cap_lines(), rules=generous).summary.releasable_over_cap \
        == ZERO


# --- on the demo: the invoice view, the previous columns, a new invoice ------------------------


def _commitment_id(session: Session, number: str) -> int:
    commitment = session.exec(select(Commitment).where(Commitment.number == number)).one()
    assert commitment.id is not None
    return commitment.id


def _invoices(session: Session, number: str) -> list[Invoice]:
    return list(session.exec(select(Invoice)
                             .where(Invoice.commitment_id == _commitment_id(session, number))
                             .order_by(col(Invoice.position))).all())


def _view(engine: Engine, login: str, invoice_id: int) -> InvoiceView:
    with reading(engine) as session:
        return load_invoice(session, actor_for_login(session, login), invoice_id)


def _set_status(engine: Engine, invoice_id: int, status: InvoiceStatus) -> None:
    """What the system administrator can do directly (SQLite has no workflow triggers)."""
    with writing(engine) as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.status = status.value
        session.add(invoice)


def _dans_invite(session: Session) -> Invite:
    return session.exec(select(Invite).where(
        Invite.commitment_id == _commitment_id(session, CONCRETE))).one()


def lower_the_concrete_cap_below_what_is_held(engine: Engine) -> int:
    """Dan's next invoice after a deductive change order: $590.58 held over the cap. Its id.

    Dan's concrete subcontract: $751,424.50; invoices #1 and #2 approved, $11,619.07 held.
    The rule "5 % until 2 % of the revised value is held" allowed 2 % × $751,424.50 =
    $15,028.49. A deductive change order of -$200,000.00 approved this period: revised
    $551,424.50, cap 2 % × $551,424.50 = $11,028.49, below the $11,619.07 held:
    $11,619.07 − $11,028.49 = $590.58 to propose for release."""
    with writing(engine) as session:
        concrete = _commitment_id(session, CONCRETE)
        session.add(RuleRow(commitment_id=concrete, position=1,
                            rate_e4=to_scaled(D("5"), PERCENT_SCALE),
                            cap_kind=CapKind.PERCENT_OF_REVISED.value,
                            cap_percent_e4=to_scaled(D("2"), PERCENT_SCALE)))
        order = ChangeOrder(commitment_id=concrete, kind="CCO", number="004",
                            title="Delete the east parking lot", status="approved",
                            approved_on=DEMO_TODAY - timedelta(days=10))
        session.add(order)
        session.flush()
        session.add(SovLine(commitment_id=concrete, change_order_id=order.id, position=99,
                            item_no="99", description="East parking lot deleted",
                            budget_code="", scheduled_value_cents=to_cents(D("-200000.00"))))
        invite_id = _dans_invite(session).id
        assert invite_id is not None
        invoice = respond(session, actor_for_login(session, "dan"), invite_id, bill=True,
                          today=DEMO_TODAY)
        assert invoice is not None and invoice.id is not None
        return invoice.id


def test_the_invoice_view_proposes_the_release_of_what_a_deductive_change_order_frees(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    invoice_id = lower_the_concrete_cap_below_what_is_held(engine)
    for reader in ("dan", "pat", "sam"):
        view = _view(engine, reader, invoice_id)
        assert view.summary.contract_sum_to_date == D("551424.50")
        assert view.releasable_over_cap == D("590.58")
        assert view.release_proposal is not None
        assert "$590.58" in view.release_proposal and "$11,028.49" in view.release_proposal
        assert sum((ln.result.releasable_over_cap for ln in view.lines), ZERO) == D("590.58")
        assert all(ln.result.releasable_over_cap <= ln.result.retainage for ln in view.lines)
        # Never paid by itself: nothing released, line 8 is $0.00 on an invoice of no new work.
        assert view.summary.total_released == ZERO
        assert view.summary.current_payment_due == ZERO
    # Dan enters the proposed release on each line: paid on line 8, nothing over the cap.
    proposed = {ln.sov_line_id: LineEntry(release=ln.result.releasable_over_cap)
                for ln in view.lines if ln.result.releasable_over_cap}
    with writing(engine) as session:
        save_lines(session, actor_for_login(session, "dan"), invoice_id, proposed)
    after = _view(engine, "dan", invoice_id)
    assert after.releasable_over_cap == ZERO and after.release_proposal is None
    assert after.summary.total_released == D("590.58")
    assert after.summary.total_retainage == D("11028.49")
    assert after.summary.current_payment_due == D("590.58")


def _line_one(view: InvoiceView) -> tuple[Decimal, Decimal]:
    first = view.lines[0].result
    return first.line.previous_work, first.line.previous_retainage_work


def test_previous_columns_and_line_7_count_approved_invoices_only(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    with reading(engine) as session:
        first, second, current = (i.id for i in _invoices(session, ELECTRICAL))
    assert first is not None and second is not None and current is not None
    # Electrical line 1 (10 %): #1 billed $19,250.00 (held $1,925.00), #2 $7,700.00 ($770.00).
    # Both approved: D = $26,950.00, previous retainage $2,695.00 on erin's #3.
    assert _line_one(_view(engine, "erin", current)) == (D("26950.00"), D("2695.00"))
    line_6_of_first = _view(engine, "pat", first).summary.total_earned_less_retainage
    # #1: work $89,670.50 + stored $48,000.00 = $137,670.50, retainage $8,967.05 + $4,800.00:
    # line 6 = $123,903.45.
    assert line_6_of_first == D("123903.45")

    # #2 approved as noted, then sent back for revision: #3 counts #1 only.
    _set_status(engine, second, InvoiceStatus.APPROVED_AS_NOTED)
    with writing(engine) as session:
        change_status(session, actor_for_login(session, "pat"), second,
                      InvoiceStatus.REVISE_AND_RESUBMIT)
    view = _view(engine, "erin", current)
    assert _line_one(view) == (D("19250.00"), D("1925.00"))
    assert view.summary.previous_certificates == line_6_of_first

    # Resent and held for the owner's approval (Pending Owner Approval counts as approved).
    with writing(engine) as session:
        pat = actor_for_login(session, "pat")
        change_status(session, pat, second, InvoiceStatus.UNDER_REVIEW)
        change_status(session, pat, second, InvoiceStatus.PENDING_OWNER_APPROVAL)
    view = _view(engine, "erin", current)
    assert _line_one(view) == (D("26950.00"), D("2695.00"))
    assert view.summary.previous_certificates == _view(
        engine, "pat", second).summary.total_earned_less_retainage


def _next_period(engine: Engine) -> int:
    """December opened (November closed), as an administrator does at the month's end."""
    with writing(engine) as session:
        current = session.exec(select(BillingPeriod).where(
            BillingPeriod.status == PeriodStatus.OPEN.value)).one()
        current.status = PeriodStatus.CLOSED.value
        session.add(current)
        session.flush()
        december = BillingPeriod(project_id=current.project_id, starts_on=date(2026, 12, 1),
                                 ends_on=date(2026, 12, 31), due_on=date(2026, 12, 24),
                                 status=PeriodStatus.OPEN.value)
        session.add(december)
        session.flush()
        assert december.id is not None
        return december.id


@pytest.mark.parametrize("login", ["erin", "pat"])
def test_no_new_invoice_while_an_earlier_one_is_open(sqlite_demo_engine: Engine,
                                                     login: str) -> None:
    engine = sqlite_demo_engine
    december = _next_period(engine)
    with reading(engine) as session:
        electrical = _commitment_id(session, ELECTRICAL)
        current = _invoices(session, ELECTRICAL)[-1].id
    assert current is not None
    today = date(2026, 12, 2)
    # Erin's #3 is Revise & Resubmit; then Draft; then Under Review: each time refused.
    for status in (InvoiceStatus.REVISE_AND_RESUBMIT, InvoiceStatus.DRAFT,
                   InvoiceStatus.UNDER_REVIEW):
        _set_status(engine, current, status)
        label = {InvoiceStatus.REVISE_AND_RESUBMIT: "Revise & Resubmit",
                 InvoiceStatus.DRAFT: "Draft", InvoiceStatus.UNDER_REVIEW: "Under Review"}
        with pytest.raises(Invalid, match=f"invoice #3 of this commitment is {label[status]}"), \
                writing(engine) as session:
            create_invoice(session, actor_for_login(session, login), electrical, december,
                           today=today)
    with writing(engine) as session:
        change_status(session, actor_for_login(session, "pat"), current, InvoiceStatus.APPROVED)
    with writing(engine) as session:
        created = create_invoice(session, actor_for_login(session, login), electrical,
                                 december, today=today)
        assert created.position == 4


def test_the_refusal_names_the_contacts_own_invoice_number(sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    december = _next_period(engine)
    with writing(engine) as session:
        current = _invoices(session, ELECTRICAL)[-1]
        current.invoice_number = "CE-1103"
        session.add(current)
    with pytest.raises(Invalid, match=r"invoice #3 \(CE-1103\) of this commitment is Revise"), \
            writing(engine) as session:
        create_invoice(session, actor_for_login(session, "erin"),
                       _commitment_id(session, ELECTRICAL), december, today=date(2026, 12, 2))


def test_a_yes_to_an_invite_is_refused_while_an_earlier_invoice_is_open(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    with reading(engine) as session:
        second = _invoices(session, CONCRETE)[-1].id
        invite_id = _dans_invite(session).id
    assert second is not None and invite_id is not None
    _set_status(engine, second, InvoiceStatus.UNDER_REVIEW)  # dan's #2 back under review
    with pytest.raises(Invalid, match="invoice #2 of this commitment is Under Review"), \
            writing(engine) as session:
        respond(session, actor_for_login(session, "dan"), invite_id, bill=True,
                today=DEMO_TODAY)
    with reading(engine) as session:
        invite = session.get(Invite, invite_id)
        assert invite is not None and invite.response != InviteResponse.YES.value
        assert len(_invoices(session, CONCRETE)) == 2
    with writing(engine) as session:
        change_status(session, actor_for_login(session, "pat"), second,
                      InvoiceStatus.APPROVED_AS_NOTED)
    with writing(engine) as session:
        invoice = respond(session, actor_for_login(session, "dan"), invite_id, bill=True,
                          today=DEMO_TODAY)
        assert invoice is not None and invoice.position == 3
