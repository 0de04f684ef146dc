"""What the statutory waiver tests compare with: each form's text, typed here from the statute.

These texts are typed from the pages the statute was read on, not copied from the template
files, so that a word changed in a template (or here) makes the golden tests fail. A blank is
written [name]; `expected_text` puts the value a test filled in (or the empty line) in its
place. The helpers read a PDF's text back with pypdf and with poppler's pdftotext, and write
test-only templates (state "ZZ": not a real state, not statutory words) for the rules no
shipped template exercises yet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from data.waivers.filling import WaiverValues

# Cal. Civ. Code § 8136, as printed at https://california.public.law/codes/ca_civ_code_section_8136
CA_8136 = (
    "CONDITIONAL WAIVER AND RELEASE ON FINAL PAYMENT "
    "NOTICE: THIS DOCUMENT WAIVES THE CLAIMANT’S LIEN, STOP PAYMENT NOTICE, AND PAYMENT BOND "
    "RIGHTS EFFECTIVE ON RECEIPT OF PAYMENT. A PERSON SHOULD NOT RELY ON THIS DOCUMENT UNLESS "
    "SATISFIED THAT THE CLAIMANT HAS RECEIVED PAYMENT. "
    "Identifying Information "
    "Name of Claimant: [claimant] "
    "Name of Customer: [customer] "
    "Job Location: [job_location] "
    "Owner: [owner] "
    "Conditional Waiver and Release "
    "This document waives and releases lien, stop payment notice, and payment bond rights the "
    "claimant has for labor and service provided, and equipment and material delivered, to "
    "the customer on this job. Rights based upon labor or service provided, or equipment or "
    "material delivered, pursuant to a written change order that has been fully executed by "
    "the parties prior to the date that this document is signed by the claimant, are waived "
    "and released by this document, unless listed as an Exception below. This document is "
    "effective only on the claimant’s receipt of payment from the financial institution on "
    "which the following check is drawn: "
    "Maker of Check: [check_maker] "
    "Amount of Check: $[check_amount] "
    "Check Payable to: [check_payee] "
    "Exceptions "
    "This document does not affect any of the following: "
    "Disputed claims for extras in the amount of: $[disputed_claims] "
    "Signature "
    "Claimant’s Signature: [claimant_signature] "
    "Claimant’s Title: [claimant_title] "
    "Date of Signature: [signature_date]"
)

# Cal. Civ. Code § 8138, as printed at the casetext copy (d1tvxue8o4w0fl.cloudfront.net/statute/
# california-codes/.../section-8138-unconditional-waiver-and-release-on-final-payment), with the
# apostrophe of "Claimant’s" as the code prints it (’), not as that copy does (').
CA_8138 = """
UNCONDITIONAL WAIVER AND RELEASE ON FINAL PAYMENT
NOTICE TO CLAIMANT: THIS DOCUMENT WAIVES AND RELEASES LIEN, STOP PAYMENT NOTICE, AND PAYMENT
BOND RIGHTS UNCONDITIONALLY AND STATES THAT YOU HAVE BEEN PAID FOR GIVING UP THOSE RIGHTS.
THIS DOCUMENT IS ENFORCEABLE AGAINST YOU IF YOU SIGN IT, EVEN IF YOU HAVE NOT BEEN PAID. IF YOU
HAVE NOT BEEN PAID, USE A CONDITIONAL WAIVER AND RELEASE FORM.
Identifying Information
Name of Claimant: [claimant]
Name of Customer: [customer]
Job Location: [job_location]
Owner: [owner]
Unconditional Waiver and Release
This document waives and releases lien, stop payment notice, and payment bond rights the
claimant has for all labor and service provided, and equipment and material delivered, to the
customer on this job. Rights based upon labor or service provided, or equipment or material
delivered, pursuant to a written change order that has been fully executed by the parties prior
to the date that this document is signed by the claimant, are waived and released by this
document, unless listed as an Exception below. The claimant has been paid in full.
Exceptions
This document does not affect the following:
Disputed claims for extras in the amount of: $[disputed_claims]
Signature
Claimant’s Signature: [claimant_signature]
Claimant’s Title: [claimant_title]
Date of Signature: [signature_date]
"""

CA_8138_NOTICE = (
    "NOTICE TO CLAIMANT: THIS DOCUMENT WAIVES AND RELEASES LIEN, STOP PAYMENT NOTICE, AND "
    "PAYMENT BOND RIGHTS UNCONDITIONALLY AND STATES THAT YOU HAVE BEEN PAID FOR GIVING UP THOSE "
    "RIGHTS. THIS DOCUMENT IS ENFORCEABLE AGAINST YOU IF YOU SIGN IT, EVEN IF YOU HAVE NOT BEEN "
    "PAID. IF YOU HAVE NOT BEEN PAID, USE A CONDITIONAL WAIVER AND RELEASE FORM."
)

# (state, form, version) -> the statute's text, for every template payapp ships.
STATUTES: Mapping[tuple[str, str, str], str] = {
    ("CA", "conditional-final", "2012-07-01"): CA_8136,
    ("CA", "unconditional-final", "2012-07-01"): CA_8138,
}

# The values the golden tests fill in, and how each reads on the form.
SAMPLE = WaiverValues(
    claimant="Coastline Électrique Co.",
    customer="Harbor “North” Builders, Inc.",
    job_location="1200 Ocean Ave, Santa Monica, CA 90401",
    owner="Pacific Vista Holdings LLC",
    check_maker="Harbor North Builders, Inc.",
    check_amount=Decimal("48250.75"),
    check_payee="Coastline Électrique Co.",
    disputed_claims=Decimal("1234.56"),
    claimant_signature="/s/ Dana Oyelaran",
    claimant_title="Controller",
    signature_date=date(2026, 11, 21),
)
SAMPLE_SHOWN = {
    "claimant": "Coastline Électrique Co.",
    "customer": "Harbor “North” Builders, Inc.",
    "job_location": "1200 Ocean Ave, Santa Monica, CA 90401",
    "owner": "Pacific Vista Holdings LLC",
    "check_maker": "Harbor North Builders, Inc.",
    "check_amount": "48,250.75",
    "check_payee": "Coastline Électrique Co.",
    "disputed_claims": "1,234.56",
    "claimant_signature": "/s/ Dana Oyelaran",
    "claimant_title": "Controller",
    "signature_date": "November 21, 2026",
}
# An empty blank: a line of underscores, longer for words than for an amount or a date.
WORDS_LINE = "________________________"
FIGURE_LINE = "______________"
FIGURE_BLANKS = frozenset({"check_amount", "disputed_claims", "signature_date", "through_date",
                           "amount_paid"})


def expected_text(statute: str, shown: Mapping[str, str] | None = None) -> str:
    """`statute` with each [blank] replaced by its shown value, or by the empty line."""
    values = shown or {}

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name in values:
            return values[name]
        return FIGURE_LINE if name in FIGURE_BLANKS else WORDS_LINE

    return re.sub(r"\[([a-z_]+)\]", value, statute)


def normalised(text: str) -> str:
    """Whitespace-normalised: every run of white space one space, none at the ends."""
    return " ".join(text.split())


def pypdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def poppler_tool(name: str) -> str:
    """The path of a poppler program; skipped when missing, except under CI=true."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {name} (apt-get install poppler-utils)")
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils)")
    return found


