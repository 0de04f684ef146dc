"""Text from the database, made safe to draw in a terminal.

Anyone with a login can put any character into a name, a description or a file name (from psql,
or by attaching a file whose name holds one). Drawn as is, ESC starts a terminal command: clear
the screen (`ESC [2J`), set the window title (`ESC ]0;...BEL`), write the clipboard
(`ESC ]52;c;...`, OSC 52), leave the alternate screen (`ESC [?1049l`). The 8-bit C1 controls
(U+009B is CSI) do the same on terminals that read them, and the bidirectional overrides make
text read in another order than it is stored ("Trojan Source"). Every widget and every command
that shows stored text passes it through `terminal_safe` first; the characters stay visible, as
symbols, so that nobody is fooled and nothing is lost from sight.

Pure Python: data/ never imports tui, textual or rich.
"""

from __future__ import annotations

__all__ = ["terminal_safe"]

# The embeddings, overrides and isolates of Unicode's bidirectional algorithm (the characters
# of CVE-2021-42574). The marks U+200E, U+200F and U+061C are left alone: they are ordinary in
# Hebrew and Arabic names, take no width and only nudge neutral characters, never reorder text.
_BIDI_CONTROLS = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
_LINE_BREAKS = (0x0A, 0x2028, 0x2029)  # newline, LINE SEPARATOR, PARAGRAPH SEPARATOR
_RETURN_SYMBOL = "\u23ce"  # ⏎: where a one-line cell hides a line break


def _escaped(code: int) -> str:
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _table(line_break: str) -> dict[int, str]:
    # C0 controls as the matching symbol of the Control Pictures block: ESC → ␛, NUL → ␀,
    # BEL → ␇, CR → ␍, backspace → ␈. A tab is a space: no cell lines anything up by tabs.
    table = {code: chr(0x2400 + code) for code in range(0x20)}
    table[0x09] = " "
    table[0x7F] = "\u2421"  # ␡
    # C1 controls, the bidirectional controls and lone surrogates (which no terminal encoding
    # can write) have no symbol: they are shown as Python writes them, \x9b or \u202e.
    for code in (*range(0x80, 0xA0), *_BIDI_CONTROLS, *range(0xD800, 0xE000)):
        table[code] = _escaped(code)
    for code in _LINE_BREAKS:
        table[code] = line_break
    return table


_ONE_LINE = _table(_RETURN_SYMBOL)
_MULTILINE = _table("\n")


def terminal_safe(text: str, *, multiline: bool = False) -> str:
    """`text` with every character that could act on a terminal replaced by a visible form.

    C0 controls become Control Pictures (ESC → ␛, NUL → ␀, BEL → ␇, a lone CR → ␍), DEL → ␡,
    C1 controls and bidirectional embeddings, overrides and isolates become `\\x9b`, `\\u202e`;
    a tab becomes a space. A line break (LF, CR LF, U+2028, U+2029) becomes ⏎ in one-line text,
    or stays a newline ("\\n") with `multiline=True`. Everything else, ’ — é € 漢 included, is
    kept. The result holds no character below U+0020 but "\\n" (and that only when multiline),
    none from U+007F to U+009F and no bidirectional control; cleaning it again changes nothing.
    """
    if text.isprintable():  # the usual case: no control, format or separator character at all
        return text
    return text.replace("\r\n", "\n").translate(_MULTILINE if multiline else _ONE_LINE)


def holds_controls(text: str, *, multiline: bool = False) -> bool:
    """Whether `text` holds a character the database refuses in names, numbers and descriptions
    (migration 0004's clean-text checks): a C0 or C1 control, DEL, or a bidirectional control;
    a newline is allowed only in multi-line text."""
    allowed = "\n" if multiline else ""
    return any((ord(c) < 0x20 and c not in allowed) or 0x7F <= ord(c) <= 0x9F
               or ord(c) in _BIDI_CONTROLS for c in text)
