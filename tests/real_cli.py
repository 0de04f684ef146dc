"""Running the installed `payapp` as a person would: a process of its own, with a home folder of
its own, its standard streams as pipes or as a real terminal (a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PAYAPP = Path(sys.executable).with_name("payapp")

# libpq's and keyring's variables from the environment the tests run in: none of them.
_DROPPED = ("PGPASSWORD", "PGSERVICE", "PGPASSFILE", "PGUSER", "PGHOST", "PGPORT",
            "PGDATABASE", "PAYAPP_DATABASE_URL", "PYTHON_KEYRING_BACKEND")


def payapp_env(home: Path, url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a person whose home is `home`: their own config and data folders, no
    keyring, the database `url` (None: payapp's local SQLite file)."""
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), TERM="xterm-256color",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    if url is not None:
        env["PAYAPP_DATABASE_URL"] = url
    env.update(extra)
    return env


@dataclass(frozen=True)
class Finished:
    code: int
    stdout: str
    stderr: str
    seconds: float


def run_payapp(args: list[str], env: dict[str, str], timeout: float = 30) -> Finished:
    """`payapp ARGS` with pipes for its three streams (as `ssh host payapp`, scp or cron)."""
    started = time.monotonic()
    done = subprocess.run([str(PAYAPP), *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.PIPE, timeout=timeout, check=False)
    return Finished(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def run_in_terminal(args: list[str], env: dict[str, str], timeout: float = 30) -> Finished:
    """`payapp ARGS` on a pseudo-terminal (its three streams), for a start that fails before
    the app draws anything; what it wrote is in `stdout` (a terminal has one output)."""
    controller, terminal = pty.openpty()
    started = time.monotonic()
    process = subprocess.Popen([str(PAYAPP), *args], env=env, stdin=terminal, stdout=terminal,
                               stderr=terminal, start_new_session=True)
    os.close(terminal)
    output = b""
    try:
        while time.monotonic() - started < timeout:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the process ended and closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(0.1, timeout - (time.monotonic() - started)))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    text = output.decode("utf-8", "replace").replace("\r\n", "\n")
    return Finished(code, text, "", time.monotonic() - started)
