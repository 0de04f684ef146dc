"""Which statutory waiver form applies: by state and form, on a date or by exact version.

The registry reads every template file under a folder (by default the templates shipped with
payapp) and answers two questions: the newest version of a state's form in force on a given
date, and one exact version. A state with no template is refused with a message that says so
and names the states that have one. Nothing here ever falls back to another state's form, to
another kind of form, or to a version that is not yet in force: each state prescribes its own
words, and a waiver in the wrong words may be void.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from data.refusals import NotFound
from data.terminal_text import terminal_safe
from data.waivers.template import (
    TEMPLATE_SUFFIX,
    TemplateError,
    WaiverForm,
    WaiverTemplate,
    read_template,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_QUOTE_LIMIT = 20


class NoWaiverTemplate(NotFound):
    """No template fits the request; the message says what exists instead."""


@dataclass(frozen=True)
class WaiverRegistry:
    """A set of templates, at most one per state, form and version."""

    templates: tuple[WaiverTemplate, ...]

    @classmethod
    def from_folder(cls, folder: Path = TEMPLATE_DIR) -> WaiverRegistry:
        """Every template under `folder` (one sub-folder per state); TemplateError on a file
        that breaks a rule, or on two templates for the same state, form and version or date."""
        paths = sorted(folder.glob(f"*/*{TEMPLATE_SUFFIX}"))
        return cls.of(read_template(path) for path in paths)

    @classmethod
    def of(cls, templates: Iterable[WaiverTemplate]) -> WaiverRegistry:
        ordered = tuple(sorted(templates, key=lambda t: (t.jurisdiction, t.form, t.effective)))
        seen: dict[tuple[str, WaiverForm, object], WaiverTemplate] = {}
        for template in ordered:
            for key in ((template.jurisdiction, template.form, template.version),
                        (template.jurisdiction, template.form, template.effective)):
                if key in seen:
                    raise TemplateError(f"two {template.jurisdiction} {template.form} templates "
                                        f"share {key[2]}")
                seen[key] = template
        return cls(ordered)

    @property
    def jurisdictions(self) -> tuple[str, ...]:
        """The states that have at least one template, in alphabetical order."""
        return tuple(sorted({template.jurisdiction for template in self.templates}))

    def forms(self, jurisdiction: str) -> tuple[WaiverForm, ...]:
        """The kinds of form the state has a template for (refused for a state with none)."""
        state = self._known_state(jurisdiction)
        return tuple(form for form in WaiverForm
                     if any(t.jurisdiction == state and t.form is form for t in self.templates))

    def versions(self, jurisdiction: str, form: WaiverForm | str) -> tuple[WaiverTemplate, ...]:
        """Every version of the state's form, oldest first (refused when there is none)."""
        state = self._known_state(jurisdiction)
        kind = _form(form)
        found = tuple(t for t in self.templates if t.jurisdiction == state and t.form is kind)
        if not found:
            have = ", ".join(self.forms(state))
            raise NoWaiverTemplate(f"payapp has no {kind} lien waiver template for {state}; "
                                   f"the {state} templates are: {have}.")
        return found

    def in_effect(self, jurisdiction: str, form: WaiverForm | str, on: date) -> WaiverTemplate:
        """The newest version of the state's form that is in force on `on`."""
        versions = self.versions(jurisdiction, form)
        in_force = [template for template in versions if template.effective <= on]
        if not in_force:
            first = versions[0]
            raise NoWaiverTemplate(
                f"no {first.jurisdiction} {first.form} lien waiver template was in force on "
                f"{on.isoformat()}; the earliest payapp has takes effect on "
                f"{first.effective.isoformat()}.")
        return in_force[-1]

    def exact(self, jurisdiction: str, form: WaiverForm | str, version: str) -> WaiverTemplate:
        """One version of the state's form, by its name."""
        versions = self.versions(jurisdiction, form)
        for template in versions:
            if template.version == version:
                return template
        first = versions[0]
        raise NoWaiverTemplate(
            f"payapp has no version {_quoted(version)} of the {first.jurisdiction} {first.form} "
            f"lien waiver template; its versions are: "
            f"{', '.join(t.version for t in versions)}.")

    def _known_state(self, jurisdiction: str) -> str:
        state = jurisdiction.strip().upper()
        if state in self.jurisdictions:
            return state
        have = ", ".join(self.jurisdictions) or "none"
        raise NoWaiverTemplate(
            f"payapp has no lien waiver template for the state {_quoted(jurisdiction)}. "
            f"Only these states have one: {have}. Each state prescribes its own form, so "
            f"payapp never uses another state's.")


def _form(form: WaiverForm | str) -> WaiverForm:
    try:
        return WaiverForm(form)
    except ValueError:
        kinds = ", ".join(kind.value for kind in WaiverForm)
        raise NoWaiverTemplate(f"{_quoted(str(form))} is not a kind of lien waiver; the kinds "
                               f"are: {kinds}.") from None


def _quoted(text: str) -> str:
    shown = terminal_safe(text.strip())
    if len(shown) > _QUOTE_LIMIT:
        shown = shown[:_QUOTE_LIMIT - 1] + "…"
    return f"“{shown}”"


@cache
def shipped_registry() -> WaiverRegistry:
    """The templates that ship with payapp (read once)."""
    return WaiverRegistry.from_folder(TEMPLATE_DIR)
