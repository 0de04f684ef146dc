"""A commitment that started billing before payapp (issue 10, "starting mid-project"): the last
application filed elsewhere, what was certified for payment up to it, and per SOV line the work,
stored materials and retainage billed to date. Entered by an invoice administrator of the
project before the commitment's first invoice in payapp, or taken from the G703 continuation
sheet of that last application (the CSV that `payapp g702` reads, checked by it first).

The first invoice in payapp then carries the application number after it, shows the history in
every "previous" column (D, previous stored materials, previous retainage) and takes line 7
from the certificates (data/services/invoice_figures.py).

From a G703 row of the last application: work to date = D + E (G less F), stored materials = F,
retainage = I. The sheet has one retainage column: the part on stored materials is the
commitment's stored-materials rate of F (rounded half-up to the cent), the rest is on work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from data import audit_chain, g703
from data.g703_check import SheetError, SheetReport, check_sheet_text
from data.models import Invoice, SovLine
from data.money import PERCENT_SCALE, ZERO, format_money, from_scaled, round_cents, to_cents
from data.services.actors import Actor
from data.services.commitment_setup import administered_commitment
from data.services.errors import Invalid


@dataclass(frozen=True)
class LineHistory:
    """One SOV line's billing before payapp, to date."""

    work: Decimal = ZERO
    stored: Decimal = ZERO
    retainage_work: Decimal = ZERO
    retainage_stored: Decimal = ZERO


@dataclass(frozen=True)
class History:
    application: int  # the last application filed before payapp
    certificates: Decimal  # certified for payment up to it (line 7 of the next)
    lines: Mapping[str, LineHistory]  # by item number

    def describe(self, commitment_number: str) -> list[str]:
        work = sum((line.work for line in self.lines.values()), ZERO)
        held = sum((line.retainage_work + line.retainage_stored
                    for line in self.lines.values()), ZERO)
        return [f"Commitment {commitment_number} continues after application "
                f"{self.application}: its first invoice in payapp is #{self.application + 1}",
                f"{len(self.lines)} lines: work to date {format_money(work)}, retainage held "
                f"{format_money(held)}",
                f"Previous certificates for payment (line 7): {format_money(self.certificates)}"]


def set_history(session: Session, actor: Actor, commitment_id: int, history: History) -> None:
    """Record the history (replacing any entered before), or Invalid saying why not."""
    commitment, _project = administered_commitment(session, actor, commitment_id)
    if session.exec(select(Invoice).where(Invoice.commitment_id == commitment_id)).first():
        raise Invalid(f"commitment {commitment.number} has invoices in payapp: its history "
                      "before payapp is entered before the first one")
    if history.application < 1:
        raise Invalid("the last application filed before payapp is number 1 or more")
    lines = {line.item_no: line for line in session.exec(
        select(SovLine).where(SovLine.commitment_id == commitment_id)).all()}
    unknown = sorted(set(history.lines) - set(lines))
    if unknown:
        raise Invalid(f"item {unknown[0]} is not on the schedule of values of commitment "
                      f"{commitment.number}; import the schedule first")
    for item, line in lines.items():
        before = history.lines.get(item, LineHistory())
        _check_line(item, before)
        line.history_work_cents = to_cents(before.work)
        line.history_stored_cents = to_cents(before.stored)
        line.history_retainage_work_cents = to_cents(before.retainage_work)
        line.history_retainage_stored_cents = to_cents(before.retainage_stored)
        session.add(line)
    commitment.previous_applications = history.application
    commitment.previous_certificates_cents = to_cents(history.certificates)
    session.add(commitment)
    session.flush()
    audit_chain.record(session, actor.login, "enter history before payapp", "commitment",
                       commitment_id, after={"application": history.application,
                                             "certificates": history.certificates,
                                             "lines": len(history.lines)})


def _check_line(item: str, line: LineHistory) -> None:
    for name, amount in (("work", line.work), ("stored materials", line.stored),
                         ("retainage", line.retainage_work + line.retainage_stored)):
        if amount < ZERO:
            raise Invalid(f"item {item}: {name} billed before payapp is negative")
    if line.retainage_work + line.retainage_stored > line.work + line.stored:
        raise Invalid(f"item {item}: more retainage than was billed")


class ApplicationNumberMissing(Invalid):
    """The sheet names no application number and none was given: ask for it."""


def history_from_g703(session: Session, actor: Actor, commitment_id: int, text: str, *,
                      application: int | None = None,
                      certificates: Decimal | None = None) -> History:
    """The history the G703 of the last application filed elsewhere gives, after `payapp g702`
    found it consistent. `application` and `certificates` default to the sheet's application
    number and its line 6."""
    commitment, _project = administered_commitment(session, actor, commitment_id)
    stored_rate = from_scaled(commitment.stored_retainage_e4, PERCENT_SCALE)
    number = application or _application_number(text)
    try:
        report = check_sheet_text(text, application_number=number)
    except (SheetError, ValueError) as error:
        raise Invalid(f"the G703 sheet cannot be read: {error}") from None
    if not report.consistent:
        problems = [d.message for d in report.discrepancies][:3] + [
            u.message for u in report.unreadable][:3]
        raise Invalid("the G703 sheet does not add up, so it is not taken: "
                      + "; ".join(problems) + " (payapp g702 lists everything)")
    if number is None:
        raise ApplicationNumberMissing(
            "the sheet does not say which application it is (a cell “Application No. 24” in "
            "its first lines): give its number")
    return History(number, _certified(report) if certificates is None else certificates,
                   _lines(report, stored_rate))


def _lines(report: SheetReport, stored_rate: Decimal) -> dict[str, LineHistory]:
    lines: dict[str, LineHistory] = {}
    for row in report.rows:
        if not row.item:
            raise Invalid(f"{row.where}: a line without an item number cannot be matched to "
                          "the schedule of values")
        if row.item in lines:
            raise Invalid(f"{row.where}: item {row.item} appears twice")
        stored = row.amount(g703.STORED)
        on_stored = min(round_cents(stored * stored_rate / 100), row.amount(g703.RETAINAGE))
        lines[row.item] = LineHistory(
            work=row.amount(g703.PREVIOUS) + row.amount(g703.THIS_PERIOD), stored=stored,
            retainage_work=row.amount(g703.RETAINAGE) - on_stored, retainage_stored=on_stored)
    return lines


def _certified(report: SheetReport) -> Decimal:
    """Line 6 of the sheet's application: what it certified up to then."""
    return next(amount for number, _caption, amount in report.g702_lines if number == "6")


def _application_number(text: str) -> int | None:
    """The number in an "Application No. 24" cell of the sheet's first lines, if any."""
    found = re.search(r"Application\s+No\.?\s*:?\s*(\d+)", "\n".join(text.splitlines()[:5]),
                      re.IGNORECASE)
    return int(found.group(1)) if found else None


def read_sheet(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise Invalid(f"there is no file {path}") from None
    except UnicodeDecodeError:
        raise Invalid(f"{path} is not UTF-8 text: save it as CSV UTF-8") from None
    except OSError as error:
        raise Invalid(f"{path} cannot be read ({error.strerror or error})") from None

