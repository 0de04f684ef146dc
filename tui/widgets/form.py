"""A dialog of several fields, each with its own check, and a check of the whole.

    FormScreen(title, [FormField("number", "Invoice no.", view.invoice_number, check_number),
                       FormField("billed", "Billing date", "2026-12-01", check_date)],
               intro="Applies to invoice #3", check_all=period_in_order)

is a `ModalScreen[dict[str, str] | None]`: push it with a callback (or `push_screen_wait`)
and get `{"number": ..., "billed": ...}`, or None when the person pressed Esc.

Keys: Tab / Shift+Tab move between fields, Enter moves to the next field and on the last one
confirms, Ctrl+S confirms from anywhere, Esc cancels. On confirming, every field's `check` runs;
each refusal is shown in full under its field (wrapped, never cut), focus goes to the first
field refused, and everything typed stays where it was. When every field passes, `check_all`
runs on all the values (a period that ends before it starts) and its refusal is shown above the
key hint.

Values often come from the database, so they are shown through `terminal_safe`, as literal text
(never markup). A value confirmed as shown comes back as it was given, control characters and
all: looking at a value never changes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Static

from data.terminal_text import terminal_safe
from tui.widgets.quiet_footer import QuietFooter
from tui.words import as_shown

__all__ = ["FormField", "FormScreen", "fit_scroll"]

Check = Callable[[str], str | None]
CheckAll = Callable[[dict[str, str]], str | None]


@dataclass(frozen=True)
class FormField:
    """One line of a form. `check(text)` returns None when the text is fine, else the reason."""

    key: str
    label: str
    value: str = ""
    check: Check | None = None
    placeholder: str = ""


def fit_scroll(screen: Widget, box: Widget, scroll: Widget) -> None:
    """Let `scroll` (a child of `box`) grow only as far as the screen leaves room for it, so
    that the lines around it (title, key hint) always stay on screen and the rest scrolls."""
    around = sum(child.outer_size.height for child in box.children
                 if child is not scroll and child.display)
    beside = sum(child.outer_size.height for child in screen.children  # the footer
                 if child is not box and child.display)
    room = screen.size.height - beside - box.styles.gutter.height - around
    scroll.styles.max_height = max(3, room)


class FormScreen(ModalScreen[dict[str, str] | None]):
    """Several fields to fill in; returns every value by its field's key, or None (Esc)."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > #form-box {
        width: 74; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    FormScreen #form-title { text-style: bold; }
    FormScreen #form-intro { margin-bottom: 1; }
    FormScreen #form-fields { height: auto; max-height: 16; }
    FormScreen .form-row { height: auto; }
    FormScreen .form-label { width: 18; padding-right: 1; }
    FormScreen .form-row:focus-within .form-label { text-style: bold; color: $accent; }
    FormScreen .form-value { width: 1fr; height: auto; }
    FormScreen Input { background: $boost; }
    FormScreen Input:focus { background: $primary 30%; }
    FormScreen .form-error { color: $error; }
    FormScreen #form-problem { color: $error; }
    FormScreen .form-error.-empty, FormScreen #form-problem.-empty { display: none; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Confirm", id="form.submit"),
    ]

    def __init__(self, title: str, fields: Sequence[FormField], *, intro: str | None = None,
                 check_all: CheckAll | None = None) -> None:
        super().__init__()
        if not fields:
            raise ValueError("a form needs at least one field")
        keys = [f.key for f in fields]
        if len(set(keys)) != len(keys):
            raise ValueError(f"two fields share a key: {keys}")
        self.form_title = title
        self.fields = tuple(fields)
        self.intro = intro
        self.check_all = check_all

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield QuietFooter(compact=True, show_command_palette=False)  # this dialog's keys only
        label_width = min(24, max(len(f.label) for f in self.fields) + 2)
        with Vertical(id="form-box"):
            yield Static(Text(terminal_safe(as_shown(self, self.form_title), multiline=True)),
                         id="form-title")
            if self.intro:
                yield Static(Text(terminal_safe(self.intro, multiline=True)), id="form-intro")
            with VerticalScroll(id="form-fields", can_focus=False):
                for field in self.fields:
                    with Horizontal(classes="form-row", id=f"row-{field.key}"):
                        label = Static(Text(terminal_safe(as_shown(self, field.label),
                                                          multiline=True)),
                                       classes="form-label")
                        label.styles.width = label_width
                        yield label
                        with Vertical(classes="form-value"):
                            yield Input(terminal_safe(field.value), placeholder=field.placeholder,
                                        compact=True, id=f"field-{field.key}",
                                        select_on_focus=False)
                            yield Static("", classes="form-error -empty",
                                         id=f"error-{field.key}")
            yield Static("", id="form-problem", classes="-empty")
            yield Static(Text("Tab next field · Enter on the last field or Ctrl+S confirms · "
                              "Esc cancels", style="dim"), id="form-keys")

    def on_mount(self) -> None:
        self.input(self.fields[0].key).focus()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        fit_scroll(self, self.query_one("#form-box"), self.query_one("#form-fields"))

    # --- reading -----------------------------------------------------------------------------

    def input(self, key: str) -> Input:
        return self.query_one(f"#field-{key}", Input)

    def values(self) -> dict[str, str]:
        """What each field holds now; a value left as it was shown is the value as given."""
        values = {}
        for field in self.fields:
            typed = self.input(field.key).value
            values[field.key] = field.value if typed == terminal_safe(field.value) else typed
        return values

    def refusals(self) -> dict[str, str]:
        """The reason of each field whose check refuses what it holds now."""
        values = self.values()
        found = {}
        for field in self.fields:
            problem = field.check(values[field.key]) if field.check is not None else None
            if problem:
                found[field.key] = problem
        return found

    # --- showing what is wrong -----------------------------------------------------------------

    def _say(self, widget: Static, problem: str | None) -> None:
        widget.update(Text(terminal_safe(problem or "", multiline=True)))
        widget.set_class(not problem, "-empty")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # A refusal is about the text that was refused: once it changes, the reason goes.
        key = (event.input.id or "").removeprefix("field-")
        self._say(self.query_one(f"#error-{key}", Static), None)
        self._say(self.query_one("#form-problem", Static), None)

    # --- keys --------------------------------------------------------------------------------

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        keys = [f.key for f in self.fields]
        key = (event.input.id or "").removeprefix("field-")
        at = keys.index(key)
        if at + 1 < len(keys):
            self.input(keys[at + 1]).focus()
        else:
            self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def fields_refused(self) -> bool:
        """Each field's reason shown under it; when any field is refused, the first is focused
        and True is returned."""
        refused = self.refusals()
        for field in self.fields:
            self._say(self.query_one(f"#error-{field.key}", Static), refused.get(field.key))
        if refused:
            first = next(f.key for f in self.fields if f.key in refused)
            self.input(first).focus()
            self.query_one(f"#row-{first}").scroll_visible()
        return bool(refused)

    def show_problem(self, problem: str | None) -> None:
        """What is wrong with the form as a whole (None clears it)."""
        self._say(self.query_one("#form-problem", Static), problem)

    def show_refusal(self, reason: str, fields_by_label: Mapping[str, str]) -> None:
        """A service's refusal, under the field its first words name ("Number: ...", by the
        field's label in `fields_by_label`), else under the form; what was typed stays."""
        label, _, said = reason.partition(": ")
        key = fields_by_label.get(label)
        if key is None or not said:
            self.show_problem(reason)
            return
        self._say(self.query_one(f"#error-{key}", Static), said)
        self.input(key).focus()
        self.query_one(f"#row-{key}").scroll_visible()

    def action_submit(self) -> None:
        if self.fields_refused():
            return
        values = self.values()
        problem = self.check_all(values) if self.check_all is not None else None
        self._say(self.query_one("#form-problem", Static), problem)
        if problem:
            return
        self.dismiss(values)
