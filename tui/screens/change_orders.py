"""A commitment's change orders (an invoice administrator's), opened from the home screen's
palette for the highlighted commitment: the list with each order's status, lines and total and
the contract sum; n adds one (kind, number, title and its lines typed on one line), m moves the
highlighted one to another status. Approving one adds its lines to the schedule of values and
its total to the contract sum (data/services/change_orders.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from data.terminal_text import terminal_safe
from tui.dialogs import Choose
from tui.parts.message_line import MessageLine
from tui.screens.commitment_setup import required
from tui.service_calls import ServiceFailed, ServiceRefused, acting, call_service
from tui.widgets.form import FormField, FormScreen
from tui.widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from sqlmodel import Session

    from data.services.actors import Actor
    from data.services.change_orders import ChangeOrderRow
    from data.services.home import CommitmentRow


class OrdersRead(Message):
    def __init__(self, orders: list[ChangeOrderRow], contract_sum: str, say: str) -> None:
        super().__init__()
        self.orders = orders
        self.contract_sum = contract_sum
        self.say = say


class OrderMade(Message):
    def __init__(self, made: ChangeOrderRow) -> None:
        super().__init__()
        self.made = made


class Moved(Message):
    def __init__(self, say: str) -> None:
        super().__init__()
        self.say = say


def _kind(text: str) -> str | None:
    return None if text.strip().upper() in ("PCO", "CCO") else "PCO or CCO"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


class ChangeOrderForm(FormScreen):
    """A new change order; confirming creates it as a Draft and closes the form, a refusal keeps
    the form open with the reason under the field it names."""

    def __init__(self, commitment_id: int, commitment_number: str, unit_based: bool) -> None:
        lines_hint = ("Trench = 120 LF @ 45.50; Backfill = 80 CY @ 22" if unit_based
                      else "Pendant fixtures = 2,500; Credit: cans = -1,200")
        super().__init__(f"New change order of commitment {commitment_number}", [
            FormField("kind", "Kind", "CCO", _kind, "PCO or CCO"),
            FormField("number", "Number", "", required("number"), "e.g. 004"),
            FormField("title", "Title", "", required("title"), "e.g. Added pendant lighting"),
            FormField("lines", "Lines", "", required("lines"), lines_hint),
        ], intro="Lines separated by “;”, each “description = " + (
            "quantity unit @ unit price”" if unit_based else "amount” (a deduction is negative)")
            + ". It starts as a Draft; m moves it on.")
        self.commitment_id = commitment_id
        self.made: ChangeOrderRow | None = None
        self._working = False

    def action_submit(self) -> None:
        if self._working or self.fields_refused():
            return
        values, commitment_id = self.values(), self.commitment_id

        def work(session: Session, actor: Actor) -> OrderMade:
            from data.billing import Method
            from data.models import ChangeOrderKind
            from data.services.change_orders import create_change_order, parse_typed_lines
            from data.services.commitment_setup import administered_commitment

            commitment, _project = administered_commitment(session, actor, commitment_id)
            lines = parse_typed_lines(values["lines"], Method(commitment.accounting_method))
            return OrderMade(create_change_order(
                session, actor, commitment_id, kind=ChangeOrderKind(values["kind"].upper()),
                number=values["number"], title=values["title"], lines=lines))

        self._working = True
        self.show_problem(None)
        call_service(self, "Creating the change order", work, lambda made: made, writes=True,
                     group="change-order")

    def on_order_made(self, event: OrderMade) -> None:
        self.made = event.made
        self.dismiss(self.values())

    def on_service_refused(self, event: ServiceRefused) -> None:
        event.stop()
        self._working = False
        reason = event.reason
        if reason.startswith("Line "):  # "Line 2: ..." is said whole, under the lines
            reason = f"Lines: {reason}"
        self.show_refusal(reason, {"Number": "number", "Title": "title", "Lines": "lines"})

    def on_service_failed(self, event: ServiceFailed) -> None:
        event.stop()
        self._working = False
        self.show_problem(event.text)


class ChangeOrdersScreen(Screen[None]):
    DEFAULT_CSS = """
    ChangeOrdersScreen #orders-title { padding: 0 1; text-style: bold; }
    ChangeOrdersScreen DataTable { height: 1fr; }
    ChangeOrdersScreen #orders-sum { padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="orders.back"),
        Binding("n", "new", "New", id="orders.new", tooltip="Add a change order, as a Draft"),
        Binding("m", "move", "Move", id="orders.move",
                tooltip="Move the highlighted change order: pending, approved, rejected, void"),
    ]

    def __init__(self, commitment_id: int, commitment_number: str, unit_based: bool) -> None:
        super().__init__()
        self.commitment_id = commitment_id
        self.commitment_number = commitment_number
        self.unit_based = unit_based
        self.orders: list[ChangeOrderRow] = []

    def compose(self) -> ComposeResult:
        yield Static(terminal_safe(f"Change orders of commitment {self.commitment_number}"),
                     id="orders-title")
        table: DataTable[str] = DataTable(cursor_type="row", id="orders-table")
        table.add_columns("Kind", "No.", "Title", "Status", "Items", "Total")
        yield table
        yield Static("", id="orders-sum")
        yield MessageLine(id="message")
        yield QuietFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.say("Reading the change orders…")
        self.load()

    def say(self, text: str, *, error: bool = False) -> None:
        self.query_one(MessageLine).say(text, error=error)

    def load(self, say: str = "") -> None:
        commitment_id = self.commitment_id

        def work(session: Session, actor: Actor) -> OrdersRead:
            from data.money import format_money
            from data.services.change_orders import change_orders_of
            from data.services.commitment_setup import contract_sums

            orders = change_orders_of(session, actor, commitment_id)
            original, changes = contract_sums(session, commitment_id)
            return OrdersRead(orders, f"Original {format_money(original)} + approved "
                                      f"{format_money(changes)} = contract sum "
                                      f"{format_money(original + changes)}", say)

        call_service(self, "Reading the change orders", work, lambda read: read,
                     group="orders")

    def on_orders_read(self, event: OrdersRead) -> None:
        from data.money import format_money

        kept = self._highlighted()  # stays highlighted once the list is read again
        self.orders = event.orders
        table = self.query_one(DataTable)
        table.clear()
        for order in event.orders:
            items = ", ".join(order.items)
            table.add_row(order.kind.value, terminal_safe(order.number),
                          _cut(terminal_safe(order.title), 28), order.status.value,
                          _cut(items, 12),
                          format_money(order.total), key=str(order.change_order_id))
        ids = [order.change_order_id for order in event.orders]
        if kept is not None and kept.change_order_id in ids:
            table.move_cursor(row=ids.index(kept.change_order_id))
        self.query_one("#orders-sum", Static).update(event.contract_sum)
        self.say(event.say or ("No change order yet: n adds one." if not event.orders else
                               "m moves the highlighted change order; n adds one."))
        table.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move":
            from data.services.change_orders import MOVES

            order = self._highlighted()
            return order is not None and bool(MOVES[order.status])
        return True

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def _highlighted(self) -> ChangeOrderRow | None:
        table = self.query_one(DataTable)
        if not self.orders or table.cursor_row >= len(self.orders):
            return None
        return self.orders[table.cursor_row]

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_new(self) -> None:
        form = ChangeOrderForm(self.commitment_id, self.commitment_number, self.unit_based)

        def closed(_values: object) -> None:
            if form.made is not None:
                self.load(f"{form.made.kind.value} {form.made.number} created as a Draft.")

        self.app.push_screen(form, closed)

    def action_move(self) -> None:
        from data.models import ChangeOrderStatus
        from data.services.change_orders import MOVES

        order = self._highlighted()
        if order is None or not MOVES[order.status]:
            return
        order_id = order.change_order_id
        targets = [s for s in ChangeOrderStatus if s in MOVES[order.status]]
        today = acting(self).today()

        def chosen(answer: str | None) -> None:
            if answer is None or answer == "cancel":
                return
            target = ChangeOrderStatus(answer)

            def work(session: Session, actor: Actor) -> Moved:
                from data.services.change_orders import move_change_order

                moved = move_change_order(session, actor, order_id, target, today=today)
                return Moved(terminal_safe(moved.describe()))

            call_service(self, "Moving the change order", work, lambda moved: moved,
                         writes=True, group="orders")

        question = (f"{order.kind.value} {order.number} is {order.status.value}. Move it to:"
                    + ("\n\nApproving adds its lines to the schedule of values and its total to "
                       "the contract sum; it cannot be undone."
                       if ChangeOrderStatus.APPROVED in targets else ""))
        self.app.push_screen(Choose(terminal_safe(question, multiline=True),
                                    [(t.value, t.value.capitalize()) for t in targets]
                                    + [("cancel", "Cancel")]), chosen)

    def on_moved(self, event: Moved) -> None:
        self.load(event.say)

    def on_service_refused(self, event: ServiceRefused) -> None:
        self.say(event.text, error=True)

    def on_service_failed(self, event: ServiceFailed) -> None:
        self.say(event.text, error=True)


def open_change_orders(screen: Screen[Any], in_view: CommitmentRow | None) -> None:
    """The highlighted commitment's change orders."""
    if in_view is None:
        screen.notify("Highlight a commitment on the Commitments tab first.", severity="error")
        return
    screen.app.push_screen(ChangeOrdersScreen(in_view.commitment_id, in_view.number,
                                              unit_based=in_view.method == "unit"))
