"""What the SOV grid (`tui.widgets.sov_grid.SovGrid`) is told to show: columns, rows, cell hints.

Plain frozen dataclasses, with no Textual in them: whoever describes the G703 columns (the
column specification in data/, read by the screen) turns its own description into `GridColumn`s,
and the screen turns each SOV line, heading and total into a `GridRow` of already-formatted
strings. The grid never formats a figure itself.

Groups: every scrolled column names the groups it belongs to (e.g. "work", "stored",
"retainage", "units"). A narrow terminal shows one group at a time; the group `ALL_GROUP`
("all") shows every column. Fixed columns show in every group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

ALL_GROUP = "all"
"""The group that shows every column."""

Align = Literal["left", "right"]
Overflow = Literal["mark", "ellipsis"]


class RowKind(StrEnum):
    LINE = "line"  # an SOV line: can be marked, and its editable cells typed into
    HEADING = "heading"  # a section heading ("Change Orders"): Enter folds or unfolds it
    TOTAL = "total"  # totals; the rows of this kind at the end of the list are pinned


class CellHint(StrEnum):
    """How a cell is drawn beyond its text. The grid adds the markers; the text stays whole."""

    NEGATIVE = "negative"  # error colour
    OVERRIDE = "override"  # warning colour and a trailing "*" (a value typed over the computed)
    FLAGGED = "flagged"  # bold warning colour (e.g. an overbilled line)
    REJECTED = "rejected"  # bold error colour and a trailing " ✗" (refused by the reviewer)
    APPROVED = "approved"  # success colour and a trailing " ✓" (approved by the reviewer)


HINT_SUFFIX: Mapping[CellHint, str] = {CellHint.OVERRIDE: "*", CellHint.REJECTED: " ✗",
                                       CellHint.APPROVED: " ✓"}


@dataclass(frozen=True)
class GridColumn:
    """One column.

    `caption` has one or two lines separated by "\\n". `width` is in terminal cells, not counting
    the one-cell gap the grid puts before every column. A `grow` column (the description) must be
    fixed; it takes the width left over and `width` is its minimum. The grid widens any other
    column to its widest text, up to `max_width` when given. A text that still does not fit is
    drawn as `overflow` says: "mark" (figures) fills the cell with "#", never a cut number;
    "ellipsis" (words) cuts it and ends it with "…".
    """

    key: str
    caption: str
    width: int
    align: Align = "right"
    fixed: bool = False
    editable: bool = False
    groups: frozenset[str] = frozenset()
    grow: bool = False
    max_width: int | None = None
    overflow: Overflow = "mark"

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a column needs a key")
        if self.width < 1:
            raise ValueError(f"column {self.key!r}: width must be at least 1")
        if len(self.caption_lines) > 2:
            raise ValueError(f"column {self.key!r}: a caption has at most two lines")
        if self.grow and not self.fixed:
            raise ValueError(f"column {self.key!r}: only a fixed column can grow")
        if self.max_width is not None and self.max_width < self.width:
            raise ValueError(f"column {self.key!r}: max_width is less than width")

    @property
    def caption_lines(self) -> tuple[str, ...]:
        return tuple(self.caption.split("\n"))

    def shown_in(self, group: str) -> bool:
        return self.fixed or group == ALL_GROUP or group in self.groups


@dataclass(frozen=True)
class GridRow:
    """One row: `cells` maps column keys to formatted text (a missing key is a blank cell).

    A cell can be typed into when the row is a LINE, `editable` is true, the column is editable
    and its key is not in `locked` (e.g. quantity columns on a line billed by amount). Enter
    starts editing from `edit_texts[column]` when given (e.g. "1250.00" for "$1,250.00"),
    otherwise from the text shown.
    """

    key: str
    cells: Mapping[str, str] = field(default_factory=dict)
    kind: RowKind = RowKind.LINE
    hints: Mapping[str, frozenset[CellHint]] = field(default_factory=dict)
    editable: bool = True
    locked: frozenset[str] = frozenset()
    edit_texts: Mapping[str, str] = field(default_factory=dict)

    def text(self, column_key: str) -> str:
        return self.cells.get(column_key, "")

    def shown(self, column_key: str) -> str:
        """The text as drawn: the cell text and the markers of its hints."""
        text = self.cells.get(column_key, "")
        hints = self.hints.get(column_key)
        if hints:
            text += "".join(suffix for hint, suffix in HINT_SUFFIX.items() if hint in hints)
        return text

    def can_edit(self, column: GridColumn) -> bool:
        return (self.kind is RowKind.LINE and self.editable and column.editable
                and column.key not in self.locked)

    def start_text(self, column_key: str) -> str:
        """What an edit started with Enter begins with."""
        return self.edit_texts.get(column_key, self.cells.get(column_key, ""))


def groups_of(columns: Iterable[GridColumn]) -> tuple[str, ...]:
    """The groups the columns name, in order of first appearance, then `ALL_GROUP`."""
    seen: dict[str, None] = {}
    for column in columns:
        if not column.fixed:
            for group in sorted(column.groups):
                seen.setdefault(group, None)
    seen.pop(ALL_GROUP, None)
    return (*seen, ALL_GROUP)
