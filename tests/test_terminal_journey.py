"""The contact's journey in a real terminal, at 80×24 and at 160×50: tmux runs `payapp demo
--as dan`; we press keys as a person would and read every screen.

After every step the captured screen is checked: every money figure is whole (its `$` and all
its digits; a figure without its `$` where the other figures of its column have one is a cut
figure), the message line shows its message in full, and the message expected is there.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fpdf import FPDF

PAYAPP = Path(sys.executable).with_name("payapp")

# --- reading a screen ----------------------------------------------------------------------------

MONEY = re.compile(r"-?\$\d{1,3}(?:,\d{3})*\.\d{2}")
"""A whole money figure: $, digits in groups of three, cents."""
TOKEN_SPLIT = re.compile(r"[\s\u2500-\u259f◂▸⏎]+")
"""Tokens are separated by spaces and by the drawing characters of rules, frames and bars."""
TRAILING = ".,;:)"
BARE_FIGURE = re.compile(r"(?<![\w$.,])\(?-?\d{1,3}(?:,\d{3})*\.\d{2}(?![\w%,.])")
"""Digits with cents but no $: payapp writes every money figure with its $, percentages end
with %, and the demo's quantities are whole, so this is a money figure cut at its left."""


def _tokens(line: str) -> Iterator[tuple[int, str]]:
    """(start column, token) for each token of a line."""
    start = 0
    for gap in TOKEN_SPLIT.finditer(line + " "):
        if gap.start() > start:
            yield start, line[start:gap.start()]
        start = gap.end()


def _money_token_problem(token: str) -> str | None:
    """Why a token holding "$" is not a whole money figure, or None."""
    core = token
    while core and core[-1] in TRAILING and not MONEY.fullmatch(core):
        core = core[:-1]  # the end of a sentence or of a parenthesis: "$7,381.50."
    core = core.removeprefix("(")
    if MONEY.fullmatch(core):
        return None
    return f"{token!r} is not a whole money figure"


def money_problems(screen: str) -> list[str]:
    """Every money figure on the screen that is cut, in words (empty: all are whole)."""
    problems: list[str] = []
    lines = screen.splitlines()
    money_ends: dict[int, list[int]] = {}  # right edge column → lines with a whole figure there
    for number, line in enumerate(lines):
        for start, token in _tokens(line):
            if "$" not in token:
                continue
            problem = _money_token_problem(token)
            if problem is not None:
                problems.append(f"line {number + 1}: {problem}: {line.rstrip()!r}")
            else:
                found = MONEY.search(token)
                assert found is not None
                money_ends.setdefault(start + found.end(), []).append(number)
    for number, line in enumerate(lines):
        for bare in BARE_FIGURE.finditer(line):
            others = [n for n in money_ends.get(bare.end(), []) if n != number]
            column = f" (line {others[0] + 1} of its column shows one)" if others else ""
            problems.append(f"line {number + 1}: {bare.group()!r} has cents but no ${column}: "
                            f"{line.rstrip()!r}")
    return problems


def rows_of(screen: str) -> list[str]:
    """The rows of a captured pane (each ends with a newline; the last rows may be blank)."""
    return screen.removesuffix("\n").split("\n")


def message_rows(screen: str) -> str:
    """The message line's two rows (just above the footer), as one text."""
    return " ".join(row.strip() for row in rows_of(screen)[-3:-1]).strip()


def _squeezed(text: str) -> str:
    return "".join(text.split())


def message_in_full(screen: str, message: str) -> bool:
    """`message` is on the message line whole (wrapped at any place, but nothing cut)."""
    return _squeezed(message) in _squeezed(message_rows(screen))


# --- the checker fails on the old bug and passes a good screen ----------------------------------

# Captured before the rebuild: the C Value column had slid under the fixed columns.
OLD_BUG = """\
  Item Description      │ C Value  Total %  New Qty
  1    Excavation and gr│77,700.00  90.00%        0
  4    Concrete sidewalk│39,120.00   0.00%        0
  9    Pavement stripin│  6,080.00   0.00%        0
       Totals            51,424.50
"""
# The same cut in one cell only: the others of its column keep their $.
ONE_CELL_CUT = """\
  1    Excavation and grading   │  $77,700.00  90.00%
  4    Concrete sidewalk, 4 in. │   39,120.00   0.00%
"""

