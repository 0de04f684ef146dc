"""The payapp application: who is acting, which database, and the screens."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.screens.home import HomeScreen

if TYPE_CHECKING:
    from sqlalchemy import Engine


class PayApp(App[None]):
    TITLE = "payapp"
    SUB_TITLE = "pay applications"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(self, engine: Engine, *, login: str, demo: bool = False,
                 today: Callable[[], date] = date.today) -> None:
        super().__init__()
        self.engine = engine
        self.login = login
        self.demo = demo
        self.today = today  # tests pin the date; due dates and days left depend on it

    def on_mount(self) -> None:
        from data.config import locations
        from tui.service_calls import log_file, start_log

        if log_file() is None:
            start_log(locations().log_file)
        self.push_screen(HomeScreen())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The last net: a worker that failed is shown and logged; the app stays up."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            from tui.service_calls import failed

            self.notify(failed(event.worker.name or "A task", event.worker.error).text,
                        severity="error", markup=False, timeout=15)

    def act_as(self, login: str) -> None:
        """Demo only: act as another user, starting again from their home screen."""
        if not self.demo:
            self.notify("Only the demo database lets you choose whom you act as.",
                        severity="error")
            return
        self.login = login
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(HomeScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            yield from commands()
        if self.demo:
            from data.demo import USERS

            for user in USERS:
                if user.login != self.login:
                    yield SystemCommand(f"Act as {user.name} ({user.login})", user.what,
                                        lambda login=user.login: self.act_as(login))
