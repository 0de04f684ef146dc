"""The administrator's list by status (from home, for invoice administrators and support): `s`
shows how many invoices are in each status, and how many commitments of an open billing period
are not invited, invited or declined, and shows only the rows of the one chosen; `S` moves the
invoices marked with Space to one status, each on its own, and reports what moved and what was
refused (an invoice administrator's)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual.message import Message

from tui.dialogs import Ask, Choose, Report
from tui.service_calls import call_service

if TYPE_CHECKING:
    from sqlmodel import Session
    from textual.screen import Screen

    from data.models import InvoiceStatus
    from data.services.actors import Actor
    from data.services.bulk_status import Moved
    from data.services.home import Home

EVERY_STATUS = "every"
# The statuses several invoices are moved to at once, each with its button; the first letter is
# its key. A reason is asked where the contact reads one.
BULK_TARGETS: tuple[tuple[str, str], ...] = (
    ("approved", "Approve"),
    ("approved_as_noted", "Note & approve"),
    ("pending_owner", "Hold for owner"),
    ("revise_resubmit", "Revise & resubmit"),
)
ASKS_A_REASON = {"approved_as_noted": "The note that goes with the approval (every invoice):",
                 "revise_resubmit": "What should the contacts revise? (every invoice)"}


def _in_order() -> tuple[InvoiceStatus, ...]:
    from data.models import InvoiceStatus as S

    # The workflow's order, but Approved before Approved as Noted: `a` picks Approved.
    return (S.DRAFT, S.UNDER_REVIEW, S.REVISE_AND_RESUBMIT, S.PENDING_OWNER_APPROVAL, S.APPROVED,
            S.APPROVED_AS_NOTED)


def status_counts(home: Home) -> list[tuple[str, str, int]]:
    """(kind, status, how many), every status shown even at 0: the open periods' commitments
    not invited or invited (no invoice yet), the invoices by status in the workflow's order,
    and last the commitments whose contacts declined (Declined after Draft: d picks Draft)."""
    from data.services.home import DECLINED, INVITED, NOT_INVITED
    from data.wording import STATUS_LABELS

    invoices = Counter(row.status for row in home.invoices)
    commitments = Counter(row.this_period for row in home.commitments)
    return ([("commitments", label, commitments[label]) for label in (NOT_INVITED, INVITED)]
            + [("invoices", STATUS_LABELS[status], invoices[STATUS_LABELS[status]])
               for status in _in_order()]
            + [("commitments", DECLINED, commitments[DECLINED])])


def choose_status(screen: Screen[Any], home: Home, current: tuple[str, str] | None,
                  chosen: Callable[[tuple[str, str] | None], None]) -> None:
    """Asks which status to show (with how many rows each has); `chosen` gets (kind, status),
    or None for every row."""
    counts = status_counts(home)
    answers = [(str(number), f"{label} ({count})")
               for number, (_, label, count) in enumerate(counts)]
    answers.append((EVERY_STATUS, "Every status"))
    now = f"Showing: {current[1]}." if current else "Showing every status."

    def picked(value: str | None) -> None:
        if value is None or value == "cancel":
            return
        chosen(None if value == EVERY_STATUS else counts[int(value)][:2])

    screen.app.push_screen(Choose(
        f"Show only one status. {now} Commitments of an open billing period without an invoice "
        "show on the Commitments tab; invoices on the Invoices tab.", answers), picked)


class StatusesChanged(Message):
    def __init__(self, target: str, outcomes: list[Moved]) -> None:
        super().__init__()
        self.target = target
        self.outcomes = outcomes


def change_marked(screen: Screen[Any], invoice_ids: Sequence[int]) -> None:
    """Asks for the status (and the reason, where one is read), then moves each marked invoice;
    the screen gets `StatusesChanged` (or a refusal for the whole)."""
    count = len(invoice_ids)

    def target_chosen(target: str | None) -> None:
        if target is None or target == "cancel":
            return
        if target in ASKS_A_REASON:
            def reason_given(comment: str | None) -> None:
                if comment is not None:
                    _move(screen, invoice_ids, target, comment)

            screen.app.push_screen(Ask(ASKS_A_REASON[target], check=_a_reason), reason_given)
            return
        _move(screen, invoice_ids, target, "")

    screen.app.push_screen(Choose(
        f"Move the {count} marked invoice{'s' if count != 1 else ''} to which status? Each "
        "moves on its own: one that cannot (not under review, a line billed past its value on "
        "a project that forbids it) stays as it is, and the report says why.",
        [*BULK_TARGETS, ("cancel", "Cancel")]), target_chosen)


def _a_reason(text: str) -> str | None:
    return None if text.strip() else "say what it is: the contacts read it"


def _move(screen: Screen[Any], invoice_ids: Sequence[int], target: str, comment: str) -> None:
    from data.models import InvoiceStatus
    from data.services.bulk_status import change_statuses

    def work(session: Session, actor: Actor) -> list[Moved]:
        return change_statuses(session, actor, list(invoice_ids), InvoiceStatus(target),
                               comment=comment.strip())

    call_service(screen, "Changing the invoices' status", work,
                 lambda outcomes: StatusesChanged(target, outcomes), writes=True,
                 group="bulk-status")


def report_moves(screen: Screen[Any], event: StatusesChanged) -> None:
    from data.models import InvoiceStatus

    target = InvoiceStatus(event.target)
    moved = sum(outcome.refusal is None for outcome in event.outcomes)
    title = f"{moved} of {len(event.outcomes)} invoices moved"
    screen.app.push_screen(Report(title, [outcome.line(target) for outcome in event.outcomes]))
