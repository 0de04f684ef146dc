"""What every invoice screen shares: the parts of an invoice (header, schedule of values with
its line detail, G702 summary, files, totals, messages), loading, moving between tabs, the
current line in full, export, the keys panel and leaving.

A screen for one use (the contact's invoice in tui/screens/invoice.py; the administrator's
review and support's read-only view next) subclasses `InvoicePartsScreen` and adds its keys and
answers. Every read and write goes through `tui.service_calls.call_service`, so a refusal or a
failure is said on the message line and what was typed stays on screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
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
from tui.service_calls import ServiceFailed, ServiceRefused, call_service
from tui.widgets.quiet_footer import QuietFooter
from tui.widgets.sov_grid import SovGrid

if TYPE_CHECKING:
    from sqlmodel import Session

    from data.editing import DraftInvoice
    from data.services.actors import Actor
    from data.services.attachments import AttachmentRow
    from data.services.invoice_views import InvoiceView


class InvoiceLoaded(Message):
    """The invoice as read; `draft` keeps what was typed (after a save or a conflict)."""

    def __init__(self, view: InvoiceView, attachments: list[AttachmentRow], say: str,
                 draft: DraftInvoice | None = None, conflict: list[str] | None = None) -> None:
        super().__init__()
        self.view, self.attachments, self.say = view, attachments, say
        self.draft, self.conflict = draft, conflict


class PdfWritten(Message):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class InvoicePartsScreen(Screen[None]):
    DEFAULT_CSS = """
    InvoicePartsScreen TabbedContent { height: 1fr; }
    InvoicePartsScreen TabPane { height: 1fr; padding: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="invoice.back"),
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
        self.message.say(text, error=error)

    def on_mount(self) -> None:
        self.grid.attach_detail(self.query_one(LineDetail))
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
        from data.services.attachments import list_attachments
        from data.services.invoice_views import load_invoice

        invoice_id = self.invoice_id

        def work(session: Session, actor: Actor) -> tuple[InvoiceView, list[AttachmentRow]]:
            return (load_invoice(session, actor, invoice_id),
                    list_attachments(session, actor, invoice_id))

        call_service(self, "Opening the invoice", work,
                     lambda got: InvoiceLoaded(got[0], got[1], say, draft), group="load")

    # Textual calls a message handler of every class in the MRO, so a subclass changes what
    # happens through the methods these handlers call, never by defining the handler again.

    def on_invoice_loaded(self, event: InvoiceLoaded) -> None:
        self.show_loaded(event)

    def show_loaded(self, event: InvoiceLoaded) -> None:
        from data.editing import DraftInvoice

        view = event.view
        self.view = view
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
    _NOT_WHILE_TYPING = frozenset({"export", "keys", "tab", "reload", "general", "back"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self._NOT_WHILE_TYPING and self.is_mounted and self.grid.editing:
            return False
        if action == "export":
            return self.view is not None
        return True

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
