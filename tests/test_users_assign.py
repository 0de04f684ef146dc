"""Putting people on projects and commitments from the command line, so that a new person sees
their work without anybody writing SQL: `payapp users add ... --project/--commitment` and
`payapp users assign`. On SQLite and on PostgreSQL; on PostgreSQL the person's own role then
sees the rows in plain SQL, as in psql."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from data import migrate
from data.db import make_engine
from data.demo import build_demo
from tests.conftest import DEMO_TODAY
from tests.pg_people import (  # noqa: F401  (fixtures)
    CONCRETE,
    ELECTRICAL,
    admin,
    as_login,
    demo_template,
    demo_url,
    scratch_roles,
)
from tui.cli import main

PROJECT = "2417"  # the demo's project
GC, ELECTRIC = "Harbor Point Builders, Inc.", "Coastline Electric Co."


class Demo:
    """The demo database on one backend, and the command line run on it."""

    def __init__(self, url: str, new_role: Callable[[str], None]) -> None:
        self.url = url
        self.new_role = new_role  # a login role the test creates, for clean-up (PostgreSQL)

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def login(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:6]}"
        self.new_role(name)
        return name

    def run(self, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
        monkeypatch.setenv("PAYAPP_DATABASE_URL", self.url)
        result = CliRunner().invoke(main, list(args))
        assert result.exception is None or isinstance(result.exception, SystemExit), result
        return result

    def rows(self, sql: str, **params: object) -> list[tuple[object, ...]]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql), params)]
        finally:
            engine.dispose()

    def seen_by(self, login: str, sql: str) -> set[object]:
        """What `login`'s own role reads in plain SQL, as in psql."""
        engine = create_engine(as_login(self.url, login))
        try:
            with engine.connect() as connection:
                return set(connection.execute(text(sql)).scalars())
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> Demo:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'demo' / 'payapp.sqlite'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        build_demo(engine, DEMO_TODAY)
        engine.dispose()
        return Demo(url, lambda _name: None)
    request.getfixturevalue("admin")  # the demo people's roles, and the superuser's engine
    roles: list[str] = request.getfixturevalue("scratch_roles")
    return Demo(request.getfixturevalue("demo_url"), roles.append)


def _assigned(demo: Demo, login: str) -> tuple[set[object], set[object]]:
    """(projects administered, commitments billed) by `login`, as the database holds them."""
    projects = {r[0] for r in demo.rows(
        "SELECT p.number FROM project_administrator pa JOIN project p ON p.id = pa.project_id "
        "JOIN app_user u ON u.id = pa.user_id WHERE u.login = :l", l=login)}
    commitments = {r[0] for r in demo.rows(
        "SELECT c.number FROM commitment_contact cc JOIN commitment c ON c.id = cc.commitment_id "
        "JOIN app_user u ON u.id = cc.user_id WHERE u.login = :l", l=login)}
    return projects, commitments


def _audited(demo: Demo, action: str, login: str) -> list[dict[str, object]]:
    found = []
    for (after,) in demo.rows("SELECT after FROM audit_entry WHERE action = :a", a=action):
        values = json.loads(str(after))
        if values.get("login") == login:
            found.append(values)
    return found


def test_users_add_puts_a_contact_on_their_commitment(monkeypatch: pytest.MonkeyPatch,
                                                      demo: Demo) -> None:
    kim = demo.login("kim")
    added = demo.run(monkeypatch, "users", "add", kim, "--company", ELECTRIC, "--role",
                     "invoice_contact", "--commitment", ELECTRICAL)
    assert added.exit_code == 0, added.output
    assert f"{kim} now bills commitment {ELECTRICAL}" in added.output
    assert _assigned(demo, kim) == (set(), {ELECTRICAL})
    assert _audited(demo, "put on commitment", kim) == [{"login": kim,
                                                         "commitment": ELECTRICAL}]
    if demo.postgres:
        assert demo.seen_by(kim, "SELECT number FROM commitment") == {ELECTRICAL}
        erins = demo.seen_by("erin", "SELECT id FROM invoice")
        assert erins and demo.seen_by(kim, "SELECT id FROM invoice") == erins


