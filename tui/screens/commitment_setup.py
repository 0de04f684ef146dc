"""Setting up commitments, from the home screen's command palette (an invoice administrator's):
a form for a new commitment of the highlighted commitment's project, the same form to edit the
highlighted commitment's terms, and a CSV file to import as the highlighted commitment's
schedule of values (or its history before payapp), answered with a report.

Both dialogs stay open while the service works, and a refusal is shown in them, under the field
it names, with everything typed still there. A rejected import lists every rejected row; the
person fixes the file and presses Enter again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.message import Message
from textual.widgets import Input, Static

from data.terminal_text import terminal_safe
from tui.dialogs import Ask, Report
from tui.service_calls import ServiceFailed, ServiceRefused, acting, call_service
from tui.widgets.form import FormField, FormScreen

if TYPE_CHECKING:
    from sqlmodel import Session
    from textual.screen import Screen

    from data.services.actors import Actor
    from data.services.commitment_setup import CommitmentSummary, CommitmentTerms
    from data.services.home import CommitmentRow

YES, NO = ("yes", "y"), ("no", "n")


class CommitmentCreated(Message):
    def __init__(self, made: CommitmentSummary) -> None:
        super().__init__()
        self.made = made


class Described(Protocol):
    def describe(self) -> list[str]: ...


@dataclass(frozen=True)
class _Lines:
    lines: list[str]

    def describe(self) -> list[str]:
        return self.lines


class FileTaken(Message):
    def __init__(self, done: Described) -> None:
        super().__init__()
        self.done = done


def _application_number(text: str) -> str | None:
    text = text.strip()
    return None if text.isdigit() and int(text) >= 1 else "a whole number, 1 or more"


def _yes_no(text: str) -> str | None:
    return None if text.strip().lower() in (*YES, *NO) else "answer yes or no"


def _method(text: str) -> str | None:
    return None if text.strip().lower() in ("amount", "unit") else "amount or unit"


def _percent(text: str) -> str | None:
    from data.money import MoneyError, parse_percent

    try:
        parse_percent(text or "0")
    except MoneyError as error:
        return str(error)
    return None


def _sliding(text: str) -> str | None:
    from data.refusals import Refusal
    from data.services.commitment_setup import parse_sliding_scale

    try:
        parse_sliding_scale(text)
    except Refusal as refusal:
        return str(refusal).removeprefix("Sliding scale, ")
    return None


def required(what: str) -> Callable[[str], str | None]:
    """A form field's check: something must be typed."""
    return lambda text: None if text.strip() else f"the {what} is needed"


FIELDS = (
    ("project", "Project number", required("project's number"), ""),
    ("number", "Number", required("commitment's number"), "SC-2417-040"),
    ("title", "Title", required("title"), "Drywall & Framing"),
    ("company", "Contract company", required("company's name"), "a subcontractor's name"),
    ("new_company", "New company?", _yes_no, "yes: create it"),
    ("contacts", "Invoice contacts", None, "logins, separated by commas"),
    ("method", "Method", _method, "amount or unit"),
    ("work_retainage", "Retainage, work %", _percent, "10"),
    ("stored_retainage", "Retainage, stored %", _percent, "10"),
    ("sliding_scale", "Sliding scale", _sliding, "10% until 50% of original; 5% until $20,000"),
    ("stored_separately", "Stored materials billed separately?", _yes_no, "yes or no"),
)
FIELD_LABELS = {key: label for key, label, _check, _hint in FIELDS}
# The first words of a service's refusal name the field ("Number: ...", "Retainage on work: ...").
REFUSAL_FIELDS = {"Project": "project", "Number": "number", "Title": "title",
                  "Contract company": "company", "Invoice contacts": "contacts",
                  "Accounting method": "method", "Retainage on work": "work_retainage",
                  "Retainage on stored materials": "stored_retainage",
                  "Sliding scale": "sliding_scale"}


