"""The invoice administrator's invoice: the invoice parts (tui/screens/invoice_base.py), read-only,
with what the reviewer does: approve a line (y) or reject it with a reason the contact reads (n),
for the line under the cursor or the lines marked with Space; decide on the whole invoice (d:
approve, approve as noted, hold for the owner, send back for revision, return to draft); and,
once it is approved, record what was paid (p). An approved invoice may be held from payment
(data/services/payment_holds.py): the message line says why, p explains and offers the release,
and u releases the hold, saying why. E opens the invoice's editing screen (tui/screens/invoice.py),
to change it for its contact, who reads what changed (data/services/invoice_notices.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message

from tui.dialogs import Ask, Choose
from tui.screens.invoice_base import InvoiceLoaded, InvoicePartsScreen
from tui.service_calls import ServiceRefused, acting, call_service

if TYPE_CHECKING:
    from sqlmodel import Session

    from data.models import InvoiceStatus, LineReview
    from data.services.actors import Actor
    from data.services.invoice_views import InvoiceView


# Each decision's button, its first letter its key, and what it does.
DECISIONS: dict[str, tuple[str, str]] = {
    "approved": ("Approve", "approve the invoice for payment"),
    "approved_as_noted": ("Note & approve", "approve it with a note the contact reads"),
    "revise_resubmit": ("Revise & resubmit", "send it back to the contact, saying what to revise"),
    "pending_owner": ("Hold for owner", "wait for the owner's approval"),
    "draft": ("Draft again", "return it to the contact as a draft"),
    "under_review": ("Under review", "take it in for review, as the contact's sending would"),
}


class HoldsRead(Message):
    """Why the invoice is held from payment now (empty: it is not); `say` came with the load."""

    def __init__(self, holds: list[str], say: str) -> None:
        super().__init__()
        self.holds = holds
        self.say = say


class Reviewed(Message):
    """A review step was written; the invoice is read again and `say` is said."""

    def __init__(self, say: str) -> None:
        super().__init__()
        self.say = say


def _reviewable(view: InvoiceView | None) -> bool:
    from data.services.invoice_review import REVIEWABLE
    from data.workflow import Standing

    return (view is not None and view.standing is Standing.ADMINISTRATOR
            and view.status in REVIEWABLE)


class ReviewScreen(InvoicePartsScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "mark('approved')", "✓ line", id="review.approve_line",
                tooltip="Approve the line (or the marked lines)"),
        Binding("n", "mark('rejected')", "✗ line", id="review.reject_line",
                tooltip="Reject the line (or the marked lines), saying why"),
        Binding("d", "decide", "Decide", id="review.decide",
                tooltip="Decide on the invoice: approve it, send it back, ..."),
        Binding("p", "payment", "Paid", id="review.payment",
                tooltip="Record a payment of this approved invoice (or see why it is held)"),
        Binding("u", "release_hold", "Release hold", id="review.release_hold",
                tooltip="Release the hold on this invoice's payment, saying why"),
        Binding("E", "edit", "Edit", id="review.edit",
                tooltip="Change the invoice's figures or information for its contact, who is "
                        "told what you changed"),
    ]

    _edited = False  # the editing screen was opened: read the invoice again on return

    def __init__(self, invoice_id: int, loaded: InvoiceLoaded | None = None) -> None:
        super().__init__(invoice_id, loaded)
        self.holds: list[str] = []  # why the approved invoice is held from payment now

    def may_change(self, view: InvoiceView) -> bool:
        return False  # the reviewer reads the figures; the contact changes them

    def show_loaded(self, event: InvoiceLoaded) -> None:
        self.grid.marks_while_read_only = _reviewable(event.view)
        self.grid.shows_approvals = True
        self.grid.set_marked(())
        self.holds = []
        super().show_loaded(event)
        if _payable(event.view):
            self._read_holds(event.say)

    def greeting(self, view: InvoiceView) -> str:
        if _reviewable(view):
            return ("y approves the line; n rejects it and sends the invoice back (Space marks "
                    "several); d decides; ? lists every key.")
        if self.check_action("payment", ()):
            return f"This invoice is {view.status_label}: p records a payment."
        if view.paid and view.paid >= view.summary.current_payment_due:
            return f"This invoice is {view.status_label} and paid in full."
        if view.editable:
            return (f"This invoice is {view.status_label}: E changes it for the contact, "
                    "who is told.")
        return super().greeting(view)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        if action == "mark":
            return (_reviewable(view) and self.grid.current_line() is not None
                    and self._on_lines())
        if action == "decide":
            from data.workflow import Standing

            return (view is not None and view.standing is Standing.ADMINISTRATOR
                    and any(move.target is not view.status for move in view.moves))
        if action == "payment":
            return _payable(view) and (bool(self.holds) or (
                view is not None and view.paid < view.summary.current_payment_due))
        if action == "release_hold":
            return _payable(view) and bool(self.holds)
        if action == "edit":  # figures paid against no longer change
            return view is not None and view.editable and not view.paid
        return super().check_action(action, parameters)

    # --- editing for the contact -----------------------------------------------------------

    def action_edit(self) -> None:
        from tui.screens.invoice import InvoiceScreen

        if not self.check_action("edit", ()):
            return
        self._edited = True
        self.app.push_screen(InvoiceScreen(self.invoice_id))

    def on_screen_resume(self) -> None:
        if self._edited:
            self._edited = False
            self.load()

    def _on_lines(self) -> bool:
        from textual.widgets import TabbedContent

        return self.query_one(TabbedContent).active == "sov"

    # --- lines -----------------------------------------------------------------------------

    def action_mark(self, mark: str) -> None:
        from data.models import LineReview

        if not self.check_action("mark", ()):
            return
        lines = self.grid.line_ids()
        review = LineReview(mark)
        if review is LineReview.APPROVED:
            self._mark(lines, review, "")
            return
        which = self._lines_named(lines)

        def answer(reason: str | None) -> None:
            if reason is not None:
                self._mark(lines, review, reason)

        self.app.push_screen(Ask(f"Why is {which} rejected? The invoice contact reads this, and "
                                 "the invoice goes back to them (Revise & Resubmit): approve "
                                 "lines first, or mark every line to reject with Space.",
                                 check=_a_reason), answer)

    def _lines_named(self, sov_line_ids: list[int]) -> str:
        if len(sov_line_ids) == 1:
            line = self.grid.line_of(sov_line_ids[0]).result.line
            return f"line {line.item_no}"
        return f"each of the {len(sov_line_ids)} marked lines"

    def _mark(self, sov_line_ids: list[int], review: LineReview, comment: str) -> None:
        from data.services.invoice_review import mark_lines

        assert self.view is not None
        invoice_id, version = self.invoice_id, self.view.version
        which = self._lines_named(sov_line_ids)
        word = "approved" if review.value == "approved" else "rejected"

        def work(session: Session, actor: Actor) -> str:
            changed = mark_lines(session, actor, invoice_id, sov_line_ids, review,
                                 comment=comment, version=version)
            if review.value == "rejected":
                return (f"{which.capitalize()}: rejected. The invoice went back to the contact "
                        "(Revise & Resubmit).")
            return f"{which.capitalize()}: {word}." if changed else f"{which.capitalize()} " \
                f"was already {word}."

        self.say("Saving the review…")
        call_service(self, "Reviewing", work, Reviewed, writes=True, group="review")

    # --- the invoice -----------------------------------------------------------------------

    def action_decide(self) -> None:
        from data.money import format_money

        view = self.view
        if view is None or not self.check_action("decide", ()):
            return
        moves = [move for move in view.moves if move.target is not view.status]
        summary = view.summary
        rejected = sum(line.review == "rejected" for line in view.lines)
        pending = sum(line.review == "pending" for line in view.lines)
        question = (f"Invoice #{view.position} ({view.status_label}): payment due "
                    f"{format_money(summary.current_payment_due)}; lines rejected {rejected}, "
                    f"not reviewed {pending}.")
        answers = [(move.target.value, DECISIONS[move.target.value][0]) for move in moves]
        question += "\n\n" + "\n".join(f"{DECISIONS[move.target.value][0]}: "
                                        f"{DECISIONS[move.target.value][1]}" for move in moves)

        def chosen(target: str | None) -> None:
            if target is not None and target != "cancel":
                self._decide(target)

        self.app.push_screen(Choose(question, [*answers, ("cancel", "Cancel")]), chosen)

    def _decide(self, target_value: str) -> None:
        from data.models import InvoiceStatus

        target = InvoiceStatus(target_value)
        if target in (InvoiceStatus.REVISE_AND_RESUBMIT, InvoiceStatus.APPROVED_AS_NOTED):
            wanted = ("What should the contact revise?"
                      if target is InvoiceStatus.REVISE_AND_RESUBMIT
                      else "The note that goes with the approval:")

            def answer(comment: str | None) -> None:
                if comment is not None:
                    self._move(target, comment)

            self.app.push_screen(Ask(wanted, check=_a_reason), answer)
            return
        self._move(target, "")

    def _move(self, target: InvoiceStatus, comment: str) -> None:
        from data.services.invoice_changes import change_status
        from data.wording import STATUS_LABELS

        assert self.view is not None
        invoice_id, version, position = self.invoice_id, self.view.version, self.view.position

        def work(session: Session, actor: Actor) -> str:
            change_status(session, actor, invoice_id, target, version=version, comment=comment)
            return f"Invoice #{position} is now {STATUS_LABELS[target]}."

        self.say("Saving the decision…")
        call_service(self, "Deciding", work, Reviewed, writes=True, group="review")

    def action_payment(self) -> None:
        from data.money import format_money, parse_money
        from data.services.payments import overpayment
        from tui.widgets.form import FormField, FormScreen

        view = self.view
        if view is None or not self.check_action("payment", ()):
            return
        if self.holds:
            self._explain_hold()
            return
        due = view.summary.current_payment_due
        owed = max(due - view.paid, Decimal(0))

        def amount(text: str) -> str | None:
            try:
                value = parse_money(text)
            except ValueError as error:
                return str(error)
            if value <= 0:
                return "a payment must be more than $0.00"
            return overpayment(due, view.paid, value)

        today = acting(self).today()
        fields = [FormField("amount", "Amount paid", f"{owed:f}", amount),
                  FormField("paid_on", "Paid on", today.isoformat(), _a_date),
                  FormField("reference", "Reference", "", _short_reference,
                            placeholder="check or transfer number")]
        intro = (f"Invoice #{view.position}: due {format_money(view.summary.current_payment_due)}"
                 f", paid so far {format_money(view.paid)}.")

        def record(values: Mapping[str, str] | None) -> None:
            if values is not None:
                self._record_payment(parse_money(values["amount"]),
                                     date.fromisoformat(values["paid_on"].strip()),
                                     values["reference"].strip())

        self.app.push_screen(FormScreen("Record a payment", fields, intro=intro), record)

    def _record_payment(self, amount: Decimal, paid_on: date, reference: str) -> None:
        from data.money import format_money
        from data.services.payments import record_payment

        invoice_id = self.invoice_id

        def work(session: Session, actor: Actor) -> str:
            record_payment(session, actor, invoice_id, amount, paid_on=paid_on,
                           reference=reference)
            return f"Payment of {format_money(amount)} on {paid_on.isoformat()} recorded."

        self.say("Recording the payment…")
        call_service(self, "Recording the payment", work, Reviewed, writes=True, group="review")

    # --- holds on payment -------------------------------------------------------------------

    def _read_holds(self, say: str) -> None:
        from data.services.payment_holds import holds_of

        invoice_id = self.invoice_id

        def work(session: Session, actor: Actor) -> HoldsRead:
            return HoldsRead(holds_of(session, actor, invoice_id), say)

        call_service(self, "Reading the holds on payment", work, lambda read: read,
                     group="holds")

    def on_holds_read(self, event: HoldsRead) -> None:
        self.holds = event.holds
        self.refresh_bindings()
        if self.holds:
            said = f"{event.say.rstrip()} " if event.say else ""
            self.say(f"{said}Held from payment: {'; '.join(self.holds)}. p says why; u "
                     "releases the hold.")

    def _explain_hold(self) -> None:
        assert self.view is not None
        question = "\n".join([f"Invoice #{self.view.position} cannot be paid: it is held from "
                              "payment.", "", *(f"• {hold}" for hold in self.holds), "",
                              "Release the hold, saying why, then record the payment."])

        def chosen(answer: str | None) -> None:
            if answer == "release":
                self.action_release_hold()

        self.app.push_screen(Choose(question, [("release", "Release hold"),
                                               ("cancel", "Cancel")]), chosen)

    def action_release_hold(self) -> None:
        if self.view is None or not self.check_action("release_hold", ()):
            return
        position = self.view.position
        releases = "; ".join(self.holds)

        def answer(reason: str | None) -> None:
            if reason is not None:
                self._release(reason)

        self.app.push_screen(Ask(f"Why may invoice #{position} be paid although {releases}? "
                                 "The reason is kept with the invoice, with your name and the "
                                 "time. A reason that appears later holds it again.",
                                 check=_a_release_reason), answer)

    def _release(self, reason: str) -> None:
        from data.services.payment_holds import release_hold

        assert self.view is not None
        invoice_id, position = self.invoice_id, self.view.position

        def work(session: Session, actor: Actor) -> str:
            release_hold(session, actor, invoice_id, reason)
            return f"The hold on invoice #{position} is released: p records a payment."

        self.say("Releasing the hold…")
        call_service(self, "Releasing the hold", work, Reviewed, writes=True, group="review")

    def on_reviewed(self, event: Reviewed) -> None:
        self.load(event.say)

    def refused(self, event: ServiceRefused) -> None:
        from data.services.invoice_changes import StaleInvoice
        from data.services.payment_holds import HeldFromPayment

        if isinstance(event.refusal, HeldFromPayment):  # held since the invoice was read
            self.holds = event.refusal.reasons
            self.refresh_bindings()
            self.say(f"{event.text} u releases the hold.", error=True)
            return
        super().refused(event)
        if isinstance(event.refusal, StaleInvoice):
            self.load("Someone changed this invoice meanwhile: it is shown as it is now; "
                      "nothing of your review step was saved.")


def _payable(view: InvoiceView | None) -> bool:
    """An approved invoice, seen by one of the project's invoice administrators."""
    from data.workflow import APPROVED_FOR_PAYMENT, Standing

    return (view is not None and view.standing is Standing.ADMINISTRATOR
            and view.status in APPROVED_FOR_PAYMENT)


def _a_release_reason(text: str) -> str | None:
    return None if text.strip() else "say why: the reason is kept with the invoice"


def _a_reason(text: str) -> str | None:
    return None if text.strip() else "write a few words: the invoice contact reads them"


def _a_date(text: str) -> str | None:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return f"“{text.strip()[:20]}” is not a date; write it as YYYY-MM-DD"
    return None


def _short_reference(text: str) -> str | None:
    return None if len(text.strip()) <= 120 else "at most 120 characters"
