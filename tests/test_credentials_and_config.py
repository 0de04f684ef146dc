"""data/credentials.py (where the PostgreSQL password comes from) and data/config.py (which
database, and config files other users cannot have written)."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import keyring
import keyring.core
import pytest
from sqlalchemy.engine import URL, make_url

from data.config import (
    DATABASE_URL_VARIABLE,
    ConfigError,
    choose_database,
    locations,
    read_config,
    sqlite_url,
)
from data.credentials import (
    KeyringUnavailable,
    keyring_account,
    keyring_password,
    keyring_problem,
    pgpass_has_entry,
    resolve_password,
    store_in_keyring,
)
from data.db import make_engine

LIBPQ_VARIABLES = ("PGPASSWORD", "PGSERVICE", "PGPASSFILE", "PGUSER", "PGHOST", "PGPORT",
                   "PYTHON_KEYRING_BACKEND")


@pytest.fixture(autouse=True)
def no_libpq_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing from the real environment: no libpq variables, no ~/.pgpass."""
    for name in LIBPQ_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-such-pgpass"))


def pg_url(host: str = "db.example.com", port: int = 5432, database: str = "payapp",
           username: str | None = "alice") -> URL:
    return URL.create("postgresql+psycopg", username=username, host=host, port=port,
                      database=database)


def write_pgpass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "pgpass"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(path))
    return path


# --- libpq's password file -------------------------------------------------------------------


def test_a_password_file_others_can_read_is_ignored_like_libpq_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_pgpass(tmp_path, monkeypatch, "db.example.com:5432:payapp:alice:pw\n")
    assert pgpass_has_entry(pg_url())
    path.chmod(0o644)
    assert not pgpass_has_entry(pg_url())


def test_a_password_with_an_unescaped_colon_still_matches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pgpass(tmp_path, monkeypatch, "db.example.com:5432:payapp:alice:pa:ss\n")
    assert pgpass_has_entry(pg_url())

PGPASS = "\n".join([
    "# host:port:database:user:password",
    "",
    "db.example.com:5432:payapp:alice:exact",
    "*:6543:*:bob:any-host-any-database",
    "reports.example.com:*:*:*:anything-on-reports",
    r"\:\:1:5432:pay\:app:carol:v6-host-and-colon-database",
    r"files.example.com:5432:a\\b:dave:backslash-database",
    "short.example.com:5432:payapp:erin",  # 4 fields: no password, never a match
    r"secret.example.com:5432:payapp:frank:pass\:word",
    "",
])


@pytest.mark.parametrize(("url", "found"), [
    (pg_url(), True),
    (pg_url(port=5433), False),
    (pg_url(database="other"), False),
    (pg_url(username="mallory"), False),
    (pg_url(host="other.example.com"), False),
    (pg_url(host="anything.example.org", port=6543, database="x", username="bob"), True),
    (pg_url(host="anything.example.org", port=5432, database="x", username="bob"), False),
    (pg_url(host="reports.example.com", port=15432, database="r", username="zed"), True),
    (pg_url(host="::1", database="pay:app", username="carol"), True),
    (pg_url(host="::1", database="payapp", username="carol"), False),
    (pg_url(host="files.example.com", database="a\\b", username="dave"), True),
    (pg_url(host="short.example.com", username="erin"), False),
    (pg_url(host="secret.example.com", username="frank"), True),
])
def test_pgpass_has_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: URL,
                          found: bool) -> None:
    write_pgpass(tmp_path, monkeypatch, PGPASS)
    assert pgpass_has_entry(url) is found


def test_pgpass_defaults_and_explicit_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_pgpass(tmp_path, monkeypatch, "localhost:5432:payapp:grace:pw\n")
    # No host: libpq's default is localhost; no port: 5432; no user: PGUSER.
    bare = make_url("postgresql+psycopg:///payapp")
    assert pgpass_has_entry(bare) is False
    monkeypatch.setenv("PGUSER", "grace")
    assert pgpass_has_entry(bare) is True
    # An explicit path wins over PGPASSFILE; a missing file is "no entry".
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "elsewhere"))
    assert pgpass_has_entry(bare) is False
    assert pgpass_has_entry(bare, path) is True
    assert pgpass_has_entry(bare, tmp_path / "missing") is False


# --- the order of password sources -----------------------------------------------------------


