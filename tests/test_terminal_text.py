"""`terminal_safe`: no character that acts on a terminal survives, and every one stays visible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from data.terminal_text import holds_controls, terminal_safe
from tui.cli import main

BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def _acts_on_a_terminal(text: str, *, multiline: bool = False) -> list[str]:
    """The characters of `text` that a terminal would act on (or reorder text by)."""
    return [c for c in text
            if (ord(c) < 0x20 and not (multiline and c == "\n"))
            or 0x7F <= ord(c) <= 0x9F or ord(c) in BIDI_CONTROLS]


@pytest.mark.parametrize("code", [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)])
def test_a_c0_control_becomes_its_control_picture(code: int) -> None:
    assert terminal_safe(f"a{chr(code)}b") == f"a{chr(0x2400 + code)}b"
    assert terminal_safe(f"a{chr(code)}b", multiline=True) == f"a{chr(0x2400 + code)}b"


def test_the_well_known_c0_controls() -> None:
    assert terminal_safe("\x1b[2J") == "␛[2J"
    assert terminal_safe("a\x00b\x07c\x08d") == "a␀b␇c␈d"
    assert terminal_safe("Approved\rRejected") == "Approved␍Rejected"


def test_delete_becomes_its_symbol() -> None:
    assert terminal_safe("a\x7fb") == "a␡b"


@pytest.mark.parametrize("code", range(0x80, 0xA0))
def test_a_c1_control_is_written_as_an_escape(code: int) -> None:
    assert terminal_safe(f"a{chr(code)}b") == f"a\\x{code:02x}b"


@pytest.mark.parametrize("code", BIDI_CONTROLS)
def test_a_bidirectional_control_is_written_as_an_escape(code: int) -> None:
    assert terminal_safe(f"a{chr(code)}b") == f"a\\u{code:04x}b"


def test_bidirectional_marks_are_kept() -> None:
    hebrew = "\u05e9\u05dc\u05d5\u05dd\u200f (2417)\u200e \u061c"
    assert terminal_safe(hebrew) == hebrew


def test_a_lone_surrogate_is_written_as_an_escape() -> None:
    assert terminal_safe("a\ud800b") == "a\\ud800b"


def test_tabs_become_spaces() -> None:
    assert terminal_safe("a\tb") == "a b"
    assert terminal_safe("a\tb", multiline=True) == "a b"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\u2028", "\u2029"])
def test_line_breaks_are_shown_in_one_line_and_kept_in_several(newline: str) -> None:
    assert terminal_safe(f"first{newline}second") == "first⏎second"
    assert terminal_safe(f"first{newline}second", multiline=True) == "first\nsecond"


def test_ordinary_text_is_untouched() -> None:
    for text in ["Coastline Electric Co.", "O’Brien — Façade & Curtain Wall", "€ 1 234,56",
                 "Müller Straße Ltd.", "北京建设", "Ελληνικά", "Ship 🚢 👩‍🔧", "",
                 "[@click=app.quit]x[/]", "a\\x1b literal backslash", "␛ already a symbol",
                 "\u00a0non-breaking and soft\u00adhyphen"]:
        assert terminal_safe(text) == text
        assert terminal_safe(text, multiline=True) == text


ATTACKS = [
    "INV\x1b[2J\x1b]0;PWNED\x07",
    "backup.pdf\x1b]52;c;cm0gLXJmIH4K\x07",
    "Line\x1b[?1049l",
    "nul\x00bel\x07",
    "csi\x9b2J",
    "\u202efdp.exe",
    "osc st\x1b]0;x\x1b\\ and 8-bit \x9d0;x\x9c",
    "every C0 " + "".join(map(chr, range(0x20))) + " DEL \x7f C1 "
    + "".join(map(chr, range(0x80, 0xA0))) + " bidi " + "".join(map(chr, BIDI_CONTROLS)),
]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("multiline", [False, True])
def test_nothing_that_acts_on_a_terminal_survives(attack: str, multiline: bool) -> None:
    safe = terminal_safe(attack, multiline=multiline)
    assert _acts_on_a_terminal(safe, multiline=multiline) == []
    assert terminal_safe(safe, multiline=multiline) == safe  # cleaning twice changes nothing


def test_the_payloads_stay_readable() -> None:
    assert terminal_safe(ATTACKS[0]) == "INV␛[2J␛]0;PWNED␇"
    assert terminal_safe(ATTACKS[1]) == "backup.pdf␛]52;c;cm0gLXJmIH4K␇"
    assert terminal_safe(ATTACKS[5]) == "\\u202efdp.exe"


def test_the_module_needs_no_interface_library() -> None:
    code = ("import sys, data.terminal_text; "
            "print(sorted(m for m in ('tui', 'textual', 'rich') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert found == "[]"


# --- the command line prints stored text through it too ---------------------------------------

SHEETS = Path(__file__).parent / "fixtures" / "sheets"
TAKEOVER = "\x1b]0;PWNED\x07\x1b[2J\x9b2J\u202e"


def test_users_list_prints_stored_names_inert() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(main, ["users", "add", "eve", "--company", f"Eve Co{TAKEOVER}",
                                 "--role", "invoice_contact", "--name", f"Eve{TAKEOVER}"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["users", "list"])
    assert listed.exit_code == 0, listed.output
    assert _acts_on_a_terminal(listed.output, multiline=True) == []
    assert f"Eve{terminal_safe(TAKEOVER)}" in listed.output
    assert f"Eve Co{terminal_safe(TAKEOVER)}" in listed.output


def test_g702_prints_the_sheet_inert(tmp_path: Path) -> None:
    sheet = (SHEETS / "official.csv").read_text(encoding="utf-8")
    poisoned = tmp_path / "sheet.csv"
    # A row whose figures disagree, so that the report names its item.
    poisoned.write_text(sheet.replace('3,Concrete,"$40,000.00"',
                                      f'3{TAKEOVER},Concrete{TAKEOVER},"$40,000.01"'),
                        encoding="utf-8")
    result = CliRunner().invoke(main, ["g702", str(poisoned)])
    assert result.exit_code == 1, result.output
    assert _acts_on_a_terminal(result.output, multiline=True) == []
    assert f"item 3{terminal_safe(TAKEOVER)}" in result.output
    missing = CliRunner().invoke(main, ["g702", str(tmp_path / f"gone{TAKEOVER}.csv")])
    assert missing.exit_code == 2
    assert _acts_on_a_terminal(missing.output, multiline=True) == []
    assert f"gone{terminal_safe(TAKEOVER)}.csv" in missing.output


@pytest.mark.parametrize("text", ["INV\x1b[2J", "A\tB", "x\u202ey", "\x9b1m", "a\nb", "\x7f"])
def test_holds_controls_finds_what_the_database_refuses(text: str) -> None:
    assert holds_controls(text)


@pytest.mark.parametrize("text", ["INV-2026/11 ’—é€", "Ünïcödé 漢字", "", "x\u200ey"])
def test_holds_controls_passes_ordinary_text(text: str) -> None:
    assert not holds_controls(text)


def test_a_newline_is_allowed_only_in_multi_line_text() -> None:
    assert holds_controls("a\nb") and not holds_controls("a\nb", multiline=True)
