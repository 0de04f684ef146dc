"""`payapp locate` names the password source libpq will really use. On a jump host the site
config names the database without a user (`postgresql://db.internal:5432/payapp`), so libpq logs
in as the operating-system login and takes the line of ~/.pgpass that matches it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from data.pgpass import libpq_target, os_login, pgpass_entry
from tests.real_cli import payapp_env, run_payapp

USERLESS = "postgresql://db.internal:5432/payapp"
ME = os_login()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "person"
    folder.mkdir()
    return folder


def write_pgpass(home: Path, text: str, mode: int = 0o600) -> Path:
    path = home / ".pgpass"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def locate(home: Path, url: str = USERLESS, **extra: str) -> dict[str, str]:
    done = run_payapp(["locate"], payapp_env(home, url, **extra))
    assert done.code == 0, done.stderr
    assert "secret" not in done.stdout + done.stderr  # passwords are never printed
    fields = {}
    for line in done.stdout.splitlines():
        name, _, value = line.strip().partition(":")
        fields[name] = value.strip()
    return fields


def test_a_userless_url_takes_the_pgpass_line_of_your_login(home: Path) -> None:
    path = write_pgpass(home, "\n".join([
        "# host:port:database:user:password",
        "db.internal:5432:payapp:somebody_else:secret-1",
        f"db.internal:5432:payapp:{ME}:secret-2",
        "",
    ]))
    shown = locate(home)
    assert shown["password from"] == (f"libpq's password file {path}, line 3 "
                                      f"(db.internal:5432:payapp:{ME})")
    assert shown["logs in as"] == f"{ME}  (from your login (the database URL names no user))"


def test_wildcards_match_as_libpq_matches_them(home: Path) -> None:
    path = write_pgpass(home, "other.host:*:*:*:secret-1\n*:*:payapp:*:secret-2\n")
    assert locate(home)["password from"] == (f"libpq's password file {path}, line 2 "
                                             "(*:*:payapp:*)")


def test_a_line_for_another_user_port_or_database_is_not_used(home: Path) -> None:
    write_pgpass(home, "\n".join([
        "db.internal:5432:payapp:somebody_else:secret-1",
        f"db.internal:5433:payapp:{ME}:secret-2",
        f"db.internal:5432:reports:{ME}:secret-3",
        "",
    ]))
    assert locate(home)["password from"] == (
        "no password (trust, peer or certificate authentication)")


def test_pguser_and_pgpassfile_are_followed(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "pgpass-elsewhere"
    elsewhere.write_text("db.internal:5432:payapp:ann:secret\n", encoding="utf-8")
    elsewhere.chmod(0o600)
    write_pgpass(home, f"db.internal:5432:payapp:{ME}:secret\n")
    shown = locate(home, PGUSER="ann", PGPASSFILE=str(elsewhere))
    assert shown["password from"] == (f"libpq's password file {elsewhere}, line 1 "
                                      "(db.internal:5432:payapp:ann)")
    assert shown["logs in as"] == "ann  (from the PGUSER environment variable)"


def test_pgpassword_wins_and_a_readable_pgpass_is_ignored(home: Path) -> None:
    write_pgpass(home, f"db.internal:5432:payapp:{ME}:secret\n", mode=0o644)
    assert locate(home)["password from"].startswith("no password")  # libpq ignores it too
    assert locate(home, PGPASSWORD="secret")["password from"] == (
        "the PGPASSWORD environment variable")


def test_the_user_in_the_url_is_the_one_matched(home: Path) -> None:
    path = write_pgpass(home, f"db.internal:5432:payapp:{ME}:secret\n"
                              "db.internal:5432:payapp:ann:secret\n")
    shown = locate(home, "postgresql+psycopg://ann@db.internal:5432/payapp")
    assert shown["password from"].startswith(f"libpq's password file {path}, line 2 ")
    assert shown["logs in as"] == "ann  (from the database URL)"


def test_libpq_defaults_fill_what_the_url_leaves_out(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    target = libpq_target(make_url("postgresql+psycopg:///"))
    assert (target.host, target.port, target.user, target.database) == (
        "localhost", "5432", ME, ME)  # the database is named like the user
    socket = libpq_target(make_url("postgresql+psycopg:///payapp?host=/var/run/postgresql"))
    assert socket.host == "localhost"  # a Unix socket matches "localhost" in the file
    path = tmp_path / "pgpass"
    path.write_text(f"localhost:5432:payapp:{ME}:secret\n", encoding="utf-8")
    path.chmod(0o600)
    found = pgpass_entry(make_url("postgresql+psycopg:///payapp?host=/var/run/postgresql"), path)
    assert found is not None and found.line == 1
