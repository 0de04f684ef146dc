# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""Support's view (issue 11, item 4): sam finds any invoice by project, commitment, company,
number or status, reads it in read-only mode, reads and exports its history, and changes
nothing: not in the app, not through payapp's services, not in psql as his own role."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, func, select

from data import services
from data.audit_chain import verify_database
from data.billing import Method
from data.db import reading, writing
from data.demo import DEMO_PROJECT_NUMBER
from data.file_folders import folders_for
from data.models import (
    AuditEntry,
    ChangeOrder,
    ChangeOrderKind,
    ChangeOrderStatus,
    InviteType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineReview,
)
from data.period_schedule import Cadence
from data.refusals import Refusal
from data.services import (
    attachments,
    billing_periods,
    change_orders,
    commitment_history,
    commitment_setup,
    invites,
)
from data.services import invoice_changes as changes
from data.services.actors import Actor, actor_for_login
from data.services.bulk_status import change_statuses
from data.services.home import InvoiceRow, home_for
from data.services.invoice_history import invoice_history
from data.services.invoice_review import mark_lines
from data.services.invoice_views import load_invoice
from data.services.payment_holds import release_hold
from data.services.payments import record_payment
from data.wording import STATUS_LABELS
from tests.conftest import DEMO_TODAY
from tests.invoice_pilot import make_app, message, screen_text, send_erins_resubmission, settle, top
from tests.pg_people import (  # noqa: F401  (fixtures)
    CONCRETE,
    ELECTRICAL,
    Connect,
    Psql,
    admin,
    connect,
    demo_template,
    demo_url,
    invoice_ids,
    psql,
)
from tests.test_home_find import _find
from tui.dialogs import Report
from tui.screens.invoice import InvoiceScreen

# --- 1. in the app: find, read, history; nothing to change -----------------------------------

Row = tuple[str, int, str]  # commitment number, invoice #, status, as the Invoices tab draws it
ROW = re.compile(r"(SC-\d{4}-\d{3})\b.*?\s(\d{1,3})\s+[A-Z][a-z]{2} \d{2}")


def _rows_drawn(app: Any) -> set[Row]:
    """The Invoices tab's rows, read from the screen (the line under the list has `·`)."""
    rows: set[Row] = set()
    for line in screen_text(app).splitlines():
        found = ROW.search(line)
        if found and "·" not in line:
            shown = max((s for s in STATUS_LABELS.values() if s in line), key=len)
            rows.add((found[1], int(found[2]), shown))
    return rows


