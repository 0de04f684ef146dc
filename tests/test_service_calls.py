"""The one way from screens to the services: answers, refusals and failures come back as
messages, an unexpected error is logged and shown, and the app stays up."""

from __future__ import annotations

import contextlib

from sqlalchemy import Engine
from sqlmodel import Session
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static
from textual.worker import WorkerFailed

from data.config import locations
from data.refusals import Invalid
from data.services.actors import Actor
from tui.app import PayApp
from tui.service_calls import ServiceFailed, ServiceRefused, call_service


class Answered(Message):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class Probe(Static):
    """Asks the services, and keeps what came back."""

    def __init__(self) -> None:
        super().__init__("typed by the person")
        self.heard: list[Message] = []

    def on_answered(self, message: Answered) -> None:
        self.heard.append(message)

    def on_service_refused(self, message: ServiceRefused) -> None:
        self.heard.append(message)

    def on_service_failed(self, message: ServiceFailed) -> None:
        self.heard.append(message)


class ProbeApp(PayApp):
    def compose(self) -> ComposeResult:
        yield Probe()

    def on_mount(self) -> None:  # no home screen: the probe is the whole app
        from tui.service_calls import log_file, start_log

        if log_file() is None:
            start_log(locations().log_file)


def _name(_session: Session, actor: Actor) -> str:
    return actor.display_name


def _refuse(_session: Session, _actor: Actor) -> str:
    raise Invalid("12.345 has 3 decimal places")


def _break(_session: Session, _actor: Actor) -> str:
    raise OSError(30, "Read-only file system", "/exports/x.pdf")


async def test_answers_refusals_and_failures_come_back_as_messages(
        sqlite_demo_engine: Engine) -> None:
    app = ProbeApp(sqlite_demo_engine, login="erin", demo=True)
    async with app.run_test() as pilot:
        probe = app.query_one(Probe)
        for work in (_name, _refuse, _break):
            call_service(probe, "Checking", work, Answered, group=work.__name__)
            await app.workers.wait_for_complete()
            await pilot.pause()
        answered, refused, failed = probe.heard
        assert isinstance(answered, Answered) and answered.name == "Erin Walsh"
        assert isinstance(refused, ServiceRefused)
        assert refused.text == "Checking: 12.345 has 3 decimal places"
        assert isinstance(failed, ServiceFailed)
        assert failed.text.startswith("Checking failed (OSError: [Errno 30] Read-only file "
                                      "system: '/exports/x.pdf'); the details are in ")
        assert app.is_running and str(probe.render()) == "typed by the person"
    assert failed.log_file is not None
    logged = failed.log_file.read_text()
    assert "Checking failed" in logged and "Traceback" in logged and "OSError" in logged


async def test_a_worker_that_fails_outside_the_services_is_shown_not_fatal(
        sqlite_demo_engine: Engine) -> None:
    app = ProbeApp(sqlite_demo_engine, login="erin", demo=True)

    def explode() -> None:
        raise RuntimeError("disk on fire")

    async with app.run_test() as pilot:
        app.run_worker(explode, name="Exporting", thread=True, exit_on_error=False)
        with contextlib.suppress(WorkerFailed):  # waiting re-raises; the app did not
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        shown = [n.message for n in app._notifications]
        assert any(m.startswith("Exporting failed (RuntimeError: disk on fire)") for m in shown)
