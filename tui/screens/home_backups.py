"""Invoice backups from the home screen (an invoice administrator's, or support's): the marked
invoices, or those the list shows, compiled into one PDF in the person's download folder while a
progress bar counts files and pages and says how long is left; Escape cancels, and then nothing
is left behind. The report at the end names the file in full and every file left out."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, ProgressBar, Static

from data.terminal_text import terminal_safe
from tui.dialogs import Choose, Report
from tui.service_calls import acting, call_service, failed
from tui.words import as_shown

if TYPE_CHECKING:
    from sqlmodel import Session
    from textual.screen import Screen

    from data.documents.invoice_backups import BackupPlan, BackupResult
    from data.documents.pdf_merge import Progress
    from data.services.actors import Actor


class BackupPlanned(Message):
    def __init__(self, plan: BackupPlan) -> None:
        super().__init__()
        self.plan = plan


def plan_and_ask(screen: Screen[Any], invoice_ids: list[int]) -> None:
    """Work out what the backup holds, then ask before compiling it (the screen gets
    `BackupPlanned`, and passes it to `confirm_and_compile`)."""
    from data.documents.invoice_backups import plan_backup

    def work(session: Session, actor: Actor) -> BackupPlan:
        return plan_backup(session, actor, invoice_ids)

    call_service(screen, "Preparing the backup", work, BackupPlanned, group="backup")


def confirm_and_compile(screen: Screen[Any], plan: BackupPlan) -> None:
    def chosen(answer: str | None) -> None:
        if answer == "compile":
            screen.app.push_screen(BackupProgress(plan), lambda shown: report(screen, shown))

    screen.app.push_screen(Choose(f"Compile one PDF of {plan.describe()}?",
                                  [("compile", "Yes, compile it"), ("cancel", "No")]),
                           chosen)


def report(screen: Screen[Any], outcome: BackupResult | str | None) -> None:
    """What the progress screen ended with: the result, or why there is none."""
    from data.documents.invoice_backups import BackupResult

    if not isinstance(outcome, BackupResult):
        screen.notify(terminal_safe(outcome or "The backup was cancelled; nothing was written."),
                      markup=False, severity="error" if outcome else "information", timeout=8)
        return
    lines = [f"Written to: {outcome.path.parent}/", f"as: “{outcome.path.name}”",
             f"{_count(outcome.invoices, 'invoice')}, {_count(outcome.pages, 'page')}."]
    if outcome.left_out:
        lines += [f"Left out, each replaced by a page that says why: "
                  f"{_count(len(outcome.left_out), 'file')}"]
        lines += [f"Left out: “{gone}”" for gone in outcome.left_out]
    lines += [f"Not a PDF, so not in the backup (open it from the invoice's files): “{name}”"
              for name in outcome.not_pdf]
    screen.app.push_screen(Report("Backup compiled", lines))


class BackupProgressed(Message):
    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress


class BackupEnded(Message):
    def __init__(self, outcome: BackupResult | str | None) -> None:
        super().__init__()
        self.outcome = outcome


class BackupProgress(ModalScreen["BackupResult | str | None"]):
    """Compiles the backup in a thread; dismissed with the result, with None when cancelled, or
    with the message of a refusal or failure."""

    DEFAULT_CSS = """
    BackupProgress { align: center middle; }
    BackupProgress > Vertical {
        width: 74; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2;
    }
    BackupProgress ProgressBar { margin-top: 1; }
    BackupProgress #counts { margin-top: 1; }
    BackupProgress Horizontal { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="backup.cancel")]

    def __init__(self, plan: BackupPlan) -> None:
        super().__init__()
        self._plan = plan
        self._cancel = threading.Event()
        self._started = time.monotonic()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(terminal_safe(f"Compiling the backup of {self._plan.describe()}"))
            yield ProgressBar(total=self._plan.files_total, show_eta=False, id="bar")
            yield Static("Starting…", id="counts")
            with Horizontal():
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.run_worker(self._compile, name="Compiling the backup", thread=True,
                        exit_on_error=False, group="backup")

    def _compile(self) -> None:
        from data.config import locations
        from data.db import reading
        from data.documents.invoice_backups import compile_backup
        from data.documents.pdf_merge import MergeCancelled
        from data.documents.rendered_invoices import RenderedInvoices
        from data.file_folders import folders_for
        from data.refusals import Refusal
        from data.services.actors import actor_for_login

        app = acting(self)
        try:
            with reading(app.engine) as session:
                actor = actor_for_login(session, app.login)
            folder = folders_for(app.engine).download
            outcome: BackupResult | str | None = compile_backup(
                lambda: reading(app.engine), actor, self._plan, folder, now=datetime.now(),
                on_progress=self._progressed, cancelled=self._cancel.is_set,
                rendered=RenderedInvoices(locations().rendered_invoices_dir))
        except MergeCancelled:
            outcome = None
        except Refusal as refusal:
            outcome = f"The backup was not compiled: {refusal}"
        except Exception as error:  # shown and logged; the app stays up
            outcome = failed("Compiling the backup", error).text
        self.post_message(BackupEnded(outcome))

    def _progressed(self, progress: Progress) -> None:  # in the worker's thread
        self.post_message(BackupProgressed(progress))

    def on_backup_progressed(self, event: BackupProgressed) -> None:
        done, total = event.progress.items_done, event.progress.items_total
        self.query_one("#bar", ProgressBar).update(progress=done, total=total)
        elapsed = time.monotonic() - self._started
        left = ""
        if 0 < done < total:
            seconds = round(elapsed / done * (total - done))
            left = f" · about {_duration(seconds)} left"
        invoices = self._invoices_done(done)
        self.query_one("#counts", Static).update(as_shown(
            self, f"{invoices} of {len(self._plan.invoices)} invoices done · file {done} of "
                  f"{total} · {event.progress.pages_written} pages{left}"))

    def _invoices_done(self, files_done: int) -> int:
        """How many invoices are whole in the backup once `files_done` files are merged."""
        whole, files = 0, 0
        for invoice in self._plan.invoices:
            files += 1 + len(invoice.attachments)
            if files > files_done:
                break
            whole += 1
        return whole

    def on_backup_ended(self, event: BackupEnded) -> None:
        self.dismiss(event.outcome)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.action_cancel()

    def action_cancel(self) -> None:
        self._cancel.set()
        self.query_one("#counts", Static).update("Cancelling… nothing will be left behind.")


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"
