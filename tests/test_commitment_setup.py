# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""Commitments set up by an invoice administrator: the terms and their refusals, the schedule
of values from CSV (all or nothing, with the report), the accounting method fixed once lines
exist, change orders whose approval raises the contract sum; on SQLite and PostgreSQL, and on
PostgreSQL as the people's own roles (what the database lets pat do, and refuses erin and sam).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlmodel import col, select

from data.billing import CapKind, Method
from data.db import reading, writing
from data.demo import ELECTRICAL_SOV
from data.models import (
    AppUser,
    AuditEntry,
    ChangeOrderKind,
    ChangeOrderStatus,
    Commitment,
    Company,
    CompanyKind,
    RetainageRule,
    Role,
    SovLine,
    UserRole,
)
from data.services.actors import actor_for_login
from data.services.change_orders import (
    ChangeOrderLine,
    change_orders_of,
    create_change_order,
    move_change_order,
)
from data.services.commitment_setup import (
    CommitmentTerms,
    SlidingStep,
    SovImportRejected,
    commitments_of,
    create_commitment,
    edit_commitment,
    find_commitment,
    import_sov,
    parse_sliding_scale,
)
from data.services.errors import Invalid, NotAllowed
from data.services.invoice_figures import billable_sov_lines
from tests.conftest import DEMO_TODAY
from tests.pg_people import (  # noqa: F401
    Connect,
    Psql,
    admin,
    connect,
    demo_template,
    demo_url,
    psql,
)

PROJECT = "2417"
ELECTRICAL = "SC-2417-016"
DRYWALL = CommitmentTerms(
    number="SC-2417-040", title="Drywall & Framing", company="Summit Drywall Inc.",
    contacts=("gwen",), method=Method.AMOUNT, work_retainage=Decimal("10"),
    stored_retainage=Decimal("5"),
    sliding_scale=parse_sliding_scale("10% until 50% of original; 5% until $20,000"),
    stored_materials_separately=True)
GOOD_AMOUNTS = ("Item,Description,Budget code,Scheduled value\n"
                "1,Metal stud framing,09-210,\"$1,234.50\"\n"
                "2,Gypsum board,09-250,\"10,000.00\"\n"
                "3,Taping and finishing,09-260,500\n")
BAD_AMOUNTS = ("Item,Description,Budget code,Scheduled value\n"
               "1,Metal stud framing,09-210,\"$1,234.50\"\n"
               "2,Gypsum board,09-250,12.345\n"
               "3,,09-260,500\n"
               "1,Ceiling grid,09-510,700.00\n"
               "5,Acoustic tile,09-510\n"
               "6,Insulation,07-210,1e3\n")


def _add_subcontractor_user(engine: Engine, login: str, company_name: str) -> None:
    """A company new to the demo and one invoice contact of it, on no commitment yet."""
    with writing(engine) as session:
        company = Company(name=company_name, kind=CompanyKind.SUBCONTRACTOR.value)
        session.add(company)
        session.flush()
        user = AppUser(login=login, display_name=login.title(), email=f"{login}@example.com",
                       company_id=company.id or 0)
        session.add(user)
        session.flush()
        session.add(UserRole(user_id=user.id or 0, role=Role.INVOICE_CONTACT.value))


def _create(engine: Engine, terms: CommitmentTerms = DRYWALL, login: str = "pat") -> int:
    with writing(engine) as session:
        return create_commitment(session, actor_for_login(session, login), PROJECT,
                                 terms).commitment_id


def _import(engine: Engine, commitment_id: int, csv_text: str, login: str = "pat"
            ) -> tuple[int, Decimal]:
    with writing(engine) as session:
        done = import_sov(session, actor_for_login(session, login), commitment_id, csv_text)
        return done.lines_added, done.contract_sum


def _lines(engine: Engine, commitment_id: int) -> list[tuple[str, int | None]]:
    with reading(engine) as session:
        return [(line.item_no, line.scheduled_value_cents) for line in session.exec(
            select(SovLine).where(SovLine.commitment_id == commitment_id)
            .order_by(col(SovLine.position))).all()]


