"""Home: the acting person's invites to bill, invoices and commitments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from data.terminal_text import terminal_safe
from tui.widgets.cells import day, money, plain, status

if TYPE_CHECKING:
    from data.services.home import Home
    from tui.app import PayApp


def _days_left(days: int) -> Text:
    if days < 0:
        return Text(f"{-days} d overdue", style="bold red")
    if days == 0:
        return Text("due today", style="bold yellow")
    return Text(f"{days} d left")


class HomeScreen(Screen[None]):
    DEFAULT_CSS = """
    HomeScreen TabbedContent { height: 1fr; }
    HomeScreen TabPane { height: 1fr; padding: 0; }
    HomeScreen #who { height: 1; padding: 0 1; background: $boost; }
    HomeScreen #problem { padding: 1 2; color: $error; }
    HomeScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("i", "tab('invites')", "Invites", id="home.invites"),
        Binding("v", "tab('invoices')", "Invoices", id="home.invoices"),
        Binding("c", "tab('commitments')", "Commitments", id="home.commitments"),
        Binding("y", "answer(True)", "Yes", id="home.yes", tooltip="Yes: bill this period"),
        Binding("n", "answer(False)", "No", id="home.no", tooltip="No: not this period"),
        Binding("b", "bill", "Bill", id="home.bill", tooltip="Start an invoice"),
        Binding("r", "refresh", "Refresh", id="home.refresh", show=False),
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
        yield Footer(compact=True)

    _home: Home | None = None

    @property
    def payapp(self) -> PayApp:
        return cast("PayApp", self.app)

    def on_mount(self) -> None:
        invites = self.query_one("#invites-table", DataTable)
        invites.add_columns("Commitment", "Type", "Period", "Invited by", "Due", "", "Answer")
        invoices = self.query_one("#invoices-table", DataTable)
        invoices.add_columns("Commitment", "#", "Period end", "Status",
                             Text("Payment Due", justify="right"), "Payment")
        commitments = self.query_one("#commitments-table", DataTable)
        commitments.add_columns("Number", "Title", "Company", "Method", "Project", "Open period")
        self.load()

    def on_screen_resume(self) -> None:
        if self._home is not None:  # back from an invoice: its status or amounts may differ
            self.load()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.query_one(f"#{tab}-table", DataTable).focus()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="home-load")
    def load(self) -> None:
        from data.db import reading
        from data.services.actors import actor_for_login
        from data.services.errors import NotAllowed, NotFound
        from data.services.home import home_for

        try:
            with reading(self.payapp.engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                home = home_for(session, actor, today=self.payapp.today())
        except (NotFound, NotAllowed) as error:
            message = (f"{error}. Ask your system administrator to add you "
                       f"(payapp users add {self.payapp.login} ...).")
            self.app.call_from_thread(self._show_problem, message)
            return
        self.app.call_from_thread(self._show, home)

    def _show_problem(self, message: str) -> None:
        self.query_one("#who", Static).update(
            Text(terminal_safe(message, multiline=True), style="bold red"))

    def _show(self, home: Home) -> None:
        first_load = self._home is None
        self._home = home
        actor = home.actor
        from data.wording import ROLE_LABELS  # loaded with the home list already

        roles = ", ".join(sorted(ROLE_LABELS[r] for r in actor.roles))
        demo = "  [demo: ctrl+p → Act as… to switch user]" if self.payapp.demo else ""
        self.query_one("#who", Static).update(
            Text(terminal_safe(f"{actor.display_name} ({actor.login}) · {roles}{demo}")))
        invites = self.query_one("#invites-table", DataTable)
        invites.clear()
        for row in home.invites:
            answer = row.response_label
            if row.overdue:
                answer += " (closed: past due)"
            invites.add_row(
                plain(row.commitment), plain(row.invite_type),
                plain(f"{row.period_start:%b %d} – {row.period_end:%b %d, %Y}"),
                plain(row.invited_by), day(row.due_on), _days_left(row.days_left),
                plain(answer, "dim" if row.overdue else ""),
                key=f"invite:{row.invite_id}",
            )
        invoices = self.query_one("#invoices-table", DataTable)
        invoices.clear()
        for inv in home.invoices:
            invoices.add_row(
                plain(f"{inv.commitment_number} {inv.commitment_title}"), plain(str(inv.position)),
                day(inv.period_end), status(inv.status), money(inv.current_payment_due),
                plain(inv.payment_label), key=f"invoice:{inv.invoice_id}",
            )
        commitments = self.query_one("#commitments-table", DataTable)
        commitments.clear()
        for c in home.commitments:
            commitments.add_row(
                plain(c.number), plain(c.title), plain(c.company), plain(c.method_label),
                plain(c.project),
                day(c.open_period_due) if c.open_period_due else plain("none"),
                key=f"commitment:{c.commitment_id}",
            )
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

    @work(thread=True, exclusive=True, group="home-answer")
    def answer(self, invite_id: int, bill: bool) -> None:
        from data.db import writing
        from data.services.actors import actor_for_login
        from data.services.errors import Invalid, NotAllowed, NotFound
        from data.services.invites import respond

        try:
            with writing(self.payapp.engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                invoice = respond(session, actor, invite_id, bill=bill, today=self.payapp.today())
                invoice_id = invoice.id if invoice is not None else None
        except (Invalid, NotAllowed, NotFound) as error:
            self.app.call_from_thread(self.say, str(error), error=True)
            return
        if invoice_id is None:
            self.app.call_from_thread(
                self.say, "Thank you: you will not bill this period. You can still answer "
                "Yes until the due date.")
            self.app.call_from_thread(self.load)
            return
        self.app.call_from_thread(self.load)
        self.app.call_from_thread(self.open_invoice, invoice_id)

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

    @work(thread=True, exclusive=True, group="home-answer")
    def start_invoice(self, commitment_id: int, period_id: int) -> None:
        from data.db import writing
        from data.services.actors import actor_for_login
        from data.services.errors import Invalid, NotAllowed, NotFound
        from data.services.invoice_changes import create_invoice

        try:
            with writing(self.payapp.engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                invoice = create_invoice(session, actor, commitment_id, period_id,
                                         today=self.payapp.today())
                invoice_id = invoice.id
        except (Invalid, NotAllowed, NotFound) as error:
            self.app.call_from_thread(self.say, str(error), error=True)
            return
        assert invoice_id is not None
        self.app.call_from_thread(self.load)
        self.app.call_from_thread(self.open_invoice, invoice_id)

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
