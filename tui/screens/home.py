"""Home: the acting person's invites to bill, invoices and commitments."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from data.terminal_text import terminal_safe
from tui.service_calls import ServiceFailed, ServiceRefused, acting, call_service
from tui.widgets.cells import day, money, plain, status
from tui.widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from sqlmodel import Session

    from data.services.actors import Actor
    from data.services.home import Home, InviteRow


def _days_left(days: int) -> Text:
    if days < 0:
        return Text(f"{-days} d overdue", style="bold red", no_wrap=True)
    if days == 0:
        return Text("due today", style="bold yellow", no_wrap=True)
    return Text(f"{days} d left", no_wrap=True)


def _days_left_short(days: int) -> Text:
    if days < 0:
        return Text(f"{-days} d late", style="bold red", no_wrap=True)
    if days == 0:
        return Text("today", style="bold yellow", no_wrap=True)
    return Text(f"{days} d", no_wrap=True)


def _short_day(value: date) -> Text:
    """Dec 31 ’26: the year kept, in two digits."""
    return Text(f"{value:%b %d} ’{value:%y}", no_wrap=True)


def _answer(row: InviteRow, *, short: bool = False) -> Text:
    answer = row.response_label
    if row.overdue:
        answer += ", closed" if short else " (closed: past due)"
    return plain(answer, "dim" if row.overdue else "")


# --- columns that fit the terminal -----------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One way to show a column: its caption, its cell, and at most how wide (cut with …)."""

    caption: str | Text
    cell: Callable[[Any], Text]
    max_width: int | None = None


@dataclass(frozen=True)
class Column:
    key: str
    shapes: tuple[Shape, ...]  # widest first; squeezed past the last one, the column goes


@dataclass(frozen=True)
class Layout:
    """A table's columns, the one that takes the width left over (cut with …, never below
    `flex_min` unless nothing else can give way), and the order in which the others give way:
    each step moves that column to its next, narrower shape, and past its last shape hides it
    (the line under the table still shows the whole row). Every shape of a money column shows
    the figure whole (only its caption gets shorter), and no money column is ever hidden."""

    columns: tuple[Column, ...]
    flex: str
    flex_min: int
    squeeze: tuple[str, ...]


FLEX_FLOOR = 10


def _width(shape: Shape, rows: Sequence[Any]) -> int:
    caption = shape.caption.cell_len if isinstance(shape.caption, Text) else len(shape.caption)
    natural = max([caption, *(shape.cell(row).cell_len for row in rows)])
    return natural if shape.max_width is None else min(natural, max(caption, shape.max_width))


def fit(layout: Layout, rows: Sequence[Any], width: int,
        padding: int = 2) -> list[tuple[Column, Shape, int]]:
    """The columns to show in `width` cells, each with its shape and width."""
    chosen = {c.key: 0 for c in layout.columns}
    steps = list(layout.squeeze)
    while True:
        shown = [(c, c.shapes[chosen[c.key]]) for c in layout.columns
                 if chosen[c.key] < len(c.shapes)]
        widths = {c.key: _width(shape, rows) for c, shape in shown}
        others = sum(w + padding for key, w in widths.items() if key != layout.flex)
        flex_room = width - others - padding
        if flex_room >= min(widths[layout.flex], layout.flex_min) or not steps:
            break
        chosen[steps.pop(0)] += 1
    # Nothing else can give way: the flexible column takes what is left, down to a floor.
    widths[layout.flex] = max(min(widths[layout.flex], flex_room),
                              min(widths[layout.flex], FLEX_FLOOR))
    return [(c, shape, widths[c.key]) for c, shape in shown]


def _row_id(kind: str, row: Any) -> int:
    ident = {"invites": "invite_id", "invoices": "invoice_id",
             "commitments": "commitment_id"}[kind]
    return int(getattr(row, ident))


def _period(row: InviteRow) -> Text:
    return plain(f"{row.period_start:%b %d} – {row.period_end:%b %d, %Y}")


INVITES = Layout(
    columns=(
        Column("commitment", (Shape("Commitment", lambda r: plain(r.commitment)),)),
        Column("type", (Shape("Type", lambda r: plain(r.invite_type)),)),
        Column("period", (Shape("Period", _period),
                          Shape("Period", lambda r: plain(
                              f"{r.period_start:%b %d}–{r.period_end:%b %d}")))),
        Column("invited_by", (Shape("Invited by", lambda r: plain(r.invited_by)),)),
        Column("due", (Shape("Due", lambda r: day(r.due_on)),
                       Shape("Due", lambda r: plain(f"{r.due_on:%b %d}")))),
        Column("left", (Shape("Days left", lambda r: _days_left(r.days_left)),
                        Shape("Left", lambda r: _days_left_short(r.days_left)))),
        Column("answer", (Shape("Answer", _answer),
                          Shape("Answer", lambda r: _answer(r, short=True)))),
    ),
    flex="commitment", flex_min=24,
    squeeze=("answer", "type", "period", "due", "left", "invited_by", "period"),
)

INVOICES = Layout(
    columns=(
        Column("commitment", (Shape("Commitment", lambda r: plain(
            f"{r.commitment_number} {r.commitment_title}")),)),
        Column("number", (Shape("#", lambda r: plain(str(r.position))),)),
        Column("period_end", (Shape("Period end", lambda r: day(r.period_end)),
                              Shape("Period end", lambda r: _short_day(r.period_end)))),
        Column("status", (Shape("Status", lambda r: status(r.status)),)),
        Column("payment_due", (Shape(Text("Payment Due", justify="right"),
                                     lambda r: money(r.current_payment_due)),
                               Shape(Text("Due", justify="right"),
                                     lambda r: money(r.current_payment_due)))),
        Column("payment", (Shape("Payment", lambda r: plain(r.payment_label)),
                           Shape("Payment", lambda r: plain(r.payment_label), max_width=9))),
    ),
    flex="commitment", flex_min=22,
    squeeze=("period_end", "payment_due", "payment", "payment", "period_end"),
)

