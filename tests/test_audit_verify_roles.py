# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""`payapp audit verify` as whoever runs it. Row-level security shows an invoice contact (or an
invoice administrator) only the audit entries of their own role: a gap in what they see may be
an entry hidden from them, so payapp says that it sees only part of the trail, who may check
the whole of it, and exits 3, without crying tampering. A support user sees the whole trail:
an intact chain passes, and an entry a superuser deleted or edited is found."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text
from sqlmodel import Session

from data import audit_chain
from data.audit_chain import verify_database
from data.db import writing
from tests.pg_people import (  # noqa: F401  (fixtures)
    Connect,
    admin,
    as_login,
    connect,
    demo_template,
    demo_url,
    scratch_roles,
)
from tests.real_cli import payapp_env, run_payapp
from tui.cli import main

pytestmark = pytest.mark.postgres


def verify_as(monkeypatch: pytest.MonkeyPatch, url: str) -> Result:
    monkeypatch.setenv("PAYAPP_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def erin_writes(connect: Connect, count: int) -> None:
    """Erin's own entries, written through payapp as her role (the demo was loaded by the
    superuser, so she has none yet)."""
    with writing(connect("erin")) as session:
        for n in range(count):
            audit_chain.record(session, "erin", "looked", "invoice", n + 1)


def test_a_contact_is_told_they_see_only_part_of_the_trail(
        monkeypatch: pytest.MonkeyPatch, admin: Engine, demo_url: str, connect: Connect
) -> None:
    erin_writes(connect, 3)
    own = _scalar(admin, "SELECT count(*) FROM audit_entry WHERE db_role = 'erin'")
    assert own == 3
    everything = _scalar(admin, "SELECT count(*) FROM audit_entry")
    result = verify_as(monkeypatch, as_login(demo_url, "erin"))
    assert result.exit_code == 3, result.output
    assert "deleted" not in result.output and "edited" not in result.output
    assert "intact" not in result.output
    assert f"{own} entries read, but they are only part of the trail" in result.output
    assert "the database role erin only the entries its own sessions wrote" in result.output
    assert "as a support user" in result.output and "payapp_reader" in result.output
    assert own < everything


def test_an_administrator_sees_only_their_own_entries_too(
        monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    result = verify_as(monkeypatch, as_login(demo_url, "pat"))
    assert result.exit_code == 3 and "only part of the trail" in result.output


def test_the_real_command_as_the_contact_exits_3(admin: Engine, demo_url: str,
                                                 tmp_path: Path) -> None:
    home = tmp_path / "erin"
    home.mkdir()
    done = run_payapp(["audit", "verify"], payapp_env(home, as_login(demo_url, "erin")))
    assert done.code == 3, done.stdout + done.stderr
    assert "only part of the trail" in done.stdout and "Traceback" not in done.stderr


def test_support_sees_the_whole_trail_and_finds_what_a_superuser_did(
        monkeypatch: pytest.MonkeyPatch, admin: Engine, demo_url: str) -> None:
    sam = as_login(demo_url, "sam")
    intact = verify_as(monkeypatch, sam)
    assert intact.exit_code == 0, intact.output
    everything = _scalar(admin, "SELECT count(*) FROM audit_entry")
    assert f"{everything} entries read; the chain is intact" in intact.output
    edited, deleted = (_scalar(admin, f"SELECT id FROM audit_entry ORDER BY position "
                                      f"OFFSET {n} LIMIT 1") for n in (9, 19))
    following = _scalar(admin, f"SELECT id FROM audit_entry WHERE position = (SELECT position "
                               f"FROM audit_entry WHERE id = {deleted}) + 1")
    with admin.begin() as c:  # the superuser: no policy stops it
        c.execute(text(f"UPDATE audit_entry SET after = '{{\"work_cents\": 1}}' "
                       f"WHERE id = {edited}"))
        c.execute(text(f"DELETE FROM audit_entry WHERE id = {deleted}"))
    broken = verify_as(monkeypatch, sam)
    assert broken.exit_code == 1, broken.output
    assert f"entry {edited}: its contents do not match its hash: it was edited" in broken.output
    assert f"entry {following}: does not follow the entry before it" in broken.output
    assert "only part of the trail" not in broken.output


def test_a_contact_still_sees_an_edit_of_their_own_entries(
        monkeypatch: pytest.MonkeyPatch, admin: Engine, demo_url: str, connect: Connect
) -> None:
    """What a contact can check (each of their entries against its own hash), they check; a
    deletion elsewhere is not theirs to judge."""
    erin_writes(connect, 3)
    theirs = _scalar(admin, "SELECT id FROM audit_entry WHERE db_role = 'erin' "
                            "ORDER BY position LIMIT 1")
    someone_elses = _scalar(admin, "SELECT id FROM audit_entry WHERE db_role <> 'erin' "
                                   "ORDER BY position DESC LIMIT 1")
    with admin.begin() as c:
        c.execute(text(f"DELETE FROM audit_entry WHERE id = {someone_elses}"))
    assert verify_as(monkeypatch, as_login(demo_url, "erin")).exit_code == 3
    with admin.begin() as c:
        c.execute(text(f"UPDATE audit_entry SET action = 'nothing' WHERE id = {theirs}"))
    edited = verify_as(monkeypatch, as_login(demo_url, "erin"))
    assert edited.exit_code == 1
    assert f"entry {theirs}: its contents do not match its hash: it was edited" in edited.output


def test_a_role_outside_payapp_cannot_read_the_trail_and_is_told_who_can(
        monkeypatch: pytest.MonkeyPatch, admin: Engine, demo_url: str,
        scratch_roles: list[str]) -> None:
    outsider = f"outsider_{uuid.uuid4().hex[:6]}"
    scratch_roles.append(outsider)
    with admin.begin() as c:
        database = c.execute(text("SELECT current_database()")).scalar_one()
        c.execute(text(f'CREATE ROLE "{outsider}" LOGIN'))
        c.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{outsider}"'))
        c.execute(text(f'GRANT SELECT ON alembic_version, audit_entry TO "{outsider}"'))
    result = verify_as(monkeypatch, as_login(demo_url, outsider))
    assert result.exit_code == 3, result.output
    assert f"the database role {outsider} may not read the audit trail" in result.output
    assert "support user" in result.output


def test_the_verdict_says_how_much_was_seen(admin: Engine, connect: Connect) -> None:
    with Session(admin) as session:
        whole = verify_database(session)
    assert (whole.view, whole.partial, whole.breaks) == ("whole", False, [])
    assert whole.role == "postgres"
    erin_writes(connect, 2)
    with Session(connect("erin")) as session:
        part = verify_database(session)
    assert (part.view, part.partial, part.count, part.breaks, part.role) == (
        "own", True, 2, [], "erin")