def test_users_assign_puts_an_administrator_on_a_project(monkeypatch: pytest.MonkeyPatch,
                                                         demo: Demo) -> None:
    lee = demo.login("lee")
    added = demo.run(monkeypatch, "users", "add", lee, "--company", GC, "--role",
                     "invoice_administrator")
    assert added.exit_code == 0, added.output
    if demo.postgres:
        assert demo.seen_by(lee, "SELECT number FROM project") == set()  # nothing yet
    assigned = demo.run(monkeypatch, "users", "assign", lee, "--project", PROJECT)
    assert assigned.exit_code == 0, assigned.output
    assert assigned.output.strip() == f"{lee} now administers project {PROJECT}"
    assert _assigned(demo, lee) == ({PROJECT}, set())
    assert _audited(demo, "put on project", lee) == [{"login": lee, "project": PROJECT}]
    again = demo.run(monkeypatch, "users", "assign", lee, "--project", PROJECT)
    assert again.exit_code == 0 and f"{lee} was already on project {PROJECT}" in again.output
    assert len(_audited(demo, "put on project", lee)) == 1
    if demo.postgres:
        assert demo.seen_by(lee, "SELECT number FROM project") == {PROJECT}
        assert demo.seen_by(lee, "SELECT number FROM commitment") == {ELECTRICAL, CONCRETE}


@pytest.mark.parametrize(("options", "said"), [
    (["--project", "9999"], "there is no project numbered '9999' (the projects: 2417)"),
    (["--commitment", "SC-0000-000"], "there is no commitment numbered 'SC-0000-000'"),
    (["--project", PROJECT, "--commitment", "SC-0000-000"],
     "there is no commitment numbered 'SC-0000-000' on project 2417"),
    (["--commitment", CONCRETE],
     f"commitment {CONCRETE} is a contract with Bayside Concrete & Paving, LLC, and kim_"),
    (["--project", PROJECT], "name the commitments they bill with --commitment"),
])
def test_an_assignment_payapp_cannot_make_is_refused_and_adds_nobody(
        monkeypatch: pytest.MonkeyPatch, demo: Demo, options: list[str], said: str) -> None:
    kim = demo.login("kim")
    refused = demo.run(monkeypatch, "users", "add", kim, "--company", ELECTRIC, "--role",
                       "invoice_contact", *options)
    assert refused.exit_code == 1
    assert said in refused.output and "nobody was added" in refused.output, refused.output
    assert "Traceback" not in refused.output
    assert demo.rows("SELECT login FROM app_user WHERE login = :l", l=kim) == []
    if demo.postgres:
        assert demo.rows("SELECT rolname FROM pg_roles WHERE rolname = :l", l=kim) == []


def test_assign_refuses_work_the_roles_do_not_cover(monkeypatch: pytest.MonkeyPatch,
                                                   demo: Demo) -> None:
    unknown = demo.run(monkeypatch, "users", "assign", "nobody", "--project", PROJECT)
    assert unknown.exit_code == 1 and "there is no user 'nobody'" in unknown.output
    nothing = demo.run(monkeypatch, "users", "assign", "pat")
    assert nothing.exit_code == 1 and "name a project" in nothing.output
    contact_only = demo.run(monkeypatch, "users", "assign", "pat", "--commitment", ELECTRICAL)
    assert contact_only.exit_code == 1
    assert "pat is not an invoice contact" in contact_only.output
    support = demo.run(monkeypatch, "users", "assign", "sam", "--project", PROJECT)
    assert support.exit_code == 1 and "support staff see every project" in support.output
    assert "nothing was changed" in support.output
    assert _assigned(demo, "sam") == (set(), set())
