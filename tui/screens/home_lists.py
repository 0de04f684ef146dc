"""What the home screen's three lists show: for invites, invoices and commitments, each
column's shapes from widest to narrowest (tui.widgets.fitted_columns fits them to the width),
and the line under a list that shows the highlighted row in full."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text

from data.terminal_text import terminal_safe
from data.wording import reworded, word
from tui.widgets.cells import day, money, plain, status
from tui.widgets.fitted_columns import Column, Layout, Shape

if TYPE_CHECKING:
    from data.services.home import InviteRow


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


def row_id(kind: str, row: Any) -> int:
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
        Column("status", (Shape("Status", lambda r: status(
            r.status, reworded(r.status, r.point_of_view))),)),
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
        Column("this_period", (Shape("This period", lambda r: plain(r.this_period)),)),
    ),
    flex="title", flex_min=16,
    squeeze=("project", "company", "open_period", "project", "company", "method",
             "open_period"),
)

TABLES: dict[str, Layout] = {"invites": INVITES, "invoices": INVOICES,
                             "commitments": COMMITMENTS}


def status_of(kind: str, row: Any) -> str:
    """The status a row is counted and shown under (home's status filter): an invoice's status,
    a commitment's standing in its project's open period."""
    return str(row.status if kind == "invoices" else getattr(row, "this_period", ""))


def detail_of(kind: str, row: Any) -> Text:
    """The whole of one row, for the line under the table: what a narrow column cut or hid."""
    if kind == "invites":
        due = f"due {row.due_on:%b %d, %Y} ({_days_left(row.days_left).plain})"
        parts = [row.commitment, row.invite_type, f"{row.period_start:%b %d} – "
                 f"{row.period_end:%b %d, %Y}", f"invited by {row.invited_by}", due,
                 f"answer: {_answer(row).plain}"]
    elif kind == "invoices":
        parts = [f"{row.commitment_number} {row.commitment_title}",
                 f"{word('Invoice #', row.point_of_view)}{row.position}",
                 f"period ending {row.period_end:%b %d, %Y}",
                 reworded(row.status, row.point_of_view),
                 f"payment due {money(row.current_payment_due).plain}",
                 f"payment: {row.payment_label}", row.company, f"project {row.project}"]
    else:
        due = (f"open period due {row.open_period_due:%b %d, %Y}" if row.open_period_due
               else "no open period")
        parts = [f"{row.number} {row.title}", row.company, f"method: {row.method_label}",
                 row.project, due, *([f"this period: {row.this_period}"] if row.this_period
                                    else [])]
    return Text(" · ".join(terminal_safe(part) for part in parts))