def _audit_count(engine: Engine) -> int:
    with reading(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


async def test_support_finds_reads_and_exports_an_invoices_history_and_changes_nothing(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    with reading(engine) as session:
        every = home_for(session, actor_for_login(session, "sam"), today=DEMO_TODAY).invoices
    assert len(every) == 5

    def rows(wanted: Callable[[InvoiceRow], bool]) -> set[Row]:
        return {(r.commitment_number, r.position, r.status) for r in every if wanted(r)}

    searches: list[tuple[str, Callable[[InvoiceRow], bool]]] = [
        ("coastline", lambda r: r.company == "Coastline Electric Co."),  # a company
        ("2417 medical", lambda r: r.project.startswith("2417 Mission Bay Medical")),  # project
        ("2418", lambda r: False),  # another project's number: nothing
        (CONCRETE, lambda r: r.commitment_number == CONCRETE),  # a commitment
        ("invoice #2", lambda r: r.position == 2),  # an invoice's number
        ("revise", lambda r: r.status == "Revise & Resubmit"),  # a status
    ]
    app = make_app(engine, "sam")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        trail = _audit_count(engine)
        # Home's writing keys: answering an invite, starting an invoice. Not offered; Enter on
        # a commitment starts an invoice, and payapp says why it will not.
        await pilot.press("c", "b", "enter")
        await settle(pilot)
        assert [n.message for n in app._notifications] == [
            "Starting the invoice: only an invoice contact or an invoice administrator creates "
            "invoices"]
        await pilot.press("i", "y", "n")
        await settle(pilot)
        assert not re.search(r"\by Yes|\bn No|\bb Bill", screen_text(app).splitlines()[-1])
        await pilot.press("v")
        await settle(pilot)
        assert _rows_drawn(app) == rows(lambda r: True) and _audit_count(engine) == trail
        for words, wanted in searches:
            await _find(pilot, words)
            expected = rows(wanted)
            assert _rows_drawn(app) == expected, words
            count = "5" if len(expected) == 5 else f"{len(expected)} of 5"
            assert f"Invoices ({count})" in screen_text(app), words
        assert rows(searches[-1][1]) == {(ELECTRICAL, 3, "Revise & Resubmit")}

        await pilot.press("enter")  # the one row found: erin's invoice #3, sent back to her
        await settle(pilot)
        screen = top(app)
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert (screen.view.commitment_number, screen.view.position) == (ELECTRICAL, 3)
        invoice_id = screen.view.invoice_id
        assert re.match(r" Invoice #3 .* read-only", screen_text(app))
        line_1 = _screen_line(app, "Mobilization")
        assert "$3,850.00" in line_1

        await pilot.press("9", "9", "enter")  # typing into the grid changes nothing
        await settle(pilot)
        assert message(screen) == (
            "This invoice is Revise & Resubmit: it cannot be changed now.", True)
        assert _screen_line(app, "Mobilization") == line_1 and "$99" not in screen_text(app)
        for tab in ("l", "f"):  # the lines, then the files: no key to change anything
            await pilot.press(tab)
            await settle(pilot)
            footer = screen_text(app).splitlines()[-1]
            for offered in ("Save", "Send", "Info", "Attach", "Remove", "^s", "^e"):
                assert offered not in footer, (tab, footer)
            await pilot.press("ctrl+s", "ctrl+e", "g", "a", "delete")
            await settle(pilot)
            assert top(app) is screen  # no dialog opened
        assert _audit_count(engine) == trail  # every change payapp makes is in the trail

        await pilot.press("h")
        await settle(pilot)
        assert isinstance(top(app), Report)
        shown = screen_text(app)
        assert "History of invoice #3 (SC-2417-016 Electrical)" in shown
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  erin: create invoice", shown)
        assert "work: $0.00 → $3,850.00" in shown
        await pilot.press("end")
        await settle(pilot)
        assert "Also saved as text:" in screen_text(app)

    written = list(folders_for(engine).download.glob("*history*.txt"))
    assert [p.name for p in written] == ["SC-2417-016 Invoice 3 - history.txt"]
    saved = written[0].read_text()
    assert saved.startswith("History of invoice #3 (SC-2417-016 Electrical), from the audit")
    entries = re.findall(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  (\w+): (.+)$", saved, re.M)
    assert entries[0] == ("erin", "create invoice") and ("erin", "edit line 1") in entries
    assert entries[-2:] == [("erin", "send"), ("pat", "send back for revision")]
    assert "    status: Under Review → Revise & Resubmit\n" in saved
    with reading(engine) as session:
        history = invoice_history(session, actor_for_login(session, "sam"), invoice_id)
    assert history.complete and saved == history.as_text()
    assert written[0].stat().st_mode & 0o777 == 0o600


def _screen_line(app: Any, words: str) -> str:
    return next(line for line in screen_text(app).splitlines() if words in line)


# --- 2. in psql as sam's own role ------------------------------------------------------------


def _tables(admin: Engine) -> dict[str, str]:
    """Every table of payapp's schema and its first column, listed now: a new table is covered."""
    with admin.connect() as c:
        return dict(c.execute(text(
            "SELECT t.tablename, c.column_name FROM pg_tables t JOIN information_schema.columns c"
            " ON c.table_schema = t.schemaname AND c.table_name = t.tablename"
            " AND c.ordinal_position = 1 WHERE t.schemaname = current_schema()")).all())


def _contents(admin: Engine) -> dict[str, str]:
    """A digest of every table's rows, read by the superuser; the audit trail without the seal's
    own columns (position, hashes) and the chain's head: sealing an entry is not changing it."""
    with admin.connect() as c:
        return {table: c.execute(text(
            "SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM (SELECT "
            + ("id, at, actor_login, db_role, action, entity, entity_id, before, after"
               if table == "audit_entry" else "*") + f' FROM "{table}") r')).scalar_one()
            for table in _tables(admin) if table != "audit_chain_head"}


@pytest.mark.postgres
def test_sams_role_may_write_to_no_table(admin: Engine, psql: Psql) -> None:
    tables = _tables(admin)
    assert len(tables) >= 20 and {"invoice", "payment", "audit_entry"} <= set(tables)
    before, sam, holes = _contents(admin), psql("sam"), []
    for table, first in tables.items():
        for statement in (f'INSERT INTO "{table}" DEFAULT VALUES',
                          f'UPDATE "{table}" SET "{first}" = "{first}"',
                          f'DELETE FROM "{table}"', f'TRUNCATE "{table}"'):
            with sam.connect() as c:
                try:
                    c.execute(text(statement))
                    c.commit()
                    holes.append(f"{statement}: accepted")
                except DBAPIError as error:
                    if "permission denied" not in str(error.orig):
                        holes.append(f"{statement}: {error.orig}")
    assert holes == [] and _contents(admin) == before
    with admin.connect() as c:  # nor is any such privilege granted: tables, columns, sequences
        held = c.execute(text(
            "SELECT c.relname, p FROM pg_class c, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', "
            "'TRUNCATE', 'USAGE']) p WHERE c.relnamespace = current_schema()::regnamespace AND "
            "CASE WHEN c.relkind = 'S' THEN p IN ('UPDATE', 'USAGE') AND "
            "has_sequence_privilege('sam', c.oid, p) WHEN p = 'USAGE' THEN false "
            "ELSE has_table_privilege('sam', c.oid, p) OR (p IN ('INSERT', 'UPDATE') AND "
            "has_any_column_privilege('sam', c.oid, p)) END")).all()
        creates = c.execute(text(
            "SELECT has_schema_privilege('sam', current_schema(), 'CREATE')")).scalar_one()
    assert held == [] and creates is False


@pytest.mark.postgres
def test_every_function_sam_can_call_changes_nothing(admin: Engine, psql: Psql) -> None:
    """The schema's functions (SECURITY DEFINER ones run as their owner, not as sam), each
    called by sam and committed: refused, or no row is different afterwards."""
    with psql("erin").begin() as c:  # an entry not sealed yet, for the seal sam may run
        c.execute(text("INSERT INTO audit_entry (at, actor_login, action, entity, before, "
                       "after) VALUES (now(), 'erin', 'note', 'invoice', '', '')"))
    with admin.connect() as c:
        functions = c.execute(text(
            "SELECT p.proname, array(SELECT format_type(t, NULL) FROM unnest("
            "CAST(p.proargtypes AS oid[])) t), p.prosecdef FROM pg_proc p"
            " WHERE p.pronamespace = current_schema()::regnamespace")).all()
    assert sum(definer for _, _, definer in functions) >= 10
    before, sam, ran = _contents(admin), psql("sam"), {}
    for name, types, _ in functions:
        arguments = ", ".join(f"NULL::{t}" for t in types)
        with sam.connect() as c:
            try:
                ran[name] = c.execute(text(f'SELECT "{name}"({arguments})')).scalar()
                c.commit()
            except DBAPIError:
                pass  # refused: not granted, only for triggers, or it raised
    assert ran.get("payapp_audit_seal") == 1  # it sealed erin's entry, and only that
    assert _contents(admin) == before
    with Session(admin) as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)
                            .where(col(AuditEntry.position).is_(None))).one() == 0
        verdict = verify_database(session)
    assert verdict.breaks == [] and verdict.unsealed == 0


@pytest.mark.postgres
def test_sams_timeline_holds_payapps_entries_and_the_databases(admin: Engine,
                                                                connect: Connect) -> None:
    invoice_id = invoice_ids(admin, ELECTRICAL)[-1]
    with reading(connect("sam")) as session:
        history = invoice_history(session, actor_for_login(session, "sam"), invoice_id)
    actions = {entry.action for entry in history.entries}
    assert history.complete and {"create invoice", "edit line", "send"} <= actions
    assert {"database insert", "database update"} <= actions


# --- 3. payapp's services, as sam: every one that writes refuses him ---------------------------


@dataclass
class Demo:
    """The demo's rows the writes name; a setup may change them (a new period...)."""

    folder: Path
    invoice: int  # erin's invoice #3, Revise & Resubmit: she may change it
    electrical: int
    concrete: int
    period: int  # the open billing period
    invite: int  # dan's invite, not answered yet
    attachment: int = 0


@dataclass(frozen=True)
class Backend:
    who: Callable[[str], Engine]  # the engine a person works through
    owner: Engine  # sees every row


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """SQLite, where payapp's own checks are all there is; PostgreSQL, through each person's
    own role, where the database refuses too."""
    if request.param == "sqlite":
        engine: Engine = request.getfixturevalue("sqlite_demo_engine")
        return Backend(lambda _login: engine, engine)
    connect_as: Connect = request.getfixturevalue("connect")
    return Backend(lambda login: connect_as(login), request.getfixturevalue("admin"))


def _demo(engine: Engine, folder: Path) -> Demo:
    def one(sql: str) -> int:
        with engine.connect() as c:
            return int(c.execute(text(sql)).scalar_one())

    electrical = invoice_ids(engine, ELECTRICAL)
    return Demo(folder, electrical[-1],
                one(f"SELECT id FROM commitment WHERE number = '{ELECTRICAL}'"),
                one(f"SELECT id FROM commitment WHERE number = '{CONCRETE}'"),
                one("SELECT id FROM billing_period WHERE status = 'open'"),
                one("SELECT id FROM invite WHERE response = 'pending'"))


T = TypeVar("T")
Act = Callable[[Session, Actor, Demo], object]
Setup = Callable[[Backend, Demo], None] | None


def _as(backend: Backend, login: str, act: Callable[[Session, Actor, Demo], T], demo: Demo) -> T:
    with writing(backend.who(login)) as session:
        return act(session, actor_for_login(session, login), demo)


def _under_review(backend: Backend, _demo: Demo) -> None:
    send_erins_resubmission(backend.who("erin"))


def _approved_and_owed(backend: Backend, demo: Demo) -> None:
    """erin's invoice #3 sent and approved: nothing of it paid yet."""
    _under_review(backend, demo)
    _as(backend, "pat", _decide(InvoiceStatus.APPROVED), demo)


def _approved_and_held(backend: Backend, demo: Demo) -> None:
    """erin's invoice #3 billed past a line's scheduled value, sent and approved: held."""
    def overbill(session: Session, actor: Actor, d: Demo) -> object:
        view = load_invoice(session, actor, d.invoice)
        line = view.lines[0]
        past = line.result.scheduled_value - line.result.line.previous_work + Decimal("1.00")
        return changes.save_lines(session, actor, d.invoice,
                                  {line.sov_line_id: changes.LineEntry(work=past)})

    _as(backend, "erin", overbill, demo)
    _approved_and_owed(backend, demo)


def _closed(backend: Backend, demo: Demo) -> None:
    _as(backend, "pat", lambda s, a, d: billing_periods.close_period(s, a, d.period), demo)


def _next_period(backend: Backend, demo: Demo) -> None:
    """December opened, unused yet (November closed first: one open period at a time)."""
    _closed(backend, demo)
    demo.period = _as(backend, "pat", _open_december, demo).period_id


def _attached(backend: Backend, demo: Demo) -> None:
    demo.attachment = _as(backend, "erin", _attach, demo).id


def _open_december(session: Session, actor: Actor, _demo: Demo) -> billing_periods.PeriodRow:
    return billing_periods.open_period(session, actor, DEMO_PROJECT_NUMBER,
                                       starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31),
                                       due_on=date(2026, 12, 20))


