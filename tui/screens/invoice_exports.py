"""Export an invoice with its attachments, from the invoice screen (e): the person chooses the
files and their order, then one PDF or a ZIP; the file goes to their download folder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from data.terminal_text import terminal_safe
from tui.service_calls import acting, call_service, failed
from tui.widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from sqlmodel import Session
    from textual.screen import Screen

    from data.documents.invoice_with_files import ExportWithFiles
    from data.services.actors import Actor
    from data.services.attachments import AttachmentRow


@dataclass(frozen=True)
class FilesChosen:
    attachment_ids: tuple[int, ...]
    as_zip: bool


class FilesListed(Message):
    def __init__(self, files: list[AttachmentRow]) -> None:
        super().__init__()
        self.files = files


class ExportedWithFiles(Message):
    def __init__(self, outcome: ExportWithFiles | str) -> None:
        super().__init__()
        self.outcome = outcome


def list_files_then_choose(screen: Screen[Any], invoice_id: int) -> None:
    """Read the invoice's files; the screen gets `FilesListed` and calls `choose_and_export`."""
    from data.services.attachments import list_attachments

    def work(session: Session, actor: Actor) -> list[AttachmentRow]:
        return list_attachments(session, actor, invoice_id)

    call_service(screen, "Reading the files", work, FilesListed, group="export")


def choose_and_export(screen: Screen[Any], invoice_id: int, files: list[AttachmentRow]) -> None:
    def chosen(answer: FilesChosen | None) -> None:
        if answer is not None:
            _export(screen, invoice_id, answer)

    screen.app.push_screen(ChooseFiles(files), chosen)


def _export(screen: Screen[Any], invoice_id: int, chosen: FilesChosen) -> None:
    """Runs in a thread: reads in short sessions, one per file, like a backup."""
    app = acting(screen)

    def run() -> None:
        from data.db import reading
        from data.documents.invoice_with_files import export_with_attachments
        from data.file_folders import folders_for
        from data.refusals import Refusal
        from data.services.actors import actor_for_login

        outcome: ExportWithFiles | str
        try:
            with reading(app.engine) as session:
                actor = actor_for_login(session, app.login)
            outcome = export_with_attachments(
                lambda: reading(app.engine), actor, invoice_id, chosen.attachment_ids,
                folders_for(app.engine).download, as_zip=chosen.as_zip)
        except Refusal as refusal:
            outcome = f"The export was not written: {refusal}"
        except Exception as error:  # shown and logged; the app stays up
            outcome = failed("Exporting with files", error).text
        screen.post_message(ExportedWithFiles(outcome))

    screen.run_worker(run, name="Exporting with files", group="export", thread=True,
                      exit_on_error=False)


class ChooseFiles(ModalScreen[FilesChosen | None]):
    """The invoice's files, all included at first, in the order attached."""

    DEFAULT_CSS = """
    ChooseFiles { align: center middle; }
    ChooseFiles > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ChooseFiles OptionList { height: auto; max-height: 12; margin-top: 1; }
    """
    BINDINGS = [
        Binding("space", "include", "In/out", id="files.toggle"),
        Binding("shift+up,minus", "move(-1)", "Up", key_display="⇧↑", id="files.up"),
        Binding("shift+down,plus", "move(1)", "Down", key_display="⇧↓", id="files.down"),
        Binding("p", "done(False)", "One PDF", id="files.pdf"),
        Binding("z", "done(True)", "ZIP", id="files.zip"),
        Binding("escape", "dismiss(None)", "Cancel", id="files.cancel"),
    ]

    def __init__(self, files: list[AttachmentRow]) -> None:
        super().__init__()
        self._files = list(files)
        self._included = {row.id for row in files}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Export with which files, in which order? Space puts a file in or out, "
                         "⇧↑ ⇧↓ (or - +) move it; p writes one PDF (PDFs only), z a ZIP.")
            yield OptionList(*self._options(), id="files")
        yield QuietFooter(compact=True, show_command_palette=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Choosing and ordering mean nothing without files: the footer does not offer them.
        return bool(self._files) or action not in ("include", "move")

    def _options(self) -> list[Option]:
        if not self._files:
            return [Option("No files are attached: the export holds the invoice only.",
                           disabled=True)]
        options = []
        for number, row in enumerate(self._files, start=1):
            mark = "✓" if row.id in self._included else " "
            pages = f", {row.page_count} p." if row.page_count else ""
            kind = "" if row.content_type == "application/pdf" else ", not a PDF"
            options.append(Option(Text(terminal_safe(
                f"[{mark}] {number}. {row.original_name} ({row.size_bytes:,} bytes{pages}"
                f"{kind})"), no_wrap=True, overflow="ellipsis")))
        return options

    def _redraw(self, highlighted: int) -> None:
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(self._options())
        if self._files:
            listing.highlighted = highlighted

    def _current(self) -> int | None:
        index = self.query_one(OptionList).highlighted
        return index if self._files and index is not None else None

    def action_include(self) -> None:
        index = self._current()
        if index is None:
            return
        self._included ^= {self._files[index].id}
        self._redraw(index)

    def action_move(self, step: int) -> None:
        index = self._current()
        if index is None or not 0 <= index + step < len(self._files):
            return
        files = self._files
        files[index], files[index + step] = files[index + step], files[index]
        self._redraw(index + step)

    def action_done(self, as_zip: bool) -> None:
        chosen = tuple(row.id for row in self._files if row.id in self._included)
        self.dismiss(FilesChosen(chosen, as_zip))