def test_a_commitment_is_created_with_its_terms_and_audited(demo_engine: Engine) -> None:
    _add_subcontractor_user(demo_engine, "gwen", "Summit Drywall Inc.")
    commitment_id = _create(demo_engine)
    with reading(demo_engine) as session:
        made = commitments_of(session, actor_for_login(session, "pat"), PROJECT)
        drywall = next(c for c in made if c.commitment_id == commitment_id)
        rules = session.exec(select(RetainageRule).where(
            RetainageRule.commitment_id == commitment_id)
            .order_by(col(RetainageRule.position))).all()
        stored = session.get(Commitment, commitment_id)
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "create commitment",
                                                      AuditEntry.entity_id == commitment_id)).one()
    assert (drywall.company, drywall.contacts, drywall.method) == (
        "Summit Drywall Inc.", ("gwen",), Method.AMOUNT)
    assert stored is not None
    assert (stored.work_retainage_e4, stored.stored_retainage_e4,
            stored.stored_materials_separately) == (100000, 50000, True)
    assert [(r.position, r.rate_e4, r.cap_kind, r.cap_percent_e4, r.cap_cents) for r in rules] == [
        (1, 100000, CapKind.PERCENT_OF_ORIGINAL.value, 500000, None),
        (2, 50000, CapKind.AMOUNT.value, None, 2000000)]
    assert drywall.sliding_scale == (
        SlidingStep(Decimal("10"), CapKind.PERCENT_OF_ORIGINAL, Decimal("50")),
        SlidingStep(Decimal("5"), CapKind.AMOUNT, Decimal("20000.00")))
    assert '"contacts": "gwen"' in audit.after and '"work_retainage": "10.0000%"' in audit.after
    assert audit.actor_login == "pat"


def test_refusals_name_the_field_and_write_nothing(demo_engine: Engine) -> None:
    _add_subcontractor_user(demo_engine, "gwen", "Summit Drywall Inc.")
    refused = [
        (replace(DRYWALL, number=ELECTRICAL),
         "Number: project 2417 has a commitment SC-2417-016 already"),
        (replace(DRYWALL, work_retainage=Decimal("100.5")),
         "Retainage on work: 100.5000% is not between 0 % and 100 %"),
        (replace(DRYWALL, sliding_scale=parse_sliding_scale(
            "1% until $1; 2% until $2; 3% until $3; 4% until $4; 5% until $5; 6% until $6")),
         "Sliding scale: at most 5 steps (6 given)"),
        (replace(DRYWALL, contacts=("dan",)),
         "Invoice contacts: Summit Drywall Inc. has no active user 'dan'"),
        (replace(DRYWALL, new_company=True),
         "Contract company: Summit Drywall Inc. exists already"),
        (replace(DRYWALL, company="Nobody & Sons"),
         "Contract company: there is no subcontractor company named Nobody & Sons"),
        (replace(DRYWALL, title="  "), "Title: it is empty"),
    ]
    for terms, reason in refused:
        with pytest.raises(Invalid) as caught, writing(demo_engine) as session:
            create_commitment(session, actor_for_login(session, "pat"), PROJECT, terms)
        assert str(caught.value).startswith(reason), str(caught.value)
    for login in ("erin", "sam"):
        with pytest.raises(NotAllowed, match="only an invoice administrator of project 2417"), \
                writing(demo_engine) as session:
            create_commitment(session, actor_for_login(session, login), PROJECT, DRYWALL)
    with reading(demo_engine) as session:
        assert session.exec(select(Commitment).where(
            Commitment.number == DRYWALL.number)).first() is None
    with pytest.raises(Invalid, match="Sliding scale, step 2: “5 % while” should read"):
        parse_sliding_scale("10% until 50% of revised; 5 % while")