def _attach(session: Session, actor: Actor, demo: Demo) -> attachments.AttachmentRow:
    source = demo.folder / "backup.txt"
    source.write_text("delivery ticket 4411\n")
    return attachments.add_attachment(session, actor, demo.invoice, source, max_bytes=10**6,
                                      within=None)


def _first_line(session: Session, invoice_id: int) -> int:
    return session.exec(select(InvoiceLine.sov_line_id)
                        .where(InvoiceLine.invoice_id == invoice_id)).first() or 0


def _review(mark: LineReview) -> Act:
    def act(session: Session, actor: Actor, demo: Demo) -> object:
        version = session.exec(select(Invoice.version).where(Invoice.id == demo.invoice)).one()
        return mark_lines(session, actor, demo.invoice, [_first_line(session, demo.invoice)],
                          mark, comment="Billed twice", version=version)
    return act


def _decide(target: InvoiceStatus) -> Act:
    return lambda s, a, d: changes.change_status(s, a, d.invoice, target, comment="As discussed")


def _invited_each(session: Session, actor: Actor, demo: Demo) -> object:
    """invite_to_bill answers per commitment: all sent, or all refused (raised as one)."""
    outcome = invites.invite_to_bill(session, actor, [demo.electrical, demo.concrete],
                                     invite_type=InviteType.WORK_AND_MATERIALS, today=DEMO_TODAY)
    refused = [f"{number}: {why}" for number, why in outcome if why is not None]
    assert len(refused) in (0, len(outcome)), outcome  # some sent, some refused: a hole
    if refused:
        raise Refusal("; ".join(refused))
    return outcome


