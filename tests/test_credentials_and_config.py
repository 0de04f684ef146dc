"""data/credentials.py (where the PostgreSQL password comes from) and data/config.py (which
database, and config files other users cannot have written)."""

from __future__ import annotations

import importlib
import os
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import keyring
import keyring.backend
import keyring.core
import pytest
from click.testing import CliRunner, Result
from keyring.backend import KeyringBackend
from sqlalchemy.engine import URL, make_url

from data import credentials
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
    keyring_trouble,
    pgpass_has_entry,
    resolve_password,
    store_in_keyring,
)
from data.db import make_engine
from tui.cli import main

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


# --- keyring backends written for these tests ------------------------------------------------

# A module of real keyring backends, loaded by name like any backend (PYTHON_KEYRING_BACKEND) or
# passed to keyring.set_keyring(). The hanging ones wait for RELEASE, which each test sets when it
# ends, so that no thread outlives it; a child process simply exits past them.
FAKE_BACKENDS = '''
import threading

from keyring.backend import KeyringBackend
from keyring.compat import properties

RELEASE = threading.Event()
STORE = {}


def hang():
    RELEASE.wait(10)


class Memory(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        return STORE.get((service, username))

    def set_password(self, service, username, password):
        STORE[(service, username)] = password

    def delete_password(self, service, username):
        STORE.pop((service, username), None)


class HangsOnInit(Memory):
    def __init__(self):
        hang()
        super().__init__()


class HangsOnPriority(Memory):
    @properties.classproperty
    def priority(cls):
        hang()
        return 1


class HangsOnGet(Memory):
    def get_password(self, service, username):
        hang()
        return None


class RaisesOnInit(Memory):
    def __init__(self):
        raise OSError("org.freedesktop.DBus.Error.ServiceUnknown:\\n  no such name")


class Raises(Memory):
    def get_password(self, service, username):
        raise RuntimeError("the keyring daemon crashed\\n  and a second line")

    def set_password(self, service, username, password):
        raise RuntimeError("the keyring daemon crashed")


class DropsSecrets(Memory):
    def set_password(self, service, username, password):
        pass


class KeepsTheOldPassword(Memory):
    def set_password(self, service, username, password):
        pass
'''


