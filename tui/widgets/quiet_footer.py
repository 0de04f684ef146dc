"""Textual's footer, rebuilt only when what it shows changes.

Textual's `Footer` composes a widget per key again every time a screen says its bindings may
have changed (a focus move, a tab switch, a refreshed list: a dozen times while an invoice
opens), and each rebuild restyles every key. This one compares the keys it would show (key,
words, whether it applies) with those it shows, and rebuilds once for several changes that come
before the next refresh."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, bool, str], ...]


class QuietFooter(Footer):
    def __init__(self, *, compact: bool = True, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._shown: Shown | None = None
        self._rebuild_pending = False

    def _what_it_shows(self) -> Shown:
        return tuple((binding.key, binding.description, binding.action, enabled, tooltip)
                     for (_node, binding, enabled, tooltip)
                     in self.screen.active_bindings.values() if binding.show)

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached:  # its dialog closed meanwhile
            return
        shown = self._what_it_shows()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
