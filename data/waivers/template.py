"""One statutory lien-waiver form, read from its data file.

A template file is TOML, stored as templates/<state>/<form>.<version>.toml (state in lower
case: templates/ca/unconditional-final.2012-07-01.toml). It holds:

    jurisdiction = "CA"                  # two-letter state code
    form = "unconditional-final"         # one of WaiverForm
    version = "2012-07-01"               # the version's name; also in the file name
    effective = 2012-07-01               # the first day the form is in force
    citation = "Cal. Civ. Code § 8138"
    source = "https://..."               # where the statutory text was taken from

    [notice]                             # what the statute asks of the notice's type
    as_large_as_largest = true           # at least as large as any other type on the form
    at_top = false                       # the first thing on the page
    bold = false                         # in bold type
    min_points = 0                       # never smaller than this many points

    [[blocks]]                           # the form, in order: one title, one notice,
    style = "title"                      # headings and lines of text
    text = "UNCONDITIONAL WAIVER AND RELEASE ON FINAL PAYMENT"

The text of the blocks is the statute's, word for word and punctuation included. The only
additions are named blanks, written `{claimant}`, where payapp prints a value; BLANKS lists the
names and what kind of value each takes. Reading a file checks all of this and refuses a file
that breaks any rule (TemplateError): an unknown key, blank or style, a title or notice missing
or repeated, a notice that must be at the top and is not, a stray brace, a control character, a
file name that disagrees with its content.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

TEMPLATE_SUFFIX = ".toml"


class WaiverForm(StrEnum):
    """The four kinds of waiver: conditional or unconditional, on a progress or final payment."""

    CONDITIONAL_PROGRESS = "conditional-progress"
    UNCONDITIONAL_PROGRESS = "unconditional-progress"
    CONDITIONAL_FINAL = "conditional-final"
    UNCONDITIONAL_FINAL = "unconditional-final"


class BlockStyle(StrEnum):
    """How a block of the form is set: the form's title, its notice, a heading, or text."""

    TITLE = "title"
    NOTICE = "notice"
    HEADING = "heading"
    TEXT = "text"


class BlankKind(StrEnum):
    """What a blank takes: words, an amount of money, a date, or several amounts or dates."""

    TEXT = "text"
    MONEY = "money"
    MONEY_LIST = "money-list"
    DATE = "date"
    DATE_LIST = "date-list"


# Every blank a template may name, and the kind of value payapp prints in it.
BLANKS: Mapping[str, BlankKind] = {
    "claimant": BlankKind.TEXT,
    "customer": BlankKind.TEXT,
    "job_location": BlankKind.TEXT,
    "owner": BlankKind.TEXT,
    "project": BlankKind.TEXT,
    "job_number": BlankKind.TEXT,
    "job_description": BlankKind.TEXT,
    "through_date": BlankKind.DATE,
    "check_maker": BlankKind.TEXT,
    "check_amount": BlankKind.MONEY,
    "check_payee": BlankKind.TEXT,
    "amount_paid": BlankKind.MONEY,
    "unpaid_waiver_dates": BlankKind.DATE_LIST,
    "unpaid_progress_amounts": BlankKind.MONEY_LIST,
    "disputed_claims": BlankKind.MONEY,
    "claimant_signature": BlankKind.TEXT,
    "claimant_title": BlankKind.TEXT,
    "signature_date": BlankKind.DATE,
}

_BLANK = re.compile(r"\{([a-z_]+)\}")
_JURISDICTION = re.compile(r"[A-Z]{2}")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")
_TOP_KEYS = frozenset({"jurisdiction", "form", "version", "effective", "citation", "source",
                       "notice", "blocks"})
_NOTICE_KEYS = frozenset({"as_large_as_largest", "at_top", "bold", "min_points"})
_BLOCK_KEYS = frozenset({"style", "text"})


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the rule it breaks."""


@dataclass(frozen=True)
class NoticeRule:
    """What the statute requires of the notice's type."""

    as_large_as_largest: bool
    at_top: bool
    bold: bool
    min_points: int


@dataclass(frozen=True)
class Piece:
    """Part of a block: statutory words (`blank` None) or a named blank (`text` empty)."""

    text: str
    blank: str | None = None


@dataclass(frozen=True)
class Block:
    """One block of the form: its style and its text, blanks written `{name}`."""

    style: BlockStyle
    text: str

    @property
    def pieces(self) -> tuple[Piece, ...]:
        """The text cut into statutory words and blanks, in order."""
        pieces: list[Piece] = []
        position = 0
        for found in _BLANK.finditer(self.text):
            if found.start() > position:
                pieces.append(Piece(self.text[position:found.start()]))
            pieces.append(Piece("", found.group(1)))
            position = found.end()
        if position < len(self.text):
            pieces.append(Piece(self.text[position:]))
        return tuple(pieces)


@dataclass(frozen=True)
class WaiverTemplate:
    """One version of one state's form."""

    jurisdiction: str
    form: WaiverForm
    version: str
    effective: date
    citation: str
    source: str
    notice: NoticeRule
    blocks: tuple[Block, ...]

    @property
    def title(self) -> str:
        return next(block.text for block in self.blocks if block.style is BlockStyle.TITLE)

    @property
    def notice_text(self) -> str:
        return next(block.text for block in self.blocks if block.style is BlockStyle.NOTICE)

    @property
    def blanks(self) -> tuple[str, ...]:
        """The blanks the form has, in the order they appear."""
        return tuple(piece.blank for block in self.blocks for piece in block.pieces
                     if piece.blank is not None)

    @property
    def text(self) -> str:
        """The form's text, one block a line, blanks written `{name}`."""
        return "\n".join(block.text for block in self.blocks)

    @property
    def file_name(self) -> str:
        return f"{self.form}.{self.version}{TEMPLATE_SUFFIX}"


