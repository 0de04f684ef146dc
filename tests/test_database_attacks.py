# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""What a person with a login can try from psql, and the database refusing it (migration 0004).

Each attack runs as the person's own role through plain SQL, the way psql would send it, and
checks that it did no harm: it is refused and the rows are as they were, or it went through
with the database's truth forced in (who did it, when) and an audit entry of what changed.
Where payapp has a service for the same thing, the service refuses it too.

The demo: erin (Coastline Electric) and dan (Bayside Concrete) are invoice contacts; pat is the
general contractor's invoice administrator; sam is support. Erin's invoices #1 and #2 are
approved and paid; #3 is Revise & Resubmit, the one she may still change.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from threading import Barrier
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from data.audit_chain import verify_database
from data.billing import Problem
from data.db import reading, writing
from data.models import Invoice, InvoiceStatus, Role
from data.refusals import Busy, Conflict, Invalid, NotAllowed
from data.roles import add_user
from data.services.actors import actor_for_login
from data.services.attachments import remove_attachment
from data.services.invoice_changes import GeneralInfo, LineEntry, change_status, save_lines
from data.services.invoice_figures import compute
from data.services.invoice_views import load_invoice
from data.wording import STATUS_LABELS
from data.workflow import CONTACT_EDITABLE, MOVES
from tests.pg_people import (  # noqa: F401  (fixtures)
    CONCRETE,
    ELECTRICAL,
    PEOPLE,
    Connect,
    Psql,
    admin,
    connect,
    demo_template,
    demo_url,
    psql,
    scratch_roles,
)
from tui.cli import main

pytestmark = pytest.mark.postgres

REFUSED = "42501"  # insufficient_privilege: a grant, or a workflow trigger, said no
UNCLEAN = "23514"  # check_violation: a clean-text constraint said no
SHA = "0" * 64


# --- plain SQL -------------------------------------------------------------------------------


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.begin() as connection:
        return connection.execute(text(sql), params).scalar_one()


