"""Completes file paths as they are typed, `~` included. With a folder to stay `within` (the
person's upload folder), a relative name is completed from that folder, and nothing outside it
is listed."""

from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester


class PathSuggester(Suggester):
    def __init__(self, within: Path | None = None) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.within = within

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = os.path.expanduser(value)
        folder, _, start = expanded.rpartition(os.sep)
        base = Path(folder or os.sep) if expanded.startswith(os.sep) else Path(folder or ".")
        if self.within is not None:
            base = self.within / base  # an absolute base stays as it is
            if not base.resolve().is_relative_to(self.within.resolve()):
                return None
        try:
            names = sorted(p.name + (os.sep if p.is_dir() else "") for p in base.iterdir()
                           if (p.name.startswith(start) and not p.name.startswith("."))
                           or (start.startswith(".") and p.name.startswith(start)))
        except OSError:
            return None
        if not names or names[0] == start:
            return None
        return value + names[0][len(start):]