def test_a_csv_with_bad_rows_imports_nothing_and_lists_every_one(demo_engine: Engine) -> None:
    _add_subcontractor_user(demo_engine, "gwen", "Summit Drywall Inc.")
    commitment_id = _create(demo_engine)
    with pytest.raises(SovImportRejected) as caught:
        _import(demo_engine, commitment_id, BAD_AMOUNTS)
    assert [row.describe() for row in caught.value.rows] == [
        "line 3: scheduled value: '12.345' has 3 decimal places; at most 2 are allowed",
        "line 4: the description is empty",
        "line 5: item 1 is already on line 2",
        "line 6: 3 columns, the header has 4",
        "line 7: scheduled value: '1e3' uses an exponent; write the amount out in full",
    ]
    assert _lines(demo_engine, commitment_id) == []
    unit_header = "Item,Description,Quantity,Unit,Unit price\n1,Studs,10,EA,2.00\n"
    with pytest.raises(SovImportRejected) as caught:
        _import(demo_engine, commitment_id, unit_header)
    assert [row.describe() for row in caught.value.rows] == [
        "line 1: “Quantity” is a unit-based column; this commitment is amount-based (its "
        "columns: item, description, budget code, scheduled value)",
        "line 1: “Unit” is a unit-based column; this commitment is amount-based (its columns: "
        "item, description, budget code, scheduled value)",
        "line 1: “Unit price” is a unit-based column; this commitment is amount-based (its "
        "columns: item, description, budget code, scheduled value)",
        "line 1: the column “scheduled value” is missing"]
    assert _import(demo_engine, commitment_id, GOOD_AMOUNTS) == (3, Decimal("11734.50"))
    assert _lines(demo_engine, commitment_id) == [("1", 123450), ("2", 1000000), ("3", 50000)]
    with pytest.raises(SovImportRejected, match="item 2 is already on the schedule of values"):
        _import(demo_engine, commitment_id, "item,description,scheduled value\n2,Again,1.00\n")


def test_a_unit_based_schedule_is_quantity_times_price(demo_engine: Engine) -> None:
    _add_subcontractor_user(demo_engine, "gwen", "Summit Drywall Inc.")
    commitment_id = _create(demo_engine, CommitmentTerms(
        number="SC-2417-050", title="Earthwork", company="Summit Drywall Inc.",
        method=Method.UNIT))
    csv_text = ("item,description,budget code,quantity,unit,unit price\n"
                "1,Excavation,02-300,4200,CY,18.50\n"
                "2,Aggregate base,02-720,\"38,500\",SF,1.85\n"
                "3,Asphalt paving,02-740,31200,SF,4.125\n")
    # 77,700.00 + 71,225.00 + 128,700.00
    assert _import(demo_engine, commitment_id, csv_text) == (3, Decimal("277625.00"))
    with reading(demo_engine) as session:
        lines = session.exec(select(SovLine).where(SovLine.commitment_id == commitment_id)
                             .order_by(col(SovLine.position))).all()
    assert [(ln.quantity_e4, ln.unit, ln.unit_price_e4, ln.scheduled_value_cents)
            for ln in lines] == [(42000000, "CY", 185000, None), (385000000, "SF", 18500, None),
                                 (312000000, "SF", 41250, None)]
    with pytest.raises(SovImportRejected) as caught:
        _import(demo_engine, commitment_id, "item,description,quantity,unit,unit price\n"
                                            "4,Curb,0,LF,42.75\n5,Ramps,9,,-2475.00\n")
    assert [row.describe() for row in caught.value.rows] == [
        "line 2: quantity: it must be more than 0",
        "line 3: unit price: -2475.00 is below zero (a deduction is a change order); the unit "
        "is empty"]


def test_the_method_is_fixed_once_lines_exist_and_lines_only_before_invoices(
        demo_engine: Engine) -> None:
    _add_subcontractor_user(demo_engine, "gwen", "Summit Drywall Inc.")
    commitment_id = _create(demo_engine)
    unit = replace(DRYWALL, method=Method.UNIT)
    with writing(demo_engine) as session:  # no lines yet: it may change
        made = edit_commitment(session, actor_for_login(session, "pat"), commitment_id, unit)
    assert made.method is Method.UNIT
    with writing(demo_engine) as session:
        edit_commitment(session, actor_for_login(session, "pat"), commitment_id, DRYWALL)
    _import(demo_engine, commitment_id, GOOD_AMOUNTS)
    with pytest.raises(Invalid, match=r"^Accounting method: it cannot change once the "
                                      r"commitment has SOV lines \(it has 3\)"), \
            writing(demo_engine) as session:
        edit_commitment(session, actor_for_login(session, "pat"), commitment_id, unit)
    lower = replace(DRYWALL, work_retainage=Decimal("7.5"))
    with writing(demo_engine) as session:
        made = edit_commitment(session, actor_for_login(session, "pat"), commitment_id, lower)
        electrical = find_commitment(session, actor_for_login(session, "pat"), PROJECT,
                                     ELECTRICAL)
    assert made.work_retainage == Decimal("7.5")
    with reading(demo_engine) as session:
        edits = session.exec(select(AuditEntry).where(AuditEntry.action == "edit commitment",
                                                      AuditEntry.entity_id == commitment_id)
                             .order_by(col(AuditEntry.id))).all()
    assert edits[-1].before == '{"work_retainage": "10.0000%"}'
    assert edits[-1].after == '{"work_retainage": "7.5000%"}'
    with pytest.raises(Invalid, match="has invoices: its schedule of values takes new lines "
                                      "only through change orders"):
        _import(demo_engine, electrical, GOOD_AMOUNTS)