def _drywall(number: str = "SC-2417-099") -> commitment_setup.CommitmentTerms:
    return commitment_setup.CommitmentTerms(number=number, title="Drywall",
                                            company="Coastline Electric Co.")


def _new_commitment(backend: Backend, demo: Demo) -> None:
    """A commitment with no invoice yet: its schedule of values may still take lines."""
    demo.electrical = _as(backend, "pat", lambda s, a, d: commitment_setup.create_commitment(
        s, a, DEMO_PROJECT_NUMBER, _drywall("SC-2417-098")), demo).commitment_id


def _pending_pco(session: Session, _actor: Actor, demo: Demo) -> int:
    return session.exec(select(ChangeOrder.id).where(
        ChangeOrder.commitment_id == demo.electrical,
        ChangeOrder.status == ChangeOrderStatus.PENDING.value)).one() or 0


WRITERS: list[Any] = [pytest.param(*case, id=case[0]) for case in (
    ("save_lines figures", "erin", None, lambda s, a, d: changes.save_lines(
        s, a, d.invoice, {_first_line(s, d.invoice): changes.LineEntry(work=Decimal("1.00"))})),
    ("save_lines for the contact", "pat", None, lambda s, a, d: changes.save_lines(
        s, a, d.invoice, {_first_line(s, d.invoice): changes.LineEntry(work=Decimal("2"))})),
    ("save_lines general information", "erin", None, lambda s, a, d: changes.save_lines(
        s, a, d.invoice, {}, general=changes.GeneralInfo(invoice_number="CE-1103"))),
    ("change_status send", "erin", None, lambda s, a, d: changes.change_status(
        s, a, d.invoice, InvoiceStatus.UNDER_REVIEW)),
    *((f"change_status to {to.value}", "pat", _under_review, _decide(to)) for to in (
        InvoiceStatus.APPROVED, InvoiceStatus.APPROVED_AS_NOTED,
        InvoiceStatus.PENDING_OWNER_APPROVAL, InvoiceStatus.REVISE_AND_RESUBMIT,
        InvoiceStatus.DRAFT)),
    ("change_statuses", "pat", _under_review, lambda s, a, d: change_statuses(
        s, a, [d.invoice], InvoiceStatus.APPROVED)),
    ("mark_lines approve", "pat", _under_review, _review(LineReview.APPROVED)),
    ("mark_lines reject", "pat", _under_review, _review(LineReview.REJECTED)),
    ("record_payment", "pat", _approved_and_owed, lambda s, a, d: record_payment(
        s, a, d.invoice, Decimal("1.00"), paid_on=DEMO_TODAY, reference="ACH 1")),
    ("release_hold", "pat", _approved_and_held, lambda s, a, d: release_hold(
        s, a, d.invoice, "The owner approved the extra footage")),
    ("create_invoice", "dan", None, lambda s, a, d: changes.create_invoice(
        s, a, d.concrete, d.period, today=DEMO_TODAY)),
    ("respond yes", "dan", None, lambda s, a, d: invites.respond(
        s, a, d.invite, bill=True, today=DEMO_TODAY)),
    ("respond no", "dan", None, lambda s, a, d: invites.respond(
        s, a, d.invite, bill=False, today=DEMO_TODAY)),
    ("send_invite", "pat", _next_period, lambda s, a, d: invites.send_invite(
        s, a, d.concrete, d.period, invite_type=InviteType.WORK_AND_MATERIALS,
        today=DEMO_TODAY)),
    ("invite_to_bill", "pat", _next_period, _invited_each),
    ("open_period", "pat", _closed, _open_december),
    ("schedule_periods", "pat", None, lambda s, a, d: billing_periods.schedule_periods(
        s, a, DEMO_PROJECT_NUMBER, cadence=Cadence.MONTHLY, starts_on=date(2026, 12, 1))),
    ("close_period", "pat", None, lambda s, a, d: billing_periods.close_period(
        s, a, d.period)),
    ("remove_period", "pat", _next_period, lambda s, a, d: billing_periods.remove_period(
        s, a, d.period)),
    ("create_commitment", "pat", None, lambda s, a, d: commitment_setup.create_commitment(
        s, a, DEMO_PROJECT_NUMBER, _drywall())),
    ("edit_commitment", "pat", None, lambda s, a, d: commitment_setup.edit_commitment(
        s, a, d.concrete, commitment_setup.CommitmentTerms(
            number="SC-2417-031", title="Site Concrete", company="Bayside Concrete & Paving, LLC",
            contacts=("dan",), method=Method.UNIT, work_retainage=Decimal("4")))),
    ("import_sov", "pat", _new_commitment, lambda s, a, d: commitment_setup.import_sov(
        s, a, d.electrical, "item,description,scheduled value\n1,Framing,100.00\n")),
    ("set_history", "pat", _new_commitment, lambda s, a, d: commitment_history.set_history(
        s, a, d.electrical, commitment_history.History(24, Decimal("0.00"), {}))),
    ("create_change_order", "pat", None, lambda s, a, d: change_orders.create_change_order(
        s, a, d.electrical, kind=ChangeOrderKind.CCO, number="009", title="Added outlets",
        lines=[change_orders.ChangeOrderLine("Outlets", Decimal("100.00"))])),
    ("move_change_order", "pat", None, lambda s, a, d: change_orders.move_change_order(
        s, a, _pending_pco(s, a, d), ChangeOrderStatus.APPROVED, today=DEMO_TODAY)),
    ("add_attachment", "erin", None, _attach),
    ("remove_attachment", "erin", _attached, lambda s, a, d: attachments.remove_attachment(
        s, a, d.attachment)),
)]
# The services that only read; WRITERS names the others.
READS = {"home_for", "load_invoice", "invoice_history", "list_attachments", "read_attachment",
         "copy_attachment_to", "periods_of", "holds_of",
         "is_contact", "find_commitment", "commitments_of", "change_orders_of",
         "administered_commitment", "history_from_g703",
         "is_project_admin", "require_visible", "standing", "visible_commitment_ids"}