GOOD = """\
  Item Description                    │           C                         E
  1    Excavation and grading         │  $77,700.00 100.00%     420 $7,770.00
  4    Concrete sidewalk, 4 in.       │ $139,120.00   0.00%   4,200     $0.00
  7    Storm drain 12 in., 2026-12-03 │  -$1,234.56  42.86%      12     $0.00
       Grand Total                    │ $751,424.50                 $7,770.00
 Qty 4,200 · Unit Price $18.50 · C Value ($77,700.00) · Dec 01, 2026 · 982 B
 Send invoice #3 for review? Payment due $7,381.50. You will not be able to
"""


def test_the_money_check_fails_on_cut_figures() -> None:
    problems = money_problems(OLD_BUG)
    assert any("'39,120.00' has cents but no $" in p for p in problems), problems
    assert any("'51,424.50' has cents but no $" in p for p in problems), problems
    assert any("'77,700.00' has cents but no $" in p for p in problems), problems
    assert money_problems(OLD_BUG.replace("  6,080.00", " $6,080.00"))
    assert any("'39,120.00' has cents but no $ (line 1 of its column shows one)" in p
               for p in money_problems(ONE_CELL_CUT))
    for cut in ("$1,5", "│$1,5", "x$12.00", "…$1,234.56", "$1,234.5", "$234,56.00", "$1234.00"):
        assert money_problems(f" Due {cut} Retainage $1.00\n"), cut
    assert money_problems(" Due $1,234.56   Retainage $35,744.99\n") == []


def test_the_money_check_passes_a_whole_screen() -> None:
    assert money_problems(GOOD) == []


def test_the_message_check_needs_the_whole_message() -> None:
    screen = ("grid\n Type a figure in an underlined cell (Enter keeps it, Esc cancels); "
              "Ctrl+S\n saves, Ctrl+E sends, ? lists every key.\n⏎ Edit c cols\n")
    assert message_in_full(screen, "Type a figure in an underlined cell (Enter keeps it, "
                                   "Esc cancels); Ctrl+S saves, Ctrl+E sends, ? lists every key.")
    cut = screen.replace("every key.", "every")
    assert not message_in_full(cut, "Type a figure in an underlined cell (Enter keeps it, "
                                    "Esc cancels); Ctrl+S saves, Ctrl+E sends, ? lists every "
                                    "key.")


# --- the terminal ---------------------------------------------------------------------------------


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


@dataclass
class Terminal:
    """payapp in a tmux session of one size, and every screen read so far."""

    session: str
    data_home: Path
    width: int
    height: int
    seen: list[tuple[str, str]] = field(default_factory=list)  # (step, screen)

    def send(self, *keys: str, literal: bool = False) -> None:
        _tmux("send-keys", "-t", self.session, *(["-l"] if literal else []), *keys)

    def screen(self) -> str:
        return _tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str, *, footer: tuple[str, ...] = (),
                 not_in_footer: tuple[str, ...] = (), timeout: float = 30.0) -> str:
        """The screen once it shows `text` and a footer with the keys `footer` and without
        those of `not_in_footer` (the footer follows a change of the keys that apply a moment
        later), and has stopped changing."""
        deadline = time.monotonic() + timeout
        shown, previous = "", None
        while time.monotonic() < deadline:
            shown = self.screen()
            bottom = rows_of(shown)[-1]
            if (_squeezed(text) in _squeezed(shown) and bottom.strip()
                    and all(key in bottom for key in footer)
                    and not any(key in bottom for key in not_in_footer)):
                if shown == previous:
                    return shown
                previous = shown
                time.sleep(STEADY)
                continue
            previous = None
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared steadily with the footer keys {footer} "
                             f"and without {not_in_footer}; the screen shows:\n{shown}")

    def step(self, name: str, *, shows: str, message: str | None = None,
             footer: tuple[str, ...] = (), not_in_footer: tuple[str, ...] = (),
             timeout: float = 30.0) -> str:
        """Wait for `shows`, then check the screen: figures whole, `message` in full."""
        screen = self.wait_for(shows, footer=footer, not_in_footer=not_in_footer,
                               timeout=timeout)
        self.seen.append((name, screen))
        where = f"{self.width}×{self.height}, {name}"
        problems = money_problems(screen)
        assert not problems, f"{where}: cut money figures:\n" + "\n".join(problems) + \
            f"\n{screen}"
        if message is not None:
            assert message_in_full(screen, message), \
                f"{where}: the message {message!r} is not shown in full:\n{screen}"
        assert len(rows_of(screen)) == self.height, screen
        assert max(len(row) for row in rows_of(screen)) <= self.width, screen
        return screen


STEADY = 0.5  # seconds a screen must stay the same to count as drawn


