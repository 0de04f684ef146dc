"""Changing invoices: create one, save what a person typed on its lines and its general
information, and move it through the workflow. Each use case checks who may, writes the audit
trail and refuses overbilling where the project forbids it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from data import audit_chain, billing, notify
from data.billing import UnitLine
from data.models import (
    BillingPeriod,
    Commitment,
    InviteType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineReview,
    PeriodStatus,
    Project,
    SovLine,
    utc_now,
)
from data.money import (
    QUANTITY_SCALE,
    MoneyError,
    format_money,
    from_cents,
    from_scaled,
    to_cents,
    to_scaled,
)
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Conflict, Invalid, NotAllowed, NotFound, saving
from data.services.invoice_figures import (
    COUNTS_AS_APPROVED,
    Previous,
    billable_sov_lines,
    compute,
    previous_by_line,
    store_retainage,
)
from data.services.invoice_lookup import invoice_and_commitment, is_latest
from data.services.invoice_notices import RowChange, record_admin_changes
from data.services.payments import paid_cents
from data.terminal_text import holds_controls
from data.wording import STATUS_LABELS, refusal_sentence
from data.workflow import APPROVED_FOR_PAYMENT, Standing, check_edit, check_move


class StaleInvoice(Conflict):
    """Someone else saved the invoice since this person opened it."""

    def __init__(self, current_version: int) -> None:
        super().__init__("someone else saved this invoice since you opened it; nothing of "
                         "yours was written")
        self.current_version = current_version


def refuse_while_an_earlier_invoice_is_open(session: Session, commitment_id: int) -> None:
    """A new invoice starts only when every earlier one of its commitment is approved
    (domain.md §3): refused, naming the first that is not, while one is Draft, Under Review or
    Revise & Resubmit."""
    approved = [status.value for status in COUNTS_AS_APPROVED]
    open_invoice = session.exec(
        select(Invoice).where(Invoice.commitment_id == commitment_id,
                              col(Invoice.status).not_in(approved))
        .order_by(col(Invoice.position))).first()
    if open_invoice is None:
        return
    own_number = f" ({open_invoice.invoice_number})" if open_invoice.invoice_number else ""
    raise Invalid(
        f"invoice #{open_invoice.position}{own_number} of this commitment is "
        f"{STATUS_LABELS[InvoiceStatus(open_invoice.status)]}; a new invoice starts only when "
        "every earlier one is approved"
    )


def create_invoice(session: Session, actor: Actor, commitment_id: int, period_id: int, *,
                   today: date, invoice_type: InviteType = InviteType.WORK_AND_MATERIALS
                   ) -> Invoice:
    """A new Draft invoice for a commitment and an open billing period.

    A contact may create one only before the period's due date; an administrator at any time;
    either only when every earlier invoice of the commitment is approved.
    """
    commitment = session.get(Commitment, commitment_id)
    period = session.get(BillingPeriod, period_id)
    if commitment is None or period is None:
        raise NotFound("no such commitment or billing period")
    who = require_visible(session, actor, commitment)
    if who not in (Standing.CONTACT, Standing.ADMINISTRATOR):
        raise NotAllowed("only an invoice contact or an invoice administrator creates invoices")
    if period.project_id != commitment.project_id:
        raise Invalid("the billing period belongs to another project")
    if period.status != PeriodStatus.OPEN.value:
        raise Invalid("the billing period is closed")
    if who is Standing.CONTACT and today > period.due_on:
        raise NotAllowed(
            f"the due date ({period.due_on:%b %d, %Y}) has passed; only an invoice administrator "
            "can create this invoice now"
        )
    existing = session.exec(select(Invoice).where(Invoice.commitment_id == commitment_id,
                                                  Invoice.period_id == period_id)).first()
    if existing is not None:
        raise Invalid(f"invoice #{existing.position} already exists for this billing period")
    refuse_while_an_earlier_invoice_is_open(session, commitment_id)
    # The application numbers go on from the last one filed before payapp, if any.
    position = (session.exec(select(func.max(Invoice.position))
                             .where(Invoice.commitment_id == commitment_id)).one()
                or commitment.previous_applications) + 1
    invoice = Invoice(
        commitment_id=commitment_id, period_id=period_id, position=position,
        invoice_type=invoice_type.value, billing_date=today, period_start=period.starts_on,
        period_end=period.ends_on, created_by_id=actor.user_id, updated_by_id=actor.user_id,
    )
    session.add(invoice)
    session.flush()
    assert invoice.id is not None
    for sov, _order in billable_sov_lines(session, commitment_id, period.ends_on):
        assert sov.id is not None
        session.add(InvoiceLine(
            invoice_id=invoice.id, sov_line_id=sov.id,
            work_retainage_e4=commitment.work_retainage_e4,
            stored_retainage_e4=commitment.stored_retainage_e4,
            new_quantity_e4=0 if sov.quantity_e4 is not None else None,
        ))
    session.flush()
    audit_chain.record(session, actor.login, "create invoice", "invoice", invoice.id,
                       after={"commitment": commitment.number, "position": position,
                              "period": f"{period.starts_on}..{period.ends_on}"})
    return invoice


def change_status(session: Session, actor: Actor, invoice_id: int, target: InvoiceStatus, *,
                  version: int | None = None, comment: str = "") -> Invoice:
    """Move an invoice to `target` if the workflow lets this person do it.

    `version` is the version the person was looking at: when someone else saved the invoice
    since, the move is refused rather than applied to an invoice they have not seen.
    """
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    if version is not None and invoice.version != version:
        raise Conflict("someone else changed this invoice since you opened it; reopen it first")
    who = require_visible(session, actor, commitment)
    source = InvoiceStatus(invoice.status)
    move = check_move(source, target, who)
    if who is Standing.CONTACT and not is_latest(session, invoice):
        raise NotAllowed("only the commitment's most recent invoice can be sent")
    before: dict[str, object] = {"status": source.value}
    after: dict[str, object] = {"status": target.value, **({"comment": comment} if comment else {})}
    if target is InvoiceStatus.UNDER_REVIEW:
        computed = compute(session, invoice).result
        _refuse_forbidden_overbilling(session, invoice, commitment, computed)
        marks = _reset_review_marks(session, invoice_id)
        if marks:
            before["review_marks"] = marks
            after["review_marks"] = LineReview.PENDING.value
        notify.invoice_sent_for_review(session, invoice, sent_by=actor.display_name)
    if target is InvoiceStatus.REVISE_AND_RESUBMIT:
        notify.invoice_sent_back(session, invoice, sent_by=actor.display_name)
    if target in _DECISIONS:
        stored, recomputed = _store_retainage_again(session, invoice)
        if recomputed:
            before["retainage"], after["retainage"] = stored, recomputed
    invoice.status = target.value
    invoice.updated_by_id = actor.user_id
    now = utc_now()
    if target is InvoiceStatus.UNDER_REVIEW:
        invoice.submitted_at = now
    if target in APPROVED_FOR_PAYMENT:
        invoice.decided_at = now
    session.add(invoice)
    with saving("the invoice"):
        session.flush()
    audit_chain.record(session, actor.login, move.verb, "invoice", invoice_id,
                       before=before, after=after)
    return invoice


# The decisions after which an invoice counts as approved: its figures are final, and later
# invoices' "previous" columns read the retainage stored on its lines.
_DECISIONS = APPROVED_FOR_PAYMENT | {InvoiceStatus.PENDING_OWNER_APPROVAL}
_RETAINAGE_FIELDS = {"retained_work_cents", "retained_stored_cents", "released_work_cents",
                     "released_stored_cents"}


def _reset_review_marks(session: Session, invoice_id: int) -> dict[str, dict[str, str]]:
    """A send starts a new review: the marks of an earlier one (approved or rejected lines and
    their comments, from before a Revise & Resubmit) go back to pending. Returns the marks that
    were there, by invoice line id, for the send's audit entry. Written before the status
    changes: on PostgreSQL the line guard lets a contact put marks back to pending only while
    the invoice is still theirs to edit (migration 0005 does the same for a send from psql)."""
    marked = session.exec(select(InvoiceLine).where(
        InvoiceLine.invoice_id == invoice_id,
        or_(col(InvoiceLine.review) != LineReview.PENDING.value,
            col(InvoiceLine.review_comment) != ""))
        .order_by(col(InvoiceLine.id))).all()
    old = {str(line.id): {"review": line.review, "review_comment": line.review_comment}
           for line in marked}
    for line in marked:
        line.review, line.review_comment = LineReview.PENDING.value, ""
        session.add(line)
    if marked:
        with saving("the invoice"):
            session.flush()
    return old


def _store_retainage_again(session: Session, invoice: Invoice
                           ) -> tuple[dict[str, object], dict[str, object]]:
    """Compute the retainage stored on the lines again from the billing rules as the invoice is
    decided: the figures a save stored could have been rewritten (from psql, while the invoice
    was the contact's), and later invoices build on these. Returns what changed, before and
    after, by invoice line id."""
    lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
                         .order_by(col(InvoiceLine.id))).all()
    stored = {line.id: line.model_dump(include=_RETAINAGE_FIELDS) for line in lines}
    store_retainage(session, invoice)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for line in lines:
        now = line.model_dump(include=_RETAINAGE_FIELDS)
        if now != stored[line.id]:
            before[str(line.id)], after[str(line.id)] = stored[line.id], now
    return before, after


def _refuse_once_paid(session: Session, invoice: Invoice) -> None:
    """A payment was made against the invoice's figures: they no longer change (on PostgreSQL
    the database refuses too, migration 0020)."""
    assert invoice.id is not None
    paid = paid_cents(session, invoice.id)
    if paid:
        raise NotAllowed(f"{format_money(from_cents(paid))} was paid against invoice "
                         f"#{invoice.position}: its figures can no longer change")


def _refuse_forbidden_overbilling(session: Session, invoice: Invoice, commitment: Commitment,
                                  computed: billing.Invoice | None = None) -> None:
    project = session.get(Project, commitment.project_id)
    assert project is not None
    if project.overbilling_allowed:
        return
    computed = computed or compute(session, invoice).result
    over = computed.problem_lines(billing.Problem.OVERBILLED)
    if over:
        items = ", ".join(r.line.item_no for r in over)
        raise Invalid(f"this project does not allow overbilling; lines billed past their "
                      f"scheduled value: {items}")


@dataclass(frozen=True)
class LineEntry:
    """What a person typed on one line; None leaves that figure as it is.

    Unit-based lines take `new_quantity`; a `work` given with it is a value typed by hand and
    becomes an override when it differs from quantity × price."""

    work: Decimal | None = None  # column E in dollars
    new_quantity: Decimal | None = None  # unit-based lines
    new_stored: Decimal | None = None
    stored_installed: Decimal | None = None
    release: Decimal | None = None


@dataclass(frozen=True)
class GeneralInfo:
    """The invoice's general information a contact may change; None leaves a field as it is."""

    invoice_number: str | None = None
    billing_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None