class WorkingBackend:
    """Looks like a usable keyring backend to keyring_problem()."""

    priority = 1


def working_keyring(monkeypatch: pytest.MonkeyPatch, stored: dict[tuple[str, str], str]) -> None:
    def get_password(service: str, account: str) -> str | None:
        return stored.get((service, account))

    def set_password(service: str, account: str, password: str) -> None:
        stored[(service, account)] = password

    monkeypatch.setattr(keyring, "get_keyring", WorkingBackend)
    monkeypatch.setattr(keyring, "get_password", get_password)
    monkeypatch.setattr(keyring, "set_password", set_password)


def test_resolve_password_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_url()
    account = keyring_account(url)
    assert account == "alice@db.example.com:5432/payapp"
    working_keyring(monkeypatch, {("payapp", account): "from-keyring"})
    write_pgpass(tmp_path, monkeypatch, "db.example.com:5432:payapp:alice:from-pgpass\n")
    monkeypatch.setenv("PGSERVICE", "payapp")
    monkeypatch.setenv("PGPASSWORD", "from-environment")
    with_password = url.set(password="from-url").render_as_string(hide_password=False)
    text = url.render_as_string(hide_password=False)

    # 1. the URL; libpq gets it from the URL itself, so payapp hands over nothing.
    found = resolve_password(with_password)
    assert (found.password, found.source) == (None, "the database URL")
    # 2. PGPASSWORD
    found = resolve_password(text)
    assert (found.password, found.source) == (None, "the PGPASSWORD environment variable")
    # 3. a service, from PGSERVICE or from ?service= in the URL
    monkeypatch.delenv("PGPASSWORD")
    assert resolve_password(text).source == "libpq's service file"
    monkeypatch.delenv("PGSERVICE")
    in_url = url.update_query_dict({"service": "payapp"}).render_as_string(hide_password=False)
    assert resolve_password(in_url).source == "libpq's service file"
    # 4. the password file
    found = resolve_password(text)
    assert found.password is None
    assert found.source.startswith("libpq's password file")
    assert str(tmp_path / "pgpass") in found.source
    # 5. the keyring: the only source payapp must hand to libpq itself
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-such-pgpass"))
    found = resolve_password(text)
    assert (found.password, found.source) == ("from-keyring", "the system keyring")
    # 6. nothing
    working_keyring(monkeypatch, {})
    found = resolve_password(text)
    assert found.password is None
    assert found.source.startswith("no password")


def test_store_then_read_back_through_a_working_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    stored: dict[tuple[str, str], str] = {}
    working_keyring(monkeypatch, stored)
    assert keyring_problem() is None
    store_in_keyring(pg_url(), "s3cret")
    assert stored == {("payapp", "alice@db.example.com:5432/payapp"): "s3cret"}
    assert keyring_password(pg_url()) == "s3cret"
    assert keyring_password(pg_url(database="other")) is None


# --- keyring trouble -------------------------------------------------------------------------


