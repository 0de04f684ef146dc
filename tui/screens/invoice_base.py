"""What every invoice screen shares: the parts of an invoice (header, schedule of values with
its line detail, G702 summary, files, totals, messages), loading, moving between tabs, the
current line in full, export, the keys panel and leaving.

A screen for one use (the contact's invoice in tui/screens/invoice.py; the administrator's
review and support's read-only view next) subclasses `InvoicePartsScreen` and adds its keys and
answers. Every read and write goes through `tui.service_calls.call_service`, so a refusal or a
failure is said on the message line and what was typed stays on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import TabbedContent, TabPane

from data.terminal_text import terminal_safe
from tui.dialogs import Report
from tui.parts.files_part import FilesPart
from tui.parts.invoice_header import InvoiceHeader
from tui.parts.invoice_sheet import InvoiceSheet
from tui.parts.line_detail import LineDetail, line_in_full
from tui.parts.message_line import MessageLine
from tui.parts.summary_part import SummaryPart
from tui.parts.totals_bar import TotalsBar
from tui.service_calls import ServiceFailed, ServiceRefused, acting, call_service
from tui.widgets.quiet_footer import QuietFooter
from tui.widgets.sov_grid import SovGrid
from tui.words import as_shown, showing

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlmodel import Session

    from data.editing import DraftInvoice
    from data.services.actors import Actor
    from data.services.attachments import AttachmentRow
    from data.services.invoice_history import History
    from data.services.invoice_views import InvoiceView
    from tui.screens.invoice_exports import ExportedWithFiles, FilesListed

    InvoiceRead = tuple[InvoiceView, list[AttachmentRow]]


class InvoiceLoaded(Message):
    """The invoice as read; `draft` keeps what was typed (after a save or a conflict)."""

    def __init__(self, view: InvoiceView, attachments: list[AttachmentRow], say: str,
                 draft: DraftInvoice | None = None, conflict: list[str] | None = None) -> None:
        super().__init__()
        self.view, self.attachments, self.say = view, attachments, say
        self.draft, self.conflict = draft, conflict


def invoice_reader(invoice_id: int, say: str = "", draft: DraftInvoice | None = None
                   ) -> tuple[Callable[[Session, Actor], InvoiceRead],
                              Callable[[InvoiceRead], InvoiceLoaded]]:
    """What `call_service` needs to read an invoice: the work and the message it answers with.
    The home screen reads before it opens the screen, so the screen is painted once, whole."""
    from data.services.attachments import list_attachments
    from data.services.invoice_views import load_invoice

    def work(session: Session, actor: Actor) -> InvoiceRead:
        return (load_invoice(session, actor, invoice_id),
                list_attachments(session, actor, invoice_id))

    return work, lambda got: InvoiceLoaded(got[0], got[1], say, draft)


class HistoryRead(Message):
    def __init__(self, history: History, path: Path) -> None:
        super().__init__()
        self.history, self.path = history, path


class ExportWritten(Message):
    """An export was written: the PDF, or what `what` names."""

    def __init__(self, path: Path, what: str = "PDF") -> None:
        super().__init__()
        self.path, self.what = path, what


class InvoicePartsScreen(Screen[None]):
    AUTO_FOCUS = "InvoiceSheet"  # straight to the lines, not first to the tabs
    DEFAULT_CSS = """
    InvoicePartsScreen TabbedContent { height: 1fr; }
    InvoicePartsScreen TabPane { height: 1fr; padding: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="invoice.back"),
        Binding("x", "export", "PDF", id="invoice.export", tooltip="Export as PDF"),
        Binding("X", "export_csv", "CSV", show=False, id="invoice.export_csv",
                tooltip="Export the schedule of values as CSV (G703 columns)"),
        Binding("e", "export_with_files", "With files", show=False, id="invoice.export_files",
                tooltip="Export with the attachments you choose, in your order: one PDF or a ZIP"),
        Binding("question_mark", "keys", "Keys", id="invoice.keys",
                tooltip="Every key of this screen"),
        Binding("l", "tab('sov')", "Lines", show=False, id="invoice.lines",
                tooltip="The schedule of values"),
        Binding("s", "tab('summary')", "Summary", show=False, id="invoice.summary",
                tooltip="The G702 summary and the change orders"),
        Binding("f", "tab('files')", "Files", show=False, id="invoice.files",
                tooltip="Attachments"),
        Binding("h", "history", "History", show=False, id="invoice.history",
                tooltip="The invoice's history from the audit trail, also saved as text"),
        Binding("r", "reload", "Reload", show=False, id="invoice.reload",
                tooltip="Read the invoice again (only with nothing unsaved)"),
        Binding("w", "admin_changes", "Changed", show=False, id="invoice.admin_changes",
                tooltip="What invoice administrators changed on this invoice, and when"),
    ]

    def __init__(self, invoice_id: int, loaded: InvoiceLoaded | None = None) -> None:
        """`loaded`: the invoice as already read (the home screen reads before opening)."""
        super().__init__()
        self.invoice_id = invoice_id
        self._loaded = loaded
        self.view: InvoiceView | None = None
        self.draft: DraftInvoice | None = None
        self._summary_stale = True

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
        yield QuietFooter(compact=True, show_command_palette=False)

    @property
    def grid(self) -> InvoiceSheet:
        return self.query_one(InvoiceSheet)

    @property
    def message(self) -> MessageLine:
        return self.query_one(MessageLine)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.say(as_shown(self, text), error=error)

    def on_mount(self) -> None:
        self.grid.attach_detail(self.query_one(LineDetail))
        loaded, self._loaded = self._loaded, None
        if loaded is not None:
            self.show_loaded(loaded)
        else:
            self.say("Opening the invoice…")
            self.load()

    def may_change(self, view: InvoiceView) -> bool:
        """Whether this screen lets the person change the invoice (figures and files)."""
        return view.editable

    def greeting(self, view: InvoiceView) -> str:
        """What the message line says when the invoice opens."""
        return f"This invoice is {view.status_label}: you can read it but not change it."

    # --- loading ---------------------------------------------------------------------------

    def load(self, say: str = "", draft: DraftInvoice | None = None) -> None:
        work, answer = invoice_reader(self.invoice_id, say, draft)
        call_service(self, "Opening the invoice", work, answer, group="load")

    # Textual calls a message handler of every class in the MRO, so a subclass changes what
    # happens through the methods these handlers call, never by defining the handler again.

    def on_invoice_loaded(self, event: InvoiceLoaded) -> None:
        self.show_loaded(event)

    def show_loaded(self, event: InvoiceLoaded) -> None:
        from data.editing import DraftInvoice

        view = event.view
        self.view = view
        showing(self, view.point_of_view)
        self.draft = event.draft or DraftInvoice(view)
        self.sub_title = terminal_safe(view.title)
        self.grid.show(self.draft, editable=self.may_change(view))
        self.query_one(FilesPart).show(event.attachments, may_change=self.may_change(view))
        self._files_label(len(event.attachments))
        self.figures_changed()
        if self.query_one(TabbedContent).active == "sov":
            self.grid.focus()
        self.say(event.say or self.greeting(view))
        self.refresh_bindings()

    def figures_changed(self) -> None:
        """After a load or a change: header, totals, the current line; the summary when seen."""
        draft = self.draft
        assert draft is not None and self.view is not None
        self.query_one(InvoiceHeader).show(draft, editable=self.may_change(self.view))
        self.query_one(TotalsBar).show(draft.result)
        self.grid.show_detail()
        self._summary_stale = True
        if self.query_one(TabbedContent).active == "summary":
            self._show_summary()

    def _show_summary(self) -> None:
        if self.draft is not None and self._summary_stale:
            self.query_one(SummaryPart).show(self.draft.result.summary)
            self._summary_stale = False

    def _files_label(self, count: int) -> None:
        self.query_one(TabbedContent).get_tab("files").label = f"Files ({count})"

    # --- the parts' messages ---------------------------------------------------------------

    def on_sov_grid_edit_refused(self, _: SovGrid.EditRefused) -> None:
        if self.view is not None and not self.may_change(self.view):
            self.say(f"This invoice is {self.view.status_label}: it cannot be changed now.",
                     error=True)
        else:
            self.say("This figure is worked out by payapp; type in an underlined cell.",
                     error=True)

    def on_invoice_sheet_line_wanted(self, event: InvoiceSheet.LineWanted) -> None:
        if self.draft is not None:
            cells = self.grid.row(str(event.sov_line_id)).cells
            lines = line_in_full(self.draft, self.grid.line_of(event.sov_line_id), cells)
            self.app.push_screen(Report(lines[0], lines[1:] or ["(no figures)"]))

    def on_files_part_working(self, event: FilesPart.Working) -> None:
        self.say(event.message)

    def on_files_part_files_changed(self, event: FilesPart.FilesChanged) -> None:
        assert self.view is not None
        self.query_one(FilesPart).show(event.rows, may_change=self.may_change(self.view))
        self._files_label(len(event.rows))
        self.say(event.message)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "summary":
            self._show_summary()

    def on_service_refused(self, event: ServiceRefused) -> None:
        self.refused(event)

    def on_service_failed(self, event: ServiceFailed) -> None:
        self.failed(event)

    def refused(self, event: ServiceRefused) -> None:
        self.say(event.text, error=True)

    def failed(self, event: ServiceFailed) -> None:
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

    # Keys that are letters go into the cell while one is being typed into: not offered then.
    _NOT_WHILE_TYPING = frozenset({"export", "export_with_files", "keys", "tab", "reload",
                                   "general", "back"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self._NOT_WHILE_TYPING and self.is_mounted and self.grid.editing:
            return False
        if action in ("export", "export_with_files"):
            return self.view is not None
        if action == "admin_changes":
            return self.view is not None and bool(self.view.admin_changes)
        return True

    # --- export ----------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.view is None:
            return
        if self.draft is not None and self.draft.dirty:
            self.say("Save first: the PDF shows the invoice as saved.", error=True)
            return
        from data.documents.invoice_pdf import export_invoice_pdf
        from data.file_folders import folders_for
        from data.services.invoice_views import load_invoice

        invoice_id, engine = self.invoice_id, acting(self).engine
        self.say("Writing the PDF…")

        def work(session: Session, actor: Actor) -> Path:
            folder = folders_for(engine).download  # the person's download folder when shared
            return export_invoice_pdf(load_invoice(session, actor, invoice_id), folder)

        call_service(self, "Exporting the PDF", work, ExportWritten, group="export")

    def on_export_written(self, event: ExportWritten) -> None:
        self.say(f"{event.what} written to {event.path}")

    def action_export_csv(self) -> None:
        """The schedule of values as saved, in the printed G703's columns, for a spreadsheet
        (and for `payapp g702`, which reads it back)."""
        if self.view is None:
            return
        if self.draft is not None and self.draft.dirty:
            self.say("Save first: the CSV shows the invoice as saved.", error=True)
            return
        from data.documents.export_files import write_export
        from data.documents.sov_csv import csv_file_name, sov_csv_text
        from data.file_folders import folders_for
        from data.services.invoice_views import load_invoice

        invoice_id, engine = self.invoice_id, acting(self).engine
        self.say("Writing the CSV…")

        def work(session: Session, actor: Actor) -> Path:
            view = load_invoice(session, actor, invoice_id)
            return write_export(folders_for(engine).download, csv_file_name(view),
                                sov_csv_text(view).encode())

        call_service(self, "Exporting the CSV", work, lambda path: ExportWritten(path, "CSV"),
                     group="export")

    def action_export_with_files(self) -> None:
        if self.view is None:
            return
        if self.draft is not None and self.draft.dirty:
            self.say("Save first: the export shows the invoice as saved.", error=True)
            return
        from tui.screens.invoice_exports import list_files_then_choose

        list_files_then_choose(self, self.invoice_id)

    def on_files_listed(self, event: FilesListed) -> None:
        from tui.screens.invoice_exports import choose_and_export

        choose_and_export(self, self.invoice_id, event.files)

    def on_exported_with_files(self, event: ExportedWithFiles) -> None:
        outcome = event.outcome
        if isinstance(outcome, str):
            self.say(outcome, error=True)
        else:
            self.say(outcome.summary())

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Export as PDF", "G702 summary and G703 continuation sheet (x)",
                            self.action_export)
        yield SystemCommand("Export with attachments", "The files you choose, in your order, "
                            "after the invoice: one PDF or a ZIP (e)",
                            self.action_export_with_files)
        yield SystemCommand("Export the schedule of values as CSV",
                            "G703 columns, for a spreadsheet or payapp g702 (X)",
                            self.action_export_csv)
        yield SystemCommand("Show the history", "Who did what to this invoice, from what to "
                            "what and when, from the audit trail (h)", self.action_history)
        if self.view is not None and self.view.admin_changes:
            yield SystemCommand("Show what administrators changed", "Who changed this invoice "
                                "for its contacts, what and when (w)", self.action_admin_changes)

    def action_admin_changes(self) -> None:
        view = self.view
        if view is None or not view.admin_changes:
            return
        lines = ["\n".join([f"{notice.headline}, {notice.at:%H:%M} UTC:",
                             *(f"    {change}" for change in notice.changes)])
                 for notice in view.admin_changes]  # a bullet each
        self.app.push_screen(Report(f"What was changed on invoice #{view.position}, newest first",
                                    lines, reword=False))

    def action_history(self) -> None:
        from data.documents.export_files import write_export
        from data.file_folders import folders_for
        from data.services.invoice_history import invoice_history

        invoice_id, engine = self.invoice_id, acting(self).engine
        self.say("Reading the history…")

        def work(session: Session, actor: Actor) -> HistoryRead:
            history = invoice_history(session, actor, invoice_id)
            path = write_export(folders_for(engine).download, history.file_name,
                                history.as_text().encode())
            return HistoryRead(history, path)

        call_service(self, "Reading the history", work, lambda read: read, group="history")

    def on_history_read(self, event: HistoryRead) -> None:
        history = event.history
        lines = [] if history.complete else [
            "Only the entries you may read are shown: support staff read the whole trail."]
        lines += [entry.as_text() for entry in history.entries]  # a bullet each
        self.say(f"History written to {event.path}")
        self.app.push_screen(Report(history.title, lines or ["No entries."],
                                    f"Also saved as text: {event.path}", reword=False))

    # --- leaving, reading again, keys ------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        if self.draft is not None and self.draft.dirty:
            self.say("Save or leave first: reloading would lose your changes.", error=True)
            return
        self.load("Read again.")

    def action_keys(self) -> None:
        self.app.push_screen(Report("Keys on this screen", self.keys_panel()))

    def keys_panel(self) -> list[str]:
        """Every key of the screen and its parts that applies here, with what it does."""
        lines = []
        owners: list[type] = [type(self), InvoiceSheet, SovGrid, FilesPart]
        seen: set[str] = set()
        for owner in owners:
            ours = [cls for cls in owner.__mro__ if cls.__module__.startswith("tui.")]
            for cls in reversed(ours):
                for binding in vars(cls).get("BINDINGS", []):
                    said = f"{getattr(binding, 'key', '')} {getattr(binding, 'action', '')}"
                    if not isinstance(binding, Binding) or said in seen \
                            or binding.action.startswith("cursor_"):
                        continue
                    seen.add(said)
                    key = self.app.get_key_display(binding)
                    lines.append(f"{key}: {binding.tooltip or binding.description}")
        lines += ["Arrows move; a digit, -, . or $ starts typing in an underlined cell",
                  "Ctrl+P: every command, by name", "Ctrl+Q: quit payapp"]
        return lines
