"""The command line: locate, demo, db upgrade/current, g702."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from data import migrate
from data.config import locations
from data.db import make_engine
from tui.cli import main

SHEETS = Path(__file__).parent / "fixtures" / "sheets"


def test_locate_names_the_default_local_database(private_folders: Path) -> None:
    result = CliRunner().invoke(main, ["locate"])
    assert result.exit_code == 0, result.output
    assert f"{private_folders / 'data' / 'payapp' / 'payapp.sqlite'}" in result.output
    assert "default local SQLite database" in result.output


def test_locate_follows_the_environment_and_hides_passwords(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYAPP_DATABASE_URL", "postgresql+psycopg://ann:s3cret@db.example/pay")
    monkeypatch.setenv("PGPASSWORD", "x")
    result = CliRunner().invoke(main, ["locate"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "environment variable PAYAPP_DATABASE_URL" in result.output
    assert "password from:   the database URL" in result.output


def test_a_config_file_others_can_write_is_refused() -> None:
    config = locations().config_file
    config.parent.mkdir(parents=True)
    config.write_text('[database]\nurl = "sqlite:////tmp/x.sqlite"\n')
    config.chmod(0o666)
    result = CliRunner().invoke(main, ["locate"])
    assert result.exit_code == 1
    assert "writable by other users" in result.output


def test_demo_builds_a_separate_database_once() -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--no-app"])
    assert first.exit_code == 0, first.output
    demo_file = locations().demo_database_file
    assert str(demo_file) in first.output
    assert not locations().database_file.exists()  # the real database is never touched
    again = runner.invoke(main, ["demo", "--no-app"])
    assert again.exit_code == 0
    unknown = runner.invoke(main, ["demo", "--no-app", "--as", "mallory"])
    assert unknown.exit_code == 1 and "erin" in unknown.output


def test_db_upgrade_and_current() -> None:
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"-> {migrate.head_revision()}" in upgraded.output
    current = runner.invoke(main, ["db", "current"])
    assert f"database: {migrate.head_revision()}" in current.output
    again = runner.invoke(main, ["db", "upgrade"])
    assert "already at" in again.output


def test_the_app_refuses_a_shared_schema_it_does_not_know(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
    monkeypatch.setenv("PAYAPP_DATABASE_URL", url)
    monkeypatch.setattr("tui.cli.missing_terminal", lambda: None)  # as in a real terminal
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 1
    assert "newer than this payapp" in result.output


def test_db_login_without_postgres_says_so() -> None:
    result = CliRunner().invoke(main, ["db", "login"])
    assert result.exit_code == 1 and "not PostgreSQL" in result.output


def test_g702_prints_the_lines_and_passes_a_consistent_sheet() -> None:
    result = CliRunner().invoke(main, ["g702", str(SHEETS / "official.csv"), "--retainage", "10",
                                       "--stored-retainage", "5",
                                       "--previous-certificates", "$36,000.00"])
    assert result.exit_code == 0, result.output
    assert "Current Payment Due" in result.output and "$17,047.85" in result.output


def test_g702_names_wrong_rows_and_totals_and_exits_non_zero() -> None:
    result = CliRunner().invoke(main, ["g702", str(SHEETS / "wrong.csv"), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["consistent"] is False
    assert report["discrepancies"], report


def test_g702_rejects_a_bad_rate_and_a_missing_file() -> None:
    bad = CliRunner().invoke(main, ["g702", str(SHEETS / "official.csv"), "--retainage", "1e1"])
    assert bad.exit_code == 2 and "exponent" in bad.output
    missing = CliRunner().invoke(main, ["g702", "/nonexistent/sheet.csv"])
    assert missing.exit_code == 2


def test_commands_on_a_fresh_home_migrate_the_local_file_as_the_app_does() -> None:
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 0, result.output
    assert migrate.current_revision(make_engine(
        f"sqlite:///{locations().database_file}")) == migrate.head_revision()
    again = CliRunner().invoke(main, ["audit", "verify"])
    assert again.exit_code == 0, again.output


def test_commands_refuse_a_schema_newer_than_theirs(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
    monkeypatch.setenv("PAYAPP_DATABASE_URL", url)
    for command in (["users", "list"], ["audit", "verify"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1 and "newer than this payapp" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_who_blocks_on_sqlite_says_why_it_has_nothing_to_show() -> None:
    result = CliRunner().invoke(main, ["db", "who-blocks"])
    assert result.exit_code == 1
    assert "local SQLite file" in result.output