def read_template(path: Path) -> WaiverTemplate:
    """The template in the file at `path`, checked; TemplateError if it breaks a rule."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TemplateError(f"{path}: cannot be read as a TOML template ({error})") from error
    try:
        template = _template_from(document)
    except TemplateError as error:
        raise TemplateError(f"{path}: {error}") from None
    expected = (template.jurisdiction.lower(), template.file_name)
    if (path.parent.name, path.name) != expected:
        raise TemplateError(f"{path}: a {template.jurisdiction} {template.form} template of "
                            f"version {template.version} belongs in "
                            f"{expected[0]}/{expected[1]}")
    return template


def _template_from(document: dict[str, Any]) -> WaiverTemplate:
    _only_keys(document, _TOP_KEYS, "the file")
    jurisdiction = _string(document, "jurisdiction")
    if not _JURISDICTION.fullmatch(jurisdiction):
        raise TemplateError(f"jurisdiction {jurisdiction!r} is not a two-letter state code")
    form_name = _string(document, "form")
    if form_name not in {form.value for form in WaiverForm}:
        raise TemplateError(f"form {form_name!r} is not one of "
                            f"{', '.join(form.value for form in WaiverForm)}")
    version = _string(document, "version")
    if not _VERSION.fullmatch(version):
        raise TemplateError(f"version {version!r} may hold only letters, digits, '.', '_', '-'")
    effective = document.get("effective")
    if type(effective) is not date:
        raise TemplateError("effective must be a date (effective = 2012-07-01)")
    blocks = _blocks(document.get("blocks"))
    template = WaiverTemplate(
        jurisdiction=jurisdiction, form=WaiverForm(form_name), version=version,
        effective=effective, citation=_string(document, "citation"),
        source=_string(document, "source"), notice=_notice_rule(document.get("notice")),
        blocks=blocks)
    _check_layout(template)
    return template


def _only_keys(table: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise TemplateError(f"{where} has unknown keys: {', '.join(unknown)}")


def _string(table: dict[str, Any], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TemplateError(f"{key} must be a text that is not empty")
    return value


def _notice_rule(table: object) -> NoticeRule:
    if not isinstance(table, dict):
        raise TemplateError("the [notice] table is missing")
    _only_keys(table, _NOTICE_KEYS, "[notice]")
    flags = {}
    for key in ("as_large_as_largest", "at_top", "bold"):
        value = table.get(key)
        if not isinstance(value, bool):
            raise TemplateError(f"[notice] {key} must be true or false")
        flags[key] = value
    points = table.get("min_points")
    if type(points) is not int or not 0 <= points <= 72:
        raise TemplateError("[notice] min_points must be a whole number of points, 0 to 72")
    return NoticeRule(min_points=points, **flags)


def _blocks(items: object) -> tuple[Block, ...]:
    if not isinstance(items, list) or not items:
        raise TemplateError("the form has no [[blocks]]")
    blocks = []
    for number, item in enumerate(items, start=1):
        where = f"block {number}"
        if not isinstance(item, dict):
            raise TemplateError(f"{where} is not a table")
        _only_keys(item, _BLOCK_KEYS, where)
        style = item.get("style")
        if style not in {s.value for s in BlockStyle}:
            raise TemplateError(f"{where}: style {style!r} is not one of "
                                f"{', '.join(s.value for s in BlockStyle)}")
        text = _string(item, "text")
        _check_text(text, where)
        blocks.append(Block(BlockStyle(style), text))
    return tuple(blocks)


def _check_text(text: str, where: str) -> None:
    if text != text.strip() or "  " in text:
        raise TemplateError(f"{where}: the text has leading, trailing or doubled spaces")
    if unicodedata.normalize("NFC", text) != text:
        raise TemplateError(f"{where}: the text is not in Unicode normal form C")
    for character in text:
        if unicodedata.category(character)[0] in "CZ" and character != " ":
            raise TemplateError(f"{where}: the text holds the control or separator character "
                                f"U+{ord(character):04X}")
    names = _BLANK.findall(text)
    unknown = sorted(set(names) - set(BLANKS))
    if unknown:
        raise TemplateError(f"{where}: unknown blanks {', '.join(unknown)}")
    if "{" in _BLANK.sub("", text) or "}" in _BLANK.sub("", text):
        raise TemplateError(f"{where}: a brace that is not part of a {{blank}}")


def _check_layout(template: WaiverTemplate) -> None:
    styles = [block.style for block in template.blocks]
    for style in (BlockStyle.TITLE, BlockStyle.NOTICE):
        if styles.count(style) != 1:
            raise TemplateError(f"the form must have exactly one {style} block")
    if template.notice.at_top and styles[0] is not BlockStyle.NOTICE:
        raise TemplateError("the notice must stand at the top, so it must be the first block")
    for style in (BlockStyle.TITLE, BlockStyle.NOTICE, BlockStyle.HEADING):
        for block in template.blocks:
            if block.style is style and block.pieces != (Piece(block.text),):
                raise TemplateError(f"a {style} block cannot hold a blank")
    blanks = template.blanks
    repeated = sorted({name for name in blanks if blanks.count(name) > 1})
    if repeated:
        raise TemplateError(f"blanks appear more than once: {', '.join(repeated)}")
