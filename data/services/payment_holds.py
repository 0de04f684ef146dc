"""Holds on an invoice's payment, and their release by an invoice administrator.

An invoice is held from payment while any of these reasons is present and not released:

- a line of its schedule of values is overbilled (G past C: data.billing.LineResult.overbilled),
  one reason per line;
- its current payment due (G702 line 8) is negative.

Once lien waivers exist (domain.md §5), two more reasons hold payment and belong in
`present_reasons`: an earlier invoice's unconditional waiver outstanding, and a sub-tier's
waiver outstanding. They are not checked yet, because there are no waivers to check.

A release names its reason (kept, and audited with who and when) and releases the reasons
present when it was given, by their keys: a reason that appears later (another line overbilled,
the invoice edited until its payment due is negative) holds the invoice again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from data import audit_chain
from data.models import Invoice, InvoiceStatus, PaymentHoldRelease
from data.money import format_money
from data.services.access import require_visible
from data.services.actors import Actor
from data.services.errors import Invalid, NotAllowed
from data.services.invoice_figures import Computed, compute
from data.services.invoice_lookup import invoice_and_commitment
from data.wording import STATUS_LABELS
from data.workflow import APPROVED_FOR_PAYMENT, Standing

REASON_MAX_CHARS = 2000
NEGATIVE_PAYMENT_DUE = "negative payment due"


@dataclass(frozen=True)
class HoldReason:
    """One reason an invoice is held: `key` names it for releases, `words` say it."""

    key: str
    words: str


class HeldFromPayment(Invalid):
    """A payment refused because the invoice is held; `reasons` are the holds' words."""

    def __init__(self, position: int, reasons: list[str]) -> None:
        self.position = position
        self.reasons = reasons
        super().__init__(f"invoice #{position} is held from payment: {'; '.join(reasons)}. "
                         "An invoice administrator may release the hold, saying why.")


def present_reasons(computed: Computed) -> list[HoldReason]:
    """The reasons the figures give to hold the invoice, released or not, in the invoice's
    line order, the payment due last."""
    reasons = []
    for (sov, _order, _line, _units), result in zip(computed.rows, computed.result.lines,
                                                   strict=True):
        if result.overbilled:
            reasons.append(HoldReason(
                f"overbilled line {sov.id}",
                f"line {result.line.item_no} is overbilled: "
                f"{format_money(result.completed_to_date)} to date against "
                f"{format_money(result.scheduled_value)} scheduled"))
    due = computed.result.summary.current_payment_due
    if due < 0:
        reasons.append(HoldReason(
            NEGATIVE_PAYMENT_DUE,
            f"the payment due (G702 line 8) is negative: {format_money(due)}"))
    return reasons


def released_keys(session: Session, invoice_id: int) -> set[str]:
    """The keys of every reason some release of this invoice covered."""
    covers = session.exec(select(PaymentHoldRelease.covers)
                          .where(PaymentHoldRelease.invoice_id == invoice_id)).all()
    return {key for listed in covers for key in json.loads(listed)}


def open_reasons(session: Session, invoice: Invoice, computed: Computed) -> list[HoldReason]:
    """The reasons holding the invoice now: present, and not released. Releases are read only
    when some reason is present (nearly never), so paying an invoice that is not held reads
    nothing more than before this table existed."""
    assert invoice.id is not None
    present = present_reasons(computed)
    if not present:
        return []
    released = released_keys(session, invoice.id)
    return [reason for reason in present if reason.key not in released]


def refuse_if_held(session: Session, invoice: Invoice, computed: Computed) -> None:
    """Raise HeldFromPayment, naming the reasons, when the invoice is held."""
    held = open_reasons(session, invoice, computed)
    if held:
        raise HeldFromPayment(invoice.position, _words(held))


def holds_of(session: Session, actor: Actor, invoice_id: int) -> list[str]:
    """In plain words, why the invoice is held from payment now; empty when it is not."""
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    if require_visible(session, actor, commitment) not in (Standing.ADMINISTRATOR,
                                                           Standing.SUPPORT):
        raise NotAllowed("only the project's invoice administrators and support see the holds "
                         "on an invoice's payment")
    return _words(open_reasons(session, invoice, compute(session, invoice)))


def release_hold(session: Session, actor: Actor, invoice_id: int,
                 reason: str) -> PaymentHoldRelease:
    """Release what holds an approved invoice from payment now, saying why."""
    invoice, commitment = invoice_and_commitment(session, invoice_id)
    if require_visible(session, actor, commitment) is not Standing.ADMINISTRATOR:
        raise NotAllowed("only an invoice administrator of the project releases a hold on "
                         "payment")
    status = InvoiceStatus(invoice.status)
    if status not in APPROVED_FOR_PAYMENT:
        raise Invalid(f"invoice #{invoice.position} is {STATUS_LABELS[status]}: a hold on "
                      "payment is released only on an approved invoice")
    said = reason.strip()
    if not said:
        raise Invalid("say why the hold is released: the reason is kept with the invoice")
    if len(said) > REASON_MAX_CHARS:
        raise Invalid(f"the reason is {len(said)} characters long; at most "
                      f"{REASON_MAX_CHARS}")
    held = open_reasons(session, invoice, compute(session, invoice))
    if not held:
        raise Invalid(f"invoice #{invoice.position} is not held from payment")
    release = PaymentHoldRelease(invoice_id=invoice_id, reason=said,
                                 covers=json.dumps(sorted(r.key for r in held)),
                                 held_for="; ".join(_words(held)),
                                 released_by_id=actor.user_id)
    session.add(release)
    session.flush()
    audit_chain.record(session, actor.login, "release payment hold", "invoice", invoice_id,
                       after={"reason": said, "held for": release.held_for})
    return release


def _words(reasons: Iterable[HoldReason]) -> list[str]:
    return [reason.words for reason in reasons]
