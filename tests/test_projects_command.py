"""Projects from the command line (issue 10: an administrator's work starts from a project the
system administrator creates): `payapp projects create` with its general contractor, place,
wording and administrators, in one step or not at all; `payapp projects list`. On SQLite and on
PostgreSQL; on PostgreSQL the administrator's own role then sees the project in plain SQL, and
a contact's own role cannot create one."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.pg_people import admin, as_login, demo_template, demo_url, scratch_roles  # noqa: F401
from tests.test_users_assign import GC, Demo, demo  # noqa: F401  (fixtures)


def test_a_project_is_created_with_its_administrator(demo: Demo,  # noqa: F811
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    done = demo.run(monkeypatch, "projects", "create", "2502", "--name", "Harbor Clinic",
                    "--general-contractor", GC, "--city", "Oakland", "--state", "ca",
                    "--wording", "owner", "--no-overbilling", "--admin", "pat")
    assert done.exit_code == 0, done.output
    assert "created project 2502 Harbor Clinic (general contractor " in done.output
    assert "pat now administers project 2502" in done.output
    assert demo.rows("SELECT name, city, state, point_of_view, overbilling_allowed, "
                     "waiver_jurisdiction FROM project WHERE number = '2502'") == [
        ("Harbor Clinic", "Oakland", "CA", "owner", False, "CA")]
    listed = demo.run(monkeypatch, "projects", "list")
    assert "2502" in listed.output and "Oakland, CA" in listed.output
    if demo.postgres:
        assert demo.seen_by("pat", "SELECT number FROM project") >= {"2417", "2502"}


def test_a_refused_administrator_creates_nothing(demo: Demo,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    refused = demo.run(monkeypatch, "projects", "create", "2503", "--name", "Pier 9",
                       "--general-contractor", GC, "--admin", "erin")
    assert refused.exit_code == 1
    assert "erin is not an invoice administrator" in refused.output
    assert "no project was created" in refused.output
    assert demo.rows("SELECT number FROM project WHERE number = '2503'") == []


@pytest.mark.parametrize(("args", "said"), [
    (("2417", "--name", "Again", "--general-contractor", GC), "project 2417 already exists"),
    (("2504", "--name", "X", "--general-contractor", "Coastline Electric Co."),
     "Coastline Electric Co. is a subcontractor company, not a general contractor"),
    (("2505", "--name", "X", "--general-contractor", GC, "--state", "Texas"),
     "'TEXAS' is not a state"),
    (("2506", "--name", "Line\x1b[2Jbreak", "--general-contractor", GC),
     "control characters"),
])
def test_what_is_refused_says_why(demo: Demo, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                  args: tuple[str, ...], said: str) -> None:
    refused = demo.run(monkeypatch, "projects", "create", *args)
    assert refused.exit_code == 1 and said in refused.output, refused.output


@pytest.mark.postgres
def test_a_contacts_own_role_cannot_create_a_project(admin: Engine,  # noqa: F811
                                                     demo_url: str) -> None:  # noqa: F811
    engine = create_engine(as_login(demo_url, "erin"))
    try:
        with pytest.raises(DBAPIError), engine.begin() as erin:
            erin.execute(text(
                "INSERT INTO project (number, name, street, city, state, zip_code, owner_name, "
                "gc_company_id, point_of_view, overbilling_allowed, waiver_conditional, "
                "waiver_unconditional, waiver_jurisdiction, version) "
                "SELECT '2599', 'Mine', '', '', '', '', '', id, 'general_contractor', true, "
                "true, true, 'CA', 1 FROM company LIMIT 1"))
    finally:
        engine.dispose()
    with admin.connect() as connection:
        assert connection.execute(text(
            "SELECT count(*) FROM project WHERE number = '2599'")).scalar_one() == 0
