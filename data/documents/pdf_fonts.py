"""The fonts payapp's PDFs are written in (DejaVu Sans Condensed, bundled in data/assets), and
text made printable in them: composed, without control characters, each character the font has
no glyph for shown as U+FFFD."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT_FAMILY = "DejaVuSansCondensed"
REGULAR = ""
BOLD = "B"
FONT_FILES = {
    REGULAR: FONT_DIR / "DejaVuSansCondensed.ttf",
    BOLD: FONT_DIR / "DejaVuSansCondensed-Bold.ttf",
}
REPLACEMENT_CHARACTER = "\ufffd"


@cache
def _glyph_coverage(style: str) -> frozenset[int]:
    """The code points that the font of `style` has a glyph for (its best cmap)."""
    font = TTFont(FONT_FILES[style], lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def printable(text: str, style: str = REGULAR, *, keep_lines: bool = True) -> str:
    """`text` as the font of `style` prints it: composed (NFC), control characters as spaces
    (line breaks kept when `keep_lines`), and each character without a glyph replaced by U+FFFD
    (or "?" if even that is missing)."""
    covered = _glyph_coverage(style)
    stand_in = REPLACEMENT_CHARACTER if ord(REPLACEMENT_CHARACTER) in covered else "?"
    return "".join(
        _printable_character(character, covered, stand_in, keep_lines)
        for character in unicodedata.normalize("NFC", text)
    )


def _printable_character(character: str, covered: frozenset[int], stand_in: str,
                         keep_lines: bool) -> str:
    if character == "\n" and keep_lines:
        return character
    if unicodedata.category(character) == "Cc":
        return " "
    return character if ord(character) in covered else stand_in