def test_every_service_acting_for_someone_is_known_here() -> None:
    """A new service that takes an actor must be put in WRITERS (its id starts with its name) or
    in READS."""
    found = set()
    for module in pkgutil.iter_modules(services.__path__):
        loaded = importlib.import_module(f"{services.__name__}.{module.name}")
        found |= {name for name, function in inspect.getmembers(loaded, inspect.isfunction)
                  if function.__module__ == loaded.__name__ and not name.startswith("_")
                  and "actor" in list(inspect.signature(function).parameters)[:2]}
    assert found == {str(case.id).split()[0] for case in WRITERS} | READS


@pytest.mark.parametrize(("what", "rightful", "setup", "act"), WRITERS)
def test_support_is_refused_every_write(backend: Backend, tmp_path: Path, what: str,
                                        rightful: str, setup: Setup, act: Act) -> None:
    """sam is refused and nothing is written; the same call by the person who may make it
    goes through, so the refusal is about sam and not about the call."""
    demo = _demo(backend.owner, tmp_path)
    if setup is not None:
        setup(backend, demo)
    trail = _audit_count(backend.owner)
    with pytest.raises(Refusal):
        _as(backend, "sam", act, demo)
    assert _audit_count(backend.owner) == trail, what
    _as(backend, rightful, act, demo)
    assert _audit_count(backend.owner) > trail, what
