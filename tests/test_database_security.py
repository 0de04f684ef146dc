# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""The shared database keeps each company's rows to itself, whoever asks and however.

Runs only on PostgreSQL: the demo project is loaded by the server's superuser, then each demo
person connects as their own role (erin and dan: contacts of two different subcontractors;
pat: the general contractor's invoice administrator; sam: support)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, col, select

from data.audit_chain import verify_database
from data.db import reading, writing
from data.models import AuditEntry, Commitment, Role
from data.roles import UnsafeRole, add_user, check_runtime_role
from data.services.actors import actor_for_login
from data.services.errors import Conflict, NotFound, saving
from data.services.home import home_for
from data.services.invoice_changes import LineEntry, save_lines
from data.services.invoice_views import load_invoice
from tests.conftest import DEMO_TODAY
from tests.pg_people import (  # noqa: F401  (fixtures)
    CONCRETE,
    ELECTRICAL,
    PEOPLE,
    Connect,
    admin,
    connect,
    demo_template,
    demo_url,
    invoice_ids,
    scratch_roles,
)
from tests.test_migrations import POSTGRES_ONLY_TABLES
from tui.cli import main

pytestmark = pytest.mark.postgres


def _scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def _column(engine: Engine, sql: str) -> set[object]:
    with engine.connect() as connection:
        return set(connection.execute(text(sql)).scalars())


def test_each_role_sees_exactly_its_rows_in_plain_sql(connect: Connect) -> None:
    erin, dan, pat, sam = (connect(p) for p in PEOPLE)
    assert _column(erin, "SELECT number FROM commitment") == {ELECTRICAL}
    assert _column(dan, "SELECT number FROM commitment") == {CONCRETE}
    assert _column(pat, "SELECT number FROM commitment") == {ELECTRICAL, CONCRETE}
    assert _column(sam, "SELECT number FROM commitment") == {ELECTRICAL, CONCRETE}
    assert _scalar(erin, "SELECT count(*) FROM invoice") == 3
    assert _scalar(dan, "SELECT count(*) FROM invoice") == 2
    assert _scalar(pat, "SELECT count(*) FROM invoice") == 5
    assert _scalar(erin, "SELECT count(*) FROM sov_line") == 29  # 25 + CCO 001, 002, PCO 003
    assert _scalar(dan, "SELECT count(*) FROM sov_line") == 10
    assert _scalar(dan, "SELECT count(*) FROM invoice_line il JOIN invoice i "
                        "ON i.id = il.invoice_id") == 20
    assert _scalar(dan, "SELECT count(*) FROM change_order") == 0
    assert _scalar(dan, "SELECT count(*) FROM payment") == 2
    companies = _column(erin, "SELECT name FROM company")
    assert companies == {"Harbor Point Builders, Inc.", "Coastline Electric Co."}
    assert "Coastline Electric Co." not in _column(dan, "SELECT name FROM company")
    assert _column(erin, "SELECT login FROM app_user") == {"erin", "pat"}
    assert _column(sam, "SELECT login FROM app_user") >= {"erin", "dan", "pat", "sam", "alex"}


def test_each_person_sees_exactly_their_rows_through_payapp(admin: Engine,
                                                            connect: Connect) -> None:
    for login, expected in (("erin", {ELECTRICAL}), ("dan", {CONCRETE}),
                            ("pat", {ELECTRICAL, CONCRETE}), ("sam", {ELECTRICAL, CONCRETE})):
        with reading(connect(login)) as session:
            home = home_for(session, actor_for_login(session, login), today=DEMO_TODAY)
        assert {c.number for c in home.commitments} == expected, login
        assert {i.commitment_number for i in home.invoices} == expected, login
    dans_invoice = invoice_ids(admin, CONCRETE)[0]
    with reading(connect("erin")) as session, pytest.raises(NotFound):
        load_invoice(session, actor_for_login(session, "erin"), dans_invoice)


def test_a_contact_cannot_insert_into_another_companys_commitment(admin: Engine,
                                                                  connect: Connect) -> None:
    erin = connect("erin")
    concrete = _scalar(admin, f"SELECT id FROM commitment WHERE number = '{CONCRETE}'")
    period = _scalar(admin, "SELECT id FROM billing_period WHERE status = 'open'")
    user = _scalar(admin, "SELECT id FROM app_user WHERE login = 'erin'")
    with pytest.raises(ProgrammingError, match=r"row-level security|creates invoices"), \
            erin.begin() as c:
        c.execute(text(
            "INSERT INTO invoice (commitment_id, period_id, position, status, invoice_type, "
            "invoice_number, billing_date, period_start, period_end, billing_type, "
            "created_by_id, created_at, version) VALUES (:c, :p, 9, 'draft', 'work_materials', "
            "'', '2026-11-21', '2026-11-01', '2026-11-30', 'progress', :u, now(), 1)"),
            {"c": concrete, "p": period, "u": user})
    with pytest.raises(ProgrammingError, match=r"row-level security|creates invoices"), \
            erin.begin() as c:
        c.execute(text("INSERT INTO sov_line (commitment_id, position, item_no, description, "
                       "budget_code, scheduled_value_cents, unit, version) "
                       "VALUES (:c, 99, '99', 'x', '', 100, '', 1)"), {"c": concrete})
    assert _scalar(admin, f"SELECT count(*) FROM invoice WHERE commitment_id = {concrete}") == 2


def test_an_update_a_policy_stops_is_an_error_not_a_silent_success(connect: Connect) -> None:
    erin = connect("erin")
    # A contact sees her commitment but only an administrator may change it.
    with pytest.raises(StaleDataError), writing(erin) as session:
        commitment = session.exec(select(Commitment)).one()
        commitment.title = "Electrical and lighting"
        session.add(commitment)
    assert _column(erin, "SELECT title FROM commitment") == {"Electrical"}


def test_support_cannot_write_anything(admin: Engine, connect: Connect) -> None:
    sam = connect("sam")
    for statement in ("UPDATE invoice SET invoice_number = 'x'",
                      "DELETE FROM payment",
                      "INSERT INTO audit_entry (at, actor_login, action, entity, before, after) "
                      "VALUES (now(), 'sam', 'x', 'x', '', '')"):
        with pytest.raises(ProgrammingError, match="permission denied"), sam.begin() as c:
            c.execute(text(statement))
    assert _scalar(admin, "SELECT count(*) FROM invoice WHERE invoice_number = 'x'") == 0


def test_nobody_can_change_or_delete_the_audit_trail(connect: Connect) -> None:
    for login in ("erin", "pat"):
        for statement in ("UPDATE audit_entry SET action = 'nothing'", "DELETE FROM audit_entry"):
            with (pytest.raises(ProgrammingError, match="permission denied"),
                  connect(login).begin() as c):
                c.execute(text(statement))


def test_the_audit_trail_names_the_role_the_database_authenticated(admin: Engine,
                                                                   connect: Connect) -> None:
    erin = connect("erin")
    invoice_id = invoice_ids(admin, ELECTRICAL)[-1]
    mark = _scalar(admin, "SELECT max(id) FROM audit_entry")  # the demo was loaded as postgres
    with writing(erin) as session:
        view = load_invoice(session, actor_for_login(session, "erin"), invoice_id)
        first = view.lines[0].sov_line_id
        save_lines(session, actor_for_login(session, "erin"), invoice_id,
                   {first: LineEntry(work=Decimal("4000.00"))})
    # A forged entry claiming to be pat still records who really wrote it.
    with erin.begin() as c:
        c.execute(text("INSERT INTO audit_entry (at, actor_login, db_role, action, entity, "
                       "before, after) VALUES ('2000-01-01', 'pat', 'pat', 'forged', 'x', '', "
                       "'')"))
    with Session(admin) as session:
        edits = session.exec(select(AuditEntry).where(AuditEntry.action == "edit line")
                             .where(col(AuditEntry.id) > mark)).all()
        forged = session.exec(select(AuditEntry).where(AuditEntry.action == "forged")).one()
        assert edits and all(e.db_role == "erin" for e in edits)
        assert forged.db_role == "erin" and forged.at.year == date.today().year
        verdict = verify_database(session)
    assert verdict.count > 40 and verdict.breaks == [] and verdict.unsealed == 0


def test_audit_verify_finds_an_edited_and_a_deleted_entry(admin: Engine,
                                                          demo_url: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("PAYAPP_DATABASE_URL", demo_url)
    intact = CliRunner().invoke(main, ["audit", "verify"])
    assert intact.exit_code == 0 and "the chain is intact" in intact.output
    with admin.begin() as c:  # only the owner or a superuser can do this
        c.execute(text("UPDATE audit_entry SET after = '{\"work_cents\": 1}' WHERE id = 10"))
        c.execute(text("DELETE FROM audit_entry WHERE id = 20"))
    broken = CliRunner().invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "entry 10: its contents do not match its hash: it was edited" in broken.output
    assert "entry 21: does not follow the entry before it" in broken.output


def test_payapp_refuses_to_run_as_superuser_owner_or_bypassrls(
        admin: Engine, connect: Connect, demo_url: str, scratch_roles: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    check_runtime_role(connect("erin"))  # a person's own role is fine
    with pytest.raises(UnsafeRole, match="superuser"):
        check_runtime_role(admin)
    owner_member, bypass = (f"payapp_t_{uuid.uuid4().hex[:8]}" for _ in range(2))
    scratch_roles.extend([owner_member, bypass])
    with admin.begin() as c:
        c.execute(text(f'CREATE ROLE "{owner_member}" LOGIN IN ROLE payapp_owner'))
        c.execute(text(f'CREATE ROLE "{bypass}" LOGIN BYPASSRLS IN ROLE payapp_user'))
        database = c.execute(text("SELECT current_database()")).scalar_one()
        c.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{owner_member}", '
                       f'"{bypass}"'))
    with pytest.raises(UnsafeRole, match="owner"):
        check_runtime_role(connect(owner_member))
    with pytest.raises(UnsafeRole, match="bypasses row-level security"):
        check_runtime_role(connect(bypass))
    monkeypatch.setenv("PAYAPP_DATABASE_URL", demo_url)
    monkeypatch.setattr("tui.cli.missing_terminal", lambda: None)  # as in a real terminal
    refused = CliRunner().invoke(main, [])
    assert refused.exit_code == 1 and "will not run as 'postgres'" in refused.output
    with admin.begin() as c:
        c.execute(text(f'REVOKE CONNECT ON DATABASE "{database}" FROM "{owner_member}", '
                       f'"{bypass}"'))
        c.execute(text(f'DROP OWNED BY "{owner_member}", "{bypass}"'))


def test_users_add_creates_a_role_that_sees_nothing_until_given_work(
        admin: Engine, connect: Connect, demo_url: str, scratch_roles: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    login = f"newcomer_{uuid.uuid4().hex[:6]}"
    scratch_roles.append(login)
    monkeypatch.setenv("PAYAPP_DATABASE_URL", demo_url)
    added = CliRunner().invoke(main, ["users", "add", login, "--company", "Sierra Glazing",
                                      "--role", "invoice_contact", "--name", "New Comer"])
    assert added.exit_code == 0, added.output
    newcomer = connect(login)
    check_runtime_role(newcomer)
    assert _scalar(newcomer, "SELECT count(*) FROM invoice") == 0
    assert _column(newcomer, "SELECT login FROM app_user") == {login}
    assert _column(newcomer, "SELECT name FROM company") == {"Sierra Glazing"}
    listed = CliRunner().invoke(main, ["users", "list"])
    assert login in listed.output and "Sierra Glazing" in listed.output
    newcomer.dispose()

    disabled = CliRunner().invoke(main, ["users", "disable", login])
    assert disabled.exit_code == 0
    with pytest.raises(OperationalError, match="not permitted to log in"):
        _scalar(connect(login), "SELECT 1")
    with admin.begin() as c:
        database = c.execute(text("SELECT current_database()")).scalar_one()
        c.execute(text(f'REVOKE CONNECT ON DATABASE "{database}" FROM "{login}"'))
        c.execute(text(f'REVOKE payapp_user FROM "{login}"'))


def test_a_support_user_gets_a_read_only_role(admin: Engine, connect: Connect,
                                              scratch_roles: list[str]) -> None:
    login = f"auditor_{uuid.uuid4().hex[:6]}"
    scratch_roles.append(login)
    add_user(admin, login, company="Harbor Point Builders, Inc.",
             roles=frozenset({Role.SUPPORT}))
    auditor = connect(login)
    assert _scalar(auditor, "SELECT count(*) FROM invoice") == 5
    with pytest.raises(DBAPIError, match="permission denied"), auditor.begin() as c:
        c.execute(text("UPDATE invoice SET invoice_number = 'x'"))
    auditor.dispose()
    with admin.begin() as c:
        database = c.execute(text("SELECT current_database()")).scalar_one()
        c.execute(text(f'REVOKE CONNECT ON DATABASE "{database}" FROM "{login}"'))
        c.execute(text(f'REVOKE payapp_reader FROM "{login}"'))


def test_every_table_keeps_row_level_security_forced(admin: Engine) -> None:
    """A table added later (waivers, sub-tiers...) must come with its policies."""
    with admin.connect() as c:
        rows = c.execute(text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "       pg_get_userbyid(c.relowner), "
            "       (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'alembic_version'"
        )).all()
    assert {r[0] for r in rows} == set(SQLModel.metadata.tables) | POSTGRES_ONLY_TABLES
    for name, enabled, forced, owner, policies in rows:
        assert enabled and forced, name
        assert owner == "payapp_owner", name
        assert policies >= 1, name


def test_a_save_the_database_refuses_is_a_conflict_with_a_message() -> None:
    with pytest.raises(Conflict, match="was not saved"), saving("the invoice"):
        raise StaleDataError("UPDATE statement on table 'invoice' expected to update 1 row")
