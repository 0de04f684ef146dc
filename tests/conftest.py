"""Shared fixtures: private folders for every test, and databases on SQLite and PostgreSQL.

PostgreSQL tests create a fresh database on the server named by PAYAPP_TEST_POSTGRES_URL
(default: the local server, user postgres) and drop it afterwards. Without a server they are
skipped, except under CI=true, where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from data import migrate
from data.db import make_engine
from data.demo import build_demo

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# The demo's dates follow "today"; tests pin it so that figures and days-left are stable.
DEMO_TODAY = date(2026, 11, 21)


@pytest.fixture(autouse=True)
def private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config and data folders and no database URL from outside; the
    machine's site config (/etc/xdg/payapp) is not read either."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(home / "site-config"))
    monkeypatch.delenv("PAYAPP_DATABASE_URL", raising=False)
    return home


def postgres_admin_url() -> str:
    return os.environ.get("PAYAPP_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = create_engine(postgres_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect means "no server"
        return str(error).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the PostgreSQL server at {postgres_admin_url()}: {problem}")
        pytest.skip(f"no PostgreSQL server at {postgres_admin_url()}: {problem}")
    return postgres_admin_url()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the server, dropped after the test."""
    name = f"payapp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'payapp.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    created = make_engine(database_url)
    migrate.upgrade(created)
    yield created
    created.dispose()


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """The demo project on each backend."""
    build_demo(engine, DEMO_TODAY)
    return engine


@pytest.fixture
def sqlite_demo_engine(tmp_path: Path) -> Iterator[Engine]:
    created = make_engine(f"sqlite:///{tmp_path / 'demo' / 'demo.sqlite'}")
    migrate.upgrade(created)
    build_demo(created, DEMO_TODAY)
    yield created
    created.dispose()
