"""The payapp application: who is acting, which database, and the screens."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import date
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.screens.home import HomeLoaded, HomeScreen

if TYPE_CHECKING:
    from sqlalchemy import Engine

HANGUP_EXIT = 129  # 128 + SIGHUP, as a shell reports a session that lost its terminal
# After a hang-up, how long Textual may take to wind down before the process simply ends (it
# writes to a terminal that is gone; a worker may be waiting on the database).
HANGUP_GRACE_SECONDS = 5.0


def _is_terminal(stream: object) -> bool:
    fileno = getattr(stream, "fileno", None)
    if fileno is None:
        return False
    try:
        return os.isatty(fileno())
    except (OSError, ValueError):
        return False


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
        self.point_of_view = "general_contractor"  # whose words the screens speak: tui.words
        self.today = today  # tests pin the date; due dates and days left depend on it
        self.hung_up = False
        self._started = False  # the home screen has read its lists once

    def on_mount(self) -> None:
        from data.config import locations
        from tui.service_calls import log_file, start_log

        if log_file() is None:
            start_log(locations().log_file)
        self.push_screen(HomeScreen())
        if not self.is_headless:
            self._leave_with_the_terminal()

    def _leave_with_the_terminal(self) -> None:
        """Exit when the terminal goes away (the SSH connection dropped, the tmux pane was
        killed): on SIGHUP, and when standard input or output stops being a terminal. A
        hung-up terminal reads as an endless end of file, which Textual's input thread would
        read for ever when SIGHUP is ignored (nohup, some SSH set-ups); a check once a second
        catches that. The command line disposes of the engine once the app has ended."""
        with suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.terminal_gone)
        self.set_interval(1.0, self._check_terminal, name="terminal watch")

    def _check_terminal(self) -> None:
        if not (_is_terminal(sys.__stdin__) and _is_terminal(sys.__stdout__)):
            self.terminal_gone()

    def terminal_gone(self) -> None:
        """Nobody is left to see the app: end it, and the process with it if it lingers."""
        if self.hung_up:
            return
        self.hung_up = True
        stop = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, (HANGUP_EXIT,))
        stop.daemon = True
        stop.start()
        self.exit(return_code=HANGUP_EXIT)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The last net: a worker that failed is shown and logged; the app stays up."""
        if event.worker.name == "Preparing the invoice screen" and event.state in (
                WorkerState.SUCCESS, WorkerState.ERROR):
            self._freeze_startup_objects()
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            from tui.service_calls import failed

            self.notify(failed(event.worker.name or "A task", event.worker.error).text,
                        severity="error", markup=False, timeout=15)

    def on_home_loaded(self, _: HomeLoaded) -> None:
        """The home screen has read its lists: at start, or back from an invoice."""
        if self._started:
            self._collect_garbage()
            return
        self._started = True
        self.run_worker(_import_invoice_screen, name="Preparing the invoice screen",
                        thread=True, exit_on_error=False)

    def _collect_garbage(self) -> None:
        """Widgets and figures point at each other, so a closed invoice is freed only by a full
        garbage collection, which otherwise comes in the middle of opening the next one (about
        130 ms on a 500-line invoice). Collect while the person reads the home screen instead."""
        import gc

        gc.collect()

    def _freeze_startup_objects(self) -> None:
        """Everything imported and built by now (modules, tables, the app) lives as long as the
        process: out of the garbage collector's sight, no later collection walks it again."""
        import gc

        gc.collect()
        gc.freeze()

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
        from tui.words import as_shown

        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            for command in commands():  # in the words of the project shown
                yield command._replace(title=as_shown(self, command.title),
                                       help=as_shown(self, command.help))
        if self.demo:
            from data.demo import USERS

            for user in USERS:
                if user.login != self.login:
                    yield SystemCommand(f"Act as {user.name} ({user.login})",
                                        as_shown(self, user.what),
                                        lambda login=user.login: self.act_as(login))


def _import_invoice_screen() -> None:
    """What opening an invoice needs, imported (about 70 ms) while the person reads the home
    screen rather than when they press Enter."""
    from importlib import import_module

    for module in ("data.editing", "data.services.attachments", "data.services.invoice_views",
                   "tui.screens.invoice"):
        import_module(module)
