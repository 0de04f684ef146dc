"""Invoice statuses, the moves between them, and who may make each move (domain.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from data.models import InvoiceStatus, Role
from data.refusals import NotAllowed as NotAllowed
from data.wording import STATUS_LABELS

# Statuses in which an invoice contact may still change their (most recent) invoice.
CONTACT_EDITABLE = frozenset({InvoiceStatus.DRAFT, InvoiceStatus.REVISE_AND_RESUBMIT})
# Statuses in which an invoice counts as approved for payment.
APPROVED_FOR_PAYMENT = frozenset({InvoiceStatus.APPROVED, InvoiceStatus.APPROVED_AS_NOTED})


class Standing(StrEnum):
    """How the acting person stands to one invoice's commitment."""

    CONTACT = "contact"  # an invoice contact of the commitment
    ADMINISTRATOR = "administrator"  # an invoice administrator of the project
    SUPPORT = "support"  # reads everything, changes nothing
    NONE = "none"


@dataclass(frozen=True)
class Move:
    source: InvoiceStatus
    target: InvoiceStatus
    verb: str
    by: frozenset[Standing]


_CONTACT_OR_ADMIN = frozenset({Standing.CONTACT, Standing.ADMINISTRATOR})
_ADMIN = frozenset({Standing.ADMINISTRATOR})

S = InvoiceStatus
MOVES: tuple[Move, ...] = (
    Move(S.DRAFT, S.UNDER_REVIEW, "send", _CONTACT_OR_ADMIN),
    Move(S.REVISE_AND_RESUBMIT, S.UNDER_REVIEW, "send", _CONTACT_OR_ADMIN),
    Move(S.UNDER_REVIEW, S.DRAFT, "return to draft", _ADMIN),
    Move(S.UNDER_REVIEW, S.REVISE_AND_RESUBMIT, "send back for revision", _ADMIN),
    Move(S.UNDER_REVIEW, S.PENDING_OWNER_APPROVAL, "hold for owner approval", _ADMIN),
    Move(S.UNDER_REVIEW, S.APPROVED_AS_NOTED, "approve as noted", _ADMIN),
    Move(S.UNDER_REVIEW, S.APPROVED, "approve", _ADMIN),
    Move(S.PENDING_OWNER_APPROVAL, S.REVISE_AND_RESUBMIT, "send back for revision", _ADMIN),
    Move(S.PENDING_OWNER_APPROVAL, S.APPROVED_AS_NOTED, "approve as noted", _ADMIN),
    Move(S.PENDING_OWNER_APPROVAL, S.APPROVED, "approve", _ADMIN),
    Move(S.APPROVED_AS_NOTED, S.APPROVED, "approve", _ADMIN),
    Move(S.APPROVED_AS_NOTED, S.REVISE_AND_RESUBMIT, "send back for revision", _ADMIN),
)


def find_move(source: InvoiceStatus, target: InvoiceStatus) -> Move | None:
    return next((m for m in MOVES if m.source is source and m.target is target), None)


def moves_from(source: InvoiceStatus, standing: Standing) -> list[Move]:
    return [m for m in MOVES if m.source is source and standing in m.by]


def check_move(source: InvoiceStatus, target: InvoiceStatus, standing: Standing) -> Move:
    move = find_move(source, target)
    if move is None:
        raise NotAllowed(
            f"an invoice cannot go from {STATUS_LABELS[source]} to {STATUS_LABELS[target]}"
        )
    if standing not in move.by:
        who = {
            Standing.CONTACT: "an invoice contact",
            Standing.SUPPORT: "support staff (read-only)",
            Standing.NONE: "someone with no role on this commitment",
            Standing.ADMINISTRATOR: "an invoice administrator",
        }[standing]
        raise NotAllowed(f"{who} cannot {move.verb} an invoice that is {STATUS_LABELS[source]}")
    return move


def check_edit(status: InvoiceStatus, standing: Standing, *, is_latest: bool) -> None:
    """A contact edits only the commitment's most recent invoice, in Draft or Revise & Resubmit;
    an administrator edits any invoice in any status; support never edits."""
    if standing is Standing.ADMINISTRATOR:
        return
    if standing is Standing.CONTACT:
        if not is_latest:
            raise NotAllowed("only the commitment's most recent invoice can be changed")
        if status not in CONTACT_EDITABLE:
            raise NotAllowed(
                f"the invoice is {STATUS_LABELS[status]}; it can be changed only in Draft or "
                "Revise & Resubmit"
            )
        return
    raise NotAllowed("you can read this invoice but not change it")


def standing_for(roles: frozenset[Role], *, is_contact: bool, is_admin: bool) -> Standing:
    if is_admin and Role.INVOICE_ADMINISTRATOR in roles:
        return Standing.ADMINISTRATOR
    if is_contact and Role.INVOICE_CONTACT in roles:
        return Standing.CONTACT
    if Role.SUPPORT in roles:
        return Standing.SUPPORT
    return Standing.NONE
