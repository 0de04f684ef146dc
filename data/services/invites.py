"""Invites to bill: sent by an administrator, answered Yes or No by an invoice contact."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from data import audit_chain, notify
from data.models import (
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Invite,
    InviteResponse,
    InviteType,
    Invoice,
    PeriodStatus,
    utc_now,
)
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Invalid, NotAllowed, NotFound, Refusal
from data.services.invoice_changes import (
    create_invoice,
    refuse_while_an_earlier_invoice_is_open,
)
from data.workflow import Standing


def send_invite(session: Session, actor: Actor, commitment_id: int, period_id: int, *,
                invite_type: InviteType, today: date) -> Invite:
    commitment = session.get(Commitment, commitment_id)
    period = session.get(BillingPeriod, period_id)
    if commitment is None or period is None:
        raise NotFound("no such commitment or billing period")
    if require_visible(session, actor, commitment) is not Standing.ADMINISTRATOR:
        raise NotAllowed("only an invoice administrator of the project sends invites")
    if period.status != PeriodStatus.OPEN.value:
        raise Invalid("invites can be sent only for the open billing period")
    if today > period.due_on:
        raise Invalid(f"the period's due date ({period.due_on:%b %d, %Y}) has passed")
    has_contact = session.exec(select(CommitmentContact)
                               .where(CommitmentContact.commitment_id == commitment_id)).first()
    if has_contact is None:
        raise Invalid(f"commitment {commitment.number} has no invoice contact to invite")
    if session.exec(select(Invite).where(Invite.commitment_id == commitment_id,
                                         Invite.period_id == period_id)).first():
        raise Invalid(f"commitment {commitment.number} is already invited for this period")
    invite = Invite(commitment_id=commitment_id, period_id=period_id,
                    invite_type=invite_type.value, invited_by_id=actor.user_id)
    session.add(invite)
    session.flush()
    audit_chain.record(session, actor.login, "send invite", "invite", invite.id,
                       after={"commitment": commitment.number, "type": invite_type.value})
    notify.contacts_invited(session, invite, invited_by=actor.display_name)
    return invite


def respond(session: Session, actor: Actor, invite_id: int, *, bill: bool,
            today: date) -> Invoice | None:
    """Yes opens the invoice for the commitment and period (or the one already there), but
    not while an earlier invoice of the commitment is not yet approved: the answer is refused
    and stays as it was. No records the answer. No can become Yes until the due date; nothing
    changes after it."""
    invite = session.get(Invite, invite_id)
    if invite is None:
        raise NotFound(f"there is no invite {invite_id}")
    commitment = session.get(Commitment, invite.commitment_id)
    period = session.get(BillingPeriod, invite.period_id)
    assert commitment is not None and period is not None
    if require_visible(session, actor, commitment) is not Standing.CONTACT:
        raise NotAllowed("only an invoice contact of the commitment answers its invite")
    if today > period.due_on:
        raise NotAllowed(f"the due date ({period.due_on:%b %d, %Y}) has passed; the answer "
                         "can no longer be changed")
    existing = session.exec(select(Invoice).where(Invoice.commitment_id == invite.commitment_id,
                                                  Invoice.period_id == invite.period_id)).first()
    if not bill and existing is not None:
        raise Invalid("an invoice already exists for this invite; it cannot be declined now")
    if bill and existing is None:
        refuse_while_an_earlier_invoice_is_open(session, invite.commitment_id)
    before = invite.response
    invite.response = (InviteResponse.YES if bill else InviteResponse.NO).value
    invite.responded_at = utc_now()
    session.add(invite)
    audit_chain.record(session, actor.login, "answer invite", "invite", invite.id,
                       before={"response": before}, after={"response": invite.response})
    if not bill:
        return None
    if existing is not None:
        return existing
    return create_invoice(session, actor, invite.commitment_id, invite.period_id, today=today,
                          invoice_type=InviteType(invite.invite_type))


def invite_to_bill(session: Session, actor: Actor, commitment_ids: list[int], *,
                   invite_type: InviteType, today: date) -> list[tuple[str, str | None]]:
    """Invite each commitment for its project's open period. Each is sent or refused on its
    own (a refusal does not stop the others): (commitment number, None when sent, else why)."""
    outcome: list[tuple[str, str | None]] = []
    for commitment_id in commitment_ids:
        commitment = session.get(Commitment, commitment_id)
        if commitment is None:
            raise NotFound(f"there is no commitment {commitment_id}")
        period = session.exec(select(BillingPeriod).where(
            BillingPeriod.project_id == commitment.project_id,
            BillingPeriod.status == PeriodStatus.OPEN.value)).first()
        if period is None or period.id is None:
            outcome.append((commitment.number, "its project has no open billing period"))
            continue
        try:
            with session.begin_nested():
                send_invite(session, actor, commitment_id, period.id, invite_type=invite_type,
                            today=today)
        except Refusal as refusal:
            outcome.append((commitment.number, str(refusal)))
            continue
        outcome.append((commitment.number, None))
    return outcome