def pdftotext_text(path: Path) -> str:
    done = subprocess.run([poppler_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, check=True)
    return done.stdout.decode("utf-8")


# --- test-only templates -----------------------------------------------------------------------

TEST_NOTICE = "NOTICE: THIS IS A TEST NOTICE FOR PAYAPP'S OWN CHECKS, NOT A STATUTE."


def zz_template_text(*, form: str = "unconditional-progress", version: str = "1",
                       effective: str = "2022-01-01", at_top: bool = True, bold: bool = True,
                       min_points: int = 10, notice_first: bool = True,
                       extra_lines: int = 0, extra_block: str = "") -> str:
    """A ZZ template (not a real state; no statutory words) for the rules no shipped template
    exercises: the notice at the top, bold, with a minimum size."""
    title = '[[blocks]]\nstyle = "title"\ntext = "TEST FORM"\n\n'
    notice = f'[[blocks]]\nstyle = "notice"\ntext = "{TEST_NOTICE}"\n\n'
    lines = "".join(f'[[blocks]]\nstyle = "text"\ntext = "Test line {number} of the form."\n\n'
                    for number in range(extra_lines))
    return (
        f'jurisdiction = "ZZ"\nform = "{form}"\nversion = "{version}"\n'
        f"effective = {effective}\n"
        'citation = "Test citation"\nsource = "tests/waiver_statutes.py"\n\n'
        f"[notice]\nas_large_as_largest = true\nat_top = {str(at_top).lower()}\n"
        f"bold = {str(bold).lower()}\nmin_points = {min_points}\n\n"
        + (notice + title if notice_first else title + notice)
        + '[[blocks]]\nstyle = "heading"\ntext = "Test heading"\n\n'
        + '[[blocks]]\nstyle = "text"\ntext = "Project: {project} Paid: ${amount_paid}"\n\n'
        + lines + extra_block
    )


def write_zz_template(folder: Path, text: str, *, form: str = "unconditional-progress",
                        version: str = "1") -> Path:
    path = folder / "zz" / f"{form}.{version}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
