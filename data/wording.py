"""Every word payapp shows for a code, in one place: the labels of statuses, types and kinds, and
the point-of-view dictionary (the same screens speak to a general contractor's, an owner's or a
specialty contractor's people, domain.md §1).

Screens, PDFs, messages and the database's own status table (migration 0004) read their words
from here; nothing else maps a stored code to what a person reads.
"""

from __future__ import annotations

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

