"""The in-place editor: an Input laid over the grid cell being edited. Enter commits, Esc
cancels; either way the grid gets the focus back."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class CellEditor(Input):
    DEFAULT_CSS = """
    CellEditor {
        position: absolute;
        height: 1;
        border: none;
        padding: 0 0;
        background: $accent-darken-2;
        color: $text;
    }
    CellEditor:focus { border: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cell.cancel")]

    class Cancelled(Message):
        pass

    def __init__(self, value: str, *, x: int, y: int, width: int) -> None:
        super().__init__(value=value, id="cell-editor", select_on_focus=False)
        self.styles.offset = (x, y)
        self.styles.width = max(width, 12)

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