@pytest.fixture(params=[(80, 24), (160, 50)], ids=["80x24", "160x50"])
def terminal(request: pytest.FixtureRequest) -> Iterator[Callable[..., Terminal]]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs tmux (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    assert PAYAPP.exists(), f"payapp is not installed next to {sys.executable}"
    width, height = request.param
    # A short home, as a person's is: the export's full path fits the message line.
    home = Path(tempfile.mkdtemp(prefix="pa-"))
    session = f"payapp-journey-{uuid.uuid4().hex[:8]}"
    env = {"XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
           "TERM": "xterm-256color"}
    env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    started: list[Terminal] = []

    def start(*argv: str) -> Terminal:
        # payapp starts once the pane has its size: a resize that comes while Textual starts
        # may be missed, and the app would draw at tmux's default 80×24.
        command = " ".join([str(PAYAPP), *argv])
        _tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
              *env_args, f"sleep 0.5; exec {command}")
        started.append(Terminal(session, home / "data", width, height))
        return started[0]

    yield start
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
    keep = os.environ.get("PAYAPP_KEEP_CAPTURES")  # a folder: every screen read, for a person
    if keep and started:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"journey-{width}x{height}.txt").write_text("".join(
            f"=== {name}\n{screen}\n" for name, screen in started[0].seen))
    shutil.rmtree(home, ignore_errors=True)


def _small_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Delivery ticket 4471: 420 CY excavation")
    pdf.output(str(path))
    return path


HINT = ("Type a figure in an underlined cell (Enter keeps it, Esc cancels); Ctrl+S saves, "
        "Ctrl+E sends, ? lists every key.")
CHANGED = "Changed; not saved yet (Ctrl+S saves)."
SAVED = "Saved."
SENT = "Sent for review; an email to the administrators is queued."
EDITABLE = ("⏎ Edit", "^s Save", "^e Send", "g Info", "x PDF")
EDITING = ("⏎ Commit", "esc Cancel")


def _pause() -> None:
    time.sleep(0.3)  # a person's pause: keys typed in the same instant may be reordered


@pytest.mark.terminal
def test_contact_journey_in_tmux(terminal: Callable[..., Terminal]) -> None:
    term = terminal("demo", "--as", "dan")
    term.step("home", shows="Dan Okafor (dan) · invoice contact", footer=("y Yes", "n No"))

    # Dan answers the invite: invoice #3 of the unit-based concrete subcontract opens.
    term.send("y")
    term.step("answered, invoice open", shows=HINT, message=HINT, footer=EDITABLE)
    # The cursor starts on Total % of line 1; New Qty is next to it: 420 of 4,200 at $18.50.
    term.send("Right")
    _pause()
    term.send("420")
    term.step("typing a quantity", shows="420", message=HINT, footer=EDITING)
    term.send("Enter")
    term.step("quantity entered", shows="$7,770.00", message=CHANGED, footer=EDITABLE)
    term.send("C-s")
    term.step("saved", shows=SAVED, message=SAVED, footer=EDITABLE)

    ticket = _small_pdf(term.data_home.parent / "ticket.pdf")
    term.send("f")
    term.step("files tab", shows="No files yet", message=SAVED,
              footer=("a Attach", "^s Save", "^e Send"), not_in_footer=("⏎ Edit",))
    term.send("a")
    term.step("attach dialog", shows="File to attach", message=SAVED)
    term.send(str(ticket), literal=True)
    term.step("path typed", shows="ticket.pdf")
    term.send("Enter")
    term.step("attached", shows="Attached “ticket.pdf”.", message="Attached “ticket.pdf”.",
              footer=("a Attach", "del Remove"))

    term.send("C-e")
    term.step("send dialog", shows="Send invoice #3 for review?")
    term.send("s")
    term.step("sent", shows=SENT, message=SENT, footer=("x PDF",),
              not_in_footer=("a Attach", "del Remove", "^s Save", "^e Send", "g Info"))

    term.send("x")
    screen = term.step("exported", shows="PDF written to")
    exports = sorted((term.data_home / "payapp" / "exports").glob("*.pdf"))
    assert len(exports) == 1
    assert exports[0].read_bytes().startswith(b"%PDF")
    assert message_in_full(screen, f"PDF written to {exports[0]}"), screen

    # Erin, amount-based: her invoice #3 is in Revise & Resubmit; she types an amount and saves.
    term.send("Escape")
    term.step("dan's home again", shows="answer: Yes", footer=("i Invites",))
    term.send("C-p")
    _pause()
    term.send("Act as Erin", literal=True)
    term.step("palette", shows="Act as Erin Walsh (erin)")
    term.send("Enter")
    term.step("erin's home", shows="Erin Walsh (erin) · invoice contact")
    term.send("Enter")
    term.step("erin's invoice", shows=HINT, message=HINT, footer=EDITABLE)
    term.send("Down")
    _pause()
    term.send("2500")
    term.step("typing an amount", shows="2500", message=HINT, footer=EDITING)
    term.send("Enter")
    term.step("amount entered", shows="$2,500.00", message=CHANGED, footer=EDITABLE)
    term.send("C-s")
    term.step("erin saved", shows=SAVED, message=SAVED, footer=EDITABLE)

    database = term.data_home / "payapp" / "demo.sqlite"
    with sqlite3.connect(database) as connection:
        rows = dict(connection.execute(
            "SELECT c.number || ' #' || i.position, i.status FROM invoice i "
            "JOIN commitment c ON c.id = i.commitment_id WHERE i.position = 3").fetchall())
        attached = connection.execute("SELECT count(*) FROM attachment").fetchone()[0]
    assert rows == {"SC-2417-031 #3": "under_review", "SC-2417-016 #3": "revise_resubmit"}
    assert attached == 1