_LINE_FIELDS = {"work_cents", "new_quantity_e4", "new_stored_cents", "stored_installed_cents",
                "release_requested_cents", "value_override"}
_MONEY_ENTRIES = (("new_stored", "new_stored_cents"),
                  ("stored_installed", "stored_installed_cents"),
                  ("release", "release_requested_cents"))


def _apply_entry(line: InvoiceLine, sov: SovLine, entry: LineEntry,
                 previous: Previous) -> None:
    unit_line = None
    if sov.quantity_e4 is not None and sov.unit_price_e4 is not None:
        unit_line = UnitLine(from_scaled(sov.quantity_e4, QUANTITY_SCALE),
                             from_scaled(sov.unit_price_e4, QUANTITY_SCALE),
                             from_scaled(previous.quantity, QUANTITY_SCALE),
                             previous_value=from_cents(previous.work))
    if entry.new_quantity is not None:
        if unit_line is None:
            raise Invalid(f"line {sov.item_no} is not billed by quantity")
        progress = unit_line.from_new_quantity(entry.new_quantity)
        line.new_quantity_e4 = to_scaled(progress.new_quantity, QUANTITY_SCALE)
        line.value_override = False
        if entry.work is None:  # a value typed with the quantity is billed as typed, below
            try:
                line.work_cents = to_cents(progress.new_value)
            except MoneyError as error:
                raise Invalid(f"line {sov.item_no}: {error}") from error
    if entry.work is not None:
        line.work_cents = to_cents(entry.work)
        if unit_line is not None:
            quantity = from_scaled(line.new_quantity_e4 or 0, QUANTITY_SCALE)
            line.value_override = unit_line.value_of(quantity) != entry.work
    for name, column in _MONEY_ENTRIES:
        value = getattr(entry, name)
        if value is not None:
            if value < 0:
                raise Invalid(f"line {sov.item_no}: {name.replace('_', ' ')} cannot be negative")
            setattr(line, column, to_cents(value))


