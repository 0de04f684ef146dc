"""Every word payapp shows for a code, in one place: the labels of statuses, types and kinds, and
the point-of-view dictionary (the same screens speak to a general contractor's, an owner's or a
specialty contractor's people, domain.md §1).

Screens, PDFs, messages and the database's own status table (migration 0004) read their words
from here; nothing else maps a stored code to what a person reads.
"""

from __future__ import annotations

from data import billing
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
}


def word(text: str, point_of_view: str | PointOfView) -> str:
    """`text` as this project's audience says it; unknown words are returned unchanged."""
    pov = PointOfView(point_of_view)
    if pov is PointOfView.GENERAL_CONTRACTOR or text not in _WORDS:
        return text
    owner, specialty = _WORDS[text]
    return owner if pov is PointOfView.OWNER else specialty



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
    """`line 3 (Framing)`: how a message names a line of the schedule of values."""
    return f"line {item_no} ({description})" if description else f"line {item_no}"


def overbilled_sentence(result: billing.LineResult) -> str:
    """`line 3 (Framing) is billed $1,200.00 past its scheduled value` for an overbilled line."""
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