def terms_from(values: Mapping[str, str]) -> CommitmentTerms:
    from data.billing import Method
    from data.money import parse_percent
    from data.services.commitment_setup import CommitmentTerms, parse_sliding_scale

    return CommitmentTerms(
        number=values["number"], title=values["title"], company=values["company"],
        new_company=values["new_company"].strip().lower() in YES,
        contacts=tuple(c.strip() for c in values["contacts"].split(",") if c.strip()),
        method=Method(values["method"].strip().lower()),
        work_retainage=parse_percent(values["work_retainage"] or "0"),
        stored_retainage=parse_percent(values["stored_retainage"] or "0"),
        sliding_scale=parse_sliding_scale(values["sliding_scale"]),
        stored_materials_separately=values["stored_separately"].strip().lower() in YES)


def _as_typed(terms: CommitmentSummary) -> dict[str, str]:
    """A commitment's terms as the form's fields hold them, to edit."""
    from data.money import format_percent
    from data.services.commitment_setup import describe_sliding_scale

    return {"number": terms.number, "title": terms.title, "company": terms.company,
            "new_company": "no", "contacts": ", ".join(terms.contacts),
            "method": terms.method.value,
            "work_retainage": format_percent(terms.work_retainage).removesuffix("%"),
            "stored_retainage": format_percent(terms.stored_retainage).removesuffix("%"),
            "sliding_scale": describe_sliding_scale(terms.sliding_scale),
            "stored_separately": "yes" if terms.stored_materials_separately else "no"}


class CommitmentForm(FormScreen):
    """A commitment's terms: a new one's, or `editing`'s (its project stays). Confirming creates
    or changes it and closes the form; a refusal keeps the form open with the reason under the
    field it names."""

    def __init__(self, project_number: str, editing: CommitmentSummary | None = None) -> None:
        defaults = {"project": project_number, "new_company": "no", "method": "amount",
                    "work_retainage": "10", "stored_retainage": "10", "stored_separately": "no"}
        if editing is not None:
            defaults = _as_typed(editing)
        title = ("Set up a commitment" if editing is None else
                 f"Edit commitment {editing.number} of project {editing.project}")
        super().__init__(title, [
            FormField(key, label, defaults.get(key, ""), check, placeholder)
            for key, label, check, placeholder in FIELDS
            if editing is None or key != "project"],
            intro="The accounting method is fixed once the schedule of values has lines.")
        self.editing = editing
        self.made: CommitmentSummary | None = None
        self._working = False

    def action_submit(self) -> None:
        if self._working or self.fields_refused():
            return
        values = self.values()
        terms = terms_from(values)
        project = values.get("project", "").strip()
        editing = self.editing.commitment_id if self.editing is not None else None

        def work(session: Session, actor: Actor) -> CommitmentSummary:
            from data.services.commitment_setup import create_commitment, edit_commitment

            if editing is not None:
                return edit_commitment(session, actor, editing, terms)
            return create_commitment(session, actor, project, terms)

        self._working = True
        self.show_problem(None)
        call_service(self, "Saving the commitment" if editing else "Creating the commitment",
                     work, CommitmentCreated, writes=True, group="commitment-setup")

    def on_commitment_created(self, event: CommitmentCreated) -> None:
        self.made = event.made
        self.dismiss(self.values())

    def on_service_refused(self, event: ServiceRefused) -> None:
        event.stop()
        self._working = False
        self.show_refusal(event.reason, REFUSAL_FIELDS)

    def on_service_failed(self, event: ServiceFailed) -> None:
        event.stop()
        self._working = False
        self.show_problem(event.text)


