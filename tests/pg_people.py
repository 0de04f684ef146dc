"""The demo project on PostgreSQL with each demo person's own login role, for tests that act as
those people: erin and dan (invoice contacts of two subcontractors), pat (the general
contractor's invoice administrator) and sam (support).

The demo is migrated and built once per test session into a template database; each test gets
a copy (`CREATE DATABASE ... TEMPLATE`), which takes a fraction of building it again.

Every PostgreSQL test module that acts as these people uses these fixtures (test_database_attacks,
test_database_security, test_database_time_limits). Import the fixtures a test module uses:
`from tests.pg_people import admin, ...  # noqa: F401`, and the ones they depend on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Protocol

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from data import migrate
from data.db import LOCK_TIMEOUT_MS, make_engine
from data.demo import build_demo
from data.roles import ensure_login_role
from tests.conftest import DEMO_TODAY

PEOPLE = ("erin", "dan", "pat", "sam")
ELECTRICAL, CONCRETE = "SC-2417-016", "SC-2417-031"  # erin's and dan's commitments


class Connect(Protocol):
    """An engine that logs in as a person's own role."""

    def __call__(self, login: str, *, lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> Engine: ...


class Psql(Protocol):
    """A plain connection as a person's own role, like psql: no payapp timeouts."""

    def __call__(self, login: str) -> Engine: ...


def _url(server: str, database: str) -> str:
    return make_url(server).set(database=database).render_as_string(hide_password=False)


def as_login(url: str, login: str) -> str:
    """The same database, logging in as `login`."""
    return make_url(url).set(username=login).render_as_string(hide_password=False)


def invoice_ids(admin: Engine, commitment_number: str) -> list[int]:
    """A commitment's invoices, oldest first."""
    with admin.connect() as connection:
        return list(connection.execute(
            text("SELECT i.id FROM invoice i JOIN commitment c ON c.id = i.commitment_id "
                 "WHERE c.number = :n ORDER BY i.position"), {"n": commitment_number}).scalars())


@pytest.fixture(scope="session")
def demo_template(postgres_server: str) -> Iterator[str]:
    """A database holding the migrated demo, copied for each test."""
    name = f"payapp_template_{uuid.uuid4().hex[:12]}"
    server = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_url(postgres_server, name))
    migrate.upgrade(engine)
    build_demo(engine, DEMO_TODAY)
    engine.dispose()  # a template must have no connections while it is copied
    yield name
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def demo_url(postgres_server: str, demo_template: str) -> Iterator[str]:
    """A fresh copy of the demo, dropped after the test."""
    name = f"payapp_test_{uuid.uuid4().hex[:12]}"
    server = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{demo_template}"'))
    yield _url(postgres_server, name)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def admin(demo_url: str) -> Iterator[Engine]:
    """The server's superuser on the demo copy; every demo person has a login role on it."""
    engine = make_engine(demo_url)
    for login in PEOPLE:
        ensure_login_role(engine, login)  # roles are the server's; CONNECT is per database
    yield engine
    engine.dispose()


@pytest.fixture
def connect(admin: Engine, demo_url: str) -> Iterator[Connect]:
    """payapp's own engines (lock and statement timeouts) as each person."""
    engines: list[Engine] = []

    def as_person(login: str, *, lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> Engine:
        engine = make_engine(as_login(demo_url, login), lock_timeout_ms=lock_timeout_ms)
        engines.append(engine)
        return engine

    yield as_person
    for engine in engines:
        engine.dispose()


@pytest.fixture
def psql(admin: Engine, demo_url: str) -> Iterator[Psql]:
    """Plain connections as each person, the way psql would open them."""
    engines: list[Engine] = []

    def as_person(login: str) -> Engine:
        engine = create_engine(as_login(demo_url, login))
        engines.append(engine)
        return engine

    yield as_person
    for engine in engines:
        engine.dispose()


@pytest.fixture
def scratch_roles(admin: Engine) -> Iterator[list[str]]:
    """Names of login roles a test creates; their grants on the demo copy are dropped, then the
    roles (they belong to the whole server). Torn down before the copy is dropped."""
    names: list[str] = []
    yield names
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE usename = ANY(:names)"), {"names": names})
        for name in names:
            exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                        {"r": name}).first()
            if exists is not None:
                connection.execute(text(f'DROP OWNED BY "{name}"'))
                connection.execute(text(f'DROP ROLE "{name}"'))
        connection.commit()
