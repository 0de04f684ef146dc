# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""A failed login or an unreachable server: every command and the app say why and what to do in
two lines, and exit 1, instead of printing SQLAlchemy's traceback. The installed `payapp` runs
as a process of its own against the real PostgreSQL server (a disabled role, a role that does
not exist, a closed port, and a role the server asks for a password over TCP: the test server
trusts local connections, so a fixture gives that one role a scram-sha-256 line)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
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


# --- the real server asking for a password --------------------------------------------------------


@pytest.fixture
def asks_for_a_password(admin: Engine) -> Iterator[tuple[int, str]]:
    """(port, role): the test server asks this new role for its password over TCP. The server
    trusts local connections, so a scram-sha-256 line for the role alone goes first in its
    pg_hba.conf (written as root, as the machine's administrator would) and the server reloads;
    the file is put back and reloaded afterwards."""
    role = f"ann_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        hba = Path(str(connection.execute(text("SHOW hba_file")).scalar_one()))
    if not os.access(hba, os.W_OK):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs as root and must be able to write {hba}")
        pytest.skip(f"{hba} is not writable here (run as root)")
    original = hba.read_bytes()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'the-right-one'"))
        hba.write_bytes(f"host all {role} 127.0.0.1/32 scram-sha-256\n".encode() + original)
        connection.execute(text("SELECT pg_reload_conf()"))
    try:
        yield int(make_url(str(admin.url)).port or 5432), role
    finally:
        hba.write_bytes(original)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_reload_conf()"))
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))


@pytest.mark.parametrize("args", [APP, ["db", "current"], ["users", "list"]],
                         ids=lambda a: " ".join(a) or "app")
def test_no_password_anywhere_says_where_to_put_one(
        home: Path, asks_for_a_password: tuple[int, str], args: list[str]) -> None:
    port, role = asks_for_a_password
    url = f"postgresql+psycopg://{role}@127.0.0.1:{port}/postgres"
    done = _run(args, payapp_env(home, url))
    assert_explained(done, f'asks role "{role}" for a password, and payapp found none',
                     f"127.0.0.1:{port}:postgres:{role}:PASSWORD", "~/.pgpass")


@pytest.mark.parametrize("args", [APP, ["audit", "verify"]], ids=lambda a: " ".join(a) or "app")
def test_a_wrong_password_names_where_it_came_from(
        home: Path, asks_for_a_password: tuple[int, str], args: list[str]) -> None:
    port, role = asks_for_a_password
    url = f"postgresql+psycopg://{role}@127.0.0.1:{port}/postgres"
    done = _run(args, payapp_env(home, url, PGPASSWORD="wrong"))
    assert_explained(done, f'refused the password of role "{role}"',
                     "from the PGPASSWORD environment variable")