def _electrical_original() -> Decimal:
    return sum((Decimal(value) for _text, _code, value in ELECTRICAL_SOV), Decimal("0.00"))


def test_approving_a_cco_adds_its_lines_and_changes_the_contract_sum(
        demo_engine: Engine) -> None:
    with reading(demo_engine) as session:
        electrical = find_commitment(session, actor_for_login(session, "pat"), PROJECT,
                                     ELECTRICAL)
    with writing(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        order = create_change_order(session, pat, electrical, kind=ChangeOrderKind.CCO,
                                    number="004", title="Nurse-station lighting", lines=[
                                        ChangeOrderLine("Pendant fixtures", Decimal("2500.00")),
                                        ChangeOrderLine("Credit: recessed cans",
                                                        Decimal("-500.00"))])
    # The demo's approved change orders: +14,275.00 +4,175.50 −6,800.00.
    before = _electrical_original() + Decimal("11650.50")
    assert (order.items, order.total, order.status) == (("29", "29.1"), Decimal("2000.00"),
                                                        ChangeOrderStatus.DRAFT)
    assert order.contract_sum == before
    with pytest.raises(Invalid, match="is draft; it cannot move to approved"), \
            writing(demo_engine) as session:
        move_change_order(session, actor_for_login(session, "pat"), order.change_order_id,
                          ChangeOrderStatus.APPROVED, today=DEMO_TODAY)
    with pytest.raises(NotAllowed), writing(demo_engine) as session:
        move_change_order(session, actor_for_login(session, "erin"), order.change_order_id,
                          ChangeOrderStatus.PENDING, today=DEMO_TODAY)
    with reading(demo_engine) as session:
        billable = [s.item_no for s, _o in billable_sov_lines(session, electrical, DEMO_TODAY)]
    assert "29" not in billable
    with writing(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        move_change_order(session, pat, order.change_order_id, ChangeOrderStatus.PENDING,
                          today=DEMO_TODAY)
        approved = move_change_order(session, pat, order.change_order_id,
                                     ChangeOrderStatus.APPROVED, today=DEMO_TODAY)
    assert approved.contract_sum == before + Decimal("2000.00")
    assert approved.approved_on == DEMO_TODAY
    with reading(demo_engine) as session:
        billable = [s.item_no for s, _o in billable_sov_lines(session, electrical, DEMO_TODAY)]
        rows = change_orders_of(session, actor_for_login(session, "pat"), electrical)
        moves = session.exec(select(AuditEntry.after).where(
            AuditEntry.action == "move change order",
            AuditEntry.entity_id == order.change_order_id)).all()
    assert billable[-2:] == ["29", "29.1"]
    assert [(r.kind, r.number, r.status) for r in rows][-2:] == [
        (ChangeOrderKind.CCO, "004", ChangeOrderStatus.APPROVED),
        (ChangeOrderKind.PCO, "003", ChangeOrderStatus.PENDING)]
    assert any('"status": "approved"' in after for after in moves)
    with pytest.raises(Invalid, match="is approved; it cannot move to void"), \
            writing(demo_engine) as session:
        move_change_order(session, actor_for_login(session, "pat"), order.change_order_id,
                          ChangeOrderStatus.VOID, today=DEMO_TODAY)


def test_the_commands(sqlite_demo_engine: Engine, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.cli import main

    monkeypatch.setenv("PAYAPP_DATABASE_URL", str(sqlite_demo_engine.url))
    monkeypatch.setattr("getpass.getuser", lambda: "pat")
    runner = CliRunner()
    created = runner.invoke(main, [
        "commitments", "create", "--project", PROJECT, "--number", "SC-2417-060",
        "--title", "Glazing", "--company", "Ridge Glazing", "--new-company",
        "--work-retainage", "10", "--sliding-scale", "10% until $5,000"])
    assert created.exit_code == 0, created.output
    assert "created commitment SC-2417-060 Glazing in project 2417" in created.output
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(BAD_AMOUNTS, encoding="utf-8")
    good.write_text(GOOD_AMOUNTS, encoding="utf-8")
    refused = runner.invoke(main, ["commitments", "import-sov", str(bad), "--project", PROJECT,
                                   "--commitment", "SC-2417-060"])
    assert refused.exit_code == 1
    assert "5 rows rejected; nothing was imported" in refused.output
    assert "line 4: the description is empty" in refused.output
    imported = runner.invoke(main, ["commitments", "import-sov", str(good), "--project",
                                    PROJECT, "--commitment", "SC-2417-060"])
    assert imported.exit_code == 0, imported.output
    assert "Contract sum to date: $11,734.50" in imported.output
    listed = runner.invoke(main, ["commitments", "list", "--project", PROJECT])
    assert listed.exit_code == 0, listed.output
    assert "SC-2417-060" in listed.output and "$11,734.50" in listed.output
    assert "sliding scale: 10.00% until $5,000.00 is held" in listed.output


# --- PostgreSQL, as the people's own roles -------------------------------------------------------


@pytest.mark.postgres
def test_pat_sets_up_a_commitment_in_his_own_role(admin: Engine, connect: Connect) -> None:
    _add_subcontractor_user(admin, "gwen", "Summit Drywall Inc.")
    pat = connect("pat")
    commitment_id = _create(pat)  # RLS lets him see Summit and gwen, and insert the commitment
    with pytest.raises(SovImportRejected):
        _import(pat, commitment_id, BAD_AMOUNTS)
    assert _lines(admin, commitment_id) == []
    assert _import(pat, commitment_id, GOOD_AMOUNTS) == (3, Decimal("11734.50"))
    _create(pat, CommitmentTerms(number="SC-2417-070", title="Glazing", company="Ridge Glazing",
                                 new_company=True))
    with writing(pat) as session:
        actor = actor_for_login(session, "pat")
        order = create_change_order(session, actor, commitment_id, kind=ChangeOrderKind.CCO,
                                    number="001", title="Added soffits",
                                    lines=[ChangeOrderLine("Soffit framing", Decimal("800.00"))])
        move_change_order(session, actor, order.change_order_id, ChangeOrderStatus.PENDING,
                          today=DEMO_TODAY)
        approved = move_change_order(session, actor, order.change_order_id,
                                     ChangeOrderStatus.APPROVED, today=DEMO_TODAY)
    assert approved.contract_sum == Decimal("12534.50")
    with writing(pat) as session:
        actor = actor_for_login(session, "pat")
        edit_commitment(session, actor, commitment_id,
                        replace(DRYWALL, stored_retainage=Decimal(0)))
    with reading(admin) as session:
        roles = set(session.exec(select(AuditEntry.db_role).where(
            AuditEntry.entity == "commitment", AuditEntry.entity_id == commitment_id)).all())
    assert roles == {"pat"}


@pytest.mark.postgres
def test_in_psql_a_contact_and_support_cannot_set_up_and_pat_keeps_the_rules(
        admin: Engine, psql: Psql) -> None:
    with admin.connect() as connection:
        electrical, project_id, company_id = connection.execute(text(
            "SELECT id, project_id, contract_company_id FROM commitment WHERE number = :n"),
            {"n": ELECTRICAL}).one()
    new_line = ("INSERT INTO sov_line (commitment_id, position, item_no, description, "
                "budget_code, scheduled_value_cents, unit, version) "
                "VALUES (:c, 99, '99', 'Extra', '', 100, '', 1)")
    rate = "UPDATE commitment SET work_retainage_e4 = 0 WHERE id = :c"
    new_commitment = ("INSERT INTO commitment (project_id, number, title, contract_company_id, "
                      "accounting_method, work_retainage_e4, stored_retainage_e4, "
                      "stored_materials_separately, version) "
                      "VALUES (:p, 'X-1', 'X', :co, 'amount', 0, 0, false, 1)")
    with pytest.raises(Exception, match="row-level security"), psql("erin").begin() as erin:
        erin.execute(text(new_line), {"c": electrical})
    with psql("erin").begin() as erin:  # she reads the commitment; she changes nothing of it
        assert erin.execute(text(rate), {"c": electrical}).rowcount == 0
    with pytest.raises(Exception, match="row-level security"), psql("erin").begin() as erin:
        erin.execute(text(new_commitment), {"p": project_id, "co": company_id})
    for statement in (new_line, rate):
        with pytest.raises(Exception, match="permission denied"), psql("sam").begin() as sam:
            sam.execute(text(statement), {"c": electrical})
    with pytest.raises(Exception, match="permission denied"), psql("sam").begin() as sam:
        sam.execute(text("INSERT INTO company (name, kind, street, city, state, zip_code, "
                         "version) VALUES ('S', 'subcontractor', '', '', '', '', 1)"))
    with admin.connect() as connection:
        assert connection.execute(text("SELECT work_retainage_e4 FROM commitment WHERE id = :c"),
                                  {"c": electrical}).scalar_one() == 100000
    # pat's own role: what payapp refuses, the database refuses too.
    with pytest.raises(Exception, match="only through change orders"), \
            psql("pat").begin() as pat:
        pat.execute(text(new_line), {"c": electrical})
    with pytest.raises(Exception, match="only through change orders"), \
            psql("pat").begin() as pat:
        pat.execute(text("UPDATE sov_line SET scheduled_value_cents = 1 WHERE commitment_id = :c "
                         "AND change_order_id IS NULL"), {"c": electrical})
    with pytest.raises(Exception, match="accounting method cannot change"), \
            psql("pat").begin() as pat:
        pat.execute(text("UPDATE commitment SET accounting_method = 'unit' WHERE id = :c"),
                    {"c": electrical})
    with pytest.raises(Exception, match="approved: that is final"), psql("pat").begin() as pat:
        pat.execute(text("UPDATE change_order SET status = 'void', approved_on = NULL "
                         "WHERE commitment_id = :c AND number = '001'"), {"c": electrical})
    with pytest.raises(Exception, match="starts as a Draft"), psql("pat").begin() as pat:
        pat.execute(text("INSERT INTO change_order (commitment_id, kind, number, title, status, "
                         "approved_on, version) VALUES (:c, 'CCO', '009', 'X', 'approved', "
                         "'2026-11-01', 1)"), {"c": electrical})
    with pytest.raises(Exception, match="user of the commitment's contract company"), \
            psql("pat").begin() as pat:
        pat.execute(text("INSERT INTO commitment_contact (commitment_id, user_id) "
                         "SELECT :c, id FROM app_user WHERE login = 'dan'"), {"c": electrical})
    with pytest.raises(Exception, match="row-level security"), psql("erin").begin() as erin:
        erin.execute(text("INSERT INTO change_order (commitment_id, kind, number, title, status, "
                          "version) VALUES (:c, 'PCO', '010', 'X', 'draft', 1)"),
                     {"c": electrical})
    with psql("pat").begin() as pat:  # and lets him do what he may
        assert pat.execute(text(rate), {"c": electrical}).rowcount == 1
        assert pat.execute(text("UPDATE sov_line SET description = 'Feeders, levels 1-3' "
                                "WHERE commitment_id = :c AND item_no = '6'"),
                           {"c": electrical}).rowcount == 1
        pat.execute(text(new_commitment), {"p": project_id, "co": company_id})


def test_change_order_lines_typed_on_one_line() -> None:
    from data.billing import Method
    from data.services.change_orders import parse_typed_lines

    assert parse_typed_lines("Pendant fixtures = 2,500; Credit: cans = -1,200.50",
                             Method.AMOUNT) == [
        ChangeOrderLine("Pendant fixtures", amount=Decimal("2500.00")),
        ChangeOrderLine("Credit: cans", amount=Decimal("-1200.50"))]
    assert parse_typed_lines("Trench = 120 LF @ 45.50", Method.UNIT) == [
        ChangeOrderLine("Trench", quantity=Decimal("120"), unit="LF",
                        unit_price=Decimal("45.50"))]
    for typed, method, reason in (
            ("", Method.AMOUNT, "Lines: a change order needs at least one line"),
            ("Fixtures 2500", Method.AMOUNT, "Line 1: “Fixtures 2500” should read like "
                                             "“description = amount”"),
            ("A = 1; B = 1.005", Method.AMOUNT, "Line 2:"),
            ("Trench = 120 LF", Method.UNIT, "Line 1: “120 LF” should read like "
                                             "“120 LF @ 45.50”")):
        with pytest.raises(Invalid) as refused:
            parse_typed_lines(typed, method)
        assert str(refused.value).startswith(reason), str(refused.value)
