"""The contact's invoice: the invoice parts (tui/screens/invoice_base.py) with what the person
who fills it in does: type figures, mark lines and set several at once, change the general
information, save, send, and answer someone else's save in between."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message

from data.terminal_text import terminal_safe
from tui.dialogs import Ask, Choose, Report
from tui.parts.invoice_sheet import InvoiceSheet
from tui.screens.invoice_base import InvoiceLoaded, InvoicePartsScreen
from tui.screens.invoice_general import edit_general
from tui.service_calls import ServiceFailed, ServiceRefused, call_service
from tui.widgets.sov_grid import SovGrid

if TYPE_CHECKING:
    from sqlmodel import Session

    from data.services.actors import Actor
    from data.services.invoice_views import InvoiceView


class InvoiceSaved(Message):
    def __init__(self, say: str) -> None:
        super().__init__()
        self.say = say


class InvoiceScreen(InvoicePartsScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="invoice.save", tooltip="Save as draft"),
        Binding("ctrl+e", "send", "Send", id="invoice.send", tooltip="Send for review"),
        Binding("g", "general", "Info", id="invoice.general",
                tooltip="General information: invoice number, billing date, period"),
    ]

    def __init__(self, invoice_id: int, loaded: InvoiceLoaded | None = None) -> None:
        super().__init__(invoice_id, loaded)
        self._busy = ""  # what is running ("Saving"), so that it is not started twice

    def greeting(self, view: InvoiceView) -> str:
        from data.workflow import Standing

        if view.admin_changes and view.standing is Standing.CONTACT:
            return f"{view.admin_changes[0].headline} (w shows what changed)."
        if view.editable:
            return ("Type a figure in an underlined cell (Enter keeps it, Esc cancels); "
                    "Ctrl+S saves, Ctrl+E sends, ? lists every key.")
        return super().greeting(view)

    def show_loaded(self, event: InvoiceLoaded) -> None:
        self._busy = ""
        super().show_loaded(event)
        if event.conflict is not None:
            self._report_conflict(event.view, event.conflict)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        if action == "general" and self.grid.editing:
            return False
        if action in ("save", "general"):
            return view is not None and view.editable
        if action == "send":
            from data.models import InvoiceStatus

            return view is not None and any(m.target is InvoiceStatus.UNDER_REVIEW
                                            for m in view.moves)
        return super().check_action(action, parameters)

    # --- typing ----------------------------------------------------------------------------

    def on_sov_grid_edit_cancelled(self, _: SovGrid.EditCancelled) -> None:
        self.say("Change cancelled; the old value is kept.")

    def on_sov_grid_line_marked(self, _: SovGrid.LineMarked) -> None:
        count = len(self.grid.marked)
        self.say(f"{count} line(s) marked; % sets percent complete, R releases a percentage "
                 "of the retainage, for all of them." if count else "No line marked.")

    def on_invoice_sheet_draft_changed(self, event: InvoiceSheet.DraftChanged) -> None:
        self.figures_changed()
        self.say("Changed; not saved yet (Ctrl+S saves)." if event.lines == 1
                 else f"{event.lines} lines changed; not saved yet (Ctrl+S saves).")

    def on_invoice_sheet_entry_refused(self, event: InvoiceSheet.EntryRefused) -> None:
        self.say(event.reason, error=True)

    def on_invoice_sheet_bulk_wanted(self, event: InvoiceSheet.BulkWanted) -> None:
        question = ("Percent complete to date" if event.what == "percent"
                    else "Release this percentage of the retainage held")

        def apply(answer: str | None) -> None:
            if answer is not None:
                self.grid.set_many(event.sov_line_ids, event.what, answer)

        self.app.push_screen(Ask(f"{question}, for {len(event.sov_line_ids)} line(s), in %:",
                                 placeholder="e.g. 50"), apply)

    def action_general(self) -> None:
        if self.draft is None or self.view is None or not self.view.editable:
            self.say("The general information cannot be changed now.", error=True)
            return

        def changed(said: str | None) -> None:
            if said is not None:
                self.figures_changed()
                self.say(said, error=said.startswith("Not changed"))

        edit_general(self.app, self.draft, changed)

    # --- saving and sending ----------------------------------------------------------------

    def action_save(self) -> None:
        if self.view is None or self.draft is None:
            return
        if not self.view.editable:
            self.say(f"This invoice is {self.view.status_label}: it cannot be changed now.",
                     error=True)
            return
        if self.grid.editing:
            self.grid.commit_edit()
        if not self.draft.dirty:
            self.say("Nothing to save.")
            return
        self._save(send=False)

    def action_send(self) -> None:
        from data.money import format_money

        view, draft = self.view, self.draft
        if view is None or draft is None or not self.check_action("send", ()):
            return
        if self.grid.editing:
            self.grid.commit_edit()
        due = draft.result.summary.current_payment_due
        question = (f"Send invoice #{view.position} for review? Payment due "
                    f"{format_money(due)}. You will not be able to change it while it is "
                    "under review.")
        over = draft.overbilled_lines()
        if over:
            question += "\n\nBilled past the scheduled value:\n" + "\n".join(
                f"  {terminal_safe(sentence)}" for sentence in over)
        answers = [("send", "Send anyway" if over else "Send"), ("cancel", "Cancel")]

        def answer(choice: str | None) -> None:
            if choice == "send":
                self._save(send=True)

        self.app.push_screen(Choose(question, answers), answer)

    def _save(self, *, send: bool) -> None:
        from data.models import InvoiceStatus
        from data.services.invoice_changes import GeneralInfo, change_status, save_lines
        from data.wording import SAVED, SENT_FOR_REVIEW

        draft = self.draft
        if draft is None or self._busy:
            return
        self._busy = "Sending" if send else "Saving"
        self.say(f"{self._busy}…")
        invoice_id = self.invoice_id
        entries = draft.entries() if draft.dirty else {}
        general = draft.general if draft.general != GeneralInfo() else None
        version = draft.view.version

        def work(session: Session, actor: Actor) -> str:
            at = version
            if entries or general is not None:
                save_lines(session, actor, invoice_id, entries, version=at, general=general)
                at += 1
            if send:
                change_status(session, actor, invoice_id, InvoiceStatus.UNDER_REVIEW,
                              version=at)
            return SENT_FOR_REVIEW if send else SAVED

        call_service(self, self._busy, work, InvoiceSaved, writes=True, group="save")

    def on_invoice_saved(self, event: InvoiceSaved) -> None:
        # The draft stays until the invoice as saved is on screen: if reading it fails, what
        # was typed is still there.
        self.load(event.say)

    def refused(self, event: ServiceRefused) -> None:
        from data.services.invoice_changes import StaleInvoice

        self._busy = ""
        if isinstance(event.refusal, StaleInvoice):
            self._load_after_conflict()
            return
        super().refused(event)

    def failed(self, event: ServiceFailed) -> None:
        self._busy = ""
        super().failed(event)

    def _load_after_conflict(self) -> None:
        from data.editing import changes_between
        from data.services.attachments import list_attachments
        from data.services.invoice_views import load_invoice

        draft = self.draft
        assert draft is not None
        invoice_id = self.invoice_id

        def work(session: Session, actor: Actor) -> InvoiceLoaded:
            fresh = load_invoice(session, actor, invoice_id)
            rows = list_attachments(session, actor, invoice_id)
            return InvoiceLoaded(fresh, rows, "", draft.rebase(fresh),
                                 changes_between(draft.view, fresh))

        call_service(self, "Reading the invoice again", work, lambda loaded: loaded,
                     group="load")

    def _report_conflict(self, fresh: InvoiceView, changes: list[str]) -> None:
        who = terminal_safe(fresh.last_saved_by) if fresh.last_saved_by else "Someone else"
        self.say(f"{who} saved this invoice first. Your values are still on screen; "
                 "Ctrl+S saves them over the new version.", error=True)
        self.app.push_screen(Report(
            f"{who} saved this invoice while you were working on it",
            changes or ["(no figure you can see changed: only its version moved on)"],
            "Nothing of yours was saved, and nothing you typed is lost: it is still on the "
            "screen. Check it against these changes, then save again."))

    # --- leaving ---------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.draft is None or not self.draft.dirty:
            super().action_back()
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self._save(send=False)
            elif choice == "discard":
                self.app.pop_screen()

        self.app.push_screen(Choose("This invoice has unsaved changes.",
                                    [("save", "Save"), ("discard", "Discard"),
                                     ("cancel", "Cancel")]), answer)

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield from super().palette_commands()
        yield SystemCommand("Save as draft", "Save what you typed (Ctrl+S)", self.action_save)
        yield SystemCommand("Send for review", "Send the invoice to the general contractor "
                            "(Ctrl+E)", self.action_send)
        yield SystemCommand("Edit general information", "Invoice number, billing date, period",
                            self.action_general)
        yield SystemCommand("Show the summary (G702)", "Lines 1 to 9 of this invoice",
                            lambda: self.action_tab("summary"))
        yield SystemCommand("Show the schedule of values", "The G703 lines of this invoice",
                            lambda: self.action_tab("sov"))
        yield SystemCommand("Show attachments", "Files attached to this invoice",
                            lambda: self.action_tab("files"))
        yield SystemCommand("Back to home", "Close this invoice", self.action_back)