REVIEW_HINT = ("y approves the line; n rejects it and sends the invoice back (Space marks "
               "several); d decides; ? lists every key.")


def test_review_journey_in_tmux(terminal: Callable[..., Terminal]) -> None:
    """Dan sends his invoice; Pat finds it, approves a line, rejects another saying why (which
    sends the invoice back) and reads its history."""
    term = terminal("demo", "--as", "dan")
    term.step("home", shows="Dan Okafor (dan) · invoice contact", footer=("y Yes", "n No"))
    term.send("y")
    term.step("invoice open", shows=HINT, message=HINT, footer=EDITABLE)
    term.send("C-e")
    term.step("send dialog", shows="Send invoice #3 for review?")
    term.send("s")
    term.step("sent", shows=SENT, message=SENT, footer=("x PDF",))
    term.send("Escape")
    term.step("dan's home again", shows="answer: Yes", footer=("i Invites",))
    term.send("C-p")
    _pause()
    term.send("Act as Pat", literal=True)
    term.step("palette", shows="Act as Pat Morales (pat)")
    term.send("Enter")
    term.step("pat's home", shows="Pat Morales (pat) · invoice administrator",
              footer=("^q Quit",), not_in_footer=("y Yes", "b Bill"))
    term.send("v")
    _pause()
    term.send("/")
    term.step("find dialog", shows="Show only the rows containing")
    term.send("bayside review", literal=True)
    term.send("Enter")
    term.step("found", shows="Invoices (1 of")
    term.send("Enter")
    term.step("review", shows=REVIEW_HINT, message=REVIEW_HINT,
              footer=("y ✓ line", "n ✗ line", "d Decide"), not_in_footer=("^s Save",))
    term.send("Down")
    _pause()
    term.send("y")
    term.step("line approved", shows="Line 2: approved.", message="Line 2: approved.")
    term.send("Up")
    _pause()
    term.send("n")
    term.step("reason asked", shows="Why is line 1 rejected?")
    term.send("Quantity not yet placed", literal=True)
    term.send("Enter")
    sent_back = "Line 1: rejected. The invoice went back to the contact (Revise & Resubmit)."
    term.step("line rejected, invoice sent back", shows=sent_back, message=sent_back,
              not_in_footer=("y ✓ line",))
    term.send("h")
    term.step("history", shows="pat: review lines")
    term.send("Escape")
    term.step("history closed", shows="History written to")

    database = term.data_home / "payapp" / "demo.sqlite"
    with sqlite3.connect(database) as connection:
        marks = connection.execute(
            "SELECT l.review, l.review_comment FROM invoice_line l "
            "JOIN invoice i ON i.id = l.invoice_id JOIN commitment c ON c.id = i.commitment_id "
            "JOIN sov_line s ON s.id = l.sov_line_id "
            "WHERE c.number = 'SC-2417-031' AND i.position = 3 ORDER BY s.position "
            "LIMIT 2").fetchall()
        status = connection.execute(
            "SELECT i.status FROM invoice i JOIN commitment c ON c.id = i.commitment_id "
            "WHERE c.number = 'SC-2417-031' AND i.position = 3").fetchone()[0]
    assert marks == [("rejected", "Quantity not yet placed"), ("approved", "")]
    assert status == "revise_resubmit"