def test_fail_backend_is_reported_and_store_names_the_alternatives(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # keyring caches the backend it detected; make it detect again under this environment.
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    problem = keyring_problem()
    assert problem is not None
    assert "no keyring backend" in problem
    with pytest.raises(KeyringUnavailable) as raised:
        store_in_keyring(pg_url(), "s3cret")
    message = str(raised.value)
    for alternative in (".pgpass", "PGSERVICE", "PGPASSWORD"):
        assert alternative in message
    assert keyring_password(pg_url()) is None
    assert resolve_password(pg_url().render_as_string(hide_password=False)).password is None


def test_null_backend_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    problem = keyring_problem()
    assert problem is not None and "null" in problem


def test_hanging_keyring_gives_up_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    asked = threading.Event()

    def hang(service: str, account: str, *args: object) -> str:
        asked.set()
        release.wait(30)
        return "too late"

    monkeypatch.setattr(keyring, "get_keyring", WorkingBackend)
    monkeypatch.setattr(keyring, "get_password", hang)
    monkeypatch.setattr(keyring, "set_password", hang)
    try:
        started = time.monotonic()
        assert keyring_password(pg_url(), timeout=0.2) is None
        elapsed = time.monotonic() - started
        assert asked.is_set()
        assert 0.15 <= elapsed < 1.5
        # Storing gives up the same way, and says why.
        started = time.monotonic()
        with pytest.raises(KeyringUnavailable, match="did not answer"):
            store_in_keyring(pg_url(), "s3cret", timeout=0.2)
        assert time.monotonic() - started < 1.5
    finally:
        release.set()


def test_broken_keyring_never_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(service: str, account: str) -> str:
        raise RuntimeError("the keyring daemon crashed")

    monkeypatch.setattr(keyring, "get_keyring", WorkingBackend)
    monkeypatch.setattr(keyring, "get_password", broken)
    assert keyring_password(pg_url(), timeout=1.0) is None
    found = resolve_password(pg_url().render_as_string(hide_password=False))
    assert found.password is None
    assert found.source.startswith("no password")


# --- which database --------------------------------------------------------------------------


def write_config(path: Path, url: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    path.chmod(mode)


def test_choose_database_order(private_folders: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    where = locations()
    assert where.config_file == private_folders / "config" / "payapp" / "config.toml"
    assert where.site_config_file == tmp_path / "etc-xdg" / "payapp" / "config.toml"

    # 4. nothing configured: the local SQLite file under XDG_DATA_HOME
    choice = choose_database()
    expected = private_folders / "data" / "payapp" / "payapp.sqlite"
    assert choice.url == sqlite_url(expected)
    assert choice.is_sqlite
    assert choice.source == "default local SQLite database"

    # 3. the site-wide config file
    write_config(where.site_config_file, "postgresql+psycopg://site.example.com/payapp",
                 mode=0o644)
    choice = choose_database()
    assert choice.url == "postgresql+psycopg://site.example.com/payapp"
    assert not choice.is_sqlite
    assert str(where.site_config_file) in choice.source

    # 2. the user's config file
    write_config(where.config_file, "postgresql+psycopg://user.example.com/payapp")
    choice = choose_database()
    assert choice.url == "postgresql+psycopg://user.example.com/payapp"
    assert str(where.config_file) in choice.source

    # 1. the environment variable (blank counts as unset)
    monkeypatch.setenv(DATABASE_URL_VARIABLE, "   ")
    assert choose_database().url == "postgresql+psycopg://user.example.com/payapp"
    monkeypatch.setenv(DATABASE_URL_VARIABLE, " postgresql+psycopg://env.example.com/payapp ")
    choice = choose_database()
    assert choice.url == "postgresql+psycopg://env.example.com/payapp"
    assert DATABASE_URL_VARIABLE in choice.source


def test_blank_url_in_user_config_falls_through_to_site(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    where = locations()
    write_config(where.config_file, "  ")
    write_config(where.site_config_file, "postgresql+psycopg://site.example.com/payapp")
    assert choose_database().url == "postgresql+psycopg://site.example.com/payapp"


@pytest.mark.parametrize("mode", [0o620, 0o664, 0o602, 0o666, 0o777])
def test_read_config_refuses_a_file_others_can_write(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "config.toml"
    write_config(path, "sqlite:///x.sqlite", mode=mode)
    with pytest.raises(ConfigError, match="chmod") as raised:
        read_config(path)
    assert str(path) in str(raised.value)


def test_read_config_refuses_it_also_when_choosing_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    write_config(locations().site_config_file, "postgresql+psycopg://evil.example.com/x",
                 mode=0o666)
    with pytest.raises(ConfigError, match="chmod go-w"):
        choose_database()


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o400])
def test_read_config_accepts_owner_only_writes(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "config.toml"
    write_config(path, "sqlite:///x.sqlite", mode=mode)
    assert read_config(path) == {"database": {"url": "sqlite:///x.sqlite"}}
    assert read_config(tmp_path / "missing.toml") == {}


def test_read_config_reports_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[database\nurl = ", encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config(path)


# --- the SQLite file -------------------------------------------------------------------------


def test_make_engine_creates_a_private_sqlite_file(private_folders: Path) -> None:
    path = private_folders / "data" / "payapp" / "payapp.sqlite"
    assert not path.parent.exists()
    engine = make_engine(choose_database().url)
    try:
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    finally:
        engine.dispose()


def test_make_engine_tightens_an_existing_sqlite_file(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "payapp.sqlite"
    path.write_bytes(b"")
    path.chmod(0o644)
    engine = make_engine(sqlite_url(path))
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        engine.dispose()
