"""Every word payapp shows for a code, in one place: the labels of statuses, types and kinds, and
the point-of-view dictionary (the same screens speak to a general contractor's, an owner's or a
specialty contractor's people, domain.md §1).

Screens, PDFs, messages and the database's own status table (migration 0004) read their words
from here; nothing else maps a stored code to what a person reads.
"""

from __future__ import annotations

import re
from datetime import datetime

from data import billing
from data.documents.export_files import MAX_FILE_STEM_BYTES, safe_file_stem
from data.models import (
    AccountingMethod,
    BillingType,
    ChangeOrderKind,
    InviteResponse,
    InviteType,
    InvoiceStatus,
    PaymentStatus,
    PointOfView,
    Role,
)
from data.money import format_money

STATUS_LABELS: dict[InvoiceStatus, str] = {
    InvoiceStatus.DRAFT: "Draft",
    InvoiceStatus.UNDER_REVIEW: "Under Review",
    InvoiceStatus.REVISE_AND_RESUBMIT: "Revise & Resubmit",
    InvoiceStatus.PENDING_OWNER_APPROVAL: "Pending Owner Approval",
    InvoiceStatus.APPROVED_AS_NOTED: "Approved as Noted",
    InvoiceStatus.APPROVED: "Approved",
}

PAYMENT_STATUS_LABELS: dict[PaymentStatus, str] = {
    PaymentStatus.NOT_APPROVED: "—",
    PaymentStatus.UNPAID: "Unpaid",
    PaymentStatus.PARTIALLY_PAID: "Partially Paid",
    PaymentStatus.PAID: "Paid",
}

INVITE_TYPE_LABELS: dict[InviteType, str] = {
    InviteType.WORK_AND_MATERIALS: "Work and Materials",
    InviteType.RETAINAGE_RELEASE: "Retainage Release",
    InviteType.WORK_MATERIALS_AND_RETAINAGE: "Work, Materials, and Retainage",
}

INVITE_RESPONSE_LABELS: dict[InviteResponse, str] = {
    InviteResponse.PENDING: "Not answered",
    InviteResponse.YES: "Yes",
    InviteResponse.NO: "No",
}

BILLING_TYPE_LABELS: dict[BillingType, str] = {
    BillingType.PROGRESS: "Progress",
    BillingType.FINAL: "Final",
}

METHOD_LABELS: dict[AccountingMethod, str] = {
    AccountingMethod.AMOUNT: "Amount",
    AccountingMethod.UNIT: "Unit",
}

ROLE_LABELS: dict[Role, str] = {
    Role.INVOICE_CONTACT: "invoice contact",
    Role.INVOICE_ADMINISTRATOR: "invoice administrator",
    Role.SUPPORT: "support",
    Role.SYSTEM_ADMINISTRATOR: "system administrator",
}

# The section titles of the schedule of values' change-order lines.
CHANGE_ORDER_SECTIONS: dict[ChangeOrderKind, str] = {
    ChangeOrderKind.CCO: "Commitment Change Orders",
    ChangeOrderKind.PCO: "Potential Change Orders",
}

_WORDS: dict[str, tuple[str, str]] = {
    # default: (owner, specialty contractor)
    "Invoicing": ("Invoicing", "Progress Billings"),
    "Invoice": ("Invoice", "Progress Billing"),
    "Invoices": ("Invoices", "Progress Billings"),
    "Invoice #": ("Invoice #", "Progress Billing #"),
    "Invoice contact": ("Invoice contact", "Progress billing contact"),
    "Subcontract": ("Contract", "Subcontract"),
    "Subcontractor": ("Contractor", "Subcontractor"),
    "Owner": ("Funding", "Owner"),
    "Owner/Client": ("Owner/Client", "GC/Client"),
    "Prime Contracts": ("Funding", "Client Contracts"),
    "Prime Contract Change Order": ("Funding Change Order", "Client Contract Change Order"),
    "Subcontractor Schedule of Values (SSOV)": ("Contractor Schedule of Values (CSOV)", "SSOV"),
    # The name of a compiled backup (domain.md §7), each of its words as the dictionary says it.
    "Subcontractor invoice backup": ("Contractor invoice backup",
                                     "Subcontractor progress billing backup"),
}


def word(text: str, point_of_view: str | PointOfView) -> str:
    """`text` as this project's audience says it; unknown words are returned unchanged."""
    pov = PointOfView(point_of_view)
    if pov is PointOfView.GENERAL_CONTRACTOR or text not in _WORDS:
        return text
    owner, specialty = _WORDS[text]
    return owner if pov is PointOfView.OWNER else specialty


def dictionary(point_of_view: str | PointOfView) -> dict[str, str]:
    """Every word of the dictionary, the default's word to this audience's."""
    return {text: word(text, point_of_view) for text in _WORDS}


