"""Small modal dialogs: a question with answers, a value to type, a list to read.

Questions and lines often quote stored text (a file name, someone else's invoice number), so
every dialog shows what it is given through `terminal_safe`: literally, and with no control
character reaching the terminal."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, Static

from data.terminal_text import terminal_safe
from tui.widgets.form import fit_scroll
from tui.widgets.quiet_footer import QuietFooter
from tui.words import as_shown

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 74; max-width: 100%; height: auto; max-height: 90%;
    border: thick $accent; background: $surface; padding: 1 2;
}}
{name} Horizontal {{ height: auto; margin-top: 1; }}
{name} Button {{ margin-right: 2; }}
{name} .answers {{ height: auto; margin-top: 1; }}
{name} .answers Button {{ width: 100%; }}
{name} .error {{ color: $error; }}
"""


_ANSWERS_ROOM = 66  # inside a dialog 74 wide: its border and padding taken off
_BUTTON_PADDING = 6  # a button's border, padding and the margin after it


class Choose(ModalScreen[str]):
    """A question with a few answers; each answer has a key (its first letter)."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="Choose")
    BINDINGS = [Binding("escape", "dismiss('cancel')", "Cancel", id="choose.cancel"),
                Binding("down,right", "app.focus_next", "Next answer", show=False,
                        id="choose.next"),
                Binding("up,left", "app.focus_previous", "Previous answer", show=False,
                        id="choose.previous")]

    def __init__(self, question: str, answers: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.question = question
        self.answers = answers  # (value, label)

    def compose(self) -> ComposeResult:
        yield QuietFooter(compact=True, show_command_palette=False)  # this dialog's keys only
        self.answers = [(value, as_shown(self, label)) for value, label in self.answers]
        with Vertical():
            yield Static(Text(terminal_safe(as_shown(self, self.question), multiline=True)))
            # Answers that do not fit side by side at 80 columns go one under the other.
            stacked = len(self.answers) > 3 or sum(
                len(label) + _BUTTON_PADDING for _, label in self.answers) > _ANSWERS_ROOM
            with Vertical(classes="answers") if stacked else Horizontal():
                for value, label in self.answers:
                    yield Button(label, id=f"answer-{value}", compact=stacked)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.dismiss(event.button.id.removeprefix("answer-"))

    def on_key(self, event: events.Key) -> None:
        key = event.character
        for value, label in self.answers:
            if key and label.lower().startswith(key.lower()) and key.isalpha():
                event.stop()  # the letter answers the question: the screen below never sees it
                event.prevent_default()
                self.dismiss(value)
                return


class Ask(ModalScreen[str | None]):
    """One value to type; `check` returns an error message, or None when the value is fine.

    The value offered is shown through `terminal_safe`; confirmed as shown, it comes back as it
    was given, control characters and all, so that looking at a value never changes it."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="Ask")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="ask.cancel")]

    def __init__(self, question: str, value: str = "", *, placeholder: str = "",
                 suggester: Suggester | None = None,
                 check: Callable[[str], str | None] | None = None) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.suggester = suggester
        self.check = check

    def compose(self) -> ComposeResult:
        yield QuietFooter(compact=True, show_command_palette=False)  # this dialog's keys only
        with Vertical():
            yield Static(Text(terminal_safe(as_shown(self, self.question), multiline=True)))
            yield Input(terminal_safe(self.value), placeholder=self.placeholder,
                        suggester=self.suggester, id="answer")
            yield Static("", classes="error", id="problem")
            yield Label(Text("Enter to confirm, Esc to cancel"
                             + (", → to accept a completion" if self.suggester else ""),
                             style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = self.value if event.value == terminal_safe(self.value) else event.value
        problem = self.check(value) if self.check is not None else None
        if problem:
            self.query_one("#problem", Static).update(
                Text(terminal_safe(str(problem), multiline=True)))
            return
        self.dismiss(value)


class Report(ModalScreen[None]):
    """Lines to read. They wrap, never cut; what does not fit scrolls (↑ ↓ PgUp PgDn Home End),
    so that at 80×24 every line can be reached. Esc, Enter or q closes it."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="Report") + """
    Report > Vertical { max-height: 100%; padding: 0 1; }
    Report #report-lines { height: auto; max-height: 14; }
    Report #report-lines:focus { background-tint: $foreground 3%; }
    Report #report-footer { margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape,enter,q", "dismiss(None)", "Close", id="report.close"),
    ]

    def __init__(self, title: str, lines: Sequence[str], footer: str = "", *,
                 reword: bool = True) -> None:
        """`reword=False`: the lines are in the project's words already and hold people's
        text (a history's comments), to be shown as they are."""
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.footer = footer
        self.reword = reword

    def compose(self) -> ComposeResult:
        yield QuietFooter(compact=True, show_command_palette=False)  # this dialog's keys only
        with Vertical(id="report-box"):
            words = (lambda text: as_shown(self, text)) if self.reword else str
            yield Static(Text(terminal_safe(words(self.title_text), multiline=True),
                              style="bold"), id="report-title")
            with VerticalScroll(id="report-lines"):
                for line in self.lines:
                    yield Static(_bullet(terminal_safe(words(line), multiline=True)))
                if self.footer:
                    yield Static(Text(terminal_safe(words(self.footer), multiline=True),
                                      style="italic"), id="report-footer")
            yield Static(Text("Esc, Enter or q to close · ↑ ↓ PgUp PgDn Home End to scroll",
                              style="dim"), id="report-keys")

    def on_mount(self) -> None:
        self.query_one("#report-lines", VerticalScroll).focus()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        fit_scroll(self, self.query_one("#report-box"), self.query_one("#report-lines"))


def _bullet(line: str) -> Table:
    """A bullet with a hanging indent: a wrapped line starts under the text, not the bullet."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(width=1, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row("•", Text(line))
    return grid
