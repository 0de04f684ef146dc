# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""No session is left behind on the jump host. The installed `payapp` refuses, in one line and at
once, to start the app without a terminal (`ssh host command`, scp and sftp run the login command
with pipes), before it opens the database; and an app whose terminal goes away (the SSH
connection drops: here, the tmux pane is killed) ends, and its database connection with it,
also when SIGHUP is ignored and the terminal only reads as end of file."""

from __future__ import annotations

import os
import pty
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from tests.pg_people import (  # noqa: F401  (fixtures)
    admin,
    as_login,
    demo_template,
    demo_url,
)
from tests.real_cli import PAYAPP, payapp_env, run_payapp


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "person"
    folder.mkdir()
    return folder


def _assert_refused_in_one_line(code: int, stdout: str, stderr: str, seconds: float) -> None:
    assert code == 2, (stdout, stderr)
    assert seconds < 5
    assert stdout == ""
    [line] = stderr.splitlines()
    assert line.startswith("payapp: the app needs an interactive terminal"), line
    assert "ssh -t" in line and "Traceback" not in line


@pytest.mark.parametrize("args", [[], ["demo"]], ids=["app", "demo"])
def test_with_pipes_for_input_and_output_the_app_says_so_and_exits(home: Path,
                                                                   args: list[str]) -> None:
    done = run_payapp(args, payapp_env(home), timeout=20)
    _assert_refused_in_one_line(done.code, done.stdout, done.stderr, done.seconds)
    assert "standard input and output are not a terminal" in done.stderr
    # It stopped before opening the database: payapp would have created its SQLite file.
    assert not (home / "data").exists(), list((home / "data").rglob("*"))


def test_a_terminal_on_one_end_only_is_not_enough(home: Path) -> None:
    """`payapp | less` or `payapp > file`: keys from the terminal, the screen into a pipe."""
    controller, terminal = pty.openpty()
    started = time.monotonic()
    try:
        done = subprocess.run([str(PAYAPP)], env=payapp_env(home), stdin=terminal,
                              capture_output=True, text=True, timeout=20, check=False)
    finally:
        os.close(terminal)
        os.close(controller)
    _assert_refused_in_one_line(done.returncode, done.stdout, done.stderr,
                                time.monotonic() - started)
    assert "standard output is not a terminal" in done.stderr
    assert not (home / "data").exists()


@pytest.mark.postgres
def test_without_a_terminal_no_database_connection_is_opened(home: Path, demo_url: str,
                                                             admin: Engine) -> None:
    database = make_url(demo_url).database
    done = run_payapp([], payapp_env(home, as_login(demo_url, "erin")), timeout=20)
    _assert_refused_in_one_line(done.code, done.stdout, done.stderr, done.seconds)
    assert _backends(admin, "erin", database) == 0


# --- the terminal goes away ------------------------------------------------------------------

# How SIGHUP reaches the app: delivered; ignored (inherited SIG_IGN, as under nohup: the app
# handles it anyway); blocked, so that it is never delivered and only the hung-up terminal, which
# reads as end of file for ever, can tell the app that nobody is there.
HANGUPS = ["delivered", "ignored", "blocked"]
BLOCK_HANGUP = ("import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, "
                "{signal.SIGHUP}); os.execv(sys.argv[1], sys.argv[1:])")


def _backends(admin: Engine, role: str, database: str | None) -> int:
    with admin.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = :r AND datname = :d"),
            {"r": role, "d": database}).scalar_one())


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be collected


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


class Pane:
    """payapp alone in a tmux session on a server (socket) of this test's own."""

    def __init__(self, socket_name: str, session: str) -> None:
        self.socket_name, self.session = socket_name, session

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket_name, *args], capture_output=True,
                              text=True, check=True, timeout=20).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def pid(self) -> int:
        return int(self.tmux("list-panes", "-t", self.session, "-F", "#{pane_pid}").split()[0])

    def wait_for(self, words: str, seconds: float = 30) -> None:
        assert _wait(lambda: words in self.screen(), seconds), self.screen()

    def hang_up(self) -> None:
        """Kill the session: tmux hangs up its terminal, as sshd does when the link drops."""
        self.tmux("kill-session", "-t", self.session)


@pytest.fixture
def pane(home: Path) -> Iterator[Callable[..., Pane]]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs tmux (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    socket_name = f"payapp-hangup-{uuid.uuid4().hex[:8]}"
    started: list[int] = []

    def start(args: list[str], *, hangup: str, url: str | None = None) -> Pane:
        env = payapp_env(home, url)
        env_args = [arg for key in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "TERM",
                                    "PYTHON_KEYRING_BACKEND", "PAYAPP_DATABASE_URL")
                    if key in env for arg in ("-e", f"{key}={env[key]}")]
        command = f"exec {PAYAPP} {' '.join(args)}"
        if hangup == "ignored":  # inherited, as under nohup
            command = "trap '' HUP; " + command
        elif hangup == "blocked":  # never delivered: only the terminal's end of file is left
            command = f"exec {sys.executable} -c {shlex.quote(BLOCK_HANGUP)} {PAYAPP} " + (
                " ".join(args))
        made = Pane(socket_name, "payapp")
        made.tmux("new-session", "-d", "-s", made.session, "-x", "100", "-y", "30", *env_args,
                  command)
        started.append(made.pid())
        return made

    yield start
    subprocess.run(["tmux", "-L", socket_name, "kill-server"], capture_output=True, check=False)
    for pid in started:  # an app the test could not end must not outlive it
        if _alive(pid):
            os.kill(pid, 9)


@pytest.mark.terminal
@pytest.mark.parametrize("hangup", HANGUPS)
def test_the_app_ends_when_its_terminal_goes_away(pane: Callable[..., Pane], hangup: str) -> None:
    shown = pane(["demo"], hangup=hangup)
    shown.wait_for("Erin Walsh (erin)")
    pid = shown.pid()
    shown.hang_up()
    assert _wait(lambda: not _alive(pid), 8), f"payapp (pid {pid}) still runs after the hang-up"


@pytest.mark.terminal
@pytest.mark.postgres
@pytest.mark.parametrize("hangup", HANGUPS)
def test_after_a_hang_up_no_database_session_remains(pane: Callable[..., Pane], demo_url: str,
                                                     admin: Engine, hangup: str) -> None:
    database = make_url(demo_url).database
    shown = pane([], hangup=hangup, url=as_login(demo_url, "erin"))
    shown.wait_for("Erin Walsh (erin)")
    pid = shown.pid()
    assert _backends(admin, "erin", database) >= 1  # the app's pool keeps its connection
    shown.hang_up()
    assert _wait(lambda: not _alive(pid), 8), f"payapp (pid {pid}) still runs after the hang-up"
    assert _wait(lambda: _backends(admin, "erin", database) == 0, 5), (
        "a PostgreSQL session of erin's remains after the hang-up")