@pytest.fixture(autouse=True)
def isolated_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real keyring: nothing detected, no backend cached, no hang remembered from another test;
    backend classes defined during a test are forgotten after it."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setattr(keyring.backend, "get_all_keyring", list)
    monkeypatch.setattr(KeyringBackend, "_classes", set(KeyringBackend._classes))
    monkeypatch.setattr(credentials, "_stuck", None)
    monkeypatch.setattr(credentials, "_trouble", None)


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The module of test backends, importable by name (from tmp_path) in this process and in a
    child process."""
    name = f"fake_keyrings_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(FAKE_BACKENDS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    # Bounded tests: a hang is noticed after 0.3 s, not the real 3 s.
    monkeypatch.setattr(credentials, "KEYRING_TIMEOUT_SECONDS", 0.3)
    yield module
    module.RELEASE.set()
    for thread in threading.enumerate():
        if thread.name == "payapp-keyring":
            thread.join(5)
    sys.modules.pop(name, None)


def use_backend(fakes: ModuleType, name: str) -> None:
    keyring.set_keyring(getattr(fakes, name)())


def name_backend(fakes: ModuleType, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Have keyring load the backend itself, as it does at start-up."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{fakes.__name__}.{name}")


def assert_one_line_with_alternatives(message: str) -> None:
    assert "\n" not in message
    assert "Traceback" not in message
    for alternative in (".pgpass", "PGPASSWORD"):
        assert alternative in message


# --- the order of password sources -----------------------------------------------------------


def test_resolve_password_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                fakes: ModuleType) -> None:
    url = pg_url()
    account = keyring_account(url)
    assert account == "alice@db.example.com:5432/payapp"
    fakes.STORE[("payapp", account)] = "from-keyring"
    use_backend(fakes, "Memory")
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
    assert (found.password, found.source, found.note) == ("from-keyring", "the system keyring",
                                                          None)
    # 6. nothing, and nothing to complain about
    fakes.STORE.clear()
    found = resolve_password(text)
    assert found.password is None
    assert found.source.startswith("no password")
    assert found.note is None


def test_store_then_read_back_through_a_working_keyring(fakes: ModuleType) -> None:
    use_backend(fakes, "Memory")
    assert keyring_problem() is None
    store_in_keyring(pg_url(), "s3cret")
    assert fakes.STORE == {("payapp", "alice@db.example.com:5432/payapp"): "s3cret"}
    assert keyring_password(pg_url()) == "s3cret"
    assert keyring_password(pg_url(database="other")) is None
    assert keyring_trouble() is None


# --- keyring trouble -------------------------------------------------------------------------


def test_fail_backend_is_reported_and_store_names_the_alternatives(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    problem = keyring_problem()
    assert problem is not None
    assert "no keyring backend" in problem
    with pytest.raises(KeyringUnavailable) as raised:
        store_in_keyring(pg_url(), "s3cret")
    message = str(raised.value)
    for alternative in (".pgpass", "PGSERVICE", "PGPASSWORD"):
        assert alternative in message
    assert keyring_password(pg_url()) is None
    found = resolve_password(pg_url().render_as_string(hide_password=False))
    assert found.password is None
    # No keyring on a jump host is normal, not trouble worth a warning.
    assert found.note is None
    assert keyring_trouble() is None


def test_null_backend_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    problem = keyring_problem()
    assert problem is not None and "null" in problem


@pytest.mark.parametrize("backend", ["HangsOnInit", "HangsOnPriority"])
def test_a_keyring_that_hangs_while_starting_is_given_up_and_not_asked_again(
        monkeypatch: pytest.MonkeyPatch, fakes: ModuleType, backend: str) -> None:
    name_backend(fakes, monkeypatch, backend)
    started = time.monotonic()
    problem = keyring_problem()
    assert 0.25 <= time.monotonic() - started < 2
    assert problem is not None and "did not answer within 0.3 s" in problem
    # The stuck thread is not joined by a second one: every later use gives up at once.
    started = time.monotonic()
    assert keyring_password(pg_url()) is None
    found = resolve_password(pg_url().render_as_string(hide_password=False))
    with pytest.raises(KeyringUnavailable, match="did not answer") as raised:
        store_in_keyring(pg_url(), "s3cret")
    assert time.monotonic() - started < 0.25
    assert [t.name for t in threading.enumerate()].count("payapp-keyring") == 1
    assert found.password is None and found.source.startswith("no password")
    assert found.note is not None and "did not answer" in found.note
    for message in (found.note, str(raised.value), keyring_trouble() or ""):
        assert_one_line_with_alternatives(message)


def test_a_keyring_that_hangs_on_get_is_given_up(fakes: ModuleType) -> None:
    use_backend(fakes, "HangsOnGet")
    started = time.monotonic()
    found = resolve_password(pg_url().render_as_string(hide_password=False))
    assert 0.25 <= time.monotonic() - started < 2
    assert found.password is None
    assert found.note is not None and "did not answer" in found.note


@pytest.mark.parametrize(("backend", "shown"), [
    ("Raises", "failed to read the password (RuntimeError: the keyring daemon crashed "
               "and a second line)"),
    ("RaisesOnInit", "could not be started (OSError: org.freedesktop.DBus.Error.ServiceUnknown: "
                     "no such name)"),
])
def test_a_keyring_that_raises_becomes_a_plain_message(
        monkeypatch: pytest.MonkeyPatch, fakes: ModuleType, backend: str, shown: str) -> None:
    name_backend(fakes, monkeypatch, backend)
    assert keyring_password(pg_url()) is None
    trouble = keyring_trouble()
    assert trouble is not None and shown in trouble
    assert_one_line_with_alternatives(trouble)
    found = resolve_password(pg_url().render_as_string(hide_password=False))
    assert found.password is None and found.note == trouble
    with pytest.raises(KeyringUnavailable, match="cannot store the password") as raised:
        store_in_keyring(pg_url(), "s3cret")
    assert_one_line_with_alternatives(str(raised.value))


def test_a_keyring_that_drops_the_secret_is_caught_by_reading_it_back(
        fakes: ModuleType) -> None:
    use_backend(fakes, "DropsSecrets")
    assert keyring_problem() is None  # it looks like a working backend
    with pytest.raises(KeyringUnavailable, match=r"did not keep it.*gave nothing") as raised:
        store_in_keyring(pg_url(), "s3cret")
    assert_one_line_with_alternatives(str(raised.value))


def test_a_keyring_that_keeps_an_old_password_has_it_removed(fakes: ModuleType) -> None:
    account = ("payapp", keyring_account(pg_url()))
    fakes.STORE[account] = "old"
    use_backend(fakes, "KeepsTheOldPassword")
    with pytest.raises(KeyringUnavailable, match=r"did not keep it.*a different password"):
        store_in_keyring(pg_url(), "s3cret")
    assert account not in fakes.STORE  # libpq will not be handed the wrong password later


# --- the commands that touch the keyring -----------------------------------------------------

# Nothing listens on port 1: connecting fails at once.
UNREACHABLE = "postgresql+psycopg://alice@127.0.0.1:1/payapp"


def run_cli(monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str | None = None) -> Result:
    monkeypatch.setenv(DATABASE_URL_VARIABLE, UNREACHABLE)
    started = time.monotonic()
    result = CliRunner().invoke(main, args, input=stdin)
    assert time.monotonic() - started < 3
    # Only a clean exit: no exception other than sys.exit() escaped the command.
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result


def test_db_login_stores_only_what_it_can_read_back(
        monkeypatch: pytest.MonkeyPatch, fakes: ModuleType) -> None:
    name_backend(fakes, monkeypatch, "Memory")
    result = run_cli(monkeypatch, ["db", "login"], "s3cret\n")
    assert result.exit_code == 0
    assert "Password stored in the system keyring." in result.stdout
    assert fakes.STORE == {("payapp", "alice@127.0.0.1:1/payapp"): "s3cret"}


@pytest.mark.parametrize(("backend", "shown"), [
    ("DropsSecrets", "did not keep it"),
    ("Raises", "failed to store the password (RuntimeError: the keyring daemon crashed)"),
    ("RaisesOnInit", "could not be started (OSError"),
    ("HangsOnInit", "did not answer within 0.3 s"),
    ("HangsOnPriority", "did not answer within 0.3 s"),
])
def test_db_login_says_why_the_keyring_did_not_take_the_password(
        monkeypatch: pytest.MonkeyPatch, fakes: ModuleType, backend: str, shown: str) -> None:
    name_backend(fakes, monkeypatch, backend)
    result = run_cli(monkeypatch, ["db", "login"], "s3cret\n")
    assert result.exit_code == 1
    assert "stored" not in result.stdout
    [message] = result.stderr.splitlines()
    assert message.startswith("payapp: ") and shown in message
    assert_one_line_with_alternatives(message)


@pytest.mark.parametrize("backend", ["HangsOnInit", "HangsOnPriority", "Raises"])
def test_locate_goes_on_without_a_keyring_in_trouble(
        monkeypatch: pytest.MonkeyPatch, fakes: ModuleType, backend: str) -> None:
    name_backend(fakes, monkeypatch, backend)
    result = run_cli(monkeypatch, ["locate"])
    assert result.exit_code == 0
    assert "password from:   no password" in result.stdout
    [message] = result.stderr.splitlines()
    assert message.startswith("payapp: the ")
    assert_one_line_with_alternatives(message)


def test_db_current_goes_on_without_a_hanging_keyring(
        monkeypatch: pytest.MonkeyPatch, fakes: ModuleType) -> None:
    name_backend(fakes, monkeypatch, "HangsOnInit")
    result = run_cli(monkeypatch, ["db", "current"])
    assert result.exit_code == 1
    keyring_line, connect_line, advice = result.stderr.splitlines()
    assert "did not answer" in keyring_line
    assert_one_line_with_alternatives(keyring_line)
    assert connect_line.startswith("payapp: cannot connect to the database: ")
    assert "127.0.0.1:1 did not answer" in connect_line and "payapp locate" in advice


def test_a_hanging_keyring_does_not_hold_up_the_real_command(
        tmp_path: Path, fakes: ModuleType) -> None:
    """The real process, with keyring's own start-up and the real 3 s limit: it says why and
    exits, leaving the stuck thread behind."""
    env = dict(os.environ, PYTHON_KEYRING_BACKEND=f"{fakes.__name__}.HangsOnInit",
               PYTHONPATH=str(tmp_path), **{DATABASE_URL_VARIABLE: UNREACHABLE})
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", "from tui.cli import main; main()", "locate"],
                          env=env, capture_output=True, text=True, timeout=30, check=False)
    assert time.monotonic() - started < 10
    assert done.returncode == 0, done.stderr
    assert "password from:   no password" in done.stdout
    [message] = done.stderr.splitlines()
    assert "did not answer within 3 s" in message
    assert_one_line_with_alternatives(message)


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
