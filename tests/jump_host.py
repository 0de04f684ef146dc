"""The machinery of the jump-host guide test (tests/test_jump_host_guide.py): the guide's own
text, commands run as root and checked against the guide, an undo list that removes whatever was
made even when a step fails, a private sshd, and people logged in over SSH in tmux.

A command the test runs "from the guide" must appear in README.md's section *Running payapp on a
shared jump host* (whitespace and line continuations aside), and config files are taken from
the guide's own code blocks: when the guide changes, the test runs the new text.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
GUIDE_HEADING = "## Running payapp on a shared jump host"


# --- the guide -----------------------------------------------------------------------------------


def guide_text() -> str:
    """The README's jump-host guide, up to the next top-level section."""
    text = README.read_text()
    start = text.index(GUIDE_HEADING)
    end = text.find("\n## ", start + len(GUIDE_HEADING))
    return text[start:end if end != -1 else len(text)]


def squeezed(text: str) -> str:
    return " ".join(text.replace("\\\n", " ").split())


def flat(screen: str) -> str:
    """A screen's text without spaces, line ends and drawing characters (frames, rules), so
    that a message is found however it wrapped."""
    return re.sub(r"[\s\u2500-\u259f]+", "", screen)


def in_guide(text: str) -> str:
    """`text`, after checking that the guide says it."""
    assert squeezed(text) in squeezed(guide_text()), f"the guide does not say:\n{text}"
    return text


def guide_block(containing: str) -> str:
    """The guide's one code block that holds `containing`, without its fences."""
    blocks = guide_text().split("```")[1::2]  # the insides of the fences, language first
    found = [block.split("\n", 1)[1] for block in blocks if containing in block]
    assert len(found) == 1, f"the guide has {len(found)} code blocks with {containing!r}"
    return found[0]


# --- commands as root, and undoing them ----------------------------------------------------------


@dataclass
class Host:
    """Runs commands; remembers how to undo what it made and what every command printed."""

    scratch: Path  # a private folder (0700) for keys, configs and logs
    env: dict[str, str] = field(default_factory=dict)  # added to every command's environment
    undo: list[tuple[str, Callable[[], object]]] = field(default_factory=list, repr=False)
    transcript: list[str] = field(default_factory=list, repr=False)  # printed at the end

    def run(self, command: str, *, check: bool = True,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=timeout,
                              env={**os.environ, **self.env}, check=False)
        self.transcript.append(f"$ {command}\n{done.stdout}{done.stderr}[exit {done.returncode}]")
        if check and done.returncode != 0:
            raise AssertionError(f"{command}\nexited {done.returncode}:\n{done.stdout}"
                                 f"{done.stderr}")
        return done

    def guide(self, command: str, *, replace: dict[str, str] | None = None,
              check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command of the guide, with its placeholders (`/path/to/payapp`) replaced."""
        in_guide(command)
        for placeholder, value in (replace or {}).items():
            assert placeholder in command, placeholder
            command = command.replace(placeholder, value)
        return self.run(command, check=check)

    def later(self, what: str, action: Callable[[], object]) -> None:
        """Undo `what` at the end, newest first."""
        self.undo.append((what, action))

    def later_run(self, command: str) -> None:
        self.later(command, lambda: self.run(command))

    def clean_up(self) -> list[str]:
        """Undo everything, newest first; what could not be undone, in words."""
        problems = []
        while self.undo:
            what, action = self.undo.pop()
            try:
                action()
            except Exception as error:  # go on: the rest must still be removed
                problems.append(f"{what}: {error}")
        return problems


def psql(host: Host, sql: str, database: str = "postgres") -> str:
    """A query as the server's superuser over the Unix socket; its rows, one per line."""
    return host.run(f"sudo -u postgres psql -XAtq -d {database} -c {shlex.quote(sql)}").stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing answers on port {port}")


def wait_until(check: Callable[[], str | None], timeout: float, what: str) -> None:
    """Until `check` returns None (all is well); else fail with its last answer."""
    deadline = time.monotonic() + timeout
    problem = check()
    while problem is not None and time.monotonic() < deadline:
        time.sleep(0.2)
        problem = check()
    assert problem is None, f"{what}: {problem}"


# --- SSH and tmux --------------------------------------------------------------------------------


@dataclass
class Ssh:
    """The client side: one key per person, the host's payapp port and its files port."""

    keys: Path
    payapp_port: int
    files_port: int

    def options(self, login: str, port: int) -> str:
        return (f"-F /dev/null -i {self.keys / login} -o IdentitiesOnly=yes -o BatchMode=yes "
                "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                f"-o LogLevel=ERROR -o ConnectTimeout=10 -p {port}")

    def ssh(self, login: str, extra: str = "") -> str:
        return f"ssh {self.options(login, self.payapp_port)} {extra} {login}@127.0.0.1"

    def sftp(self, login: str, batch: Path, port: int | None = None) -> str:
        options = self.options(login, port or self.files_port).replace("-p ", "-P ")
        return f"sftp {options} -b {batch} {login}@127.0.0.1"


@dataclass
class Tmux:
    """A tmux server of the test's own (`tmux -L`), one session per person, 80×24."""

    socket_name: str
    config: Path

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket_name, "-f", str(self.config), *args],
                              capture_output=True, text=True, check=True, timeout=30).stdout

    def start(self, session: str, command: str) -> None:
        self("new-session", "-d", "-s", session, "-x", "80", "-y", "24",
             "-e", "TERM=xterm-256color", command)

    def screen(self, session: str) -> str:
        return self("capture-pane", "-p", "-t", session)

    def dead(self, session: str) -> bool:
        return self("display-message", "-p", "-t", session, "#{pane_dead}").strip() == "1"

    def wait_for(self, session: str, *texts: str, timeout: float = 45) -> str:
        """The screen once it shows every one of `texts` (wrapped anywhere) and has stopped
        changing."""
        deadline = time.monotonic() + timeout
        shown, previous = "", None
        while time.monotonic() < deadline:
            shown = self.screen(session)
            if all(flat(text) in flat(shown) for text in texts):
                if shown == previous:
                    return shown
                previous = shown
                time.sleep(0.5)
                continue
            previous = None
            if self.dead(session):
                break
            time.sleep(0.2)
        raise AssertionError(f"{session}'s screen never showed {texts}; it shows:\n{shown}")

    def kill_server(self) -> None:
        """Stop the test's tmux server, and remove its socket (which it leaves behind)."""
        subprocess.run(["tmux", "-L", self.socket_name, "kill-server"], capture_output=True,
                       check=False)
        folder = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (folder / self.socket_name).unlink(missing_ok=True)


def processes_of(login: str) -> list[str]:
    """The processes running as `login`: pid and command line."""
    found = subprocess.run(["ps", "-o", "pid=,args=", "-u", login], capture_output=True,
                           text=True, check=False)
    return [line.strip() for line in found.stdout.splitlines() if line.strip()]


def end_processes_of(login: str) -> None:
    """End, by their ids, what still runs as an account the test made (before removing it)."""
    for line in processes_of(login):
        pid = int(line.split()[0])
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.kill(pid, 9)