COMMITMENTS = Layout(
    columns=(
        Column("number", (Shape("Number", lambda r: plain(r.number)),)),
        Column("title", (Shape("Title", lambda r: plain(r.title)),)),
        Column("company", (Shape("Company", lambda r: plain(r.company)),
                           Shape("Company", lambda r: plain(r.company), max_width=18))),
        Column("method", (Shape("Method", lambda r: plain(r.method_label)),)),
        Column("project", (Shape("Project", lambda r: plain(r.project)),
                           Shape("Project", lambda r: plain(r.project), max_width=18))),
        Column("open_period", (
            Shape("Open period due", lambda r: day(r.open_period_due)
                  if r.open_period_due else plain("none")),
            Shape("Period due", lambda r: _short_day(r.open_period_due)
                  if r.open_period_due else plain("none")))),
    ),
    flex="title", flex_min=16,
    squeeze=("project", "company", "open_period", "project", "company"),
)

TABLES: dict[str, Layout] = {"invites": INVITES, "invoices": INVOICES,
                             "commitments": COMMITMENTS}


def _detail(kind: str, row: Any) -> Text:
    """The whole of one row, for the line under the table: what a narrow column cut or hid."""
    if kind == "invites":
        due = f"due {row.due_on:%b %d, %Y} ({_days_left(row.days_left).plain})"
        parts = [row.commitment, row.invite_type, f"{row.period_start:%b %d} – "
                 f"{row.period_end:%b %d, %Y}", f"invited by {row.invited_by}", due,
                 f"answer: {_answer(row).plain}"]
    elif kind == "invoices":
        parts = [f"{row.commitment_number} {row.commitment_title}",
                 f"invoice #{row.position}", f"period ending {row.period_end:%b %d, %Y}",
                 row.status, f"payment due {money(row.current_payment_due).plain}",
                 f"payment: {row.payment_label}"]
    else:
        due = (f"open period due {row.open_period_due:%b %d, %Y}" if row.open_period_due
               else "no open period")
        parts = [f"{row.number} {row.title}", row.company, f"method: {row.method_label}",
                 row.project, due]
    return Text(" · ".join(terminal_safe(part) for part in parts))


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
        Binding("question_mark", "keys", "Keys", id="home.keys", key_display="?",
                tooltip="This list of keys"),
        Binding("r", "refresh", "Refresh", id="home.refresh", show=False,
                tooltip="Read the lists again"),
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

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
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
        self.say(event.reason, error=True)

    def on_service_failed(self, event: ServiceFailed) -> None:
        self.say(event.text, error=True)

    def _show_problem(self, message: str) -> None:
        self.query_one("#who", Static).update(
            Text(terminal_safe(message, multiline=True), style="bold red"))

    def _show(self, home: Home) -> None:
        first_load = self._home is None
        self._home = home
        actor = home.actor
        from data.wording import ROLE_LABELS  # loaded with the home list already

        roles = ", ".join(sorted(ROLE_LABELS[r] for r in actor.roles))
        demo = "  [demo: ctrl+p → Act as…]" if acting(self).demo else ""
        self.query_one("#who", Static).update(
            Text(terminal_safe(f"{actor.display_name} ({actor.login}) · {roles}{demo}"),
                 no_wrap=True, overflow="ellipsis"))
        self._lay_out()
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("invites").label = Text(f"Invites to bill ({len(home.invites)})")
        tabs.get_tab("invoices").label = Text(f"Invoices ({len(home.invoices)})")
        tabs.get_tab("commitments").label = Text(f"Commitments ({len(home.commitments)})")
        if first_load:  # afterwards the person stays on the tab they chose
            pending = [i for i in home.invites if i.response == "pending" and not i.overdue]
            if pending:
                self.action_tab("invites")
            elif home.invoices:
                self.action_tab("invoices")
        self._show_detail()
        self.refresh_bindings()

    def _rows(self, kind: str) -> Sequence[Any]:
        if self._home is None:
            return ()
        return {"invites": self._home.invites, "invoices": self._home.invoices,
                "commitments": self._home.commitments}[kind]

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
            columns = fit(layout, rows, width, padding=2 * table.cell_padding)
            for column, shape, column_width in columns:
                caption = shape.caption if isinstance(shape.caption, Text) else Text(
                    shape.caption)
                table.add_column(caption, width=column_width, key=column.key)
            for row in rows:
                table.add_row(*(shape.cell(row) for _, shape, _ in columns),
                              key=f"{kind[:-1]}:{_row_id(kind, row)}")
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
            shown = _detail(kind, rows[table.cursor_row])
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
        if action == "answer":
            return self._active() == "invites" and bool(self._rows("invites"))
        if action == "bill":
            return self._active() == "commitments" and bool(self._rows("commitments"))
        return True

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
        self.notify(terminal_safe(message, multiline=True), markup=False,
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
        from tui.screens.invoice import InvoiceScreen

        self.app.push_screen(InvoiceScreen(invoice_id))

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Show invites to bill", "The invites of the open billing period",
                            lambda: self.action_tab("invites"))
        yield SystemCommand("Show invoices", "Your invoices, newest first",
                            lambda: self.action_tab("invoices"))
        yield SystemCommand("Show commitments", "The commitments you can see",
                            lambda: self.action_tab("commitments"))
        yield SystemCommand("Refresh", "Read the lists again from the database", self.load)