def _apply_general(invoice: Invoice, general: GeneralInfo) -> dict[str, object]:
    before = invoice.model_dump(include={"invoice_number", "billing_date", "period_start",
                                         "period_end"})
    if general.invoice_number is not None:
        if len(general.invoice_number) > 50:
            raise Invalid("the invoice number is longer than 50 characters")
        if holds_controls(general.invoice_number):
            raise Invalid("the invoice number holds a control character (an escape sequence, "
                          "a tab or a direction override); type letters, digits and signs only")
        invoice.invoice_number = general.invoice_number.strip()
    for name in ("billing_date", "period_start", "period_end"):
        value = getattr(general, name)
        if value is not None:
            setattr(invoice, name, value)
    if invoice.period_start > invoice.period_end:
        raise Invalid(f"the period starts ({invoice.period_start:%b %d, %Y}) after it ends "
                      f"({invoice.period_end:%b %d, %Y})")
    return before


# What a save may never leave on a line it changed (data.editing refuses the same as it is typed).
_IMPOSSIBLE = (billing.Problem.INSTALLED_EXCEEDS_STORED, billing.Problem.NEGATIVE_STORED,
               billing.Problem.NEGATIVE_COMPLETED, billing.Problem.CREDIT_ABOVE_ZERO)


def _refuse_impossible_lines(result: billing.Invoice, items: set[str]) -> None:
    """Refuse a save that drives a line it changed past zero: completed to date below zero on
    an ordinary line (above it on a deductive one), or stored materials below zero."""
    for line in result.lines:
        if line.line.item_no in items:
            for problem in _IMPOSSIBLE:
                if problem in line.problems:
                    raise Invalid(refusal_sentence(line, problem))


