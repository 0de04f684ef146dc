"""The words on screen in the wording of the project shown (domain.md §1): a general
contractor's, an owner's or a specialty contractor's people read the same screens in their own
words. The app remembers the point of view of what it shows (an invoice's project; on home, the
person's projects when they all share one); messages, dialogs, forms and commands pass their
text through `as_shown`. Text between “curly quotes” is a person's (a file name, a comment) and
is never reworded."""

from __future__ import annotations

from typing import Protocol, cast

from textual.app import App
from textual.dom import DOMNode

DEFAULT = "general_contractor"


class _Worded(Protocol):
    """What tui.app.PayApp has for this (named here: the app is a layer above)."""

    point_of_view: str


def showing(node: DOMNode | App[object], point_of_view: str) -> None:
    """From now on the screens speak in this project's words."""
    app = node if isinstance(node, App) else node.app
    cast(_Worded, app).point_of_view = point_of_view


def as_shown(node: DOMNode | App[object], text: str) -> str:
    """payapp's own `text` in the words of the project shown."""
    from data.wording import reworded

    app = node if isinstance(node, App) else node.app
    return reworded(text, getattr(app, "point_of_view", DEFAULT))
