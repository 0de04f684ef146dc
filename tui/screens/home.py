"""Home: the acting person's invites to bill, invoices and commitments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from data.terminal_text import terminal_safe
from tui.screens.home_lists import TABLES, detail_of, row_id, status_of
from tui.service_calls import ServiceFailed, ServiceRefused, acting, call_service
from tui.widgets.fitted_columns import fit
from tui.widgets.quiet_footer import QuietFooter
from tui.words import as_shown, showing

if TYPE_CHECKING:
    from sqlmodel import Session

    from data.services.actors import Actor
    from data.services.home import CommitmentRow, Home
    from tui.screens.commitment_setup import TermsRead
    from tui.screens.home_backups import BackupPlanned
    from tui.screens.home_invites import InvitesSent
    from tui.screens.home_periods import PeriodChanged
    from tui.screens.home_status import StatusesChanged
    from tui.screens.invoice_base import InvoiceLoaded


class HomeLoaded(Message):
    def __init__(self, home: Home) -> None:
        super().__init__()
        self.home = home


class InvoiceToOpen(Message):
    """An invite was answered or an invoice started; None: nothing to open."""

    def __init__(self, invoice_id: int | None) -> None:
        super().__init__()
        self.invoice_id = invoice_id


class HomeScreen(Screen[None]):
    DEFAULT_CSS = """
    HomeScreen TabbedContent { height: 1fr; }
    HomeScreen TabPane { height: 1fr; padding: 0; }
    HomeScreen #who { height: 1; padding: 0 1; background: $boost; }
    HomeScreen #problem { padding: 1 2; color: $error; }
    HomeScreen DataTable { height: 1fr; }
    HomeScreen #detail { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    """
    BINDINGS = [
        Binding("i", "tab('invites')", "Invites", id="home.invites",
                tooltip="Show the invites to bill"),
        Binding("v", "tab('invoices')", "Invoices", id="home.invoices",
                tooltip="Show your invoices"),
        Binding("c", "tab('commitments')", "Commitments", id="home.commitments",
                tooltip="Show the commitments (b starts an invoice there)"),
        Binding("y", "answer(True)", "Yes", id="home.yes",
                tooltip="Yes: bill this period (on the Invites tab)"),
        Binding("n", "answer(False)", "No", id="home.no",
                tooltip="No: not this period (on the Invites tab)"),
        Binding("b", "bill", "Bill", id="home.bill",
                tooltip="Start an invoice for the commitment (on the Commitments tab)"),
        Binding("space", "mark", "Mark", id="home.mark", show=False,
                tooltip="Mark or unmark the invoice, for a backup or a change of status"),
        Binding("s", "status", "Status", id="home.status",
                tooltip="Show only one status: how many invoices are in each, and how many "
                        "commitments of an open period are not invited, invited or declined"),
        Binding("S", "change_marked", "Set status", id="home.change_marked", show=False,
                tooltip="Move the marked invoices to one status (an invoice administrator)"),
        Binding("B", "backup", "Backup", id="home.backup",
                tooltip="Compile one PDF of the marked invoices and their PDF attachments"),
        Binding("question_mark", "keys", "Keys", id="home.keys", key_display="?",
                tooltip="This list of keys"),
        Binding("r", "refresh", "Refresh", id="home.refresh", show=False,
                tooltip="Read the lists again"),
        # Not in the footer, which has no room for it at 80 columns beside an administrator's
        # keys: ? lists it, as every key.
        Binding("slash", "find", "Find", id="home.find", key_display="/", show=False,
                tooltip="Show only the rows that contain some words (project, commitment, "
                        "company, invoice number, status...); / again with nothing shows all"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="who")
        with TabbedContent(initial="invoices"):
            with TabPane("Invites to bill", id="invites"):
                yield DataTable(id="invites-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Invoices", id="invoices"):
                yield DataTable(id="invoices-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Commitments", id="commitments"):
                yield DataTable(id="commitments-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="detail")
        yield QuietFooter(compact=True)

    _home: Home | None = None
    _finding = ""  # the words every row shown contains; "" shows every row
    _found: dict[str, list[Any]] = {}  # the rows found by kind; emptied with a new list or search
    _marked: frozenset[int] = frozenset()  # the invoices marked for a backup
    _status: tuple[str, str] | None = None  # (kind, status label): only those rows are shown

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self._home is not None:
            showing(self, self._home.point_of_view)
        if self._home is not None:  # back from an invoice: its status or amounts may differ
            self.load()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.query_one(f"#{tab}-table", DataTable).focus()
        self._show_detail()
        self.refresh_bindings()

    def action_refresh(self) -> None:
        self.load()

    def load(self) -> None:
        from data.services.home import home_for

        today = acting(self).today()

        def work(session: Session, actor: Actor) -> Home:
            return home_for(session, actor, today=today)

        call_service(self, "Reading your lists", work, HomeLoaded, group="home-load")

    def on_home_loaded(self, event: HomeLoaded) -> None:
        self._show(event.home)

    def on_service_refused(self, event: ServiceRefused) -> None:
        from data.refusals import NotAllowed, NotFound

        if event.what == "Reading your lists" and isinstance(event.refusal,
                                                             NotFound | NotAllowed):
            self._show_problem(f"{event.reason}. Ask your system administrator to add you "
                               f"(payapp users add {acting(self).login} ...).")
            return
        self.say(event.text, error=True)

    def on_service_failed(self, event: ServiceFailed) -> None:
        self.say(event.text, error=True)

    def _show_problem(self, message: str) -> None:
        self.query_one("#who", Static).update(
            Text(terminal_safe(message, multiline=True), style="bold red"))

    def _show(self, home: Home) -> None:
        from data.models import Role

        if home.actor.roles == frozenset({Role.SYSTEM_ADMINISTRATOR}):
            from tui.screens.system_admin import SystemAdminScreen

            self.app.switch_screen(SystemAdminScreen())  # nothing to bill or review here
            return
        first_load = self._home is None
        self._home, self._found = home, {}
        showing(self, home.point_of_view)
        actor = home.actor
        from data.wording import ROLE_LABELS  # loaded with the home list already

        roles = as_shown(self, ", ".join(sorted(ROLE_LABELS[r] for r in actor.roles)))
        demo = "  [demo: ctrl+p → Act as…]" if acting(self).demo else ""
        self.query_one("#who", Static).update(
            Text(terminal_safe(f"{actor.display_name} ({actor.login}) · {roles}{demo}"),
                 no_wrap=True, overflow="ellipsis"))
        self._lay_out()
        self._label_tabs()
        self._reword_keys()
        if first_load:  # afterwards the person stays on the tab they chose
            pending = [i for i in home.invites if i.response == "pending" and not i.overdue]
            if pending:
                self.action_tab("invites")
            elif home.invoices:
                self.action_tab("invoices")
        self._show_detail()
        self.refresh_bindings()

    def _all_rows(self, kind: str) -> Sequence[Any]:
        if self._home is None:
            return ()
        return {"invites": self._home.invites, "invoices": self._home.invoices,
                "commitments": self._home.commitments}[kind]

    def _rows(self, kind: str) -> Sequence[Any]:
        """The rows shown: those holding every word looked for (in any column, any case).
        Worked out once per list and search, not on every cursor move."""
        rows = self._all_rows(kind)
        words = self._finding.lower().split()
        status = self._status[1] if self._status and self._status[0] == kind else None
        if not words and status is None:
            return rows
        if kind not in self._found:
            self._found = {**self._found, kind: [
                row for row in rows
                if all(word in detail_of(kind, row).plain.lower() for word in words)
                and (status is None or status_of(kind, row) == status)]}
        return self._found[kind]

    def action_find(self) -> None:
        from tui.dialogs import Ask

        def found(words: str | None) -> None:
            if words is None:
                return
            self._finding, self._found = words.strip(), {}
            self._lay_out()
            self._label_tabs()
            self._show_detail()
            self.refresh_bindings()
            if self._finding:
                counts = ", ".join(
                    f"{len(self._rows(kind))} {kind if len(self._rows(kind)) != 1 else kind[:-1]}"
                    for kind in TABLES)
                self.say(f"Showing the rows with “{self._finding}”: {counts}. / with nothing "
                         "shows every row.")

        self.app.push_screen(Ask("Show only the rows containing these words (project, "
                                 "commitment, company, invoice number, status...). Leave it "
                                 "empty to show every row.", self._finding), found)

    def _invoices_word(self) -> str:
        from data.wording import word

        return word("Invoices", self._home.point_of_view if self._home else "general_contractor")

    def _reword_keys(self) -> None:
        """The footer names the invoices tab in the projects' own words (domain.md §1), by its
        last word: "Billings" for "Progress Billings" keeps the footer within 80 columns."""
        from dataclasses import replace

        short = self._invoices_word().split()[-1]
        bindings = self._bindings.key_to_bindings.get("v", [])
        self._bindings.key_to_bindings["v"] = [
            replace(b, description=short) if b.id == "home.invoices" else b for b in bindings]

    def _label_tabs(self) -> None:
        tabs = self.query_one(TabbedContent)
        for kind, label in (("invites", "Invites to bill"), ("invoices", self._invoices_word()),
                            ("commitments", "Commitments")):
            shown, every = len(self._rows(kind)), len(self._all_rows(kind))
            count = f"{shown} of {every}" if shown != every else f"{every}"
            if self._status and self._status[0] == kind:
                count += f" · {self._status[1]}"
            marked = sum(row_id(kind, row) in self._marked for row in self._all_rows(kind))
            if kind == "invoices" and marked:  # marked for a backup (B), shown or not
                count += f" · {marked} ✓"
            tabs.get_tab(kind).label = Text(f"{label} ({count})")

    def _lay_out(self) -> None:
        """(Re)build the three tables' columns for the terminal's width, keeping the cursor."""
        if self._home is None:
            return
        active = self.query_one(f"#{self._active()}-table", DataTable)
        body = active.size.height - 1 if active.size.height else self.size.height - 7
        for kind, layout in TABLES.items():
            table = self.query_one(f"#{kind}-table", DataTable)
            rows = self._rows(kind)
            width = self.size.width or self.app.size.width
            if len(rows) > body:
                width -= table.styles.scrollbar_size_vertical
            cursor = table.cursor_row
            table.clear(columns=True)
            marks = kind == "invoices" and self._may_back_up()
            if marks:  # a one-character column for the backup's marks
                width -= 1 + 2 * table.cell_padding
                table.add_column(Text("✓"), width=1, key="mark")
            columns = fit(layout, rows, width, padding=2 * table.cell_padding)
            for column, shape, column_width in columns:
                caption = shape.caption if isinstance(shape.caption, Text) else Text(
                    shape.caption)
                table.add_column(caption, width=column_width, key=column.key)
            for row in rows:
                cells = [shape.cell(row) for _, shape, _ in columns]
                if marks:
                    cells.insert(0, Text("✓" if row_id(kind, row) in self._marked else " "))
                table.add_row(*cells, key=f"{kind[:-1]}:{row_id(kind, row)}")
            if rows:
                table.move_cursor(row=min(cursor, len(rows) - 1), animate=False)

    def on_resize(self) -> None:
        self._lay_out()
        self._show_detail()

    def _active(self) -> str:
        return self.query_one(TabbedContent).active or "invoices"

    def _show_detail(self) -> None:
        kind = self._active()
        table = self.query_one(f"#{kind}-table", DataTable)
        rows = self._rows(kind)
        shown = Text("")
        if rows and 0 <= table.cursor_row < len(rows):
            shown = detail_of(kind, rows[table.cursor_row])
        elif self._nothing_at_all():
            shown = Text(self._why_nothing())
        detail = self.query_one("#detail", Static)
        detail.update(shown)
        detail.display = bool(shown)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == f"{self._active()}-table":
            self._show_detail()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._show_detail()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # y/n answer the invite under the cursor, b starts the commitment's invoice: each only
        # on its own tab and only with a row to act on, so the footer shows what works here.
        if action == "answer" and not self._is_contact():
            return False  # only an invoice contact answers invites
        if action == "bill" and not (self._is_contact() or self._is_administrator()):
            return False  # a contact starts their invoice; an administrator, on their behalf
        if action == "answer":
            return self._active() == "invites" and bool(self._rows("invites"))
        if action == "bill":
            return self._active() == "commitments" and bool(self._rows("commitments"))
        if action in ("mark", "backup"):
            return (self._may_back_up() and self._active() == "invoices"
                    and bool(self._rows("invoices")))
        if action == "status":
            return self._may_back_up() and self._active() in ("invoices", "commitments")
        if action == "change_marked":
            return (self._is_administrator() and self._active() == "invoices"
                    and bool(self._marked_ids()))
        return True

    def _nothing_at_all(self) -> bool:
        return self._home is not None and not self._finding and not any(
            self._all_rows(kind) for kind in TABLES)

    def _why_nothing(self) -> str:
        """What an empty home means, for who this person is."""
        assert self._home is not None
        actor = self._home.actor
        if self._home.administered:
            projects = ", ".join(self._home.administered)
            return (f"No commitment yet in your project{'s' if ',' in projects else ''} "
                    f"{projects}: Ctrl+P, “Set up a commitment” starts one.")
        return (f"You are on no project or commitment yet. Your system administrator puts you "
                f"on them: payapp users assign {actor.login} --project NUMBER "
                "(--commitment NUMBER for an invoice contact).")

    def _is_contact(self) -> bool:
        if self._home is None:
            return False
        from data.models import Role

        return self._home.actor.has(Role.INVOICE_CONTACT)

    def action_keys(self) -> None:
        lines = [f"{b.key_display or self.app.get_key_display(b)}: {b.tooltip or b.description}"
                 for b in self.BINDINGS if isinstance(b, Binding)]
        from tui.dialogs import Report

        lines += ["↑ ↓: choose a row; the line under the list shows the whole row",
                  "Enter: open the invoice (on an invite: its invoice, once answered Yes; on "
                  "a commitment: start its invoice)",
                  "Tab: move between the tabs and the list",
                  "Ctrl+P: every command, by name", "Ctrl+Q: quit payapp"]
        self.app.push_screen(Report("Keys on this screen", lines))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value or ""
        kind, _, ident = key.partition(":")
        if kind == "invoice":
            self.open_invoice(int(ident))
        elif kind == "invite":
            row = next((r for r in self._home.invites if r.invite_id == int(ident)), None) \
                if self._home else None
            if row is not None and row.invoice_id is not None:
                self.open_invoice(row.invoice_id)
            else:
                self.say("Answer with y (yes, bill this period) or n (no).")
        elif kind == "commitment":
            self.action_bill()

    def say(self, message: str, *, error: bool = False) -> None:
        # Messages quote stored text (and service errors): neither markup nor control codes.
        self.notify(terminal_safe(as_shown(self, message), multiline=True), markup=False,
                    severity="error" if error else "information", timeout=8 if error else 4)

    def _selected(self, table_id: str, kind: str) -> int | None:
        table = self.query_one(f"#{table_id}", DataTable)
        if not table.row_count or self.query_one(TabbedContent).active != table_id[:-6]:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        found, _, ident = key.partition(":")
        return int(ident) if found == kind else None

    def action_answer(self, bill: bool) -> None:
        invite_id = self._selected("invites-table", "invite")
        if invite_id is None:
            self.action_tab("invites")
            self.say("Choose an invite, then press y or n.")
            return
        self.answer(invite_id, bill)

    def answer(self, invite_id: int, bill: bool) -> None:
        from data.services.invites import respond

        today = acting(self).today()

        def work(session: Session, actor: Actor) -> int | None:
            invoice = respond(session, actor, invite_id, bill=bill, today=today)
            return invoice.id if invoice is not None else None

        call_service(self, "Answering the invite", work, InvoiceToOpen, writes=True,
                     group="home-answer")

    def on_invoice_to_open(self, event: InvoiceToOpen) -> None:
        self.load()
        if event.invoice_id is None:
            self.say("Thank you: you will not bill this period. You can still answer Yes "
                     "until the due date.")
            return
        self.open_invoice(event.invoice_id)

    def action_bill(self) -> None:
        commitment_id = self._selected("commitments-table", "commitment")
        if commitment_id is None:
            self.action_tab("commitments")
            self.say("Choose a commitment, then press b to start its invoice.")
            return
        row = next((c for c in self._home.commitments if c.commitment_id == commitment_id),
                   None) if self._home else None
        if row is None or row.open_period_id is None:
            self.say("This commitment's project has no open billing period.", error=True)
            return
        self.start_invoice(commitment_id, row.open_period_id)

    def start_invoice(self, commitment_id: int, period_id: int) -> None:
        from data.services.invoice_changes import create_invoice

        today = acting(self).today()

        def work(session: Session, actor: Actor) -> int | None:
            return create_invoice(session, actor, commitment_id, period_id, today=today).id

        call_service(self, "Starting the invoice", work, InvoiceToOpen, writes=True,
                     group="home-answer")

    def open_invoice(self, invoice_id: int) -> None:
        """Read the invoice, then open its screen: painted once, with its figures."""
        from tui.screens.invoice_base import invoice_reader

        work, answer = invoice_reader(invoice_id)
        call_service(self, "Opening the invoice", work, answer, group="home-open")

    def on_invoice_loaded(self, event: InvoiceLoaded) -> None:
        """The contact's screen to fill the invoice in; the administrator's to review it."""
        from data.models import InvoiceStatus
        from data.workflow import Standing
        from tui.screens.invoice import InvoiceScreen
        from tui.screens.invoice_review import ReviewScreen

        if self.app.screen is not self:  # the person went on elsewhere meanwhile
            return
        # A draft is not for review yet: an administrator who opens one fills it in for the
        # contact (and may send it), as on an invoice they started on the contact's behalf.
        reviews = (event.view.standing is Standing.ADMINISTRATOR
                   and event.view.status is not InvoiceStatus.DRAFT)
        kind = ReviewScreen if reviews else InvoiceScreen
        self.app.push_screen(kind(event.view.invoice_id, loaded=event))

    def on_terms_read(self, event: TermsRead) -> None:
        from tui.screens.commitment_setup import edit_terms

        edit_terms(self, event.terms, self.load)

    def palette_commands(self) -> Iterable[SystemCommand]:
        from data.models import Role

        yield SystemCommand("Show invites to bill", "The invites of the open billing period",
                            lambda: self.action_tab("invites"))
        yield SystemCommand("Show invoices", "Your invoices, newest first",
                            lambda: self.action_tab("invoices"))
        yield SystemCommand("Show commitments", "The commitments you can see",
                            lambda: self.action_tab("commitments"))
        yield SystemCommand("Refresh", "Read the lists again from the database", self.load)
        if self._may_back_up():
            yield SystemCommand("Compile a backup of the marked invoices", "One PDF: each "
                                "invoice and its PDF attachments (B)", self.action_backup)
            yield SystemCommand("Mark every invoice shown", "For a backup (/ chooses which "
                                "are shown)", lambda: self._mark_shown(True))
            yield SystemCommand("Clear the marks", "Of every invoice shown",
                                lambda: self._mark_shown(False))
            yield SystemCommand("Show only one status", "With how many rows each status has (s)",
                                self.action_status)
        if self._is_administrator():
            yield SystemCommand("Move the marked invoices to one status", "Approve, hold for "
                                "the owner, send back... each on its own (S)",
                                self.action_change_marked)
            yield SystemCommand("Open a billing period", "From, to and due date, for a project "
                                "you administer", self._open_period)
            yield SystemCommand("Keep billing periods on schedule", "Monthly or weekly from a "
                                "date, opened and closed by the daily job",
                                self._schedule_periods)
            yield SystemCommand("Close the open billing period", "Of the highlighted "
                                "commitment's project", self._close_period)
            yield SystemCommand("Invite the highlighted commitment to bill", "For its project's "
                                "open billing period", self._invite_one)
            yield SystemCommand("Invite every commitment of the project to bill", "The "
                                "highlighted commitment's project, its open billing period",
                                self._invite_project)
            from tui.screens import change_orders, commitment_setup

            yield SystemCommand("Set up a commitment", "Number, title, company, contacts, "
                                "method and retainage, in the highlighted commitment's project",
                                lambda: commitment_setup.set_up_commitment(
                                    self, self._project_in_view(), self.load,
                                    self._home.administered[0] if self._home is not None
                                    and self._home.administered else ""))
            yield SystemCommand("Edit the highlighted commitment", "Its title, company, "
                                "contacts, method and retainage",
                                lambda: commitment_setup.read_terms(
                                    self, self._project_in_view()))
            yield SystemCommand("Change orders of the highlighted commitment", "PCOs and "
                                "CCOs: add one, move it to pending, approved, rejected or void",
                                lambda: change_orders.open_change_orders(
                                    self, self._project_in_view()))
            yield SystemCommand("Import a schedule of values from CSV", "For the highlighted "
                                "commitment, before its first invoice; all or nothing",
                                lambda: commitment_setup.import_sov_file(
                                    self, self._project_in_view(), self.load))
            yield SystemCommand("Enter the history before payapp from a G703 CSV", "The "
                                "highlighted commitment's last application filed elsewhere: "
                                "its first invoice here continues the numbers",
                                lambda: commitment_setup.enter_history_file(
                                    self, self._project_in_view(), self.load))
        if self._home is not None and self._home.actor.has(Role.SYSTEM_ADMINISTRATOR):
            from tui.screens.system_admin import SystemAdminScreen

            yield SystemCommand("System administration", "Users, the outbox, the database",
                                lambda: self.app.push_screen(SystemAdminScreen()))

    # --- invoice backups ------------------------------------------------------------------------

    def _may_back_up(self) -> bool:
        """Invoice administrators and support compile backups; contacts do not."""
        if self._home is None:
            return False
        from data.models import Role

        return (self._home.actor.has(Role.INVOICE_ADMINISTRATOR)
                or self._home.actor.has(Role.SUPPORT))

    def action_mark(self) -> None:
        table = self.query_one("#invoices-table", DataTable)
        rows = self._rows("invoices")
        if not rows or not 0 <= table.cursor_row < len(rows):
            return
        invoice_id = row_id("invoices", rows[table.cursor_row])
        self._marked = self._marked ^ {invoice_id}
        mark = "✓" if invoice_id in self._marked else " "
        table.update_cell(f"invoice:{invoice_id}", "mark", Text(mark))
        table.move_cursor(row=min(table.cursor_row + 1, len(rows) - 1), animate=False)
        self._label_tabs()  # the invoices tab counts the marks


    def _mark_shown(self, marked: bool) -> None:
        shown = {row_id("invoices", row) for row in self._rows("invoices")}
        self._marked = self._marked | shown if marked else self._marked - shown
        self._lay_out()
        self._label_tabs()

    def action_backup(self) -> None:
        from tui.screens.home_backups import plan_and_ask

        shown = [row_id("invoices", row) for row in self._rows("invoices")]
        marked = self._marked_ids()
        if marked:
            plan_and_ask(self, marked)
            return
        table = self.query_one("#invoices-table", DataTable)
        highlighted = shown[table.cursor_row] if 0 <= table.cursor_row < len(shown) else None

        def chosen(answer: str | None) -> None:
            if answer == "shown":
                plan_and_ask(self, shown)
            elif answer == "highlighted" and highlighted is not None:
                plan_and_ask(self, [highlighted])

        from tui.dialogs import Choose

        self.app.push_screen(Choose(
            "No invoice is marked (Space marks the highlighted one). Back up:",
            [("highlighted", "The highlighted invoice"),
             ("shown", f"All {len(shown)} invoices shown"), ("cancel", "Cancel")]), chosen)

    def on_backup_planned(self, event: BackupPlanned) -> None:
        from tui.screens.home_backups import confirm_and_compile

        confirm_and_compile(self, event.plan)

    def _is_administrator(self) -> bool:
        if self._home is None:
            return False
        from data.models import Role

        return self._home.actor.has(Role.INVOICE_ADMINISTRATOR)

    def _project_in_view(self) -> CommitmentRow | None:
        """The highlighted commitment, or the first: whose project a period command is for."""
        rows = self._rows("commitments")
        if not rows:
            return None
        table = self.query_one("#commitments-table", DataTable)
        row: CommitmentRow = rows[min(max(table.cursor_row, 0), len(rows) - 1)]
        return row

    def _schedule_periods(self) -> None:
        from tui.screens.home_periods import schedule_form

        row = self._project_in_view()
        schedule_form(self, row.project.split(" ", 1)[0] if row else "")

    def _open_period(self) -> None:
        from tui.screens.home_periods import open_period_form

        row = self._project_in_view()
        open_period_form(self, row.project.split(" ")[0] if row else "")

    def _close_period(self) -> None:
        from tui.screens.home_periods import close_period_asked

        row = self._project_in_view()
        if row is None or row.open_period_id is None:
            self.say("The highlighted commitment's project has no open billing period.",
                     error=True)
            return
        due = f"{row.open_period_due:%b %d, %Y}" if row.open_period_due else "no due date"
        close_period_asked(self, row.open_period_id,
                           f"of project {row.project} (invoices due {due})")

    def _invite_one(self) -> None:
        from tui.screens.home_invites import ask_and_invite

        row = self._project_in_view()
        if row is None:
            self.say("There is no commitment to invite.", error=True)
            return
        ask_and_invite(self, [row.commitment_id], f"commitment {row.number}")

    def _invite_project(self) -> None:
        from tui.screens.home_invites import ask_and_invite

        row = self._project_in_view()
        if row is None:
            self.say("There is no commitment to invite.", error=True)
            return
        ids = [other.commitment_id for other in self._all_rows("commitments")
               if other.project == row.project]
        ask_and_invite(self, ids, f"the {len(ids)} commitments of project {row.project}")

    def on_invites_sent(self, event: InvitesSent) -> None:
        from tui.screens.home_invites import report_invites

        self.load()
        report_invites(self, event)

    def _marked_ids(self) -> list[int]:
        """The marked invoices, in the list's order (marks stay on rows a search hides)."""
        return [ident for ident in (row_id("invoices", row) for row in
                                    self._all_rows("invoices")) if ident in self._marked]

    def action_status(self) -> None:
        from tui.screens.home_status import choose_status

        if self._home is not None:
            choose_status(self, self._home, self._status, self._show_status)

    def _show_status(self, chosen: tuple[str, str] | None) -> None:
        self._status, self._found = chosen, {}
        self._lay_out()
        self._label_tabs()
        if chosen is not None:
            self.action_tab(chosen[0])
            self.say(f"Showing the {chosen[0]} in “{chosen[1]}”: {len(self._rows(chosen[0]))}. "
                     "s → Every status shows them all again.")
        else:
            self._show_detail()
            self.refresh_bindings()

    def action_change_marked(self) -> None:
        from tui.screens.home_status import change_marked

        marked = self._marked_ids()
        if marked:
            change_marked(self, marked)

    def on_statuses_changed(self, event: StatusesChanged) -> None:
        from tui.screens.home_status import report_moves

        report_moves(self, event)
        self.load()

    def on_period_changed(self, event: PeriodChanged) -> None:
        self.say(event.say)
        self.load()
