"""The screen's last word to the person: what happened, or what went wrong and why.

Two lines, wrapped, drawn without moving anything else on the screen. A message longer than that
is also shown as a notification, so that it can be read in full."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from data.terminal_text import terminal_safe

HEIGHT = 2


class MessageLine(Widget):
    DEFAULT_CSS = """
    MessageLine { height: 2; padding: 0 1; }
    MessageLine.error { color: $text-error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = ""

    def say(self, message: str, *, error: bool = False) -> None:
        self._text = terminal_safe(message, multiline=True)  # errors quote stored text
        self.set_class(error, "error")
        self.refresh()
        width = self.size.width - 2
        may_overflow = len(self._text) > width or self._text.count("\n") >= HEIGHT
        if width > 10 and may_overflow \
                and len(Text(self._text).wrap(self.app.console, width)) > HEIGHT:
            self.notify(self._text, severity="error" if error else "information",
                        markup=False, timeout=20)

    @property
    def text(self) -> str:
        return self._text

    @property
    def is_error(self) -> bool:
        return self.has_class("error")

    def render(self) -> Text:
        return Text(self._text)
