"""The G702 summary, lines 1 to 9 and the change-order summary, in a pane that scrolls, so
that every line is within reach on a small terminal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from data.billing import Summary
from tui.widgets.summary import SummaryPanel


class SummaryPart(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    SummaryPart { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield SummaryPanel()

    def show(self, summary: Summary) -> None:
        self.query_one(SummaryPanel).show(summary)
