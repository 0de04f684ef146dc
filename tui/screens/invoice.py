"""The contact's invoice: the parts of an invoice (header, schedule of values with its line
detail, G702 summary, files, totals, messages) arranged for the person who fills it in, with
save, send, export and the general information.

The parts own their keys; this screen owns what concerns the invoice as a whole and answers
the parts' messages. Every read and write goes through `tui.service_calls.call_service`, so a
refusal or a failure is said on the message line and what was typed stays on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from data.terminal_text import terminal_safe
from tui.parts.files_part import FilesPart
from tui.parts.invoice_header import InvoiceHeader
from tui.parts.invoice_sheet import InvoiceSheet
from tui.parts.line_detail import LineDetail, line_in_full
from tui.parts.message_line import MessageLine
from tui.parts.summary_part import SummaryPart
from tui.parts.totals_bar import TotalsBar
from tui.screens.dialogs import Ask, Choose, Report
from tui.screens.invoice_general import edit_general
from tui.service_calls import ServiceFailed, ServiceRefused, call_service
from tui.widgets.sov_grid import SovGrid

if TYPE_CHECKING:
    from sqlmodel import Session

    from data.editing import DraftInvoice
    from data.services.actors import Actor
    from data.services.attachments import AttachmentRow
    from data.services.invoice_views import InvoiceView
    from tui.app import PayApp


class InvoiceLoaded(Message):
    def __init__(self, view: InvoiceView, attachments: list[AttachmentRow], say: str,
                 draft: DraftInvoice | None = None, conflict: list[str] | None = None) -> None:
        super().__init__()
        self.view, self.attachments, self.say = view, attachments, say
        self.draft, self.conflict = draft, conflict


class InvoiceSaved(Message):
    def __init__(self, say: str) -> None:
        super().__init__()
        self.say = say


class PdfWritten(Message):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class InvoiceScreen(Screen[None]):
    DEFAULT_CSS = """
    InvoiceScreen TabbedContent { height: 1fr; }
    InvoiceScreen TabPane { height: 1fr; padding: 0; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="invoice.back"),
        Binding("ctrl+s", "save", "Save", id="invoice.save", tooltip="Save as draft"),
        Binding("ctrl+e", "send", "Send", id="invoice.send", tooltip="Send for review"),
        Binding("g", "general", "Info", id="invoice.general",
                tooltip="General information: invoice number, billing date, period"),
        Binding("x", "export", "PDF", id="invoice.export", tooltip="Export as PDF"),
        Binding("question_mark", "keys", "Keys", id="invoice.keys",
                tooltip="Every key of this screen"),
        Binding("l", "tab('sov')", "Lines", show=False, id="invoice.lines",
                tooltip="The schedule of values"),
        Binding("s", "tab('summary')", "Summary", show=False, id="invoice.summary",
                tooltip="The G702 summary and the change orders"),
        Binding("f", "tab('files')", "Files", show=False, id="invoice.files",
                tooltip="Attachments"),
        Binding("r", "reload", "Reload", show=False, id="invoice.reload",
                tooltip="Read the invoice again (only with nothing unsaved)"),
    ]

    def __init__(self, invoice_id: int) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.view: InvoiceView | None = None
        self.draft: DraftInvoice | None = None
        self._summary_stale = True
        self._busy = ""  # what is running ("Saving"), so it is not started twice

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield InvoiceHeader(id="invoice-header")
        with TabbedContent(initial="sov"):
            with TabPane("Lines", id="sov"):
                yield InvoiceSheet(id="sheet")
                yield LineDetail(id="line-detail")
            with TabPane("Summary", id="summary"):
                yield SummaryPart(id="summary-part")
            with TabPane("Files", id="files"):
                yield FilesPart(self.invoice_id, id="files-part")
        yield TotalsBar(id="totals")
        yield MessageLine(id="message")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def payapp(self) -> PayApp:
        return cast("PayApp", self.app)

    @property
    def grid(self) -> InvoiceSheet:
        return self.query_one(InvoiceSheet)

    @property
    def message(self) -> MessageLine:
        return self.query_one(MessageLine)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.say(text, error=error)

    def on_mount(self) -> None:
        self.say("Opening the invoice…")
        self.load()

    # --- loading ---------------------------------------------------------------------------

    def load(self, say: str = "", draft: DraftInvoice | None = None) -> None:
        from data.services.attachments import list_attachments
        from data.services.invoice_views import load_invoice

        invoice_id = self.invoice_id

        def work(session: Session, actor: Actor) -> tuple[InvoiceView, list[AttachmentRow]]:
            return (load_invoice(session, actor, invoice_id),
                    list_attachments(session, actor, invoice_id))

        call_service(self, "Opening the invoice", work,
                     lambda got: InvoiceLoaded(got[0], got[1], say, draft), group="load")

    def on_invoice_loaded(self, event: InvoiceLoaded) -> None:
        from data.editing import DraftInvoice

        view = event.view
        self.view = view
        self.draft = event.draft or DraftInvoice(view)
        self._busy = ""
        self.sub_title = terminal_safe(view.title)
        self.grid.show(self.draft, editable=view.editable)
        self.query_one(FilesPart).show(event.attachments, may_change=view.editable)
        self._files_label(len(event.attachments))
        self._figures_changed()
        if self.query_one(TabbedContent).active == "sov":
            self.grid.focus()
        if event.say:
            self.say(event.say)
        elif view.editable:
            self.say("Type a figure in an underlined cell (Enter keeps it, Esc cancels); "
                     "Ctrl+S saves, Ctrl+E sends, ? lists every key.")
        else:
            self.say(f"This invoice is {view.status_label}: you can read it but not change it.")
        if event.conflict is not None:
            self._report_conflict(view, event.conflict)
        self.refresh_bindings()

    def _figures_changed(self) -> None:
        """After a load or a change: header, totals, the current line; the summary when seen."""
        draft = self.draft
        assert draft is not None and self.view is not None
        self.query_one(InvoiceHeader).show(draft, editable=self.view.editable)
        self.query_one(TotalsBar).show(draft.result)
        self._show_line()
        self._summary_stale = True
        if self.query_one(TabbedContent).active == "summary":
            self._show_summary()

    def _show_summary(self) -> None:
        if self.draft is not None and self._summary_stale:
            self.query_one(SummaryPart).show(self.draft.result.summary)
            self._summary_stale = False

    def _show_line(self) -> None:
        detail = self.query_one(LineDetail)
        current = self.grid.current_line()
        if current is None or self.draft is None:
            detail.show(["Totals of every line; the Summary tab (s) has the G702 lines."]
                        if self.grid.cursor and self.grid.cursor[0] == "h:totals" else [])
            return
        line = self.grid.line_of(current)
        detail.show(line_in_full(self.draft, line), rejected=line.review == "rejected")

    def _files_label(self, count: int) -> None:
        self.query_one(TabbedContent).get_tab("files").label = f"Files ({count})"

    # --- the parts' messages ---------------------------------------------------------------

    def on_sov_grid_cursor_moved(self, _: SovGrid.CursorMoved) -> None:
        if self.draft is not None:
            self._show_line()

    def on_sov_grid_edit_refused(self, event: SovGrid.EditRefused) -> None:
        if self.view is not None and not self.view.editable:
            self.say(self._locked_message(), error=True)
        else:
            self.say("This figure is worked out by payapp; type in an underlined cell.",
                     error=True)

    def on_sov_grid_edit_cancelled(self, _: SovGrid.EditCancelled) -> None:
        self.say("Change cancelled; the old value is kept.")

    def on_sov_grid_line_marked(self, _: SovGrid.LineMarked) -> None:
        count = len(self.grid.marked)
        self.say(f"{count} line(s) marked; % sets percent complete, R releases a percentage "
                 "of the retainage, for all of them." if count else "No line marked.")

    def on_invoice_sheet_draft_changed(self, event: InvoiceSheet.DraftChanged) -> None:
        self._figures_changed()
        self.say("Changed; not saved yet (Ctrl+S saves)." if event.lines == 1
                 else f"{event.lines} lines changed; not saved yet (Ctrl+S saves).")

    def on_invoice_sheet_entry_refused(self, event: InvoiceSheet.EntryRefused) -> None:
        self.say(event.reason, error=True)

    def on_invoice_sheet_line_wanted(self, event: InvoiceSheet.LineWanted) -> None:
        if self.draft is not None:
            line = self.grid.line_of(event.sov_line_id)
            lines = line_in_full(self.draft, line)
            self.app.push_screen(Report(lines[0], lines[1:] or ["(no figures)"]))

    def on_invoice_sheet_bulk_wanted(self, event: InvoiceSheet.BulkWanted) -> None:
        question = ("Percent complete to date" if event.what == "percent"
                    else "Release this percentage of the retainage held")

        def apply(answer: str | None) -> None:
            if answer is not None:
                self.grid.set_many(event.sov_line_ids, event.what, answer)

        self.app.push_screen(Ask(f"{question}, for {len(event.sov_line_ids)} line(s), in %:",
                                 placeholder="e.g. 50"), apply)

    def on_files_part_working(self, event: FilesPart.Working) -> None:
        self.say(event.message)

    def on_files_part_files_changed(self, event: FilesPart.FilesChanged) -> None:
        assert self.view is not None
        self.query_one(FilesPart).show(event.rows, may_change=self.view.editable)
        self._files_label(len(event.rows))
        self.say(event.message)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "summary":
            self._show_summary()

    def on_service_refused(self, event: ServiceRefused) -> None:
        from data.services.invoice_changes import StaleInvoice

        self._busy = ""
        if isinstance(event.refusal, StaleInvoice):
            self._load_after_conflict()
            return
        self.say(event.text, error=True)

    def on_service_failed(self, event: ServiceFailed) -> None:
        self._busy = ""
        self.say(event.text, error=True)

    # --- moving around ---------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "files":
            self.query_one(FilesPart).query_one("DataTable").focus()
        elif tab == "summary":
            self.query_one(SummaryPart).focus()
        else:
            self.grid.focus()

    def _locked_message(self) -> str:
        status = self.view.status_label if self.view is not None else ""
        return f"This invoice is {status}: it cannot be changed now."

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        if action in ("save", "general"):
            return view is not None and view.editable
        if action == "send":
            from data.models import InvoiceStatus

            return view is not None and any(m.target is InvoiceStatus.UNDER_REVIEW
                                            for m in view.moves)
        if action == "export":
            return view is not None
        return True

    # --- general information ---------------------------------------------------------------

    def action_general(self) -> None:
        if self.draft is None or self.view is None or not self.view.editable:
            self.say("The general information cannot be changed now.", error=True)
            return
        draft = self.draft

        def changed(said: str | None) -> None:
            if said is not None:
                self._figures_changed()
                self.say(said)

        edit_general(self.app, draft, changed)

    # --- saving and sending ----------------------------------------------------------------

    def action_save(self) -> None:
        if self.view is None or self.draft is None:
            return
        if not self.view.editable:
            self.say(self._locked_message(), error=True)
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
        over = overbilled(draft)
        if over:
            question += "\n\nThese lines are billed past their scheduled value:\n" + \
                "\n".join(f"  {sentence}" for sentence in over)
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
        entries = draft.entries() if draft.dirty else None
        general = draft.general if draft.general != GeneralInfo() else None
        version = draft.view.version

        def work(session: Session, actor: Actor) -> str:
            at = version
            if entries is not None or general is not None:
                save_lines(session, actor, invoice_id, entries or {}, version=at,
                           general=general)
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
            kept = draft.rebase(fresh)
            return InvoiceLoaded(fresh, rows, "", kept, changes_between(draft.view, fresh))

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

    # --- export ----------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.view is None:
            return
        if self.draft is not None and self.draft.dirty:
            self.say("Save first: the PDF shows the invoice as saved.", error=True)
            return
        from data.config import locations
        from data.documents.invoice_pdf import export_invoice_pdf
        from data.services.invoice_views import load_invoice

        invoice_id = self.invoice_id
        folder = locations().exports_dir
        self.say("Writing the PDF…")

        def work(session: Session, actor: Actor) -> Path:
            return export_invoice_pdf(load_invoice(session, actor, invoice_id), folder)

        call_service(self, "Exporting the PDF", work, PdfWritten, group="export")

    def on_pdf_written(self, event: PdfWritten) -> None:
        self.say(f"PDF written to {event.path}")

    # --- leaving ---------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.draft is None or not self.draft.dirty:
            self.app.pop_screen()
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self._save(send=False)
            elif choice == "discard":
                self.app.pop_screen()

        self.app.push_screen(Choose("This invoice has unsaved changes.",
                                    [("save", "Save"), ("discard", "Discard"),
                                     ("cancel", "Cancel")]), answer)

    def action_reload(self) -> None:
        if self.draft is not None and self.draft.dirty:
            self.say("Save or leave first: reloading would lose your changes.", error=True)
            return
        self.load("Read again.")

    def action_keys(self) -> None:
        self.app.push_screen(Report("Keys on this screen", keys_of_invoice_screen(self)))

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Save as draft", "Save what you typed (Ctrl+S)", self.action_save)
        yield SystemCommand("Send for review", "Send the invoice to the general contractor "
                            "(Ctrl+E)", self.action_send)
        yield SystemCommand("Edit general information", "Invoice number, billing date, period",
                            self.action_general)
        yield SystemCommand("Export as PDF", "G702 summary and G703 continuation sheet",
                            self.action_export)
        yield SystemCommand("Show the summary (G702)", "Lines 1 to 9 of this invoice",
                            lambda: self.action_tab("summary"))
        yield SystemCommand("Show the schedule of values", "The G703 lines of this invoice",
                            lambda: self.action_tab("sov"))
        yield SystemCommand("Show attachments", "Files attached to this invoice",
                            lambda: self.action_tab("files"))
        yield SystemCommand("Back to home", "Close this invoice", self.action_back)


def overbilled(draft: DraftInvoice) -> list[str]:
    """The lines billed past their scheduled value, one sentence each."""
    from data.money import format_money

    sentences = []
    for result in draft.result.lines:
        if result.overbilled:
            past = result.completed_to_date - result.scheduled_value
            sentences.append(f"line {terminal_safe(result.line.item_no)} "
                             f"({terminal_safe(result.line.description)}): "
                             f"{format_money(past)} past {format_money(result.scheduled_value)}")
    return sentences


def keys_of_invoice_screen(screen: InvoiceScreen) -> list[str]:
    """Every key of the screen and its parts, with what it does."""
    lines = []
    for owner in (InvoiceScreen, InvoiceSheet, SovGrid, FilesPart):
        for binding in owner.BINDINGS:
            if isinstance(binding, Binding) and binding.action not in (
                    "cursor_up", "cursor_down", "cursor_left", "cursor_right"):
                key = screen.app.get_key_display(binding)
                lines.append(f"{key}: {binding.tooltip or binding.description}")
    lines += ["Arrows move; a digit, -, . or $ starts typing in an underlined cell",
              "Ctrl+P: every command, by name", "Ctrl+Q: quit payapp"]
    return lines
