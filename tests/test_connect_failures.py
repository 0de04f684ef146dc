# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""A failed login or an unreachable server: every command and the app say why and what to do in
two lines, and exit 1, instead of printing SQLAlchemy's traceback. The installed `payapp` runs
as a process of its own against the real PostgreSQL server (a disabled role, a role that does
not exist, a closed port) and against a stand-in server that asks for a password (the test
server trusts every local connection, so it never asks)."""

from __future__ import annotations

import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.pg_people import (  # noqa: F401  (fixtures)
    admin,
    as_login,
    demo_template,
    demo_url,
    scratch_roles,
)
from tests.real_cli import Finished, payapp_env, run_in_terminal, run_payapp

# Every command that opens the database, with arguments it accepts.
COMMANDS = [
    ["db", "upgrade"],
    ["db", "current"],
    ["db", "who-blocks"],
    ["users", "list"],
    ["users", "add", "someone", "--company", "Someone Co", "--role", "support"],
    ["users", "disable", "someone"],
    ["users", "assign", "someone", "--project", "2417"],
    ["audit", "verify"],
]
APP: list[str] = []  # the bare command: the app, on a real terminal


def _run(args: list[str], env: dict[str, str]) -> Finished:
    return run_in_terminal(args, env) if args == APP else run_payapp(args, env)


def _said(done: Finished) -> str:
    return done.stdout + done.stderr


def assert_explained(done: Finished, *words: str) -> list[str]:
    """Exit 1, no traceback, and `payapp: cannot connect to the database: <cause>` plus one line
    of what to do, holding `words`."""
    said = _said(done)
    assert done.code == 1, said
    assert "Traceback" not in said and "sqlalchemy" not in said.lower(), said
    lines = [line for line in said.splitlines() if line.strip()]
    start = next(n for n, line in enumerate(lines) if line.startswith("payapp: cannot connect"))
    message = lines[start:]
    assert len(message) == 2, said
    for word in words:
        assert word in said, (word, said)
    return message


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "person"
    folder.mkdir()
    return folder


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nobody listens once it is closed


@pytest.mark.parametrize("args", [APP, *COMMANDS], ids=lambda a: " ".join(a) or "app")
def test_a_server_that_is_down_is_named_with_what_to_check(home: Path, args: list[str]) -> None:
    url = f"postgresql+psycopg://ann@127.0.0.1:{_closed_port()}/payapp"
    done = _run(args, payapp_env(home, url))
    assert_explained(done, "did not answer", "Connection refused", "payapp locate")


@pytest.mark.postgres
@pytest.mark.parametrize("args", [APP, *COMMANDS], ids=lambda a: " ".join(a) or "app")
def test_a_disabled_person_is_told_their_role_may_not_log_in(
        home: Path, demo_url: str, scratch_roles: list[str], args: list[str]) -> None:
    login = f"gone_{uuid.uuid4().hex[:6]}"
    scratch_roles.append(login)
    as_dba = payapp_env(home, demo_url)
    added = run_payapp(["users", "add", login, "--company", "Coastline Electric Co.",
                        "--role", "invoice_contact"], as_dba)
    assert added.code == 0, added.stderr
    assert run_payapp(["users", "disable", login], as_dba).code == 0
    done = _run(args, payapp_env(home, as_login(demo_url, login)))
    _cause, advice = assert_explained(done, f'role "{login}" may not log in',
                                      f"payapp users disable {login}")
    assert "system administrator" in advice


@pytest.mark.postgres
@pytest.mark.parametrize("args", [APP, ["users", "list"], ["audit", "verify"]],
                         ids=lambda a: " ".join(a) or "app")
def test_a_role_that_does_not_exist_is_named_with_the_command_that_creates_it(
        home: Path, demo_url: str, args: list[str]) -> None:
    login = f"nobody_{uuid.uuid4().hex[:6]}"
    done = _run(args, payapp_env(home, as_login(demo_url, login)))
    assert_explained(done, f'there is no database role "{login}"', f"payapp users add {login}")


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_named(home: Path, demo_url: str) -> None:
    url = make_url(demo_url).set(database="no_such_payapp").render_as_string(hide_password=False)
    done = run_payapp(["db", "current"], payapp_env(home, url))
    assert_explained(done, 'there is no database "no_such_payapp"')


# --- a server that asks for a password --------------------------------------------------------


def _exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = connection.recv(size - len(data))
        if not part:
            raise EOFError
        data += part
    return data


def _answer(connection: socket.socket) -> None:
    """The PostgreSQL protocol as far as a password: refuse encryption, ask for the password in
    clear text, and refuse whatever comes, as a server does with a wrong password."""
    with connection:
        try:
            while True:
                size = struct.unpack("!i", _exactly(connection, 4))[0]
                code = struct.unpack("!i", _exactly(connection, size - 4)[:4])[0]
                if code not in (80877103, 80877104):  # SSLRequest, GSSENCRequest
                    break
                connection.sendall(b"N")
            connection.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            _exactly(connection, 1)
            _exactly(connection, struct.unpack("!i", _exactly(connection, 4))[0] - 4)
            fields = (b"SFATAL\0VFATAL\0C28P01\0"
                      b'Mpassword authentication failed for user "ann"\0\0')
            connection.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
        except (EOFError, OSError):
            pass  # the client gave up (no password to send)


@pytest.fixture
def asks_for_a_password() -> Iterator[int]:
    """A port where a stand-in PostgreSQL server asks every login for a password."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=_answer, args=(connection,), daemon=True).start()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    yield int(listener.getsockname()[1])
    stop.set()
    server.join(5)
    listener.close()


@pytest.mark.parametrize("args", [APP, ["db", "current"], ["users", "list"]],
                         ids=lambda a: " ".join(a) or "app")
def test_no_password_anywhere_says_where_to_put_one(home: Path, asks_for_a_password: int,
                                                    args: list[str]) -> None:
    url = f"postgresql+psycopg://ann@127.0.0.1:{asks_for_a_password}/payapp"
    done = _run(args, payapp_env(home, url))
    assert_explained(done, 'asks role "ann" for a password, and payapp found none',
                     f"127.0.0.1:{asks_for_a_password}:payapp:ann:PASSWORD", "~/.pgpass")


@pytest.mark.parametrize("args", [APP, ["audit", "verify"]], ids=lambda a: " ".join(a) or "app")
def test_a_wrong_password_names_where_it_came_from(home: Path, asks_for_a_password: int,
                                                   args: list[str]) -> None:
    url = f"postgresql+psycopg://ann@127.0.0.1:{asks_for_a_password}/payapp"
    done = _run(args, payapp_env(home, url, PGPASSWORD="wrong"))
    assert_explained(done, 'refused the password of role "ann"',
                     "from the PGPASSWORD environment variable")
