"""Every document speaks the project's point of view (domain.md §1; issue 11, item 5): the
invoice PDF, the schedule of values as CSV and the history as text, and their file names, for
a project in each of the three wordings.

What counts as wrong comes from the dictionary itself (data/wording.py): in a wording, a default
word whose translation differs and does not contain it ("Subcontractor" to an owner, whose word
is "Contractor"; "Invoice #" to a specialty contractor, "Progress Billing #"). Words are matched
whole and in any case: "Contractor" is not found in "Subcontractor", "Owner" is not found in
"Owner/Client" where "Owner/Client" is the wording's own. Text that people typed is payapp's
data, not its words: the demo's descriptions and names that hold a dictionary word ("Owner’s
punch list") are renamed first, so that only payapp's words are judged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import select

from data.db import reading, writing
from data.documents.export_files import MAX_FILE_STEM_BYTES
from data.documents.invoice_pdf import export_file_name, render_invoice_pdf
from data.documents.sov_csv import csv_file_name, sov_csv_text
from data.g703_check import check_sheet_text
from data.models import (
    ChangeOrder,
    Commitment,
    Company,
    InvoiceStatus,
    PointOfView,
    Project,
    SovLine,
)
from data.services.actors import actor_for_login
from data.services.invoice_changes import change_status
from data.services.invoice_history import History, invoice_history
from data.services.invoice_views import InvoiceView, load_invoice
from data.wording import backup_file_name, dictionary, reworded, word
from tests.invoice_pilot import send_erins_resubmission

# --- the checker -------------------------------------------------------------------------------


@cache
def whole_word(text: str) -> re.Pattern[str]:
    """`text` as a whole word or phrase, in any case: not inside a longer word ("Invoice #"
    ends with its "#", so "Invoice #3" holds it)."""
    before = r"(?<!\w)" if re.match(r"\w", text) else ""
    after = r"(?!\w)" if re.search(r"\w$", text) else ""
    return re.compile(before + re.escape(text) + after, re.IGNORECASE)


def forbidden_words(point_of_view: PointOfView) -> list[str]:
    """The default words this wording says otherwise."""
    return [default for default, said in dictionary(point_of_view).items()
            if said != default and not whole_word(default).search(said)]


def default_words_in(text: str, point_of_view: PointOfView) -> list[str]:
    """The default words in `text` where this wording has another. The wording's own words
    that hold a forbidden one ("Owner/Client" to an owner) are taken out first."""
    forbidden = forbidden_words(point_of_view)
    for said in dictionary(point_of_view).values():
        if any(whole_word(default).search(said) for default in forbidden):
            text = whole_word(said).sub(" ", text)
    return [default for default in forbidden if whole_word(default).search(text)]


def words_missing(text: str, defaults: list[str], point_of_view: PointOfView) -> list[str]:
    """The words of this wording, for `defaults`, that `text` does not hold."""
    return [word(default, point_of_view) for default in defaults
            if not whole_word(word(default, point_of_view)).search(text)]


def test_the_checker_tells_words_apart() -> None:
    owner, specialty = PointOfView.OWNER, PointOfView.SPECIALTY_CONTRACTOR
    assert {"Subcontract", "Subcontractor", "Owner"} <= set(forbidden_words(owner))
    assert "Owner" not in forbidden_words(specialty)
    assert forbidden_words(PointOfView.GENERAL_CONTRACTOR) == []
    assert default_words_in("Contract company (Contractor) · Owner/Client", owner) == []
    assert default_words_in("Subcontractor's number", owner) == ["Subcontractor"]
    assert default_words_in("Owner · Subcontractor", specialty) == []
    assert "Invoice #" in default_words_in("history of invoice #3", specialty)
    assert words_missing("Subcontractor Coastline", ["Subcontractor"], owner) == ["Contractor"]


# --- a project in each wording -----------------------------------------------------------------


@dataclass(frozen=True)
class Documents:
    point_of_view: PointOfView
    view: InvoiceView
    history: History


def _without_dictionary_words(text: str) -> str:
    """The demo's text with every word of every wording replaced: data, not payapp's words."""
    for point_of_view in PointOfView:
        for default, said in dictionary(point_of_view).items():
            text = whole_word(said).sub("Xq", whole_word(default).sub("Xq", text))
    return text


def _speaking(engine: Engine, point_of_view: PointOfView) -> int:
    """The demo project in `point_of_view`, its text neutral, and Erin's invoice #3 sent again
    and held for owner approval by Pat (the workflow's "owner" words); the invoice's id."""
    with writing(engine) as session:
        project = session.exec(select(Project)).one()
        project.point_of_view = point_of_view.value
        project.name = _without_dictionary_words(project.name)
        session.add(project)
        for line in session.exec(select(SovLine)).all():
            line.description = _without_dictionary_words(line.description)
            session.add(line)
        for order in session.exec(select(ChangeOrder)).all():
            order.title = _without_dictionary_words(order.title)
            session.add(order)
        for company in session.exec(select(Company)).all():
            company.name = _without_dictionary_words(company.name)
            session.add(company)
        for commitment in session.exec(select(Commitment)).all():
            commitment.title = _without_dictionary_words(commitment.title)
            session.add(commitment)
    invoice_id = send_erins_resubmission(engine)
    with writing(engine) as session:
        change_status(session, actor_for_login(session, "pat"), invoice_id,
                      InvoiceStatus.PENDING_OWNER_APPROVAL)
    return invoice_id


@pytest.fixture(params=list(PointOfView), ids=[pov.value for pov in PointOfView])
def documents(request: pytest.FixtureRequest, sqlite_demo_engine: Engine) -> Documents:
    point_of_view = PointOfView(request.param)
    invoice_id = _speaking(sqlite_demo_engine, point_of_view)
    with reading(sqlite_demo_engine) as session:
        sam = actor_for_login(session, "sam")  # support reads the whole history
        view = load_invoice(session, sam, invoice_id)
        history = invoice_history(session, sam, invoice_id)
    assert view.point_of_view == point_of_view.value
    return Documents(point_of_view, view, history)


def pdf_text(content: bytes) -> str:
    """Every page's text, white space as single spaces (a wrapped cell reads whole)."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


# --- the documents -----------------------------------------------------------------------------


def test_the_invoice_pdf_speaks_the_projects_words(documents: Documents) -> None:
    view, pov = documents.view, documents.point_of_view
    text = pdf_text(render_invoice_pdf(view))
    assert default_words_in(text, pov) == []
    assert words_missing(text, ["Invoice #", "Invoice", "Subcontract", "Subcontractor"],
                         pov) == []
    assert f"{word('Subcontract', pov)} {view.commitment_number}" in text
    assert f"({word('Subcontractor', pov)})" in text
    assert f"{word('Invoice #', pov)}{view.position}" in text
    assert reworded("Pending Owner Approval", pov) in text
    name = export_file_name(view)
    assert default_words_in(name, pov) == []
    assert name.startswith(f"{view.commitment_number} {word('Invoice', pov)} {view.position} ")


def test_the_csv_speaks_the_projects_words_and_still_reads_back(documents: Documents) -> None:
    view, pov = documents.view, documents.point_of_view
    text = sov_csv_text(view)
    assert default_words_in(text, pov) == []
    assert words_missing(text, ["Invoice #", "Subcontract", "Subcontractor"], pov) == []
    titles = [row[0] for row in csv.reader(io.StringIO(text))][:4]
    assert titles[1].startswith(f"{word('Subcontract', pov)}: {view.commitment_number}")
    assert titles[2] == f"{word('Subcontractor', pov)}: {view.contract_company}"
    assert titles[3].startswith(f"{word('Invoice #', pov)}{view.position}")
    report = check_sheet_text(text, previous_certificates=view.summary.previous_certificates,
                              application_number=view.position)
    assert report.consistent and not report.unreadable, report.as_text()
    name = csv_file_name(view)
    assert default_words_in(name, pov) == []
    assert name.startswith(f"{view.commitment_number} {word('Invoice', pov)} ")


def test_the_history_speaks_the_projects_words(documents: Documents) -> None:
    history, pov = documents.history, documents.point_of_view
    text = history.as_text()
    assert default_words_in(text, pov) == []
    assert text.startswith(f"History of {reworded('invoice', pov)} #{documents.view.position} ")
    assert f": {reworded('create invoice', pov)}\n" in text
    assert f": {reworded('hold for owner approval', pov)}\n" in text
    assert f"status: Under Review → {reworded('Pending Owner Approval', pov)}" in text
    assert default_words_in(history.file_name, pov) == []
    assert history.file_name.startswith(f"SC-2417-016 {word('Invoice', pov)} 3 - history")


# --- the backup's file name --------------------------------------------------------------------


@pytest.mark.parametrize(("point_of_view", "head"), [
    (PointOfView.GENERAL_CONTRACTOR, "Subcontractor invoice backup"),
    (PointOfView.OWNER, "Contractor invoice backup"),
    (PointOfView.SPECIALTY_CONTRACTOR, "Subcontractor progress billing backup"),
])
def test_a_backup_is_named_in_the_projects_words(point_of_view: PointOfView,
                                                 head: str) -> None:
    when = datetime(2026, 11, 21, 14, 5, 33)
    name = backup_file_name("Mission Bay Medical Office Building", "2417", when, point_of_view)
    assert name == f"{head} - Mission Bay Medical Office Building - 2417 - 2026-11-21 - 14.05.pdf"
    assert default_words_in(name, point_of_view) == []


def test_a_backup_name_is_safe_and_keeps_its_date_and_time() -> None:
    when = datetime(2026, 11, 21, 9, 7)
    hostile = backup_file_name('../../etc/pa:ss*wd?"<x>|\u202e\x00', "24/17", when, "owner")
    assert not set('/\\:*?"<>|\u202e\x00') & set(hostile)
    assert hostile.endswith(" - 24_17 - 2026-11-21 - 09.07.pdf")
    endless = backup_file_name("Tower " * 100, "2417", when, "specialty_contractor")
    assert len(endless.removesuffix(".pdf").encode()) <= MAX_FILE_STEM_BYTES
    assert endless.startswith("Subcontractor progress billing backup - Tower Tower")
    assert endless.endswith(" - 2417 - 2026-11-21 - 09.07.pdf")
