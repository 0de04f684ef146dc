"""The services on a real database, SQLite and PostgreSQL alike: the demo's figures, optimistic
locking, the money CHECK constraints, who may do what, overbilling and retainage release.

The demo (data/demo.py, built for DEMO_TODAY = 2026-11-21): SC-2417-016 Electrical has invoices
#1 and #2 approved and paid and #3 in Revise & Resubmit; SC-2417-031 Site Concrete has #1 and #2
approved and paid and an invite for the open period (due Nov 25) that Dan has not answered.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from data.audit_chain import DATABASE_ACTION_PREFIX
from data.db import reading, writing
from data.demo import DEMO_PROJECT_NUMBER
from data.models import (
    AuditEntry,
    BillingPeriod,
    Commitment,
    Invite,
    InviteResponse,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PeriodStatus,
    Project,
    SovLine,
)
from data.services.actors import Actor, actor_for_login
from data.services.errors import Conflict, Invalid, NotAllowed
from data.services.home import home_for
from data.services.invites import respond
from data.services.invoice_changes import LineEntry, change_status, create_invoice, save_lines
from data.services.invoice_views import load_invoice
from tests.conftest import DEMO_TODAY

ELECTRICAL = "SC-2417-016"
CONCRETE = "SC-2417-031"
D = Decimal


# --- helpers ---------------------------------------------------------------------------------


def who(engine: Engine, login: str) -> Actor:
    with reading(engine) as session:
        return actor_for_login(session, login)


def commitment_id(session: Session, number: str) -> int:
    found = session.exec(select(Commitment).where(Commitment.number == number)).one()
    assert found.id is not None
    return found.id


def invoice_id(engine: Engine, number: str, position: int) -> int:
    with reading(engine) as session:
        found = session.exec(
            select(Invoice).where(Invoice.commitment_id == commitment_id(session, number),
                                  Invoice.position == position)
        ).one()
        assert found.id is not None
        return found.id


def sov_ids(engine: Engine, number: str) -> dict[str, int]:
    """SOV line ids by item number."""
    with reading(engine) as session:
        rows = session.exec(
            select(SovLine).where(SovLine.commitment_id == commitment_id(session, number))
        ).all()
        return {r.item_no: r.id for r in rows if r.id is not None}


def get_invoice(engine: Engine, ident: int) -> Invoice:
    with reading(engine) as session:
        found = session.get(Invoice, ident)
        assert found is not None
        session.expunge(found)  # keep its values past the rollback that ends `reading`
        return found


def get_line(engine: Engine, ident: int, sov_line_id: int) -> InvoiceLine:
    with reading(engine) as session:
        line = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == ident,
                                                      InvoiceLine.sov_line_id == sov_line_id)
                            ).one()
        session.expunge(line)
        return line


def audit_high_water(engine: Engine) -> int:
    with reading(engine) as session:
        return session.exec(select(func.max(AuditEntry.id))).one() or 0


def audit_after(engine: Engine, high_water: int) -> list[tuple[str, str, str, int | None]]:
    """(login, action, entity, entity id) of every audit entry payapp wrote since `high_water`
    (on PostgreSQL the database adds one of its own for every row changed)."""
    with reading(engine) as session:
        rows = session.exec(select(AuditEntry).where(col(AuditEntry.id) > high_water,
                                                     ~col(AuditEntry.action).startswith(
                                                         DATABASE_ACTION_PREFIX))
                            .order_by(col(AuditEntry.id))).all()
        return [(r.actor_login, r.action, r.entity, r.entity_id) for r in rows]


def count(engine: Engine, table: type[Payment] | type[BillingPeriod] | type[Invoice]) -> int:
    with reading(engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def open_period(engine: Engine) -> BillingPeriod:
    with reading(engine) as session:
        period = session.exec(select(BillingPeriod)
                              .where(BillingPeriod.status == PeriodStatus.OPEN.value)).one()
        session.expunge(period)
        return period


def dans_invite(engine: Engine) -> int:
    with reading(engine) as session:
        invite = session.exec(select(Invite).where(
            Invite.commitment_id == commitment_id(session, CONCRETE))).one()
        assert invite.response == InviteResponse.PENDING.value
        assert invite.id is not None
        return invite.id


# --- the demo's figures ----------------------------------------------------------------------


def test_demo_invoice_3_summary_follows_invoice_2_and_its_lines(demo_engine: Engine) -> None:
    pat = who(demo_engine, "pat")
    third_id = invoice_id(demo_engine, ELECTRICAL, 3)
    with reading(demo_engine) as session:
        second = load_invoice(session, pat, invoice_id(demo_engine, ELECTRICAL, 2))
        third = load_invoice(session, pat, third_id)
    assert third.status is InvoiceStatus.REVISE_AND_RESUBMIT
    s = third.summary
    results = [line.result for line in third.lines]

    # G702 line 7 is line 6 of the previous invoice; line 8 = 6 − 7.
    assert s.previous_certificates == second.summary.total_earned_less_retainage
    assert s.previous_certificates > 0
    assert s.current_payment_due == s.total_earned_less_retainage - s.previous_certificates
    assert s.current_payment_due > 0

    # Every total is the sum of its lines.
    assert s.contract_sum_to_date == sum((r.scheduled_value for r in results), D(0))
    assert s.original_contract_sum == sum(
        (r.scheduled_value for r in results if r.line.change_order is None), D(0))
    assert s.completed_and_stored_to_date == sum((r.completed_to_date for r in results), D(0))
    assert s.retainage_on_work == sum((r.retainage_work for r in results), D(0))
    assert s.retainage_on_stored == sum((r.retainage_stored for r in results), D(0))
    assert s.total_previous_work == sum((r.line.previous_work for r in results), D(0))
    assert s.total_work_this_period == sum((r.line.work_this_period for r in results), D(0))
    assert s.total_stored == sum((r.materials_presently_stored for r in results), D(0))
    assert s.total_balance_to_finish == sum((r.balance_to_finish for r in results), D(0))
    assert s.total_released == sum((r.released for r in results), D(0))
    assert s.total_earned_less_retainage == s.completed_and_stored_to_date - s.total_retainage
    assert s.balance_to_finish_with_retainage == (s.contract_sum_to_date
                                                  - s.total_earned_less_retainage)
    assert s.contract_sum_to_date == s.original_contract_sum + s.net_change_by_change_orders
    # What the contact typed on invoice #3 (data/demo.py), as column E.
    assert s.total_work_this_period == D("106263.56")

    with reading(demo_engine) as session:
        home = home_for(session, pat, today=DEMO_TODAY)
    row = next(r for r in home.invoices if r.invoice_id == third_id)
    assert row.current_payment_due == s.current_payment_due


def test_home_and_load_invoice_agree_on_every_demo_invoice(demo_engine: Engine) -> None:
    pat = who(demo_engine, "pat")
    with reading(demo_engine) as session:
        home = home_for(session, pat, today=DEMO_TODAY)
        loaded = {row.invoice_id: load_invoice(session, pat, row.invoice_id)
                  for row in home.invoices}
    assert len(home.invoices) == 5  # 3 electrical + 2 concrete
    for row in home.invoices:
        assert row.current_payment_due == loaded[row.invoice_id].summary.current_payment_due, (
            f"{row.commitment_number} #{row.position}")


# --- optimistic locking ----------------------------------------------------------------------


def test_second_save_of_the_same_row_raises_stale_data(demo_engine: Engine) -> None:
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    with Session(demo_engine, expire_on_commit=False) as second:
        theirs = second.get(Invoice, ident)
        assert theirs is not None
        # End the read: one short unit of work per action, as data/db.py asks.
        second.commit()
        with writing(demo_engine) as first:
            mine = first.get(Invoice, ident)
            assert mine is not None and mine.version == theirs.version
            mine.invoice_number = "FIRST-001"
            theirs.invoice_number = "SECOND-002"
            first.add(mine)
        second.add(theirs)
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()
    assert get_invoice(demo_engine, ident).invoice_number == "FIRST-001"


def test_change_status_with_a_stale_version_is_a_conflict(demo_engine: Engine) -> None:
    erin = who(demo_engine, "erin")
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    before = get_invoice(demo_engine, ident)
    mark = audit_high_water(demo_engine)
    with pytest.raises(Conflict), writing(demo_engine) as session:
        change_status(session, erin, ident, InvoiceStatus.UNDER_REVIEW,
                      version=before.version - 1)
    after = get_invoice(demo_engine, ident)
    assert (after.status, after.version) == (before.status, before.version)
    assert audit_after(demo_engine, mark) == []

    # With the version the person saw, the same move goes through and bumps the version.
    with writing(demo_engine) as session:
        change_status(session, erin, ident, InvoiceStatus.UNDER_REVIEW, version=before.version)
    moved = get_invoice(demo_engine, ident)
    assert moved.status == InvoiceStatus.UNDER_REVIEW.value
    assert moved.version == before.version + 1


# --- money CHECK constraints -----------------------------------------------------------------


@pytest.mark.parametrize("cents", [0, -1])
def test_database_refuses_a_payment_that_is_not_positive(demo_engine: Engine, cents: int) -> None:
    ident = invoice_id(demo_engine, ELECTRICAL, 1)
    pat = who(demo_engine, "pat")
    before = count(demo_engine, Payment)
    with pytest.raises(IntegrityError), writing(demo_engine) as session:
        session.add(Payment(invoice_id=ident, amount_cents=cents, paid_on=DEMO_TODAY,
                            recorded_by_id=pat.user_id))
        session.flush()
    assert count(demo_engine, Payment) == before
    # The same row with one cent goes in: it is the amount that was refused.
    with writing(demo_engine) as session:
        session.add(Payment(invoice_id=ident, amount_cents=1, paid_on=DEMO_TODAY,
                            recorded_by_id=pat.user_id))
    assert count(demo_engine, Payment) == before + 1


def test_database_refuses_negative_new_stored_materials(demo_engine: Engine) -> None:
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    sov = sov_ids(demo_engine, ELECTRICAL)["13"]
    with pytest.raises(IntegrityError), writing(demo_engine) as session:
        line = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == ident,
                                                      InvoiceLine.sov_line_id == sov)).one()
        line.new_stored_cents = -1
        session.add(line)
        session.flush()
    assert get_line(demo_engine, ident, sov).new_stored_cents == 26490_00


def test_only_one_open_billing_period_per_project(demo_engine: Engine) -> None:
    current = open_period(demo_engine)
    later = current.ends_on + timedelta(days=1)
    with reading(demo_engine) as session:
        project = session.exec(select(Project)
                               .where(Project.number == DEMO_PROJECT_NUMBER)).one()
        assert project.id is not None
        project_id = project.id

    def period(status: PeriodStatus) -> BillingPeriod:
        return BillingPeriod(project_id=project_id, starts_on=later,
                             ends_on=later + timedelta(days=29),
                             due_on=later + timedelta(days=25), status=status.value)

    with pytest.raises(IntegrityError), writing(demo_engine) as session:
        session.add(period(PeriodStatus.OPEN))
        session.flush()
    assert count(demo_engine, BillingPeriod) == 3
    # Closed periods are not limited.
    with writing(demo_engine) as session:
        session.add(period(PeriodStatus.CLOSED))
    assert count(demo_engine, BillingPeriod) == 4


# --- who may do what -------------------------------------------------------------------------


def test_support_cannot_change_an_invoice_status(demo_engine: Engine) -> None:
    sam = who(demo_engine, "sam")
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    before = get_invoice(demo_engine, ident)
    mark = audit_high_water(demo_engine)
    for target in (InvoiceStatus.UNDER_REVIEW, InvoiceStatus.APPROVED):
        with pytest.raises(NotAllowed), writing(demo_engine) as session:
            change_status(session, sam, ident, target)
    with pytest.raises(NotAllowed), writing(demo_engine) as session:
        save_lines(session, sam, ident, {sov_ids(demo_engine, ELECTRICAL)["1"]:
                                         LineEntry(work=D("1.00"))})
    after = get_invoice(demo_engine, ident)
    assert (after.status, after.version) == (before.status, before.version)
    assert audit_after(demo_engine, mark) == []
    # Support still reads it.
    with reading(demo_engine) as session:
        assert load_invoice(session, sam, ident).editable is False


def test_contact_sends_but_cannot_approve(demo_engine: Engine) -> None:
    erin = who(demo_engine, "erin")
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    mark = audit_high_water(demo_engine)
    with writing(demo_engine) as session:
        change_status(session, erin, ident, InvoiceStatus.UNDER_REVIEW)
    assert audit_after(demo_engine, mark) == [("erin", "send", "invoice", ident)]
    version = get_invoice(demo_engine, ident).version

    mark = audit_high_water(demo_engine)
    for target in (InvoiceStatus.APPROVED, InvoiceStatus.APPROVED_AS_NOTED):
        with pytest.raises(NotAllowed), writing(demo_engine) as session:
            change_status(session, erin, ident, target)
    after = get_invoice(demo_engine, ident)
    assert (after.status, after.version) == (InvoiceStatus.UNDER_REVIEW.value, version)
    assert audit_after(demo_engine, mark) == []


def test_contact_cannot_see_another_commitments_invoice(demo_engine: Engine) -> None:
    dan = who(demo_engine, "dan")
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    with reading(demo_engine) as session, pytest.raises(NotAllowed):
        load_invoice(session, dan, ident)
    with reading(demo_engine) as session:
        home = home_for(session, dan, today=DEMO_TODAY)
    assert {r.commitment_number for r in home.invoices} == {CONCRETE}


def test_yes_to_an_invite_creates_a_draft_with_every_sov_line(demo_engine: Engine) -> None:
    dan = who(demo_engine, "dan")
    invite = dans_invite(demo_engine)
    mark = audit_high_water(demo_engine)
    with writing(demo_engine) as session:
        created = respond(session, dan, invite, bill=True, today=DEMO_TODAY)
        assert created is not None and created.id is not None
        ident = created.id
    invoice = get_invoice(demo_engine, ident)
    assert invoice.position == 3
    assert invoice.status == InvoiceStatus.DRAFT.value
    assert invoice.period_id == open_period(demo_engine).id
    with reading(demo_engine) as session:
        lines = session.exec(select(InvoiceLine.sov_line_id)
                             .where(InvoiceLine.invoice_id == ident)).all()
        response = session.get(Invite, invite)
        assert response is not None and response.response == InviteResponse.YES.value
    assert sorted(lines) == sorted(sov_ids(demo_engine, CONCRETE).values())
    assert len(lines) == 10
    assert audit_after(demo_engine, mark) == [
        ("dan", "answer invite", "invite", invite),
        ("dan", "create invoice", "invoice", ident),
    ]


def test_answering_an_invite_after_the_due_date_is_refused(demo_engine: Engine) -> None:
    dan = who(demo_engine, "dan")
    invite = dans_invite(demo_engine)
    late = open_period(demo_engine).due_on + timedelta(days=1)
    invoices_before = count(demo_engine, Invoice)
    mark = audit_high_water(demo_engine)
    for bill in (True, False):
        with pytest.raises(NotAllowed, match="due date"), writing(demo_engine) as session:
            respond(session, dan, invite, bill=bill, today=late)
    assert count(demo_engine, Invoice) == invoices_before
    assert audit_after(demo_engine, mark) == []
    with reading(demo_engine) as session:
        found = session.get(Invite, invite)
        assert found is not None and found.response == InviteResponse.PENDING.value


def test_no_then_yes_before_the_due_date(demo_engine: Engine) -> None:
    dan = who(demo_engine, "dan")
    invite = dans_invite(demo_engine)
    due = open_period(demo_engine).due_on
    invoices_before = count(demo_engine, Invoice)
    mark = audit_high_water(demo_engine)
    with writing(demo_engine) as session:
        assert respond(session, dan, invite, bill=False, today=DEMO_TODAY) is None
    with reading(demo_engine) as session:
        found = session.get(Invite, invite)
        assert found is not None and found.response == InviteResponse.NO.value
    assert count(demo_engine, Invoice) == invoices_before
    with writing(demo_engine) as session:
        created = respond(session, dan, invite, bill=True, today=due)  # the due day itself
        assert created is not None and created.id is not None
        ident = created.id
    with reading(demo_engine) as session:
        found = session.get(Invite, invite)
        assert found is not None and found.response == InviteResponse.YES.value
    assert count(demo_engine, Invoice) == invoices_before + 1
    assert audit_after(demo_engine, mark) == [
        ("dan", "answer invite", "invite", invite),
        ("dan", "answer invite", "invite", invite),
        ("dan", "create invoice", "invoice", ident),
    ]


def test_after_the_due_date_only_an_administrator_creates_the_invoice(
        demo_engine: Engine) -> None:
    dan, pat = who(demo_engine, "dan"), who(demo_engine, "pat")
    period = open_period(demo_engine)
    assert period.id is not None
    late = period.due_on + timedelta(days=1)
    with reading(demo_engine) as session:
        concrete = commitment_id(session, CONCRETE)
    invoices_before = count(demo_engine, Invoice)
    mark = audit_high_water(demo_engine)
    with pytest.raises(NotAllowed, match="administrator"), writing(demo_engine) as session:
        create_invoice(session, dan, concrete, period.id, today=late)
    assert count(demo_engine, Invoice) == invoices_before
    assert audit_after(demo_engine, mark) == []

    with writing(demo_engine) as session:
        created = create_invoice(session, pat, concrete, period.id, today=late)
        assert created.id is not None
        ident = created.id
    invoice = get_invoice(demo_engine, ident)
    assert (invoice.position, invoice.status) == (3, InvoiceStatus.DRAFT.value)
    assert invoice.created_by_id == pat.user_id
    assert audit_after(demo_engine, mark) == [("pat", "create invoice", "invoice", ident)]


def test_contact_sends_and_then_can_no_longer_edit(demo_engine: Engine) -> None:
    dan, pat = who(demo_engine, "dan"), who(demo_engine, "pat")
    with writing(demo_engine) as session:
        created = respond(session, dan, dans_invite(demo_engine), bill=True, today=DEMO_TODAY)
        assert created is not None and created.id is not None
        ident = created.id
    excavation = sov_ids(demo_engine, CONCRETE)["1"]

    mark = audit_high_water(demo_engine)
    with writing(demo_engine) as session:
        save_lines(session, dan, ident, {excavation: LineEntry(new_quantity=D("210"))})
    line = get_line(demo_engine, ident, excavation)
    assert line.new_quantity_e4 == 210 * 10_000
    assert line.work_cents == 210 * 18_50  # 210 CY at $18.50
    with writing(demo_engine) as session:
        change_status(session, dan, ident, InvoiceStatus.UNDER_REVIEW)
    assert get_invoice(demo_engine, ident).status == InvoiceStatus.UNDER_REVIEW.value
    assert audit_after(demo_engine, mark) == [
        ("dan", "edit line", "invoice_line", line.id),
        ("dan", "send", "invoice", ident),
    ]

    mark = audit_high_water(demo_engine)
    with pytest.raises(NotAllowed), writing(demo_engine) as session:
        save_lines(session, dan, ident, {excavation: LineEntry(new_quantity=D("420"))})
    assert get_line(demo_engine, ident, excavation).new_quantity_e4 == 210 * 10_000
    assert audit_after(demo_engine, mark) == []

    # The administrator may still correct it.
    with writing(demo_engine) as session:
        save_lines(session, pat, ident, {excavation: LineEntry(work=D("3000.00"))})
    assert get_line(demo_engine, ident, excavation).work_cents == 3000_00
    assert audit_after(demo_engine, mark) == [("pat", "edit line", "invoice_line", line.id)]


# --- overbilling -----------------------------------------------------------------------------


def set_overbilling(engine: Engine, allowed: bool) -> None:
    with writing(engine) as session:
        project = session.exec(select(Project)
                               .where(Project.number == DEMO_PROJECT_NUMBER)).one()
        project.overbilling_allowed = allowed
        session.add(project)


def overbill_line_26_1(engine: Engine, erin: Actor, ident: int) -> None:
    # CCO 001's line 26.1 is scheduled at $4,175.50 and has nothing billed before.
    with writing(engine) as session:
        save_lines(session, erin, ident,
                   {sov_ids(engine, ELECTRICAL)["26.1"]: LineEntry(work=D("4175.51"))})


def test_forbidden_overbilling_refuses_the_save_naming_the_line(demo_engine: Engine) -> None:
    erin = who(demo_engine, "erin")
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    set_overbilling(demo_engine, False)
    mark = audit_high_water(demo_engine)
    with pytest.raises(Invalid) as refused:
        overbill_line_26_1(demo_engine, erin, ident)
    assert str(refused.value).endswith(": 26.1")
    assert "overbilling" in str(refused.value)
    assert audit_after(demo_engine, mark) == []
    with reading(demo_engine) as session:
        view = load_invoice(session, erin, ident)
    assert not [line for line in view.lines if line.result.overbilled]


def test_forbidden_overbilling_refuses_the_send_naming_the_line(demo_engine: Engine) -> None:
    erin = who(demo_engine, "erin")
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    set_overbilling(demo_engine, True)
    overbill_line_26_1(demo_engine, erin, ident)  # saved while the project allowed it
    set_overbilling(demo_engine, False)
    with reading(demo_engine) as session:
        view = load_invoice(session, erin, ident)
    over = [line.result.line.item_no for line in view.lines if line.result.overbilled]
    assert over == ["26.1"]

    mark = audit_high_water(demo_engine)
    with pytest.raises(Invalid) as refused, writing(demo_engine) as session:
        change_status(session, erin, ident, InvoiceStatus.UNDER_REVIEW)
    assert str(refused.value).endswith(": 26.1")
    assert "overbilling" in str(refused.value)
    assert get_invoice(demo_engine, ident).status == InvoiceStatus.REVISE_AND_RESUBMIT.value
    assert audit_after(demo_engine, mark) == []

    # Bringing the line back to its scheduled value lets it go.
    with writing(demo_engine) as session:
        save_lines(session, erin, ident,
                   {sov_ids(demo_engine, ELECTRICAL)["26.1"]: LineEntry(work=D("4175.50"))})
    with writing(demo_engine) as session:
        change_status(session, erin, ident, InvoiceStatus.UNDER_REVIEW)
    assert get_invoice(demo_engine, ident).status == InvoiceStatus.UNDER_REVIEW.value


def test_allowed_overbilling_sends(demo_engine: Engine) -> None:
    erin = who(demo_engine, "erin")
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    set_overbilling(demo_engine, True)
    overbill_line_26_1(demo_engine, erin, ident)
    with writing(demo_engine) as session:
        change_status(session, erin, ident, InvoiceStatus.UNDER_REVIEW)
    assert get_invoice(demo_engine, ident).status == InvoiceStatus.UNDER_REVIEW.value


# --- retainage release -----------------------------------------------------------------------


def test_release_above_what_is_held_is_refused_and_nothing_is_committed(
        demo_engine: Engine) -> None:
    erin = who(demo_engine, "erin")
    ident = invoice_id(demo_engine, ELECTRICAL, 3)
    sov = sov_ids(demo_engine, ELECTRICAL)
    # Line 1 holds 10 % of $19,250.00 + $7,700.00 + $3,850.00 (this period) = $3,080.00.
    line_1_before = get_line(demo_engine, ident, sov["1"])
    line_2_before = get_line(demo_engine, ident, sov["2"])
    version_before = get_invoice(demo_engine, ident).version
    mark = audit_high_water(demo_engine)
    with pytest.raises(Invalid) as refused, writing(demo_engine) as session:
        save_lines(session, erin, ident, {
            sov["2"]: LineEntry(work=D("1000.00")),  # a valid change in the same save
            sov["1"]: LineEntry(release=D("3080.01")),
        })
    message = str(refused.value)
    assert "$3,080.00" in message
    assert message.startswith("line 1:")
    line_1 = get_line(demo_engine, ident, sov["1"])
    line_2 = get_line(demo_engine, ident, sov["2"])
    assert line_1.release_requested_cents == line_1_before.release_requested_cents == 0
    assert line_1.version == line_1_before.version
    assert line_2.work_cents == line_2_before.work_cents == 0
    assert line_2.retained_work_cents == line_2_before.retained_work_cents
    assert get_invoice(demo_engine, ident).version == version_before
    assert audit_after(demo_engine, mark) == []

    # Exactly what is held can be released.
    with writing(demo_engine) as session:
        save_lines(session, erin, ident, {sov["1"]: LineEntry(release=D("3080.00"))})
    released = get_line(demo_engine, ident, sov["1"])
    assert released.release_requested_cents == 3080_00
    assert released.released_work_cents == 3080_00
    assert released.retained_work_cents == 385_00


def test_dates_of_the_demo_period_are_what_the_tests_assume(demo_engine: Engine) -> None:
    period = open_period(demo_engine)
    assert period.starts_on == date(2026, 11, 1)
    assert period.due_on == date(2026, 11, 25)
    assert period.due_on > DEMO_TODAY