# The dictionary's words wherever they stand in a text, whole words only: the longest first, so
# that "Subcontractor" is one word and not "Subcontract" followed by "or".
_DICTIONARY_WORDS = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(text) for text in sorted(_WORDS, key=len, reverse=True))
    + r")(?!\w)", re.IGNORECASE)
_WORD_BY_LOWER_CASE = {text.lower(): text for text in _WORDS}


# Text a person wrote, quoted inside payapp's own: “Invoice 12.pdf” stays as it is.
_QUOTED = re.compile(r"(“[^”]*”)")


def reworded(text: str, point_of_view: str | PointOfView) -> str:
    """payapp's own `text` (a caption, an action, a title: never text a person typed) with each
    word of the dictionary in it as this project's audience says it. A word written in lower
    case stays in lower case: "history of invoice #3" reads "history of progress billing #3".
    What stands between “curly quotes” is a person's text and is left as it is."""
    if PointOfView(point_of_view) is PointOfView.GENERAL_CONTRACTOR:
        return text

    def said(found: re.Match[str]) -> str:
        default = _WORD_BY_LOWER_CASE[found.group().lower()]
        translated = word(default, point_of_view)
        return _in_lower_case(translated) if found.group().islower() else translated

    return "".join(part if part.startswith("“") else _DICTIONARY_WORDS.sub(said, part)
                   for part in _QUOTED.split(text))


def _in_lower_case(text: str) -> str:
    """A word as it reads inside a sentence ("progress billing"); abbreviations (GC) stay."""
    return re.sub(r"\b[A-Z](?=[a-z])", lambda capital: capital.group().lower(), text)


def backup_file_name(project_name: str, project_number: str, when: datetime,
                     point_of_view: str | PointOfView) -> str:
    """`Subcontractor invoice backup - <project name> - <project number> - <date> - <time>.pdf`
    (domain.md §7) in the project's words, safe as a file name on any system. A long project
    name is shortened so that the number, the date and the time always stay."""
    head = safe_file_stem(word("Subcontractor invoice backup", point_of_view))
    tail = safe_file_stem(f"{project_number} - {when:%Y-%m-%d} - {when:%H.%M}")
    room = MAX_FILE_STEM_BYTES - len(f"{head} -  - {tail}".encode())
    name = safe_file_stem(project_name).encode()[:max(room, 1)].decode(errors="ignore")
    return f"{safe_file_stem(f'{head} - {name.rstrip()} - {tail}')}.pdf"


# --- what the invoice screen says about a save or a send ----------------------------------------

# The administrators' review emails are written to the outbox with the invoice and sent later by
# the outbox job: the send result says they are queued, never that anyone was notified.
SENT_FOR_REVIEW = "Sent for review; an email to the administrators is queued."
SAVED = "Saved."


def saved_first(name: str | None) -> str:
    """The opening of the conflict message: who saved the invoice before this person did.

    `name` is `InvoiceView.last_saved_by` (text from the database: the screen makes it safe for
    the terminal); None when payapp cannot tell."""
    return f"{name or 'Someone else'} saved this invoice first."


def line_name(item_no: str, description: str) -> str:
    """`line 3 “Framing”`: how a message names a line of the schedule of values. The quotes
    mark the description as a person's text, which a project's wording never rewords."""
    return f"line {item_no} “{description}”" if description else f"line {item_no}"


def overbilled_sentence(result: billing.LineResult) -> str:
    """`line 3 “Framing” is billed $1,200.00 past its scheduled value` for an overbilled line."""
    line = result.line
    past = format_money(abs(result.balance_to_finish))
    return f"{line_name(line.item_no, line.description)} is billed {past} past its scheduled value"


def refusal_sentence(result: billing.LineResult, problem: billing.Problem) -> str:
    """Why a line's figures cannot be taken, naming the line: one sentence, no final stop."""
    line = result.line
    name = line_name(line.item_no, line.description)
    history = (f"{format_money(line.previous_work)} billed before, "
               f"{format_money(line.work_this_period)} this period")
    if result.materials_presently_stored:
        history += f", {format_money(result.materials_presently_stored)} stored"
    if problem is billing.Problem.NEGATIVE_COMPLETED:
        return f"{name}: completed to date cannot go below zero ({history})"
    if problem is billing.Problem.CREDIT_ABOVE_ZERO:
        return (f"{name}: on a deductive line ({format_money(line.scheduled_value)}) completed "
                f"to date cannot go above zero ({history})")
    if problem is billing.Problem.INSTALLED_EXCEEDS_STORED:
        stored = line.previous_stored + line.new_stored
        return (f"{name}: installed materials exceed materials stored "
                f"({format_money(line.stored_installed)} installed, {format_money(stored)} "
                "stored)")
    if problem is billing.Problem.NEGATIVE_STORED:
        return (f"{name}: stored materials cannot go below zero "
                f"({format_money(result.materials_presently_stored)})")
    return f"{name}: {problem.value}"
