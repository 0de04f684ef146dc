"""The invoice's attachments: the list, and adding or removing a file (`a`, Delete), offered
only to someone who may change the invoice. Adding and removing run through the one way to
the services; the part tells its screen with `FilesChanged` and never moves to another tab.
On a shared database a file is taken only from the person's upload folder (data.file_folders):
the dialog starts there and completes names from there."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from data.terminal_text import terminal_safe
from tui.dialogs import Ask, Choose
from tui.service_calls import ServiceRefused, acting, call_service
from tui.widgets.cells import day, plain
from tui.widgets.path_suggester import PathSuggester

if TYPE_CHECKING:
    from sqlmodel import Session

    from data.services.actors import Actor
    from data.services.attachments import AttachmentRow


def _shown(folder: Path) -> str:
    """A folder as the person reads it: `~/payapp/upload` for one in their home."""
    home = Path.home()
    if folder == home or not folder.is_relative_to(home):
        return str(folder)
    return f"~/{folder.relative_to(home)}"


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1_048_576:,.1f} MB" if size_bytes >= 10_240 else f"{size_bytes:,} B"


class FilesPart(Vertical):
    DEFAULT_CSS = """
    FilesPart { height: 1fr; }
    FilesPart DataTable { height: 1fr; }
    FilesPart #files-hint { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "attach", "Attach", id="files.attach", tooltip="Attach a file"),
        Binding("delete", "remove", "Remove", id="files.remove",
                tooltip="Remove the chosen attachment"),
    ]

    class FilesChanged(Message):
        """A file was added or removed; `message` says which."""

        def __init__(self, message: str, rows: list[AttachmentRow]) -> None:
            super().__init__()
            self.message = message
            self.rows = rows

    class Working(Message):
        """Work on a file started; `message` says so."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self, invoice_id: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.invoice_id = invoice_id
        self.may_change = False
        self.rows: list[AttachmentRow] = []

    def compose(self) -> ComposeResult:
        yield DataTable(id="attachments-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="files-hint")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(
            "File", Text("Size", justify="right"), Text("Pages", justify="right"), "Added", "By")

    def show(self, rows: list[AttachmentRow], *, may_change: bool) -> None:
        self.rows = rows
        self.may_change = may_change
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            name = plain(row.original_name)
            if row.content_missing:  # not found when attachments moved into the database
                name.append(" (file not found)", style="italic")
            table.add_row(name, Text(_size(row.size_bytes), justify="right"),
                          Text("—" if row.page_count is None else str(row.page_count),
                               justify="right"),
                          day(row.uploaded_at.date()), plain(row.uploaded_by), key=str(row.id))
        if may_change:
            hint = "a attaches a file; Delete removes the chosen one." if rows \
                else "No files yet: a attaches one (PDFs are checked first)."
        else:
            hint = "Files can be added only while you may change the invoice." if rows \
                else "No files attached."
        self.query_one("#files-hint", Static).update(Text(hint))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "attach":
            return self.may_change
        if action == "remove":
            return self.may_change and bool(self.rows)
        return True

    # --- adding ----------------------------------------------------------------------------

    def action_attach(self) -> None:
        from data.config import ConfigError
        from data.file_folders import ensure_folder, folders_for, upload_path
        from data.refusals import Refusal

        try:  # on a shared database: only files from the person's own upload folder
            upload = folders_for(acting(self).engine).upload
            if upload is not None:
                ensure_folder(upload, "upload")
        except (ConfigError, Refusal) as error:
            self.post_message(ServiceRefused("Attaching a file", str(error)))
            return

        def check(text: str) -> str | None:
            try:
                path = upload_path(text.strip(), upload)
            except Refusal as error:
                return str(error)
            return None if path.is_file() else f"{path} is not a file"

        def add(answer: str | None) -> None:
            if answer:
                self.post_message(self.Working(f"Adding “{Path(answer.strip()).name}”… "
                                               "(PDFs are checked first)"))
                self._add(Path(answer.strip()), upload)

        if upload is None:
            question, start = "File to attach (→ completes the path):", "~/"
        else:
            start = f"{_shown(upload)}/"
            question = f"File to attach, from your upload folder {start} (→ completes):"
        self.app.push_screen(Ask(question, start, suggester=PathSuggester(within=upload),
                                 check=check), add)

    def _add(self, path: Path, upload: Path | None) -> None:
        from data.services.attachments import (
            add_attachment,
            list_attachments,
            max_attachment_bytes,
        )

        invoice_id = self.invoice_id

        def work(session: Session, actor: Actor) -> tuple[str, list[AttachmentRow]]:
            row = add_attachment(session, actor, invoice_id, path,
                                 max_bytes=max_attachment_bytes(), within=upload)
            rows = list_attachments(session, actor, invoice_id)
            return f"Attached “{terminal_safe(row.original_name)}”.", rows

        call_service(self, "Attaching the file", work,
                     lambda done: self.FilesChanged(*done), writes=True, group="files")

    # --- removing --------------------------------------------------------------------------

    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        row = next((a for a in self.rows if str(a.id) == key), None)
        if row is None:
            return

        def answer(choice: str | None) -> None:
            if choice == "remove" and row is not None:
                self._remove(row)

        self.app.push_screen(Choose(f"Remove “{terminal_safe(row.original_name)}” from this "
                                    "invoice?", [("remove", "Remove"), ("cancel", "Cancel")]),
                             answer)

    def _remove(self, row: AttachmentRow) -> None:
        from data.services.attachments import list_attachments, remove_attachment

        invoice_id = self.invoice_id

        def work(session: Session, actor: Actor) -> tuple[str, list[AttachmentRow]]:
            remove_attachment(session, actor, row.id)
            rows = list_attachments(session, actor, invoice_id)
            return f"Removed “{terminal_safe(row.original_name)}”.", rows

        call_service(self, "Removing the file", work,
                     lambda done: self.FilesChanged(*done), writes=True, group="files")
