"""The strip under the grid: the current line in words (full description, the reviewer's
comment, every figure), wrapped to the width; `i` shows the same in a dialog when it is longer
than the strip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from data import g703
from data.billing import Problem
from data.money import format_money
from data.terminal_text import terminal_safe

if TYPE_CHECKING:
    from textual.app import RenderResult

    from data.editing import DraftInvoice
    from data.services.invoice_views import SheetLine

HEIGHT = 3


def line_in_full(draft: DraftInvoice, line: SheetLine, cells: Mapping[str, str]) -> list[str]:
    """The line in sentences: what it is, what the reviewer said, what is wrong, its figures
    (`cells`: the line's figures as the grid shows them, by column key)."""
    result = draft.line_result(line.sov_line_id)
    li = result.line
    about = f"Line {li.item_no}: {li.description}"
    if line.budget_code:
        about += f" [{line.budget_code}]"
    if line.change_order:
        about += f" · {line.change_order}"
    sentences = [about]
    if line.review_comment or line.review == "rejected":
        sentences.append(f"Reviewer ({line.review}): {line.review_comment or 'no comment'}")
    if result.overbilled:
        past = result.completed_to_date - result.scheduled_value
        sentences.append(f"⚠ Billed {format_money(past)} past its "
                         "scheduled value.")
    for problem in result.problems:
        if problem is not Problem.OVERBILLED:
            sentences.append(f"⚠ {problem.value}.")
    if result.releasable_over_cap:
        sentences.append(f"⚑ {format_money(result.releasable_over_cap)} held above the "
                         "retainage cap: proposed for release (enter it as released).")
    columns = g703.sheet_columns(draft.view.method, stored_separately=draft.view.stored_separately)
    figures = [f"{column.label} {cells[column.key]}" for column in columns
               if column.numeric and cells.get(column.key)]
    sentences.append(" · ".join(figures))
    return [terminal_safe(sentence) for sentence in sentences]


def pack(sentences: list[str], width: int, height: int) -> tuple[list[str], bool]:
    """Sentences laid out in lines of at most `width` cells: each sentence starts a line; words
    and figures ("C Value $77,700.00", kept together by " · ") are never split unless one alone
    is wider than a line. Returns the lines that fit in `height` and whether any was left out."""
    lines: list[str] = []
    for sentence in sentences:
        line = ""
        for piece in _pieces(sentence):
            if line and cell_len(line) + cell_len(piece.rstrip()) > width:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
            while cell_len(line) > width:  # a single word wider than the line
                lines.append(line[:width])
                line = line[width:]
        lines.append(line.rstrip())
    return lines[:height], len(lines) > height


def _pieces(sentence: str) -> list[str]:
    """Words; in a list of figures ("A $1 · B $2"), each figure with its label is one piece."""
    if " · " in sentence and "$" in sentence:
        parts = sentence.split(" · ")
        return [f"{part} · " if i < len(parts) - 1 else part for i, part in enumerate(parts)]
    words = sentence.split(" ")
    return [word if i == 0 else f" {word}" for i, word in enumerate(words)]


class LineDetail(Widget):
    """The current line in a few lines; a figure is never split from its label or cut."""

    DEFAULT_CSS = """
    LineDetail { height: 3; padding: 0 1; color: $text-muted; background: $boost; }
    LineDetail.rejected { color: $text-error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sentences: list[str] = []

    def show(self, sentences: list[str], *, rejected: bool = False) -> None:
        if sentences == self._sentences and rejected == self.has_class("rejected"):
            return
        self._sentences = sentences
        if rejected != self.has_class("rejected"):  # a class change restyles: only if needed
            self.set_class(rejected, "rejected")
        self.refresh()

    @property
    def text(self) -> str:
        return "\n".join(self._sentences)

    def render(self) -> RenderResult:
        width = max(10, self.size.width - 2)
        lines, more = pack(self._sentences, width, HEIGHT)
        if more:
            lines[-1] = "… more: press i to read this line in full"
        return Text("\n".join(lines), no_wrap=True)
