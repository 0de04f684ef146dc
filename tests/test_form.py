"""The reusable form dialog (tui/widgets/form.py) in a tiny app, at 80×24."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from textual._compositor import LayoutUpdate
from textual.app import App
from textual.widgets import Input

from tui.widgets.form import FormField, FormScreen

SIZE = (80, 24)
UNSET: Any = object()
FRAME = " █▀▄▁▂▃▄▅▆▇▉▊▋▌▍▎▏"  # a dialog's frame and its scroll bar, around the text


def _date(text: str) -> str | None:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return (f"“{text.strip()}” is not a date: write it as year-month-day with four digits "
                "for the year, two for the month and two for the day, for example 2026-11-30")
    return None


def _number(text: str) -> str | None:
    return "at most 12 characters" if len(text) > 12 else None


def _period(values: dict[str, str]) -> str | None:
    if date.fromisoformat(values["start"]) > date.fromisoformat(values["end"]):
        return "The period cannot start after it ends."
    return None


def _fields(number: str = "INV-7") -> list[FormField]:
    return [FormField("number", "Invoice no.", number, _number),
            FormField("billed", "Billing date", "2026-12-01", _date),
            FormField("start", "Period start", "2026-11-01", _date),
            FormField("end", "Period end", "2026-11-30", _date)]


class FormApp(App[None]):
    def __init__(self, form: FormScreen) -> None:
        super().__init__()
        self.form = form
        self.result: Any = UNSET

    def on_mount(self) -> None:
        self.push_screen(self.form, self.done)

    def done(self, result: dict[str, str] | None) -> None:
        self.result = result


def _form(number: str = "INV-7", intro: str | None = "Applies to invoice #3") -> FormApp:
    return FormApp(FormScreen("General information", _fields(number), intro=intro,
                              check_all=_period))


def _lines(app: App[Any]) -> list[str]:
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    return ["".join(segment.text for strip in row for segment in strip)
            for row in update.strips]


def _words(app: App[Any]) -> str:
    """The dialog's text with wrapped lines joined again."""
    inner = [line.strip(FRAME) for line in _lines(app)]
    return " ".join(part for part in inner if part)


def _focused_key(app: App[Any]) -> str:
    focused = app.focused
    assert isinstance(focused, Input) and focused.id is not None
    return focused.id.removeprefix("field-")


async def test_tab_moves_enter_on_the_last_field_confirms_every_value() -> None:
    app = _form()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        words = _words(app)
        assert "General information" in words and "Applies to invoice #3" in words
        for label in ("Invoice no.", "Billing date", "Period start", "Period end"):
            assert label in words
        assert _focused_key(app) == "number"
        await pilot.press("end", "-", "b")
        await pilot.press("tab")
        assert _focused_key(app) == "billed"
        await pilot.press("shift+tab")
        assert _focused_key(app) == "number"
        await pilot.press("tab", "tab", "tab")
        assert _focused_key(app) == "end"
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == {"number": "INV-7-b", "billed": "2026-12-01", "start": "2026-11-01",
                          "end": "2026-11-30"}


async def test_enter_moves_to_the_next_field_and_ctrl_s_confirms_from_anywhere() -> None:
    app = _form()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        assert _focused_key(app) == "billed"
        assert app.result is UNSET
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result is not UNSET and app.result["billed"] == "2026-12-01"


async def test_esc_cancels() -> None:
    app = _form()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x", "escape")
        await pilot.pause()
    assert app.result is None


async def test_each_refusal_is_shown_in_full_under_its_field_and_nothing_typed_is_lost() -> None:
    app = _form()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        form = app.form
        await pilot.press("tab")  # billing date: typed wrong
        await pilot.press("end", *["backspace"] * 10, *"2026-13-45")
        await pilot.press("tab", "tab")  # period end: typed wrong too
        await pilot.press("end", *["backspace"] * 10, *"30.11.2026")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result is UNSET and app.screen is form
        words = _words(app)
        for bad in ("2026-13-45", "30.11.2026"):
            assert (f"“{bad}” is not a date: write it as year-month-day with four digits for "
                    "the year, two for the month and two for the day, for example "
                    "2026-11-30") in words, bad
        assert all(len(line) <= 80 for line in _lines(app))
        # Each under its own field: the billing date's reason comes before "Period start".
        assert words.index("“2026-13-45”") < words.index("Period start") \
            < words.index("“30.11.2026”")
        assert _focused_key(app) == "billed"  # the first field refused
        assert form.input("billed").value == "2026-13-45"
        assert form.input("end").value == "30.11.2026"
        assert form.input("number").value == "INV-7"

        # Put right, the reasons go and the form confirms.
        await pilot.press(*["backspace"] * 10, *"2026-12-02")
        await pilot.press("tab", "tab", *["backspace"] * 10, *"2026-11-29", "enter")
        await pilot.pause()
        assert "is not a date" not in _words(app)
    assert app.result == {"number": "INV-7", "billed": "2026-12-02", "start": "2026-11-01",
                          "end": "2026-11-29"}


async def test_the_form_level_check_runs_once_every_field_is_right() -> None:
    app = _form()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab", "tab", *["backspace"] * 10, *"2026-12-15")  # start after end
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result is UNSET
        assert "The period cannot start after it ends." in _words(app)
        assert app.form.input("start").value == "2026-12-15"
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None


@pytest.mark.parametrize("number", ["[bold]INV[/]", "[@click=app.quit]x[/]", "A\x1b[2J\x07B"])
async def test_stored_text_is_shown_literally_and_comes_back_unchanged(number: str) -> None:
    app = FormApp(FormScreen(f"Invoice {number}", [FormField("number", "Invoice no.", number)],
                             intro=f"Company {number}"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        drawn = "\n".join(_lines(app))
        assert not any(ord(c) < 0x20 and c != "\n" for c in drawn)
        if "\x1b" in number:
            assert "A␛[2J␇B" in drawn
        else:
            assert f"Invoice {number}" in drawn and f"Company {number}" in drawn
        await pilot.click("#field-number")  # clicking shown text runs nothing
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == {"number": number}  # confirmed as shown: as it was given


async def test_a_form_with_many_fields_scrolls_to_the_field_in_focus() -> None:
    fields = [FormField(f"f{n}", f"Field {n}", f"value {n}") for n in range(20)]
    app = FormApp(FormScreen("Many fields", fields))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Tab next field" in _words(app)  # the key hint stays on screen
        for _ in range(19):
            await pilot.press("tab")
        await pilot.pause()
        assert _focused_key(app) == "f19"
        assert "value 19" in _words(app) and "Tab next field" in _words(app)
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == {f"f{n}": f"value {n}" for n in range(20)}


def test_a_form_needs_fields_with_distinct_keys() -> None:
    with pytest.raises(ValueError):
        FormScreen("Nothing", [])
    with pytest.raises(ValueError):
        FormScreen("Twice", [FormField("a", "A"), FormField("a", "A again")])
