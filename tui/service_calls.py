"""One way from screens to the services.

`call_service` runs a service call in a thread worker: it opens a session (a writing one when
asked), resolves the acting person, calls the service and posts the answer to the widget that
asked, as a message. A refusal the person should read (`data.refusals.Refusal`) comes back as
`ServiceRefused`; anything else is unexpected: its traceback goes to the log file and the
widget gets `ServiceFailed`, which says what failed and where the details are. Either way the
app stays up, and nothing on screen is touched, so what the person typed stays there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from data.services.actors import Actor

T = TypeVar("T")
log = logging.getLogger("payapp")


class ServiceRefused(Message):
    """The service (or the database) said no; `reason` is written for the person."""

    def __init__(self, what: str, reason: str, refusal: Exception | None = None) -> None:
        super().__init__()
        self.what = what
        self.reason = reason
        self.refusal = refusal  # the refusal itself, for a screen that answers some kinds

    @property
    def text(self) -> str:
        return f"{self.what}: {self.reason}"


class ServiceFailed(Message):
    """Something unexpected went wrong; the details are in the log file."""

    def __init__(self, what: str, problem: str, log_file: Path | None) -> None:
        super().__init__()
        self.what = what
        self.problem = problem
        self.log_file = log_file

    @property
    def text(self) -> str:
        where = f"; the details are in {self.log_file}" if self.log_file else ""
        return f"{self.what} failed ({self.problem}){where}. Nothing you typed was lost."


class Acting(Protocol):
    """What the app knows of the person acting (tui.app.PayApp has it)."""

    engine: Engine
    login: str
    demo: bool
    today: Callable[[], date]


def acting(widget: Widget) -> Acting:
    """The app, as the acting person and the date it believes it is."""
    return cast(Acting, widget.app)


def start_log(path: Path) -> None:
    """Send payapp's log (tracebacks of unexpected errors) to `path`, private to the person."""
    from data.config import ensure_private_dir

    ensure_private_dir(path.parent)
    handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("payapp")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    path.chmod(0o600)


def log_file() -> Path | None:
    for handler in logging.getLogger("payapp").handlers:
        if isinstance(handler, RotatingFileHandler):
            return Path(handler.baseFilename)
    return None


def describe(error: BaseException) -> str:
    """One short line naming an unexpected error, for the person (the traceback is logged).

    A database error wrapped by SQLAlchemy is named by the driver's own error: SQLAlchemy's
    text starts with its hints ("raised as a result of Query-invoked autoflush...")."""
    cause = getattr(error, "orig", None)
    if isinstance(cause, BaseException):
        error = cause
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first[:120]}" if first else type(error).__name__


def failed(what: str, error: BaseException) -> ServiceFailed:
    log.error("%s failed", what, exc_info=error)
    return ServiceFailed(what, describe(error), log_file())


def call_service(widget: Widget, what: str, work: Callable[[Session, Actor], T],
                 answer: Callable[[T], Message], *, writes: bool = False,
                 group: str = "service", exclusive: bool = True) -> Worker[None]:
    """Run `work(session, actor)` off the UI thread and post `answer(result)` to `widget`.

    `what` names the action for messages ("Saving", "Exporting the PDF"). A `writes` call runs
    in one writing transaction: committed when `work` returns, rolled back when it raises."""
    engine, login = acting(widget).engine, acting(widget).login

    def in_a_session() -> T:
        from data.db import reading, writing
        from data.services.actors import actor_for_login

        with (writing if writes else reading)(engine) as session:
            return work(session, actor_for_login(session, login))

    return _in_a_worker(widget, what, in_a_session, answer, (), group, exclusive)


def call_with_engine(widget: Widget, what: str, work: Callable[[Engine], T],
                     answer: Callable[[T], Message], *,
                     refused_by: tuple[type[Exception], ...] = (),
                     group: str = "service", exclusive: bool = True) -> Worker[None]:
    """Run `work(engine)` off the UI thread and post `answer(result)` to `widget`: for the system
    administrator's commands, which act on the database itself (users and their roles, the
    outbox, the audit trail) as the command line does. An error of `refused_by` (or a Refusal)
    is a refusal, said in its own words."""
    engine = acting(widget).engine
    return _in_a_worker(widget, what, lambda: work(engine), answer, refused_by, group,
                        exclusive)


def _in_a_worker(widget: Widget, what: str, work: Callable[[], T],
                 answer: Callable[[T], Message], refused_by: tuple[type[Exception], ...],
                 group: str, exclusive: bool) -> Worker[None]:
    def run() -> None:
        from data.refusals import Refusal

        refusals: tuple[type[Exception], ...] = (Refusal, *refused_by)
        try:
            result = work()
        except refusals as refusal:
            widget.post_message(ServiceRefused(what, str(refusal), refusal))
            return
        except Exception as error:  # shown and logged; the app stays up
            widget.post_message(failed(what, error))
            return
        widget.post_message(answer(result))

    return widget.run_worker(run, name=what, group=group, exclusive=exclusive, thread=True,
                             exit_on_error=False)
