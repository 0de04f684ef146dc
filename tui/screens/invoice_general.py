"""The invoice's general information (invoice number, billing date, period) as one form: every
field in view with its current value, each checked, nothing applied until all are right."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING

from textual.app import App

if TYPE_CHECKING:
    from data.editing import DraftInvoice

MAX_INVOICE_NUMBER = 40


def _date(text: str) -> str | None:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return f"“{text.strip()[:20]}” is not a date; write it as YYYY-MM-DD, e.g. 2026-11-30"
    return None


def _number(text: str) -> str | None:
    if len(text.strip()) > MAX_INVOICE_NUMBER:
        return f"at most {MAX_INVOICE_NUMBER} characters"
    return None


def _period(values: Mapping[str, str]) -> str | None:
    if _date(values["period_start"]) or _date(values["period_end"]):
        return None  # the fields say what is wrong
    if date.fromisoformat(values["period_start"].strip()) > \
            date.fromisoformat(values["period_end"].strip()):
        return "The period cannot start after it ends."
    return None


def edit_general(app: App[object], draft: DraftInvoice,
                 done: Callable[[str | None], None]) -> None:
    """Ask for the general information; apply what changed to the draft (not saved yet) and
    call `done` with what to say, or None when the person cancelled."""
    from data.editing import EntryError
    from data.services.invoice_changes import GeneralInfo
    from data.wording import reworded
    from tui.widgets.form import FormField, FormScreen

    view, typed = draft.view, draft.general
    fields = [
        FormField("invoice_number", reworded("Invoice no.", view.point_of_view),
                  typed.invoice_number if typed.invoice_number is not None
                  else view.invoice_number, _number),
        FormField("billing_date", "Billing date",
                  str(typed.billing_date or view.billing_date), _date),
        FormField("period_start", "Period start",
                  str(typed.period_start or view.period_start), _date),
        FormField("period_end", "Period end",
                  str(typed.period_end or view.period_end), _date),
    ]

    def take(values: dict[str, str] | None) -> None:
        if values is None:
            done(None)
            return
        number = values["invoice_number"].strip()
        billing = date.fromisoformat(values["billing_date"].strip())
        start = date.fromisoformat(values["period_start"].strip())
        end = date.fromisoformat(values["period_end"].strip())
        general = GeneralInfo(
            invoice_number=None if number == view.invoice_number else number,
            billing_date=None if billing == view.billing_date else billing,
            period_start=None if start == view.period_start else start,
            period_end=None if end == view.period_end else end)
        try:
            draft.set_general(general)
        except EntryError as error:
            done(f"Not changed: {error}")
            return
        done("General information changed; not saved yet (Ctrl+S saves)."
             if general != typed else "General information unchanged.")

    app.push_screen(FormScreen(f"General information · invoice #{view.position}", fields,
                               intro=f"Contract company: {view.contract_company} (read only). Your "
                               "invoice number is optional; dates are written YYYY-MM-DD.",
                               check_all=_period), take)