def _rows(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.begin() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def _run(engine: Engine, sql: str, **params: Any) -> int:
    """Run a statement in its own transaction, committed; how many rows it touched."""
    with engine.begin() as connection:
        return connection.execute(text(sql), params).rowcount


def _refused(engine: Engine, sql: str, *, match: str, code: str = REFUSED, **params: Any) -> None:
    with pytest.raises(DBAPIError, match=match) as caught, engine.begin() as connection:
        connection.execute(text(sql), params)
    assert getattr(caught.value.orig, "sqlstate", None) == code, caught.value


def _table(admin: Engine, table: str, where: str = "true") -> list[dict[str, Any]]:
    """The rows as the superuser sees them, to compare before and after an attack."""
    return [row[0] for row in _rows(
        admin, f"SELECT to_jsonb(t) FROM {table} t WHERE {where} ORDER BY 1")]


def _entries_since(admin: Engine, mark: int) -> list[dict[str, Any]]:
    rows = _rows(admin, "SELECT action, entity, entity_id, actor_login, db_role, before, after "
                        "FROM audit_entry WHERE id > :m ORDER BY id", m=mark)
    return [{"action": a, "entity": e, "entity_id": i, "actor_login": who, "db_role": role,
             "before": json.loads(b) if b else None, "after": json.loads(af) if af else None}
            for a, e, i, who, role, b, af in rows]


def _audit_mark(admin: Engine) -> int:
    return int(_scalar(admin, "SELECT coalesce(max(id), 0) FROM audit_entry"))


def _verify(admin: Engine) -> None:
    with Session(admin) as session:
        verdict = verify_database(session)
    assert verdict.breaks == [] and verdict.unsealed == 0 and verdict.count > 100, verdict


@dataclass(frozen=True)
class Demo:
    erin_id: int
    pat_id: int
    paid: int  # erin's invoice #2: approved and paid, no longer her most recent
    current: int  # erin's invoice #3: Revise & Resubmit
    lines: dict[int, int]  # the current invoice's lines: SOV line id -> invoice line id
    dans_invite: int  # pending

    def set_status(self, admin: Engine, status: str) -> None:
        """Put erin's current invoice in `status`, as the system administrator can."""
        _run(admin, "UPDATE invoice SET status = :s WHERE id = :i", s=status, i=self.current)


@pytest.fixture
def demo(admin: Engine) -> Demo:
    users = dict(_rows(admin, "SELECT login, id FROM app_user"))
    invoices = [i for (i,) in _rows(
        admin, "SELECT i.id FROM invoice i JOIN commitment c ON c.id = i.commitment_id "
               "WHERE c.number = :n ORDER BY i.position", n=ELECTRICAL)]
    lines = dict(_rows(admin, "SELECT sov_line_id, id FROM invoice_line WHERE invoice_id = :i",
                       i=invoices[-1]))
    invite = _scalar(admin, "SELECT v.id FROM invite v JOIN commitment c "
                            "ON c.id = v.commitment_id WHERE c.number = :n", n=CONCRETE)
    return Demo(users["erin"], users["pat"], invoices[1], invoices[2], lines, invite)


def _save(engine: Engine, login: str, invoice_id: int, entries: dict[int, LineEntry],
          general: GeneralInfo | None = None) -> None:
    with writing(engine) as session:
        save_lines(session, actor_for_login(session, login), invoice_id, entries,
                   general=general)


# --- 1. a contact's own invoices -------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "revise_resubmit"])
def test_a_contact_cannot_approve_her_own_invoice(admin: Engine, psql: Psql, connect: Connect,
                                                  demo: Demo, status: str) -> None:
    demo.set_status(admin, status)
    before = _table(admin, "invoice")
    erin = psql("erin")
    label = STATUS_LABELS[InvoiceStatus(status)]
    for target in ("approved", "approved_as_noted", "pending_owner_approval",
                   "draft" if status != "draft" else "revise_resubmit"):
        _refused(erin, "UPDATE invoice SET status = :s WHERE id = :i", s=target, i=demo.current,
                 match=f"an invoice contact cannot move an invoice from {label} to")
    _refused(erin, "UPDATE invoice SET decided_at = now() WHERE id = :i", i=demo.current,
             match="the decision are the invoice administrator's to set")
    _refused(erin, "UPDATE invoice SET billing_type = 'final' WHERE id = :i", i=demo.current,
             match="the billing type")
    with pytest.raises(NotAllowed), writing(connect("erin")) as session:
        change_status(session, actor_for_login(session, "erin"), demo.current,
                      InvoiceStatus.APPROVED)
    assert _table(admin, "invoice") == before


def test_a_contact_cannot_change_an_approved_and_paid_invoice(admin: Engine, psql: Psql,
                                                              connect: Connect,
                                                              demo: Demo) -> None:
    demo.set_status(admin, "approved")  # now her most recent invoice is approved too
    tables = {t: _table(admin, t) for t in ("invoice", "invoice_line", "payment")}
    erin = psql("erin")
    _refused(erin, "UPDATE invoice_line SET work_cents = work_cents + 100000",
             match="can be changed")
    for invoice, why in ((demo.paid, "only the commitment's most recent invoice"),
                         (demo.current, "the invoice is Approved; it can be changed only in "
                                        "Draft or Revise & Resubmit")):
        _refused(erin, "UPDATE invoice_line SET work_cents = work_cents + 100000 "
                       "WHERE invoice_id = :i", i=invoice, match=why)
        _refused(erin, "UPDATE invoice SET status = 'draft' WHERE id = :i", i=invoice,
                 match="an invoice contact cannot move an invoice from Approved to Draft")
        _refused(erin, "UPDATE invoice SET invoice_number = 'INV-9' WHERE id = :i", i=invoice,
                 match=why)
    _refused(erin, "UPDATE invoice SET status = 'draft'", match="cannot move an invoice")
    # Payments are the administrator's: the policy hides them from a contact's UPDATE/DELETE.
    assert _run(erin, "UPDATE payment SET amount_cents = amount_cents * 2") == 0
    assert _run(erin, "DELETE FROM payment") == 0
    with pytest.raises(NotAllowed, match="can be changed only"):
        _save(connect("erin"), "erin", demo.current, {1: LineEntry(work=Decimal("99999.00"))})
    assert {t: _table(admin, t) for t in tables} == tables


def test_a_contact_cannot_review_her_own_lines_or_set_their_retainage(admin: Engine,
                                                                      psql: Psql,
                                                                      demo: Demo) -> None:
    before = _table(admin, "invoice_line")
    erin = psql("erin")
    where = "WHERE invoice_id = :i"
    _refused(erin, f"UPDATE invoice_line SET review = 'approved' {where}", i=demo.current,
             match="review marks are the invoice administrator's to set")
    _refused(erin, f"UPDATE invoice_line SET review = 'approved', review_comment = 'ok' "
                   f"{where} AND review = 'rejected'", i=demo.current,
             match="review marks are the invoice administrator's to set")
    _refused(erin, f"UPDATE invoice_line SET work_retainage_e4 = 0 {where}", i=demo.current,
             match="retainage rates are the invoice administrator's to set")
    _refused(erin, f"UPDATE invoice_line SET stored_retainage_e4 = 0 {where}", i=demo.current,
             match="retainage rates are the invoice administrator's to set")
    _refused(erin, "UPDATE invoice_line SET invoice_id = :p WHERE id = :l", p=demo.paid,
             l=demo.lines[1], match="stays on its invoice")
    assert _table(admin, "invoice_line") == before


def test_a_contact_cannot_bill_lines_from_outside_her_schedule(admin: Engine, psql: Psql,
                                                               demo: Demo) -> None:
    """A line on another company's SOV line, or on a change order nobody approved, is left out
    of the invoice's own figures but counts in every later "previous" column."""
    foreign = _scalar(admin, "SELECT min(s.id) FROM sov_line s JOIN commitment c "
                             "ON c.id = s.commitment_id WHERE c.number = :n", n=CONCRETE)
    unapproved = _scalar(admin, "SELECT s.id FROM sov_line s JOIN change_order o "
                                "ON o.id = s.change_order_id WHERE o.status = 'pending'")
    assert unapproved not in demo.lines
    before = _table(admin, "invoice_line")
    for sov_line in (foreign, unapproved):
        _refused(psql("erin"), "INSERT INTO invoice_line (invoice_id, sov_line_id, work_cents, "
                 "value_override, new_stored_cents, stored_installed_cents, work_retainage_e4, "
                 "stored_retainage_e4, release_requested_cents, retained_work_cents, "
                 "retained_stored_cents, released_work_cents, released_stored_cents, review, "
                 "review_comment, version) VALUES (:i, :s, -1000000, false, 0, 0, 100000, "
                 "100000, 0, 0, 0, 0, 0, 'pending', '', 1)", i=demo.current, s=sov_line,
                 match="its own commitment's schedule of values")
    assert _table(admin, "invoice_line") == before


def _attach(admin: Engine, invoice_id: int, uploaded_by: int) -> int:
    return int(_scalar(admin, "INSERT INTO attachment (invoice_id, sha256, original_name, "
                              "size_bytes, content_type, uploaded_by_id, uploaded_at) VALUES "
                              "(:i, :sha, 'lien-waiver.pdf', 10, 'application/pdf', :u, now()) "
                              "RETURNING id", i=invoice_id, sha=SHA, u=uploaded_by))


def test_a_contact_cannot_delete_lines_or_attachments_of_an_approved_invoice(
        admin: Engine, psql: Psql, connect: Connect, demo: Demo) -> None:
    on_paid = _attach(admin, demo.paid, demo.erin_id)
    demo.set_status(admin, "approved")
    on_current = _attach(admin, demo.current, demo.erin_id)
    tables = {t: _table(admin, t) for t in ("invoice", "invoice_line", "attachment")}
    erin = psql("erin")
    for invoice, attachment, why in (
            (demo.paid, on_paid, "only the commitment's most recent invoice"),
            (demo.current, on_current, "the invoice is Approved")):
        _refused(erin, "DELETE FROM invoice_line WHERE invoice_id = :i", i=invoice, match=why)
        _refused(erin, "DELETE FROM attachment WHERE id = :a", a=attachment, match=why)
        _refused(erin, "DELETE FROM invoice WHERE id = :i", i=invoice,
                 match="only an invoice administrator deletes an invoice, and only a Draft")
        with pytest.raises(NotAllowed), writing(connect("erin")) as session:
            remove_attachment(session, actor_for_login(session, "erin"), attachment)
    _refused(erin, "UPDATE attachment SET original_name = 'x.pdf' WHERE id = :a", a=on_current,
             match="never changed")
    demo.set_status(admin, "revise_resubmit")  # editable again: still no removing lines
    _refused(erin, "DELETE FROM invoice_line WHERE invoice_id = :i", i=demo.current,
             match="does not remove lines")
    tables["invoice"] = _table(admin, "invoice")
    assert {t: _table(admin, t) for t in tables} == tables


def test_who_did_it_is_the_database_login_not_what_the_client_says(admin: Engine, psql: Psql,
                                                                   demo: Demo) -> None:
    erin = psql("erin")
    mark = _audit_mark(admin)
    created_at = _scalar(admin, "SELECT created_at FROM invoice WHERE id = :i", i=demo.current)
    assert _run(erin, "UPDATE invoice SET created_by_id = :p, created_at = '2000-01-01' "
                      "WHERE id = :i", p=demo.pat_id, i=demo.current) == 1
    assert _rows(admin, "SELECT created_by_id, created_at FROM invoice WHERE id = :i",
                 i=demo.current) == [(demo.erin_id, created_at)]
    _refused(erin, "UPDATE invoice SET created_by_id = :p WHERE id = :i", p=demo.pat_id,
             i=demo.paid, match="only the commitment's most recent invoice")
    attachment = _scalar(erin, "INSERT INTO attachment (invoice_id, sha256, original_name, "
                               "size_bytes, content_type, uploaded_by_id, uploaded_at) VALUES "
                               "(:i, :sha, 'from-pat.pdf', 10, 'application/pdf', :p, "
                               "'2000-01-01') RETURNING id", i=demo.current, sha=SHA,
                         p=demo.pat_id)
    uploaded_by, year = _rows(admin, "SELECT uploaded_by_id, extract(year FROM uploaded_at) "
                                     "FROM attachment WHERE id = :a", a=attachment)[0]
    assert uploaded_by == demo.erin_id and year > 2000
    entries = _entries_since(admin, mark)
    assert [(e["action"], e["entity"], e["entity_id"], e["actor_login"], e["db_role"])
            for e in entries] == [
        ("database update", "invoice", demo.current, "erin", "erin"),
        ("database insert", "attachment", attachment, "erin", "erin")]
    assert entries[0]["before"] == entries[0]["after"] == {}  # nothing it asked for stuck
    assert entries[1]["after"]["uploaded_by_id"] == demo.erin_id
    _verify(admin)


def test_who_saved_last_is_the_database_login_not_what_the_client_says(
        admin: Engine, psql: Psql, connect: Connect, demo: Demo) -> None:
    """The name a person sees after losing a save race comes from the database's login."""
    saved_by = "SELECT updated_by_id FROM invoice WHERE id = :i"
    before = _scalar(admin, saved_by, i=demo.current)
    erin = psql("erin")
    _run(erin, "UPDATE invoice SET updated_by_id = :p WHERE id = :i", p=demo.pat_id,
         i=demo.current)
    assert _scalar(admin, saved_by, i=demo.current) == before  # nothing saved: kept
    _run(erin, "UPDATE invoice SET updated_by_id = :p, version = version + 1 WHERE id = :i",
         p=demo.pat_id, i=demo.current)
    assert _scalar(admin, saved_by, i=demo.current) == demo.erin_id  # a save: hers

    sov_line = next(iter(demo.lines))
    _save(connect("pat"), "pat", demo.current, {sov_line: LineEntry(work=Decimal("10.00"))})
    assert _scalar(admin, saved_by, i=demo.current) == demo.pat_id
    with reading(connect("erin")) as session:
        seen = load_invoice(session, actor_for_login(session, "erin"), demo.current)
    assert seen.last_saved_by == "Pat Morales"


def test_a_contact_answers_an_invite_but_cannot_rewrite_it(admin: Engine, psql: Psql,
                                                           demo: Demo) -> None:
    before = _table(admin, "invite")
    dan = psql("dan")
    for change in ("invite_type = 'work_materials_retainage'",
                   "period_id = (SELECT min(id) FROM billing_period)",
                   f"invited_by_id = {demo.erin_id}", "sent_at = '2000-01-01'"):
        _refused(dan, f"UPDATE invite SET {change} WHERE id = :v", v=demo.dans_invite,
                 match="an invite's commitment, period, type and sender stay as they were sent")
    _refused(dan, "DELETE FROM invite WHERE id = :v", v=demo.dans_invite,
             match="only an invoice administrator sends or withdraws invites")
    _refused(dan, "INSERT INTO invite (commitment_id, period_id, invite_type, invited_by_id, "
                  "sent_at, response, version) SELECT commitment_id, "
                  "(SELECT min(id) FROM billing_period), invite_type, invited_by_id, now(), "
                  "'pending', 1 FROM invite WHERE id = :v", v=demo.dans_invite,
             match="only an invoice administrator sends or withdraws invites")
    assert _table(admin, "invite") == before
    # What is his to do goes through, and is audited.
    mark = _audit_mark(admin)
    assert _run(dan, "UPDATE invite SET response = 'no', responded_at = now() WHERE id = :v",
                v=demo.dans_invite) == 1
    [entry] = _entries_since(admin, mark)
    assert (entry["action"], entry["entity"], entry["entity_id"], entry["db_role"]) == (
        "database update", "invite", demo.dans_invite, "dan")
    assert entry["before"] == {"response": "pending", "responded_at": None}
    assert set(entry["after"]) == {"response", "responded_at"}


def test_a_contacts_psql_edit_is_audited_with_only_what_changed(admin: Engine, psql: Psql,
                                                                demo: Demo) -> None:
    demo.set_status(admin, "draft")
    line = demo.lines[1]
    work = _scalar(admin, "SELECT work_cents FROM invoice_line WHERE id = :l", l=line)
    mark = _audit_mark(admin)
    assert _run(psql("erin"), "UPDATE invoice_line SET work_cents = work_cents + 12345 "
                              "WHERE id = :l", l=line) == 1
    assert _entries_since(admin, mark) == [{
        "action": "database update", "entity": "invoice_line", "entity_id": line,
        "actor_login": "erin", "db_role": "erin",
        "before": {"work_cents": work}, "after": {"work_cents": work + 12345}}]
    _verify(admin)


def test_the_guards_cannot_be_switched_off(psql: Psql) -> None:
    for login in ("erin", "pat"):
        person = psql(login)
        _refused(person, "SET session_replication_role = replica", match="permission denied")
        _refused(person, "ALTER TABLE invoice DISABLE TRIGGER invoice_guard",
                 match="must be owner")
        _refused(person, "DROP TRIGGER invoice_audit ON invoice", match="must be owner")
        _refused(person, "CREATE FUNCTION payapp_is_maintainer() RETURNS boolean "
                         "LANGUAGE sql AS 'SELECT true'", match="permission denied|exists")
        _refused(person, "DELETE FROM workflow_move", match="permission denied")
        _refused(person, "INSERT INTO workflow_move VALUES ('approved', 'draft', 'contact')",
                 match="permission denied")


# --- 2. nobody stalls anybody's save ---------------------------------------------------------


def test_only_the_sealing_function_touches_the_chain_head(psql: Psql) -> None:
    for login in ("erin", "dan", "sam"):
        person = psql(login)
        for statement in ("LOCK TABLE audit_chain_head",
                          "LOCK TABLE audit_chain_head IN ACCESS SHARE MODE",
                          "SELECT * FROM audit_chain_head FOR UPDATE",
                          "SELECT * FROM audit_chain_head",
                          "UPDATE audit_chain_head SET hash = ''",
                          # the tables every save writes: nobody locks them against writers
                          "LOCK TABLE audit_entry IN SHARE MODE",
                          "LOCK TABLE outbox_email IN SHARE MODE",
                          "SELECT * FROM audit_entry FOR UPDATE",
                          "SELECT * FROM app_user FOR SHARE"):
            _refused(person, statement, match="permission denied")


def test_nothing_a_person_holds_on_the_audit_chain_stalls_a_save(admin: Engine, psql: Psql,
                                                                 connect: Connect,
                                                                 demo: Demo) -> None:
    line = demo.lines[2]
    with psql("dan").connect() as dan, psql("sam").connect() as sam:
        dan.execute(text("SELECT pg_advisory_lock(hashtext('payapp_audit_chain'))"))
        dan.execute(text("SELECT pg_advisory_xact_lock(hashtext('payapp_audit_chain'))"))
        assert dan.execute(text("SELECT payapp_audit_seal()")).scalar_one() >= 0
        assert sam.execute(text("SELECT payapp_audit_seal()")).scalar_one() == -1  # skips
        # Both stay in their open transactions while erin saves.
        started = time.monotonic()
        _save(connect("erin"), "erin", demo.current, {2: LineEntry(work=Decimal("1234.56"))})
        took = time.monotonic() - started
        assert took < 2.0, f"the save waited {took:.1f} s"
        assert _scalar(admin, "SELECT count(*) FROM audit_entry WHERE position IS NULL") > 0
        dan.rollback()
        sam.rollback()
        dan.execute(text("SELECT pg_advisory_unlock_all()"))
    assert _scalar(admin, "SELECT work_cents FROM invoice_line WHERE id = :l", l=line) == 123456
    _verify(admin)


def test_a_table_lock_makes_a_save_say_busy_not_hang(admin: Engine, psql: Psql,
                                                     connect: Connect, demo: Demo) -> None:
    tables = {t: _table(admin, t) for t in ("invoice", "invoice_line")}
    mark = _audit_mark(admin)
    erin = connect("erin", lock_timeout_ms=500)
    with psql("dan").connect() as dan:
        dan.execute(text("LOCK TABLE invoice IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with pytest.raises(Busy) as caught:
            _save(erin, "erin", demo.current, {2: LineEntry(work=Decimal("1234.56"))})
        took = time.monotonic() - started
        dan.rollback()
    assert str(caught.value).startswith("the database is busy"), caught.value
    assert took < 2.0, f"the save waited {took:.1f} s"
    assert {t: _table(admin, t) for t in tables} == tables
    assert _audit_mark(admin) == mark


# --- 3. many people at once ------------------------------------------------------------------


def test_twenty_people_saving_at_once_keep_the_chain_whole(
        admin: Engine, connect: Connect, demo: Demo, demo_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Erin and pat, the administrator, save her current invoice, ten lines each (every earlier
    # invoice is paid: its figures no longer change).
    jobs: list[tuple[str, int, int, int]] = []
    lines = sorted(demo.lines)
    assert len(lines) >= 20
    for n in range(10):
        jobs.append(("erin", demo.current, lines[n], 100_00 + n))
        jobs.append(("pat", demo.current, lines[10 + n], 200_00 + n))
    engines = [connect(login) for login, *_ in jobs]
    start = Barrier(len(jobs))

    def save(engine: Engine, login: str, invoice_id: int, sov_line: int, cents: int) -> int:
        start.wait()
        for attempt in range(1, 60):
            try:
                _save(engine, login, invoice_id, {sov_line: LineEntry(work=Decimal(cents) / 100)})
            except (Conflict, Busy):  # someone saved the same invoice first: save again
                continue
            return attempt
        raise AssertionError(f"{login} could not save invoice {invoice_id}")

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(save, engine, *job) for engine, job in zip(engines, jobs,
                                                                         strict=True)]
        attempts = [f.result(timeout=60) for f in futures]
    assert len(attempts) == 20
    for _login, invoice_id, sov_line, cents in jobs:
        assert _scalar(admin, "SELECT work_cents FROM invoice_line WHERE invoice_id = :i "
                              "AND sov_line_id = :s", i=invoice_id, s=sov_line) == cents
    _verify(admin)
    assert _scalar(admin, "SELECT count(*) FROM audit_entry WHERE position IS NULL") == 0
    assert _scalar(admin, "SELECT count(DISTINCT position) = count(*) AND max(position) = "
                          "count(*) FROM audit_entry")
    monkeypatch.setenv("PAYAPP_DATABASE_URL", demo_url)
    verified = CliRunner().invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and "the chain is intact" in verified.output, verified.output


# --- 4. the outbox and the audit trail -------------------------------------------------------


@pytest.mark.parametrize("how", ["payapp", "psql"])
def test_sending_queues_one_email_per_active_administrator_and_nobody_else_writes_one(
        admin: Engine, psql: Psql, connect: Connect, demo: Demo, how: str) -> None:
    erin = psql("erin")
    outbox = _table(admin, "outbox_email")
    _refused(erin, "INSERT INTO outbox_email (created_at, kind, invoice_id, to_address, to_name, "
                   "subject, body, attempts, last_error) VALUES (now(), 'invoice_under_review', "
                   ":i, 'mallory@example.com', 'Mallory', 'Pay now', 'x', 0, '')",
             i=demo.current, match="permission denied")
    _refused(erin, "UPDATE outbox_email SET to_address = 'mallory@example.com'",
             match="permission denied")
    _refused(erin, "DELETE FROM outbox_email", match="permission denied")
    assert _table(admin, "outbox_email") == outbox
    # A second administrator of the project, and one who has left.
    with admin.begin() as c:
        for login in ("alex", "sam"):
            c.execute(text("INSERT INTO project_administrator (project_id, user_id) "
                           "SELECT project_id, (SELECT id FROM app_user WHERE login = :l) "
                           "FROM commitment WHERE number = :n"), {"l": login, "n": ELECTRICAL})
        c.execute(text("UPDATE app_user SET active = false WHERE login = 'sam'"))
    last = _scalar(admin, "SELECT max(id) FROM outbox_email")
    if how == "payapp":
        with writing(connect("erin")) as session:
            change_status(session, actor_for_login(session, "erin"), demo.current,
                          InvoiceStatus.UNDER_REVIEW)
    else:
        _run(erin, "UPDATE invoice SET status = 'under_review' WHERE id = :i", i=demo.current)
    queued = _rows(admin, "SELECT invoice_id, to_address, to_name, subject, body, kind "
                          "FROM outbox_email WHERE id > :m ORDER BY id", m=last)
    body = "\n".join([
        "Coastline Electric Co. sent invoice #3 for review.",
        "",
        "Project: 2417 Mission Bay Medical Office Building",
        "Commitment: SC-2417-016 Electrical",
        "Period: Nov 01, 2026 to Nov 30, 2026",
        "Sent by: Erin Walsh",
        "",
        "Open payapp to review it.",
    ])
    subject = "Invoice #3 for SC-2417-016 Electrical is ready for review"
    assert queued == [
        (demo.current, "pat@harborpoint.example", "Pat Morales", subject, body,
         "invoice_under_review"),
        (demo.current, "alex@harborpoint.example", "Alex Chen", subject, body,
         "invoice_under_review")]


def test_a_forged_audit_entry_names_who_really_wrote_it(admin: Engine, psql: Psql) -> None:
    entry = _scalar(psql("erin"), "INSERT INTO audit_entry (at, actor_login, db_role, action, "
                                  "entity, before, after, position, prev_hash, hash) VALUES "
                                  "('2000-01-01', 'pat', 'pat', 'approve', 'invoice', '', '', "
                                  "1, 'x', 'y') RETURNING id")
    assert _rows(admin, "SELECT actor_login, db_role, position, extract(year FROM at) > 2000 "
                        "FROM audit_entry WHERE id = :e", e=entry) == [("erin", "erin", None,
                                                                        True)]
    _verify(admin)


def test_nobody_can_take_the_ids_of_rows_other_people_will_write(admin: Engine, psql: Psql,
                                                                 connect: Connect,
                                                                 demo: Demo) -> None:
    """Rows with ids picked ahead of the sequence would make everybody's next saves fail."""
    top = _audit_mark(admin)
    erin = psql("erin")
    _run(erin, "INSERT INTO audit_entry (id, at, actor_login, action, entity, before, after) "
               "SELECT g, now(), 'erin', 'note', 'x', '', '' "
               "FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g",
         a=top + 1, b=top + 300)
    attachments = _scalar(admin, "SELECT coalesce(max(id), 0) FROM attachment")
    _run(erin, "INSERT INTO attachment (id, invoice_id, sha256, original_name, size_bytes, "
               "content_type, uploaded_by_id, uploaded_at) SELECT g, :i, :sha, 'x.pdf', 1, "
               "'application/pdf', 1, now() "
               "FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g",
         i=demo.current, sha=SHA, a=attachments + 1, b=attachments + 50)
    _save(connect("pat"), "pat", demo.current, {2: LineEntry(work=Decimal("10.00"))})
    _attach(admin, demo.current, demo.pat_id)
    _scalar(psql("pat"), "INSERT INTO attachment (invoice_id, sha256, original_name, size_bytes, "
                         "content_type, uploaded_by_id, uploaded_at) VALUES (:i, :sha, "
                         "'y.pdf', 1, 'application/pdf', 1, now()) RETURNING id",
            i=demo.current, sha=SHA)
    _verify(admin)


@pytest.mark.parametrize("decision", ["approved", "approved_as_noted",
                                      "pending_owner"])
def test_retainage_a_contact_erased_from_psql_is_recomputed_when_approved(
        admin: Engine, psql: Psql, connect: Connect, demo: Demo, decision: str) -> None:
    """payapp's save stores each line's retainage as a contact, so the database lets a contact
    write those columns while the invoice is hers; the decision computes them again."""
    figures = ("SELECT id, retained_work_cents, retained_stored_cents, released_work_cents, "
               "released_stored_cents FROM invoice_line WHERE invoice_id = :i ORDER BY id")
    truth = _rows(admin, figures, i=demo.current)
    erased = {row[0] for row in truth if row[1] or row[2]}
    assert erased, "the demo's current invoice retains something"
    with psql("erin").begin() as c:
        c.execute(text("UPDATE invoice_line SET retained_work_cents = 0, "
                       "retained_stored_cents = 0 WHERE invoice_id = :i"), {"i": demo.current})
        c.execute(text("UPDATE invoice SET status = 'under_review' WHERE id = :i"),
                  {"i": demo.current})
    assert _rows(admin, figures, i=demo.current) != truth
    mark = _audit_mark(admin)
    with writing(connect("pat")) as session:
        change_status(session, actor_for_login(session, "pat"), demo.current,
                      InvoiceStatus(decision))
    assert _rows(admin, figures, i=demo.current) == truth
    entries = _entries_since(admin, mark)
    [decided] = [e for e in entries if e["entity"] == "invoice"
                 and not e["action"].startswith("database")]
    assert decided["actor_login"] == "pat"
    assert {int(i) for i in decided["before"]["retainage"]} == erased
    assert all(figures["retained_work_cents"] == figures["retained_stored_cents"] == 0
               for figures in decided["before"]["retainage"].values())
    assert {int(i): tuple(f[k] for k in ("retained_work_cents", "retained_stored_cents",
                                         "released_work_cents", "released_stored_cents"))
            for i, f in decided["after"]["retainage"].items()} == {
        row[0]: row[1:] for row in truth if row[0] in erased}
    assert {e["entity_id"] for e in entries if e["action"] == "database update"
            and e["entity"] == "invoice_line"} == erased
    _verify(admin)


# --- a send from psql is a send ----------------------------------------------------------------

SUBMITTED = "SELECT submitted_at FROM invoice WHERE id = :i"
MARKS = ("SELECT id, review, review_comment, version FROM invoice_line WHERE invoice_id = :i "
         "AND (review <> 'pending' OR review_comment <> '') ORDER BY id")


def test_only_a_send_stamps_submitted_at_and_the_database_keeps_the_time(
        admin: Engine, psql: Psql, demo: Demo) -> None:
    erin = psql("erin")
    sent = _scalar(admin, SUBMITTED, i=demo.current)
    assert sent is not None  # the demo sent it once, before it came back for revision
    assert _run(erin, "UPDATE invoice SET submitted_at = '2000-01-01' WHERE id = :i",
                i=demo.current) == 1
    assert _run(erin, "UPDATE invoice SET submitted_at = NULL WHERE id = :i",
                i=demo.current) == 1
    assert _scalar(admin, SUBMITTED, i=demo.current) == sent
    with erin.begin() as c:
        c.execute(text("UPDATE invoice SET status = 'under_review', submitted_at = '2000-01-01' "
                       "WHERE id = :i"), {"i": demo.current})
        now = c.execute(text("SELECT now()")).scalar_one()
    assert _scalar(admin, SUBMITTED, i=demo.current) == now > sent
    # The administrator's moves keep it too.
    _run(psql("pat"), "UPDATE invoice SET status = 'revise_resubmit', submitted_at = NULL "
                      "WHERE id = :i", i=demo.current)
    assert _scalar(admin, SUBMITTED, i=demo.current) == now


@pytest.mark.parametrize("how", ["payapp", "psql"])
def test_a_send_is_refused_from_psql_where_payapp_refuses_it(
        admin: Engine, psql: Psql, connect: Connect, demo: Demo, how: str) -> None:
    """A project that forbids overbilling: erin bills past two lines' scheduled values from psql
    (payapp's save would have refused), then sends."""
    sov = dict(_rows(admin, "SELECT s.item_no, s.id FROM sov_line s JOIN commitment c "
                            "ON c.id = s.commitment_id WHERE c.number = :n", n=ELECTRICAL))
    _run(admin, "UPDATE project SET overbilling_allowed = false")
    erin = psql("erin")
    # CCO 001's 26.1 one cent past its value; line 3's stored materials past its value.
    _run(erin, "UPDATE invoice_line SET work_cents = (SELECT scheduled_value_cents + 1 "
               "FROM sov_line WHERE id = :s) WHERE invoice_id = :i AND sov_line_id = :s",
         i=demo.current, s=sov["26.1"])
    _run(erin, "UPDATE invoice_line SET new_stored_cents = (SELECT 2 * scheduled_value_cents "
               "FROM sov_line WHERE id = :s) WHERE invoice_id = :i AND sov_line_id = :s",
         i=demo.current, s=sov["3"])
    tables = {t: _table(admin, t) for t in ("invoice", "invoice_line", "outbox_email")}
    mark = _audit_mark(admin)
    why = ("this project does not allow overbilling; lines billed past their scheduled value: "
           "3, 26.1")
    if how == "payapp":
        with pytest.raises(Invalid) as refused, writing(connect("erin")) as session:
            change_status(session, actor_for_login(session, "erin"), demo.current,
                          InvoiceStatus.UNDER_REVIEW)
        assert str(refused.value) == why
    else:
        _refused(erin, "UPDATE invoice SET status = 'under_review' WHERE id = :i",
                 i=demo.current, match=re.escape(why) + "\n")
    assert {t: _table(admin, t) for t in tables} == tables
    assert _audit_mark(admin) == mark
    # Within its value again, the send goes through.
    _run(erin, "UPDATE invoice_line SET work_cents = work_cents - 1, new_stored_cents = 0 "
               "WHERE invoice_id = :i AND sov_line_id IN (:a, :b)",
         i=demo.current, a=sov["26.1"], b=sov["3"])
    _run(erin, "UPDATE invoice SET status = 'under_review' WHERE id = :i", i=demo.current)
    assert _scalar(admin, "SELECT status FROM invoice WHERE id = :i",
                   i=demo.current) == "under_review"


@pytest.mark.parametrize("how", ["payapp", "psql"])
def test_a_resubmission_starts_a_new_review_and_the_audit_keeps_the_old_marks(
        admin: Engine, psql: Psql, connect: Connect, demo: Demo, how: str) -> None:
    # The demo's line 7 is rejected with a comment; pat approved line 1 too, with a note.
    _run(psql("pat"), "UPDATE invoice_line SET review = 'approved', review_comment = 'ok' "
                      "WHERE id = :l", l=demo.lines[1])
    old = _rows(admin, MARKS, i=demo.current)
    assert sorted(review for _id, review, _comment, _version in old) == ["approved",
                                                                         "rejected"]
    mark = _audit_mark(admin)
    if how == "payapp":
        with writing(connect("erin")) as session:
            change_status(session, actor_for_login(session, "erin"), demo.current,
                          InvoiceStatus.UNDER_REVIEW)
    else:
        _run(psql("erin"), "UPDATE invoice SET status = 'under_review' WHERE id = :i",
             i=demo.current)
    assert _scalar(admin, "SELECT status FROM invoice WHERE id = :i",
                   i=demo.current) == "under_review"
    assert _rows(admin, MARKS, i=demo.current) == []
    entries = _entries_since(admin, mark)
    kept = {e["entity_id"]: e["before"] for e in entries
            if e["action"] == "database update" and e["entity"] == "invoice_line"}
    assert kept == {line: {"review": review, "review_comment": comment, "version": version}
                    for line, review, comment, version in old}
    assert all(e["db_role"] == "erin" for e in entries)
    if how == "payapp":  # payapp's own entry of the send says it too
        [sent] = [e for e in entries if e["action"] == "send"]
        assert sent["before"]["review_marks"] == {
            str(line): {"review": review, "review_comment": comment}
            for line, review, comment, _version in old}
    # Erin still cannot set a mark herself.
    demo.set_status(admin, "revise_resubmit")
    _refused(psql("erin"), "UPDATE invoice_line SET review = 'approved' WHERE id = :l",
             l=demo.lines[1], match="review marks are the invoice administrator's to set")
    _verify(admin)


# --- 5. clean text ---------------------------------------------------------------------------

CONTROL_TEXTS = {
    "clear screen": "INV\x1b[2J",
    "alternate screen": "INV\x1b[?1049l",
    "clipboard write": "INV\x1b]52;c;cm0gLXJmIH4K\x07",
    "C1 CSI": "INV\x9b2J",
    "right-to-left override": "INV\u202e1234",
    "bell": "INV\x07",
}


@pytest.mark.parametrize("bad", list(CONTROL_TEXTS.values()), ids=list(CONTROL_TEXTS))
def test_a_contact_cannot_store_control_characters(admin: Engine, psql: Psql, connect: Connect,
                                                   demo: Demo, bad: str) -> None:
    demo.set_status(admin, "draft")
    before = _table(admin, "invoice")
    _refused(psql("erin"), "UPDATE invoice SET invoice_number = :t WHERE id = :i", t=bad,
             i=demo.current, code=UNCLEAN, match="ck_invoice_invoice_number_clean")
    with pytest.raises(Invalid, match="control character"):
        _save(connect("erin"), "erin", demo.current, {},
              general=GeneralInfo(invoice_number=bad))
    _refused(psql("erin"), "INSERT INTO attachment (invoice_id, sha256, original_name, "
                           "size_bytes, content_type, uploaded_by_id, uploaded_at) VALUES "
                           "(:i, :sha, :t, 1, 'application/pdf', 1, now())", i=demo.current,
             sha=SHA, t=bad + ".pdf", code=UNCLEAN, match="ck_attachment_original_name_clean")
    assert _table(admin, "invoice") == before


@pytest.mark.parametrize("bad", ["Feeders\x1b[?1049l", "Feeders \u202eredacted",
                                 "Feeders\x1b]52;c;cm0gLXJmIH4K\x07"],
                         ids=["alternate screen", "right-to-left override", "clipboard write"])
def test_an_administrator_cannot_store_control_characters_either(admin: Engine, psql: Psql,
                                                                 demo: Demo, bad: str) -> None:
    pat = psql("pat")
    sov_lines = _table(admin, "sov_line")
    _refused(pat, "UPDATE sov_line SET description = :t WHERE id = 1", t=bad, code=UNCLEAN,
             match="ck_sov_line_description_clean")
    _refused(pat, "UPDATE invoice_line SET review_comment = :t WHERE id = :l", t=bad,
             l=demo.lines[1], code=UNCLEAN, match="ck_invoice_line_review_comment_clean")
    assert _table(admin, "sov_line") == sov_lines
    # A comment may run over several lines.
    assert _run(pat, "UPDATE invoice_line SET review_comment = :t WHERE id = :l",
                t="Bill the feeders\nnext month.", l=demo.lines[1]) == 1


# --- 6. who may connect ----------------------------------------------------------------------


def test_only_payapp_people_connect_once_public_connect_is_revoked(
        admin: Engine, psql: Psql, demo_url: str, scratch_roles: list[str]) -> None:
    database = make_url(demo_url).database
    _run(admin, f'REVOKE CONNECT ON DATABASE "{database}" FROM PUBLIC')
    newcomer, stranger = (f"payapp_t_{uuid.uuid4().hex[:8]}" for _ in range(2))
    scratch_roles.extend([newcomer, stranger])
    add_user(admin, newcomer, company="Sierra Glazing",
             roles=frozenset({Role.INVOICE_CONTACT}))
    _run(admin, f'CREATE ROLE "{stranger}" LOGIN')
    assert _scalar(psql(newcomer), "SELECT session_user") == newcomer
    with pytest.raises(OperationalError, match="permission denied for database"):
        _scalar(psql(stranger), "SELECT 1")
    for login in PEOPLE:
        assert _scalar(psql(login), "SELECT session_user") == login


# --- 7. one workflow -------------------------------------------------------------------------


def test_the_databases_overbilling_is_data_billings(admin: Engine, demo: Demo) -> None:
    """migration 0005's payapp_overbilled_items against payapp's figures, on every invoice of
    the demo (amount-based and unit-based lines, change orders, stored materials, previous
    invoices), after pushing some lines past their value and some below zero."""
    _run(admin, "UPDATE invoice_line SET work_cents = CASE id % 4 "
                "WHEN 0 THEN work_cents * 40 WHEN 1 THEN -work_cents * 40 ELSE work_cents END, "
                "new_stored_cents = CASE WHEN id % 5 = 0 THEN 50000000 ELSE new_stored_cents END")
    invoices = [i for (i,) in _rows(admin, "SELECT id FROM invoice ORDER BY id")]
    overbilled = 0
    with Session(admin) as session:
        for invoice_id in invoices:
            invoice = session.get(Invoice, invoice_id)
            assert invoice is not None
            over = compute(session, invoice).result.problem_lines(Problem.OVERBILLED)
            said = session.execute(text("SELECT payapp_overbilled_items(i) FROM invoice i "
                                        "WHERE id = :i"), {"i": invoice_id}).scalar_one()
            assert said == (", ".join(r.line.item_no for r in over) or None), invoice_id
            overbilled += len(over)
    assert overbilled > len(invoices)


def test_the_databases_workflow_is_data_workflow(admin: Engine) -> None:
    assert set(_rows(admin, "SELECT source, target, standing FROM workflow_move")) == {
        (m.source.value, m.target.value, s.value) for m in MOVES for s in m.by}
    assert set(_rows(admin, "SELECT status FROM workflow_status "
                            "WHERE rule = 'contact_editable'")) == {
        (s.value,) for s in CONTACT_EDITABLE}
    assert dict(_rows(admin, "SELECT status, label FROM workflow_status "
                             "WHERE rule = 'label'")) == {
        s.value: label for s, label in STATUS_LABELS.items()}
    assert set(_rows(admin, "SELECT DISTINCT rule FROM workflow_status")) == {
        ("contact_editable",), ("label",)}