def set_up_commitment(screen: Screen[Any], in_view: CommitmentRow | None,
                      done: Callable[[], None], default_project: str = "") -> None:
    """The form for a new commitment, offered in the highlighted commitment's project (else in
    `default_project`); `done` runs once it is created (the home screen reads its lists
    again)."""
    form = CommitmentForm(in_view.project.split(" ")[0] if in_view else default_project)

    def closed(_values: Mapping[str, str] | None) -> None:
        if form.made is None:
            return
        made = form.made
        screen.notify(terminal_safe(f"Commitment {made.number} {made.title} created in project "
                                    f"{made.project}."), markup=False)
        done()

    screen.app.push_screen(form, closed)


class TermsRead(Message):
    """A commitment's terms, read to be edited: the screen that asked opens `edit_terms`."""

    def __init__(self, terms: CommitmentSummary) -> None:
        super().__init__()
        self.terms = terms


def read_terms(screen: Screen[Any], in_view: CommitmentRow | None) -> None:
    """Read the highlighted commitment's terms; the screen gets TermsRead."""
    if in_view is None:
        screen.notify("Highlight a commitment on the Commitments tab first.", severity="error")
        return
    commitment_id = in_view.commitment_id

    def read(session: Session, actor: Actor) -> TermsRead:
        from data.services.commitment_setup import administered_commitment, summary

        commitment, project = administered_commitment(session, actor, commitment_id)
        return TermsRead(summary(session, commitment, project))

    call_service(screen, "Reading the commitment", read, lambda read: read,
                 group="commitment-setup")


def edit_terms(screen: Screen[Any], terms: CommitmentSummary, done: Callable[[], None]) -> None:
    """The commitment's terms in the form, to change; `done` runs once they are saved."""
    form = CommitmentForm(terms.project, editing=terms)

    def closed(_values: Mapping[str, str] | None) -> None:
        if form.made is not None:
            screen.notify(terminal_safe(f"Commitment {form.made.number} {form.made.title} "
                                        "saved."), markup=False)
            done()

    screen.app.push_screen(form, closed)


class CommitmentFileAsk(Ask):
    """A file to read into one commitment; the work runs from here, and a refusal is shown in
    this dialog (or in a report over it), which keeps the path for another try."""

    what = "Reading the file"

    def __init__(self, question: str, commitment_id: int) -> None:
        super().__init__(question, placeholder="path of the CSV file")
        self.commitment_id = commitment_id
        self.done: Described | None = None
        self.path_text = ""  # the path last submitted

    def work(self, path: Path) -> Callable[[Session, Actor], Described]:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # Ask's own handler would close the dialog with the path
        path_text = event.value.strip()
        if not path_text:
            self._problem("Type the path of the CSV file.")
            return
        self.path_text = path_text
        self.read_file()

    def read_file(self) -> None:
        """Run `work` on the file at the path last submitted."""
        path_text, engine, work = self.path_text, acting(self).engine, self.work

        def read(session: Session, actor: Actor) -> Described:
            from data.file_folders import folders_for, upload_path

            return work(upload_path(path_text, folders_for(engine).upload))(session, actor)

        self._problem("")
        call_service(self, self.what, read, FileTaken, writes=True, group="commitment-file")

    def _problem(self, text: str) -> None:
        self.query_one("#problem", Static).update(Text(terminal_safe(text, multiline=True)))

    def on_file_taken(self, event: FileTaken) -> None:
        self.done = event.done
        self.dismiss(None)

    def on_service_refused(self, event: ServiceRefused) -> None:
        event.stop()
        self._problem(event.reason)

    def on_service_failed(self, event: ServiceFailed) -> None:
        event.stop()
        self._problem(event.text)


