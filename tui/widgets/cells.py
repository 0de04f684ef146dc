"""Table cells. Every string that came from the database is wrapped in `Text`, so that it is
shown literally: a DataTable or Static would otherwise read `[...]` in it as markup; and it is
passed through `terminal_safe` first, so that no control character in it reaches the terminal
(ESC [2J, OSC 52...)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rich.text import Text

from data.money import format_money, format_percent, format_quantity, format_unit_price
from data.terminal_text import terminal_safe

STATUS_STYLES = {
    "Draft": "bold",
    "Under Review": "bold cyan",
    "Revise & Resubmit": "bold yellow",
    "Pending Owner Approval": "bold magenta",
    "Approved as Noted": "bold green",
    "Approved": "bold green",
}


def plain(value: str, style: str = "") -> Text:
    return Text(terminal_safe(value), style=style, no_wrap=True, overflow="ellipsis")


def money(value: Decimal, style: str = "") -> Text:
    shown = format_money(value)
    if value < 0 and not style:
        style = "red"
    return Text(shown, style=style, justify="right", no_wrap=True)


def percent(value: Decimal | None) -> Text:
    return Text("—" if value is None else format_percent(value), justify="right", no_wrap=True)


def quantity(value: Decimal) -> Text:
    return Text(format_quantity(value), justify="right", no_wrap=True)


def unit_price(value: Decimal) -> Text:
    return Text(format_unit_price(value), justify="right", no_wrap=True)


def day(value: date) -> Text:
    return Text(f"{value:%b %d, %Y}", no_wrap=True)


def status(label: str, shown: str | None = None) -> Text:
    """A status in its colour; `shown`: the label in the project's words, if they differ."""
    return Text(terminal_safe(shown or label), style=STATUS_STYLES.get(label, ""), no_wrap=True)


def fit(pieces: list[Text], width: int, separator: str = "   ") -> Text:
    """As many whole pieces as fit in `width` cells, in order of importance: a piece that does
    not fit is left out, never cut (a figure is shown whole or not at all)."""
    line = Text(no_wrap=True)
    for piece in pieces:
        extra = (len(separator) if line.plain else 0) + piece.cell_len
        if line.cell_len + extra > width:
            continue
        if line.plain:
            line.append(separator)
        line.append_text(piece)
    return line
