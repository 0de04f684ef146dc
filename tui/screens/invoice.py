"""One invoice: general information, the schedule of values (editable when the person may),
the G702 summary, attachments; save, send and export."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.table import Table
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static, TabbedContent, TabPane

from data.billing import Problem
from data.terminal_text import terminal_safe
from tui.screens.dialogs import Ask, Choose, Report
from tui.widgets.cell_editor import CellEditor
from tui.widgets.cells import day, money, plain, status
from tui.widgets.path_suggester import PathSuggester
from tui.widgets.sov_table import CHANGE_ORDERS, SovTable
from tui.widgets.summary import SummaryPanel

if TYPE_CHECKING:
    from data.editing import DraftInvoice, Field
    from data.services.attachments import AttachmentRow
    from data.services.invoice_changes import GeneralInfo
    from data.services.invoice_views import InvoiceView
    from tui.app import PayApp

_STARTS_EDIT = set("0123456789.-$(")


class InvoiceScreen(Screen[None]):
    DEFAULT_CSS = """
    InvoiceScreen TabbedContent { height: 1fr; }
    InvoiceScreen TabPane { height: 1fr; padding: 0; }
    InvoiceScreen #general { height: auto; padding: 0 1; background: $boost; }
    InvoiceScreen #totals { height: 1; padding: 0 1; background: $boost; }
    InvoiceScreen #line-info { height: 1; padding: 0 1; color: $text-muted; }
    InvoiceScreen #line-info.rejected { color: $error; }
    InvoiceScreen #message { height: auto; max-height: 3; padding: 0 1; }
    InvoiceScreen #message.error { color: $error; }
    InvoiceScreen #attachments-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="invoice.back"),
        Binding("ctrl+s", "save", "Save", id="invoice.save", tooltip="Save as draft"),
        Binding("ctrl+e", "send", "Send", id="invoice.send", tooltip="Send for review"),
        Binding("s", "tab('summary')", "Summary", id="invoice.summary",
                tooltip="The G702 summary, lines 1 to 9"),
        Binding("question_mark", "keys", "Keys", id="invoice.keys",
                tooltip="Every key of this screen"),
        Binding("l", "tab('sov')", "Lines", id="invoice.lines",
                tooltip="The schedule of values"),
        Binding("t", "tab('attachments')", "Files", id="invoice.attachments",
                tooltip="Attachments"),
        Binding("g", "general", "Info", id="invoice.general",
                tooltip="Invoice number, billing date, period"),
        Binding("x", "export", "PDF", id="invoice.export", tooltip="Export as PDF"),
        Binding("space", "mark", "Mark", id="invoice.mark", tooltip="Mark or unmark a line"),
        Binding("percent_sign", "bulk_percent", "%Done", id="invoice.bulk_percent",
                tooltip="Percent complete to date for the marked lines"),
        Binding("R", "bulk_release", "%Release", id="invoice.bulk_release",
                tooltip="Release a percentage of the retainage held on the marked lines"),
        Binding("a", "add_attachment", "Attach", id="invoice.attach",
                tooltip="Attach a file (on the Files tab)"),
        Binding("delete", "remove_attachment", "Remove", id="invoice.remove",
                tooltip="Remove the chosen attachment (on the Files tab)"),
        Binding("r", "reload", "Reload", id="invoice.reload",
                tooltip="Read the invoice again (only with nothing unsaved)"),
    ]

    def __init__(self, invoice_id: int) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.view: InvoiceView | None = None
        self.draft: DraftInvoice | None = None
        self.attachments: list[AttachmentRow] = []
        self._editing: tuple[int, Field] | None = None
        self._editor: CellEditor | None = None

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="general")
        with TabbedContent(initial="sov"):
            with TabPane("Schedule of Values", id="sov"):
                yield SovTable(id="sov-table")
            with TabPane("Summary (G702)", id="summary"):
                yield SummaryPanel(id="summary-panel")
            with TabPane("Attachments", id="attachments"):
                yield DataTable(id="attachments-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="line-info")
        yield Static(id="totals")
        yield Static(id="message")
        yield Footer(compact=True)

    @property
    def payapp(self) -> PayApp:
        return cast("PayApp", self.app)

    @property
    def grid(self) -> SovTable:
        return self.query_one(SovTable)

    def on_mount(self) -> None:
        self.query_one("#attachments-table", DataTable).add_columns(
            "File", Text("Size", justify="right"), Text("Pages", justify="right"),
            "Added", "By")
        self.load()

    def say(self, message: str, *, error: bool = False) -> None:
        widget = self.query_one("#message", Static)
        widget.set_class(error, "error")
        widget.update(Text(terminal_safe(message, multiline=True)))  # errors quote stored text

    # --- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="invoice-load")
    def load(self, message: str = "") -> None:
        from data.db import reading
        from data.services.actors import actor_for_login
        from data.services.attachments import list_attachments
        from data.services.errors import NotAllowed, NotFound
        from data.services.invoice_views import load_invoice

        try:
            with reading(self.payapp.engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                view = load_invoice(session, actor, self.invoice_id)
                attachments = list_attachments(session, actor, self.invoice_id)
        except (NotFound, NotAllowed) as error:
            self.app.call_from_thread(self.say, str(error), error=True)
            return
        self.app.call_from_thread(self._show, view, attachments, message)

    def _show(self, view: InvoiceView, attachments: list[AttachmentRow],
              message: str = "", draft: DraftInvoice | None = None) -> None:
        from data.editing import DraftInvoice

        self.view = view
        self.draft = draft or DraftInvoice(view)
        self.attachments = attachments
        self.sub_title = terminal_safe(view.title)
        self._show_general()
        self.grid.key_sink = self._grid_key
        self.grid.show(self.draft, editable=view.editable)
        self._show_line_info(self.grid.line_at())
        self._show_figures()
        self._show_attachments()
        self.grid.focus()
        if message:
            self.say(message)
        elif view.editable:
            self.say("Type a figure or press Enter on an underlined cell to change it; "
                     "Ctrl+S saves, Ctrl+E sends.")
        else:
            self.say(f"This invoice is {view.status_label}: you can read it but not change it.")

    def _show_general(self) -> None:
        view, draft = self.view, self.draft
        assert view is not None and draft is not None
        general = draft.general
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        grid.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        dim = "dim"
        access = "" if view.editable else "  (read-only)"
        changed = "  (unsaved changes)" if draft.dirty else ""
        rejected = sum(1 for ln in view.lines if ln.review == "rejected")
        flagged = f"  {rejected} line(s) rejected ✗" if rejected else ""
        grid.add_row(Text(terminal_safe(view.title), style="bold"),
                     Text.assemble(status(view.status_label), (access, dim),
                                   (changed, "bold yellow"), (flagged, "bold red"),
                                   ("  Payment ", dim), view.payment_label))
        number = general.invoice_number if general.invoice_number is not None \
            else view.invoice_number
        grid.add_row(Text.assemble(("Company ", dim), terminal_safe(view.contract_company)),
                     Text.assemble(("Invoice no. ", dim), terminal_safe(number) or "—",
                                   ("  Type ", dim), view.billing_type_label))
        grid.add_row(Text.assemble(("Period ", dim), day(general.period_start or view.period_start),
                                   " – ", day(general.period_end or view.period_end)),
                     Text.assemble(("Billed ", dim), day(general.billing_date or view.billing_date),
                                   ("  Method ", dim), view.method_label))
        grid.add_row(Text.assemble(("Project ", dim),
                                   terminal_safe(f"{view.project_number} {view.project_name}")),
                     Text.assemble(("Paid ", dim), money(view.paid)))
        self.query_one("#general", Static).update(grid)

    def _show_figures(self) -> None:
        assert self.draft is not None
        summary = self.draft.result.summary
        self.query_one(SummaryPanel).show(summary)
        over = self.draft.result.problem_lines(Problem.OVERBILLED)
        items = ", ".join(terminal_safe(r.line.item_no) for r in over)
        warning = f"  ⚠ overbilled: line {items}" if over else ""
        self.query_one("#totals", Static).update(Text.assemble(
            ("Payment due ", "dim"), money(summary.current_payment_due, "bold"),
            ("   Completed & stored ", "dim"), money(summary.completed_and_stored_to_date),
            ("   Retainage ", "dim"), money(summary.total_retainage),
            (warning, "bold red")))

    def _show_attachments(self) -> None:
        table = self.query_one("#attachments-table", DataTable)
        table.clear()
        for row in self.attachments:
            table.add_row(plain(row.original_name),
                          Text(f"{row.size_bytes / 1_048_576:,.1f} MB" if row.size_bytes >= 10_240
                               else f"{row.size_bytes:,} B", justify="right"),
                          Text("—" if row.page_count is None else str(row.page_count),
                               justify="right"),
                          day(row.uploaded_at.date()), plain(row.uploaded_by),
                          key=str(row.id))
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("attachments").label = Text(f"Attachments ({len(self.attachments)})")

    # --- moving around ---------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "sov":
            self.grid.focus()
        elif tab == "attachments":
            self.query_one("#attachments-table", DataTable).focus()

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        if event.data_table is not self.grid or self.view is None:
            return
        self._show_line_info(self.grid.line_at(event.coordinate))

    def _show_line_info(self, sov_line_id: int | None) -> None:
        assert self.view is not None
        line = next((ln for ln in self.view.lines if ln.sov_line_id == sov_line_id), None)
        info = self.query_one("#line-info", Static)
        info.set_class(line is not None and line.review == "rejected", "rejected")
        if line is None:
            info.update("")
            return
        li = line.result.line
        if line.review_comment:
            info.update(Text(terminal_safe(f"Reviewer on line {li.item_no} ({line.review}): "
                                           f"{line.review_comment}")))
        else:
            code = f" [{line.budget_code}]" if line.budget_code else ""
            group = f" · {line.change_order}" if line.change_order else ""
            info.update(Text(terminal_safe(f"Line {li.item_no}: {li.description}{code}{group}")))

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        if event.data_table is not self.grid:
            return
        if event.cell_key.row_key.value == CHANGE_ORDERS:
            self.grid.folded = not self.grid.folded
            assert self.draft is not None
            self.grid.show(self.draft, editable=self.grid.editable)
            return
        self._start_edit("")

    def _grid_key(self, event: events.Key) -> bool:
        """Keys the grid received: typed faster than the editor took the focus, they belong to
        the editor; a figure typed on a cell starts editing it. True when handled here."""
        editor = self._editor
        if editor is not None:
            if event.key == "enter":
                self._finish_edit(editor.value)
            elif event.key == "escape":
                self.on_cell_editor_cancelled(CellEditor.Cancelled())
            elif event.is_printable and event.character:
                editor.value += event.character
                editor.cursor_position = len(editor.value)
            return True
        if event.character is None or event.character not in _STARTS_EDIT:
            return False
        if self.grid.field_at() is not None:
            self._start_edit(event.character)
        elif self.view is not None and not self.view.editable:
            self.say(self._locked_message(), error=True)
        else:
            self.say("This column is worked out by payapp; type in an underlined cell.")
        return True

    def _locked_message(self) -> str:
        status = self.view.status_label if self.view is not None else ""
        return f"This invoice is {status}: it cannot be changed now."

    # --- typing in the grid ----------------------------------------------------------------

    def _start_edit(self, first: str) -> None:
        field = self.grid.field_at()
        sov_line_id = self.grid.line_at()
        if self.draft is None or sov_line_id is None:
            return
        if field is None:
            if self.view is not None and not self.view.editable:
                self.say(self._locked_message(), error=True)
            else:
                self.say("This column is worked out by payapp; type in an underlined cell.")
            return
        self._editing = (sov_line_id, field)
        x, y, width = self.grid.cell_screen_region(self.grid.cursor_coordinate)
        value = first or self._raw_value(sov_line_id, field)
        editor = CellEditor(value, x=x, y=y, width=width)
        self._editor = editor
        self.mount(editor)
        self.call_after_refresh(self._focus_editor, editor)

    def _focus_editor(self, editor: CellEditor) -> None:
        if self._editor is editor:
            editor.focus()
            editor.cursor_position = len(editor.value)

    def _raw_value(self, sov_line_id: int, field: Field) -> str:
        from data.editing import Field

        assert self.draft is not None
        result = self.draft.line_result(sov_line_id)
        li = result.line
        units = self.draft.units(sov_line_id)
        raw = {
            Field.WORK: li.work_this_period,
            Field.NEW_VALUE: li.work_this_period,
            Field.NEW_STORED: li.new_stored,
            Field.INSTALLED: li.stored_installed,
            Field.RELEASE: li.release_requested,
            Field.NEW_QUANTITY: units[0] if units else None,
            Field.PERCENT: (units[1] if units else result.percent_complete),
        }[field]
        if raw is None:
            return ""
        return f"{raw:.2f}" if field is Field.PERCENT else f"{raw}"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not isinstance(event.input, CellEditor):
            return
        event.stop()
        self._finish_edit(event.value)

    def on_cell_editor_cancelled(self, _: CellEditor.Cancelled) -> None:
        self._close_editor()
        self.say("Change cancelled; the old value is kept.")

    def _close_editor(self) -> None:
        for editor in self.query(CellEditor):
            editor.remove()
        self._editing = None
        self._editor = None
        self.grid.focus()

    def _finish_edit(self, text: str) -> None:
        from data.editing import EntryError

        editing = self._editing
        self._close_editor()
        if editing is None or self.draft is None:
            return
        sov_line_id, field = editing
        try:
            self.draft.set(sov_line_id, field, text)
        except EntryError as error:
            self.say(str(error), error=True)
            return
        self.grid.update_lines([sov_line_id])
        self._show_figures()
        self._show_general()
        self.say("Changed; not saved yet (Ctrl+S to save).")

    # --- several lines at once -------------------------------------------------------------

    def action_mark(self) -> None:
        sov_line_id = self.grid.line_at()
        if sov_line_id is None or not self.grid.editable:
            return
        self.grid.marked ^= {sov_line_id}
        self.grid.update_lines([sov_line_id])
        self.say(f"{len(self.grid.marked)} line(s) marked; % sets percent complete, "
                 "Shift+R a release percentage, for all of them.")

    def action_bulk_percent(self) -> None:
        self._bulk("Percent complete to date", "percent")

    def action_bulk_release(self) -> None:
        self._bulk("Release this percentage of the retainage held", "release")

    def _bulk(self, question: str, what: str) -> None:
        from data.editing import EntryError, Field

        if not self.grid.editable or self.draft is None:
            return
        lines = sorted(self.grid.marked) or [x for x in [self.grid.line_at()] if x is not None]
        if not lines:
            self.say("Mark lines with Space first.", error=True)
            return
        field = Field.PERCENT if what == "percent" else Field.RELEASE
        draft = self.draft

        def apply(answer: str | None) -> None:
            if answer is None:
                return
            try:
                draft.set_many(lines, field, answer)
            except EntryError as error:
                self.say(f"{error} (no line was changed)", error=True)
                return
            self.grid.marked.clear()
            self.grid.update_lines([ln.sov_line_id for ln in draft.view.lines])
            self._show_figures()
            self._show_general()
            self.say(f"{len(lines)} line(s) changed; not saved yet.")

        self.app.push_screen(Ask(f"{question} for {len(lines)} line(s), in %:",
                                 placeholder="e.g. 50"), apply)

    # --- general information ---------------------------------------------------------------

    def action_general(self) -> None:
        from data.services.invoice_changes import GeneralInfo

        if self.view is None or self.draft is None or not self.view.editable:
            self.say("The general information cannot be changed now.", error=True)
            return
        view, draft = self.view, self.draft
        fields = [("invoice_number", "Your invoice number", view.invoice_number),
                  ("billing_date", "Billing date (YYYY-MM-DD)", str(view.billing_date)),
                  ("period_start", "Period start (YYYY-MM-DD)", str(view.period_start)),
                  ("period_end", "Period end (YYYY-MM-DD)", str(view.period_end))]
        answers: dict[str, str] = {}

        def check_date(text: str) -> str | None:
            try:
                date.fromisoformat(text.strip())
            except ValueError:
                return f"{text!r} is not a date; write it as YYYY-MM-DD"
            return None

        def ask(index: int) -> None:
            if index == len(fields):
                self._apply_general(GeneralInfo(
                    invoice_number=answers["invoice_number"],
                    billing_date=date.fromisoformat(answers["billing_date"].strip()),
                    period_start=date.fromisoformat(answers["period_start"].strip()),
                    period_end=date.fromisoformat(answers["period_end"].strip())))
                return
            key, question, loaded = fields[index]
            current = getattr(draft.general, key)
            shown = loaded if current is None else str(current)

            def take(answer: str | None) -> None:
                if answer is None:
                    self.say("General information unchanged.")
                    return
                answers[key] = answer
                ask(index + 1)

            self.app.push_screen(
                Ask(question, shown, check=None if key == "invoice_number" else check_date), take)

        ask(0)

    def _apply_general(self, general: GeneralInfo) -> None:
        from data.editing import EntryError
        from data.services.invoice_changes import GeneralInfo

        assert self.draft is not None and self.view is not None
        view = self.view
        unchanged = GeneralInfo(
            invoice_number=None if general.invoice_number == view.invoice_number
            else general.invoice_number,
            billing_date=None if general.billing_date == view.billing_date
            else general.billing_date,
            period_start=None if general.period_start == view.period_start
            else general.period_start,
            period_end=None if general.period_end == view.period_end else general.period_end)
        try:
            self.draft.set_general(unchanged)
        except EntryError as error:
            self.say(str(error), error=True)
            return
        self._show_general()
        self.say("General information changed; not saved yet.")

    # --- saving and sending ----------------------------------------------------------------

    def action_save(self) -> None:
        if self.view is None or self.draft is None:
            return
        if not self.view.editable:
            self.say(self._locked_message(), error=True)
            return
        if not self.draft.dirty:
            self.say("Nothing to save.")
            return
        self.say("Saving…")
        self.save(send=False)

    def action_send(self) -> None:
        from data.models import InvoiceStatus

        view = self.view
        if view is None:
            return
        if not any(m.target is InvoiceStatus.UNDER_REVIEW for m in view.moves):
            self.say(f"An invoice that is {view.status_label} cannot be sent.", error=True)
            return
        assert self.draft is not None
        due = self.draft.result.summary.current_payment_due
        from data.money import format_money

        def answer(choice: str | None) -> None:
            if choice == "send":
                self.say("Sending…")
                self.save(send=True)

        self.app.push_screen(Choose(
            f"Send invoice #{view.position} for review? Payment due {format_money(due)}. "
            "You will not be able to change it while it is under review.",
            [("send", "Send"), ("cancel", "Cancel")]), answer)

    @work(thread=True, exclusive=True, group="invoice-save")
    def save(self, *, send: bool) -> None:
        from data.db import reading, writing
        from data.editing import changes_between
        from data.models import InvoiceStatus
        from data.services.actors import actor_for_login
        from data.services.attachments import list_attachments
        from data.services.errors import Conflict, Invalid, NotAllowed
        from data.services.invoice_changes import (
            GeneralInfo,
            StaleInvoice,
            change_status,
            save_lines,
        )
        from data.services.invoice_views import load_invoice

        draft = self.draft
        assert draft is not None
        engine = self.payapp.engine
        try:
            with writing(engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                version = draft.view.version
                if draft.dirty:
                    save_lines(session, actor, self.invoice_id, draft.entries(),
                               version=version,
                               general=draft.general if draft.general != GeneralInfo()
                               else None)
                    version += 1
                if send:
                    change_status(session, actor, self.invoice_id, InvoiceStatus.UNDER_REVIEW,
                                  version=version)
        except StaleInvoice:
            with reading(engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                fresh = load_invoice(session, actor, self.invoice_id)
                attachments = list_attachments(session, actor, self.invoice_id)
            changes = changes_between(draft.view, fresh)
            self.app.call_from_thread(self._conflict, fresh, attachments, changes)
            return
        except (Invalid, NotAllowed, Conflict) as error:
            self.app.call_from_thread(self.say, f"Not saved: {error}", error=True)
            return
        done = "Sent for review; the administrators were notified." if send else "Saved."
        self.app.call_from_thread(self.load, done)

    def _conflict(self, fresh: InvoiceView, attachments: list[AttachmentRow],
                  changes: list[str]) -> None:
        assert self.draft is not None
        kept = self.draft.rebase(fresh)
        self._show(fresh, attachments, "Someone else saved this invoice first. Your values are "
                   "still on screen; Ctrl+S saves them over the new version.", kept)
        self.app.push_screen(Report(
            "Someone else saved this invoice while you were working on it",
            changes or ["(no figure you can see changed: only its version moved on)"],
            "Nothing of yours was saved, and nothing you typed is lost: it is still on the "
            "screen. Check it against these changes, then save again."))

    # --- attachments -----------------------------------------------------------------------

    def action_add_attachment(self) -> None:
        if self.view is None:
            return
        self.action_tab("attachments")

        def add(answer: str | None) -> None:
            if answer:
                self.say("Adding the file… (PDFs are checked first)")
                self.attach(answer.strip())

        def check(text: str) -> str | None:
            path = Path(os.path.expanduser(text.strip()))
            if not path.is_file():
                return f"{path} is not a file"
            return None

        self.app.push_screen(Ask("File to attach (→ completes the path):", "~/",
                                 suggester=PathSuggester(), check=check), add)

    @work(thread=True, exclusive=True, group="invoice-attach")
    def attach(self, text: str) -> None:
        from data.config import ConfigError, locations
        from data.db import writing
        from data.services.actors import actor_for_login
        from data.services.attachments import add_attachment, max_attachment_bytes
        from data.services.errors import Invalid, NotAllowed

        try:
            limit = max_attachment_bytes()
            with writing(self.payapp.engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                row = add_attachment(session, actor, self.invoice_id, Path(text),
                                     store=locations().attachments_dir, max_bytes=limit)
        except (Invalid, NotAllowed, ConfigError) as error:
            self.app.call_from_thread(self.say, f"Not attached: {error}", error=True)
            return
        self.app.call_from_thread(self._reload_keeping_draft,
                                  f"Attached {terminal_safe(row.original_name)}.")

    def action_remove_attachment(self) -> None:
        table = self.query_one("#attachments-table", DataTable)
        if self.focused is not table or not self.attachments:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        row = next((a for a in self.attachments if str(a.id) == key), None)
        if row is None:
            return

        def answer(choice: str | None) -> None:
            if choice == "remove":
                self.detach(row.id)

        self.app.push_screen(Choose(f"Remove {terminal_safe(row.original_name)} from this invoice?",
                                    [("remove", "Remove"), ("cancel", "Cancel")]), answer)

    @work(thread=True, exclusive=True, group="invoice-attach")
    def detach(self, attachment_id: int) -> None:
        from data.config import locations
        from data.db import writing
        from data.services.actors import actor_for_login
        from data.services.attachments import remove_attachment
        from data.services.errors import Invalid, NotAllowed, NotFound

        try:
            with writing(self.payapp.engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                remove_attachment(session, actor, attachment_id,
                                  store=locations().attachments_dir)
        except (Invalid, NotAllowed, NotFound) as error:
            self.app.call_from_thread(self.say, f"Not removed: {error}", error=True)
            return
        self.app.call_from_thread(self._reload_keeping_draft, "Attachment removed.")

    def _reload_keeping_draft(self, message: str) -> None:
        """Attachments changed; what the person typed in the grid must survive the reload."""
        if self.draft is not None and self.draft.dirty:
            self.refresh_attachments(message)
        else:
            self.load(message)

    @work(thread=True, exclusive=True, group="invoice-load")
    def refresh_attachments(self, message: str) -> None:
        from data.db import reading
        from data.services.actors import actor_for_login
        from data.services.attachments import list_attachments

        with reading(self.payapp.engine) as session:
            actor = actor_for_login(session, self.payapp.login)
            rows = list_attachments(session, actor, self.invoice_id)

        def show() -> None:
            self.attachments = rows
            self._show_attachments()
            self.say(message)

        self.app.call_from_thread(show)

    # --- export ----------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.view is None:
            return
        if self.draft is not None and self.draft.dirty:
            self.say("Save first: the PDF shows the invoice as saved.", error=True)
            return
        self.say("Writing the PDF…")
        self.export()

    @work(thread=True, exclusive=True, group="invoice-export")
    def export(self) -> None:
        from data.config import locations
        from data.documents.invoice_pdf import export_invoice_pdf

        assert self.view is not None
        path = export_invoice_pdf(self.view, locations().exports_dir)
        self.app.call_from_thread(self.say, f"PDF written to {path}")

    # --- leaving ---------------------------------------------------------------------------

    def action_back(self) -> None:
        if self._editing is not None:
            self._close_editor()
            return
        if self.draft is None or not self.draft.dirty:
            self.app.pop_screen()
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self.save(send=False)
            elif choice == "discard":
                self.app.pop_screen()

        self.app.push_screen(Choose("This invoice has unsaved changes.",
                                    [("save", "Save"), ("discard", "Discard"),
                                     ("cancel", "Cancel")]), answer)

    def action_reload(self) -> None:
        if self.draft is not None and self.draft.dirty:
            self.say("Save or leave first: reloading would lose your changes.", error=True)
            return
        self.load()

    def action_keys(self) -> None:
        lines = [f"{b.key_display or self.app.get_key_display(b)}: {b.tooltip or b.description}"
                 for b in self.BINDINGS if isinstance(b, Binding)]
        lines += ["Enter or a digit: change the figure in an underlined cell; Enter keeps it, "
                  "Esc cancels",
                  "Enter on “Change Orders”: fold or unfold the change orders",
                  "Ctrl+P: every command, by name", "Ctrl+Q: quit payapp"]
        self.app.push_screen(Report("Keys on this screen", lines))

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Save as draft", "Save what you typed (Ctrl+S)", self.action_save)
        yield SystemCommand("Send for review", "Send the invoice to the general contractor "
                            "(Ctrl+E)", self.action_send)
        yield SystemCommand("Edit general information", "Invoice number, billing date, period",
                            self.action_general)
        yield SystemCommand("Attach a file", "Add backup to this invoice",
                            self.action_add_attachment)
        yield SystemCommand("Export as PDF", "G702 summary and G703 continuation sheet",
                            self.action_export)
        yield SystemCommand("Show the summary (G702)", "Lines 1 to 9 of this invoice",
                            lambda: self.action_tab("summary"))
        yield SystemCommand("Show the schedule of values", "The G703 lines of this invoice",
                            lambda: self.action_tab("sov"))
        yield SystemCommand("Show attachments", "Files attached to this invoice",
                            lambda: self.action_tab("attachments"))
        yield SystemCommand("Back to home", "Close this invoice", self.action_back)