def save_lines(session: Session, actor: Actor, invoice_id: int,
               entries: dict[int, LineEntry], *, version: int | None = None,
               general: GeneralInfo | None = None) -> billing.Invoice:
    """Save what a person typed: lines keyed by SOV line id, and general information.

    `version` is the invoice version the person started from: when someone else saved the
    invoice since, nothing is written and StaleInvoice says so. Retainage is recomputed, every
    change is audited, and the invoice's version moves on.
    """
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    if version is not None and invoice.version != version:
        raise StaleInvoice(invoice.version)
    who = require_visible(session, actor, commitment)
    check_edit(InvoiceStatus(invoice.status), who, is_latest=is_latest(session, invoice))
    _refuse_once_paid(session, invoice)
    lines = {ln.sov_line_id: ln for ln in session.exec(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)).all()}
    previous = previous_by_line(session, invoice)
    sov_lines = {s.id: s for s in session.exec(
        select(SovLine).where(col(SovLine.id).in_(list(entries)))).all()}
    # Every change first, then the audit entries: writing an entry flushes, and one flush
    # of all changes moves the invoice's version on by exactly one.
    changes: list[tuple[str, str, int | None, dict[str, object], dict[str, object]]] = []
    with session.no_autoflush:
        for sov_line_id, entry in entries.items():
            line = lines.get(sov_line_id)
            sov = sov_lines.get(sov_line_id)
            if line is None or sov is None:
                raise Invalid(f"SOV line {sov_line_id} is not on this invoice")
            before = line.model_dump(include=_LINE_FIELDS)
            _apply_entry(line, sov, entry, previous.get(sov_line_id, Previous()))
            after = line.model_dump(include=_LINE_FIELDS)
            if after != before:
                session.add(line)
                changes.append(("edit line", "invoice_line", line.id, before, after))
        if general is not None:
            before_general = _apply_general(invoice, general)
            after_general = invoice.model_dump(include=set(before_general))
            if after_general != before_general:
                changes.append(("edit invoice", "invoice", invoice.id, before_general,
                                after_general))
        invoice.updated_at = utc_now()
        invoice.updated_by_id = actor.user_id
        session.add(invoice)
    for action, entity, entity_id, before_values, after_values in changes:
        audit_chain.record(session, actor.login, action, entity, entity_id,
                           before=before_values, after=after_values)
    if who is Standing.ADMINISTRATOR:  # the contacts read what the administrator changed
        record_admin_changes(session, actor, invoice, [
            RowChange(entity, entity_id or 0, before_values, after_values)
            for _action, entity, entity_id, before_values, after_values in changes])
    with saving("the invoice"):
        session.flush()
        result = store_retainage(session, invoice)
        session.flush()
    _refuse_impossible_lines(result, {sov.item_no for sov in sov_lines.values()})
    _refuse_forbidden_overbilling(session, invoice, commitment, result)
    too_much = result.problem_lines(billing.Problem.RELEASE_EXCEEDS_HELD)
    if too_much:
        first = too_much[0]
        raise Invalid(f"line {first.line.item_no}: the release requested is more than the "
                      f"{format_money(first.retainage_held_before_release)} held")
    return result