class SovFileAsk(CommitmentFileAsk):
    """The CSV file of a commitment's schedule of values; a rejected file's report lists every
    rejected row."""

    what = "Importing the schedule of values"

    def __init__(self, commitment_id: int, commitment_number: str) -> None:
        super().__init__(
            f"Import a schedule of values into commitment {commitment_number} from a CSV file "
            "(a header row: item, description, budget code, scheduled value — or quantity, "
            "unit, unit price for a unit-based commitment). All or nothing.", commitment_id)

    def work(self, path: Path) -> Callable[[Session, Actor], Described]:
        commitment_id = self.commitment_id

        def imported(session: Session, actor: Actor) -> Described:
            from data.services.commitment_setup import import_sov, sov_file_text

            return import_sov(session, actor, commitment_id, sov_file_text(path))

        return imported

    def on_service_refused(self, event: ServiceRefused) -> None:
        from data.services.commitment_setup import SovImportRejected

        rejected = event.refusal
        if not isinstance(rejected, SovImportRejected):
            super().on_service_refused(event)
            return
        event.stop()
        self._problem(f"{len(rejected.rows)} rows rejected: nothing was imported. Fix the "
                      "file and press Enter again.")
        self.app.push_screen(Report("Nothing was imported: rows rejected",
                                    [row.describe() for row in rejected.rows],
                                    "Fix these rows and import the file again.", reword=False))


class HistoryFileAsk(CommitmentFileAsk):
    """The G703 of the last application a commitment filed before payapp: its history."""

    what = "Entering the history before payapp"

    def __init__(self, commitment_id: int, commitment_number: str) -> None:
        super().__init__(
            f"Commitment {commitment_number} billed before payapp? Give the G703 continuation "
            "sheet (CSV) of its last application: it is checked as payapp g702 checks it, and "
            "its figures become the previous columns and line 7 of the first invoice here, "
            "which takes the next application number. Only before the first invoice.",
            commitment_id)
        self.commitment_number = commitment_number
        self.application: int | None = None  # asked for when the sheet does not say it

    def work(self, path: Path) -> Callable[[Session, Actor], Described]:
        commitment_id, number = self.commitment_id, self.commitment_number
        application = self.application

        def entered(session: Session, actor: Actor) -> Described:
            from data.services.commitment_history import (
                history_from_g703,
                read_sheet,
                set_history,
            )

            history = history_from_g703(session, actor, commitment_id, read_sheet(path),
                                        application=application)
            set_history(session, actor, commitment_id, history)
            return _Lines(history.describe(number))

        return entered

    def on_service_refused(self, event: ServiceRefused) -> None:
        from data.services.commitment_history import ApplicationNumberMissing

        if not isinstance(event.refusal, ApplicationNumberMissing):
            super().on_service_refused(event)
            return
        event.stop()
        self._problem("The sheet does not say which application it is.")

        def given(number: str | None) -> None:
            if number is not None:
                self.application = int(number.strip())
                self.read_file()

        self.app.push_screen(Ask("Which application is this sheet? Its number (the last "
                                 "application filed before payapp):", placeholder="e.g. 24",
                                 check=_application_number), given)


def import_sov_file(screen: Screen[Any], in_view: CommitmentRow | None,
                    done: Callable[[], None]) -> None:
    """Ask for the CSV file of the highlighted commitment's schedule, import it, report."""
    _take_file(screen, in_view, SovFileAsk, "Schedule of values imported", done)


def enter_history_file(screen: Screen[Any], in_view: CommitmentRow | None,
                       done: Callable[[], None]) -> None:
    """Ask for the G703 of the highlighted commitment's last application before payapp, take
    its history, report."""
    _take_file(screen, in_view, HistoryFileAsk, "History before payapp entered", done)


def _take_file(screen: Screen[Any], in_view: CommitmentRow | None,
               dialog: Callable[[int, str], CommitmentFileAsk], title: str,
               done: Callable[[], None]) -> None:
    if in_view is None:
        screen.notify("Highlight a commitment on the Commitments tab first.", severity="error")
        return
    ask = dialog(in_view.commitment_id, in_view.number)

    def closed(_value: str | None) -> None:
        if ask.done is None:
            return
        screen.app.push_screen(Report(title, ask.done.describe(), reword=False))
        done()

    screen.app.push_screen(ask, closed)
