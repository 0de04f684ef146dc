# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""The database's own word on domain.md §3 "a new invoice on a commitment starts only when every
earlier one is approved" (migration 0012): an invoice inserted from psql, as the contact's own
login role, is refused while an earlier one is Draft, Under Review or Revise & Resubmit, with the
earlier invoice named; on SQLite the same rule is a trigger. (payapp's own refusal, in the
services: tests/test_retainage_rules.py.)

The demo: erin's invoice #3 on the electrical commitment is Revise & Resubmit.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from data.services.invoice_figures import COUNTS_AS_APPROVED
from tests.pg_people import (  # noqa: F401  (fixtures)
    ELECTRICAL,
    Psql,
    admin,
    demo_template,
    demo_url,
    psql,
)

REFUSED = "42501"  # insufficient_privilege: a workflow trigger said no

NEW_INVOICE = (
    "INSERT INTO invoice (commitment_id, period_id, position, status, invoice_type, "
    "invoice_number, billing_date, period_start, period_end, billing_type, created_by_id, "
    "created_at, version) VALUES (:c, :p, 4, 'draft', 'work_materials', '', '2026-12-02', "
    "'2026-12-01', '2026-12-31', 'progress', :u, CURRENT_TIMESTAMP, 1)"
)


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.begin() as connection:
        return connection.execute(text(sql), params).scalar_one()


def _december(engine: Engine) -> int:
    """A billing period after the demo's November, added by the system administrator."""
    project = _scalar(engine, "SELECT id FROM project")
    return int(_scalar(engine, "INSERT INTO billing_period (project_id, starts_on, ends_on, "
                               "due_on, status, version) VALUES (:p, '2026-12-01', "
                               "'2026-12-31', '2026-12-24', 'closed', 1) RETURNING id",
                       p=project))


def _new_invoice_params(engine: Engine) -> dict[str, int]:
    return {"c": _scalar(engine, "SELECT id FROM commitment WHERE number = :n", n=ELECTRICAL),
            "p": _december(engine),
            "u": _scalar(engine, "SELECT id FROM app_user WHERE login = 'erin'")}


def _set_current_status(engine: Engine, status: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE invoice SET status = :s WHERE position = 3 AND "
                                "commitment_id = (SELECT id FROM commitment WHERE number = :n)"),
                           {"s": status, "n": ELECTRICAL})


@pytest.mark.postgres
@pytest.mark.parametrize(("status", "label"), [("revise_resubmit", "Revise & Resubmit"),
                                               ("draft", "Draft"),
                                               ("under_review", "Under Review")])
def test_a_contact_cannot_start_an_invoice_from_psql_while_an_earlier_one_is_open(
        admin: Engine, psql: Psql, status: str, label: str) -> None:
    params = _new_invoice_params(admin)
    _set_current_status(admin, status)
    erin = psql("erin")
    with pytest.raises(DBAPIError, match=f"invoice #3 of this commitment is {label}; a new "
                                         "invoice starts only when every earlier one is "
                                         "approved") as caught, erin.begin() as connection:
        connection.execute(text(NEW_INVOICE), params)
    assert getattr(caught.value.orig, "sqlstate", None) == REFUSED
    assert _scalar(admin, "SELECT count(*) FROM invoice WHERE commitment_id = :c",
                   c=params["c"]) == 3


@pytest.mark.postgres
@pytest.mark.parametrize("status", ["approved", "approved_as_noted", "pending_owner"])
def test_once_every_earlier_invoice_is_approved_the_contact_may_start_the_next(
        admin: Engine, psql: Psql, status: str) -> None:
    params = _new_invoice_params(admin)
    _set_current_status(admin, status)
    with psql("erin").begin() as connection:
        connection.execute(text(NEW_INVOICE), params)
    assert _scalar(admin, "SELECT max(position) FROM invoice WHERE commitment_id = :c",
                   c=params["c"]) == 4


def test_sqlite_refuses_a_new_invoice_while_an_earlier_one_is_open(
        sqlite_demo_engine: Engine) -> None:
    params = _new_invoice_params(sqlite_demo_engine)
    with pytest.raises(IntegrityError, match="an earlier invoice of this commitment is not "
                                             "approved"), \
            sqlite_demo_engine.begin() as connection:
        connection.execute(text(NEW_INVOICE), params)
    _set_current_status(sqlite_demo_engine, "pending_owner")
    with sqlite_demo_engine.begin() as connection:
        connection.execute(text(NEW_INVOICE), params)


def test_the_migration_counts_the_same_statuses_as_approved_as_payapp() -> None:
    path = (Path(__file__).parents[1] / "data" / "migrations" / "versions"
            / "0012_one_open_invoice_per_commitment.py")
    spec = importlib.util.spec_from_file_location("revision_0012", path)
    assert spec is not None and spec.loader is not None
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    assert set(revision.APPROVED) == {status.value for status in COUNTS_AS_APPROVED}
