"""The point-of-view dictionary: the same screens speak to a general contractor's, an owner's or
a specialty contractor's people (domain.md §1). Keys are the default (general contractor) words."""

from __future__ import annotations

from data.models import PointOfView

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
