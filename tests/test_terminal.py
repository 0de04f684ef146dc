"""The real app in a real terminal: tmux runs `payapp demo`, we type and read the screen."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.terminal

PAYAPP = Path(sys.executable).with_name("payapp")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def terminal(private_folders: Path) -> Iterator[Callable[..., str]]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs tmux (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    assert PAYAPP.exists(), f"payapp is not installed next to {sys.executable}"
    session = f"payapp-test-{uuid.uuid4().hex[:8]}"
    env = {"XDG_DATA_HOME": str(private_folders / "data"),
           "XDG_CONFIG_HOME": str(private_folders / "config"), "TERM": "xterm-256color"}
    env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]

    def start(*argv: str) -> str:
        _tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", *env_args,
              " ".join([str(PAYAPP), *argv]))
        return session

    yield start
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


def _screen(session: str) -> str:
    return _tmux("capture-pane", "-p", "-t", session)


def _wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = _screen(session)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen shows:\n{shown}")


def test_demo_home_screen_and_an_invoice_in_tmux(terminal: Callable[..., str]) -> None:
    session = terminal("demo")
    home = _wait_for(session, "Erin Walsh (erin)")
    assert "Revise & Resubmit" in home
    assert "$103,278.20" in home
    assert "Invites" in home and "Quit" in home  # the footer shows the bindings

    _tmux("send-keys", "-t", session, "Enter")
    _wait_for(session, "Invoice #3 · SC-2417-016 Electrical")
    _wait_for(session, "Mobilization")

    _tmux("send-keys", "-t", session, "s")
    summary = _wait_for(session, "Current Payment Due")
    assert "$216,176.67" in summary  # line 7: line 6 of invoice #2
    assert "$103,278.20" in summary

    _tmux("send-keys", "-t", session, "Escape")
    _wait_for(session, "Erin Walsh (erin)")
    _tmux("send-keys", "-t", session, "C-q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = subprocess.run(["tmux", "has-session", "-t", session], capture_output=True)
        if done.returncode != 0:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("payapp did not quit on ctrl+q")


def _send(session: str, *keys: str) -> None:
    _tmux("send-keys", "-t", session, *keys)


def test_contact_types_two_amounts_and_sends_in_tmux(terminal: Callable[..., str],
                                                     private_folders: Path) -> None:
    session = terminal("demo")
    _wait_for(session, "Erin Walsh (erin)")
    _send(session, "Enter")
    _wait_for(session, "Ctrl+E sends")  # the invoice is on screen, the cursor on line 1
    # The cursor starts on E (This Period) of line 1: down to line 2, type, Enter; again.
    # Line 8 moves by what was billed less 10 % retainage: 103,278.20 + 2,250.00 + 1,111.10.
    _send(session, "Down")
    time.sleep(0.3)  # a person's pause: keys typed in the same instant may be reordered
    _send(session, "2500", "Enter")
    _wait_for(session, "Due $105,528.20")
    _send(session, "Down")
    time.sleep(0.3)
    _send(session, "1,234.56", "Enter")
    _wait_for(session, "Due $106,639.30")
    _send(session, "C-e")
    _wait_for(session, "Send invoice #3 for review?")
    _send(session, "s")
    _wait_for(session, "Sent for review")

    database = private_folders / "data" / "payapp" / "demo.sqlite"
    with sqlite3.connect(database) as connection:
        status, = connection.execute(
            "SELECT status FROM invoice WHERE position = 3 AND commitment_id = "
            "(SELECT id FROM commitment WHERE number = 'SC-2417-016')").fetchone()
        typed = connection.execute(
            "SELECT s.item_no, l.work_cents FROM invoice_line l "
            "JOIN sov_line s ON s.id = l.sov_line_id JOIN invoice i ON i.id = l.invoice_id "
            "WHERE i.position = 3 AND s.item_no IN ('2', '3') ORDER BY s.item_no").fetchall()
        queued, = connection.execute(
            "SELECT count(*) FROM outbox_email WHERE kind = 'invoice_under_review' "
            "AND sent_at IS NULL AND subject LIKE 'Invoice #3 for SC-2417-016%'").fetchone()
    assert status == "under_review"
    assert typed == [("2", 250000), ("3", 123456)]
    assert queued == 2  # the demo's first sending of #3, and this one
