"""The demo: one realistic project in its own SQLite file, never a real database.

A general contractor, two subcontractors and a user for each role; an amount-based electrical
subcontract (25 lines, change orders, stored materials, 10 % retainage) and a unit-based site
concrete subcontract (10 lines, 5 %); two earlier approved and paid invoices on each; the current
month open, with one invite answered (its invoice sent back for revision) and one not.
Dates follow today's date, so the open period is always the current month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from data.db import writing
from data.models import (
    AccountingMethod,
    AppUser,
    BillingPeriod,
    ChangeOrder,
    ChangeOrderKind,
    ChangeOrderStatus,
    Commitment,
    CommitmentContact,
    Company,
    CompanyKind,
    InviteType,
    InvoiceLine,
    InvoiceStatus,
    PeriodStatus,
    PointOfView,
    Project,
    ProjectAdministrator,
    Role,
    SovLine,
    UserRole,
)
from data.money import PERCENT_SCALE, QUANTITY_SCALE, to_cents
from data.services import invites, invoice_changes, invoice_views, payments
from data.services.actors import Actor, actor_for_login
from data.services.invoice_changes import LineEntry

DEMO_PROJECT_NUMBER = "2417"


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    email: str
    company: str
    role: Role
    what: str


GC = "Harbor Point Builders, Inc."
ELECTRIC = "Coastline Electric Co."
CONCRETE = "Bayside Concrete & Paving, LLC"

USERS = (
    DemoUser(
        "erin",
        "Erin Walsh",
        "erin@coastline-electric.example",
        ELECTRIC,
        Role.INVOICE_CONTACT,
        "invoice contact, Coastline Electric (electrical subcontract)",
    ),
    DemoUser(
        "dan",
        "Dan Okafor",
        "dan@bayside-concrete.example",
        CONCRETE,
        Role.INVOICE_CONTACT,
        "invoice contact, Bayside Concrete (unit-based subcontract)",
    ),
    DemoUser(
        "pat",
        "Pat Morales",
        "pat@harborpoint.example",
        GC,
        Role.INVOICE_ADMINISTRATOR,
        "invoice administrator, Harbor Point Builders",
    ),
    DemoUser(
        "sam",
        "Sam Lee",
        "sam@harborpoint.example",
        GC,
        Role.SUPPORT,
        "support staff (reads everything)",
    ),
    DemoUser(
        "alex",
        "Alex Chen",
        "alex@harborpoint.example",
        GC,
        Role.SYSTEM_ADMINISTRATOR,
        "system administrator",
    ),
)
DEFAULT_DEMO_LOGIN = "erin"

# (description, budget code, scheduled value)
ELECTRICAL_SOV: tuple[tuple[str, str, str], ...] = (
    ("Mobilization and general conditions", "16-010", "38500.00"),
    ("Temporary power and lighting", "16-015", "24750.00"),
    ("Underground conduit and duct banks", "16-110", "61230.00"),
    ("Service entrance switchgear", "16-420", "148900.00"),
    ("Distribution panels and transformers", "16-440", "96480.00"),
    ("Feeders — levels 1 to 3", "16-120", "112345.67"),
    ("Feeders — levels 4 to 6", "16-120", "104870.33"),
    ("Branch wiring, level 1", "16-130", "43210.50"),
    ("Branch wiring, level 2", "16-130", "41980.25"),
    ("Branch wiring, level 3", "16-130", "41980.25"),
    ("Branch wiring, levels 4 to 6", "16-130", "118600.00"),
    ("Wiring devices and plates", "16-140", "27315.80"),
    ("Lighting fixtures — offices", "16-510", "132450.00"),
    ("Lighting fixtures — lobby café & atrium", "16-515", "58760.40"),
    ("Exterior and site lighting", "16-520", "36200.00"),
    ("Emergency lighting and exit signs", "16-530", "19875.00"),
    ("Lighting controls", "16-540", "44320.00"),
    ("Fire alarm system", "16-720", "87650.00"),
    ("Data and telecom rough-in", "16-740", "33980.00"),
    ("Security and access control rough-in", "16-750", "21440.00"),
    ("Generator and automatic transfer switch", "16-230", "124500.00"),
    ("Grounding and bonding", "16-450", "15630.00"),
    ("Mechanical equipment connections", "16-150", "28915.00"),
    ("Testing, commissioning and O&M manuals", "16-950", "17800.00"),
    ("Owner’s punch list and close-out", "16-990", "12500.00"),
)

# (description, budget code, unit, quantity, unit price)
CONCRETE_SOV: tuple[tuple[str, str, str, str, str], ...] = (
    ("Excavation and grading", "02-300", "CY", "4200", "18.50"),
    ("Aggregate base course, 6 in.", "02-720", "SF", "38500", "1.85"),
    ("Concrete curb and gutter", "02-770", "LF", "2150", "42.75"),
    ("Concrete sidewalk, 4 in.", "03-300", "SF", "14800", "9.40"),
    ("Asphalt paving, 3 in.", "02-740", "SF", "31200", "4.125"),
    ("Storm drain pipe, 12 in. RCP", "02-630", "LF", "860", "96.00"),
    ("Catch basins", "02-630", "EA", "14", "3850.00"),
    ("Accessible ramps with truncated domes", "02-775", "EA", "9", "2475.00"),
    ("Pavement striping and markings", "02-760", "LF", "6400", "0.95"),
    ("Landscape planter walls", "03-310", "LF", "420", "185.60"),
)


def _month_start(day: date, months_back: int) -> date:
    year, month = day.year, day.month - months_back
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def _month_end(start: date) -> date:
    return _month_start(start + timedelta(days=32), 0) - timedelta(days=1)


def _pct(text: str) -> int:
    return int(Decimal(text) * PERCENT_SCALE)


def _seed_people(session: Session) -> dict[str, Company]:
    companies = {
        GC: Company(
            name=GC,
            kind=CompanyKind.GENERAL_CONTRACTOR.value,
            street="200 Harbor Way",
            city="Oakland",
            state="CA",
            zip_code="94607",
        ),
        ELECTRIC: Company(
            name=ELECTRIC,
            kind=CompanyKind.SUBCONTRACTOR.value,
            street="18 Foundry Lane",
            city="San Leandro",
            state="CA",
            zip_code="94577",
        ),
        CONCRETE: Company(
            name=CONCRETE,
            kind=CompanyKind.SUBCONTRACTOR.value,
            street="975 Marsh Road",
            city="Hayward",
            state="CA",
            zip_code="94545",
        ),
    }
    session.add_all(companies.values())
    session.flush()
    for person in USERS:
        company_id = companies[person.company].id
        assert company_id is not None
        user = AppUser(
            login=person.login, display_name=person.name, email=person.email, company_id=company_id
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(UserRole(user_id=user.id, role=person.role.value))
    return companies


def _user_id(session: Session, login: str) -> int:
    user = session.exec(select(AppUser).where(AppUser.login == login)).one()
    assert user.id is not None
    return user.id


def _seed_project(
    session: Session, companies: dict[str, Company], today: date
) -> tuple[Project, Commitment, Commitment]:
    gc_id = companies[GC].id
    assert gc_id is not None
    project = Project(
        number=DEMO_PROJECT_NUMBER,
        name="Mission Bay Medical Office Building",
        street="1450 Third Street",
        city="San Francisco",
        state="CA",
        zip_code="94158",
        owner_name="Mission Bay Health Partners LLC",
        gc_company_id=gc_id,
    )
    session.add(project)
    session.flush()
    assert project.id is not None
    session.add(ProjectAdministrator(project_id=project.id, user_id=_user_id(session, "pat")))

    electric_id, concrete_id = companies[ELECTRIC].id, companies[CONCRETE].id
    assert electric_id is not None and concrete_id is not None
    electrical = Commitment(
        project_id=project.id,
        number="SC-2417-016",
        title="Electrical",
        contract_company_id=electric_id,
        accounting_method=AccountingMethod.AMOUNT.value,
        work_retainage_e4=_pct("10"),
        stored_retainage_e4=_pct("10"),
        stored_materials_separately=True,
    )
    concrete = Commitment(
        project_id=project.id,
        number="SC-2417-031",
        title="Site Concrete & Paving",
        contract_company_id=concrete_id,
        accounting_method=AccountingMethod.UNIT.value,
        work_retainage_e4=_pct("5"),
        stored_retainage_e4=_pct("5"),
    )
    session.add_all([electrical, concrete])
    session.flush()
    assert electrical.id is not None and concrete.id is not None
    session.add(CommitmentContact(commitment_id=electrical.id, user_id=_user_id(session, "erin")))
    session.add(CommitmentContact(commitment_id=concrete.id, user_id=_user_id(session, "dan")))

    for position, (text, code, value) in enumerate(ELECTRICAL_SOV, start=1):
        session.add(
            SovLine(
                commitment_id=electrical.id,
                position=position,
                item_no=str(position),
                description=text,
                budget_code=code,
                scheduled_value_cents=to_cents(Decimal(value)),
            )
        )
    for position, (text, code, unit, qty, price) in enumerate(CONCRETE_SOV, start=1):
        session.add(
            SovLine(
                commitment_id=concrete.id,
                position=position,
                item_no=str(position),
                description=text,
                budget_code=code,
                unit=unit,
                quantity_e4=int(Decimal(qty) * QUANTITY_SCALE),
                unit_price_e4=int(Decimal(price) * QUANTITY_SCALE),
            )
        )

    starts = [_month_start(today, back) for back in (2, 1, 0)]
    _seed_change_orders(
        session,
        electrical.id,
        approved=(starts[1] + timedelta(days=9), starts[2] + timedelta(days=3)),
    )
    return project, electrical, concrete


def _open_period(session: Session, project_id: int, start: date, today: date) -> BillingPeriod:
    """Periods open one after the other: opening one closes the one before it."""
    for period in session.exec(
        select(BillingPeriod).where(
            BillingPeriod.project_id == project_id,
            BillingPeriod.status == PeriodStatus.OPEN.value,
        )
    ).all():
        period.status = PeriodStatus.CLOSED.value
        session.add(period)
    session.flush()
    end = _month_end(start)
    # The current month stays open to answers for a few more days, whatever today is.
    due = end - timedelta(days=5)
    if end >= today:
        due = max(due, today + timedelta(days=4))
    period = BillingPeriod(
        project_id=project_id,
        starts_on=start,
        ends_on=end,
        due_on=due,
        status=PeriodStatus.OPEN.value,
    )
    session.add(period)
    session.flush()
    return period


def _seed_change_orders(session: Session, commitment_id: int, approved: tuple[date, date]) -> None:
    orders = (
        (
            ChangeOrderKind.CCO,
            "001",
            "Added exam-room receptacles",
            ChangeOrderStatus.APPROVED,
            approved[0],
            (
                ("26", "Receptacles and circuits, exam rooms 2-14", "14275.00"),
                ("26.1", "Panel LP-2A breaker additions", "4175.50"),
            ),
        ),
        (
            ChangeOrderKind.CCO,
            "002",
            "Delete site pole lights (owner-furnished)",
            ChangeOrderStatus.APPROVED,
            approved[1],
            (("27", "Credit: site pole lights by owner", "-6800.00"),),
        ),
        (
            ChangeOrderKind.PCO,
            "003",
            "Imaging-suite shielding coordination",
            ChangeOrderStatus.PENDING,
            None,
            (("28", "Imaging suite grounding", "9350.00"),),
        ),
    )
    position = len(ELECTRICAL_SOV)
    for kind, number, title, status, approved_on, lines in orders:
        order = ChangeOrder(
            commitment_id=commitment_id,
            kind=kind.value,
            number=number,
            title=title,
            status=status.value,
            approved_on=approved_on,
        )
        session.add(order)
        session.flush()
        for item_no, text, value in lines:
            position += 1
            session.add(
                SovLine(
                    commitment_id=commitment_id,
                    change_order_id=order.id,
                    position=position,
                    item_no=item_no,
                    description=text,
                    budget_code="16-CO",
                    scheduled_value_cents=to_cents(Decimal(value)),
                )
            )


def _sov_ids(session: Session, commitment_id: int) -> list[int]:
    rows = session.exec(
        select(SovLine.id)
        .where(SovLine.commitment_id == commitment_id)
        .order_by(col(SovLine.position))
    ).all()
    return [r for r in rows if r is not None]


def _bill(
    session: Session,
    contact: Actor,
    admin: Actor,
    commitment: Commitment,
    period: BillingPeriod,
    entries: dict[int, LineEntry],
    *,
    today: date,
) -> None:
    """An earlier month: billed and sent by the contact, approved and paid by the GC."""
    assert commitment.id is not None and period.id is not None
    invoice = invoice_changes.create_invoice(
        session, contact, commitment.id, period.id, today=period.due_on
    )
    assert invoice.id is not None
    invoice.billing_date = period.due_on
    invoice_changes.save_lines(session, contact, invoice.id, entries)
    invoice_changes.change_status(session, contact, invoice.id, InvoiceStatus.UNDER_REVIEW)
    invoice_changes.change_status(session, admin, invoice.id, InvoiceStatus.APPROVED)
    due = invoice_views.load_invoice(session, admin, invoice.id).summary.current_payment_due
    payments.record_payment(
        session,
        admin,
        invoice.id,
        due,
        paid_on=min(period.ends_on + timedelta(days=20), today),
        reference=f"ACH {commitment.number[-3:]}-{invoice.position:02d}",
    )


def _electrical_entries(ids: list[int]) -> list[dict[int, LineEntry]]:
    """What Coastline Electric billed in each of the two months before this one."""
    return [
        {
            ids[0]: LineEntry(work=Decimal("19250.00")),
            ids[1]: LineEntry(work=Decimal("14850.00")),
            ids[2]: LineEntry(work=Decimal("45922.50")),
            ids[3]: LineEntry(new_stored=Decimal("48000.00")),
            ids[4]: LineEntry(work=Decimal("9648.00")),
        },
        {
            ids[0]: LineEntry(work=Decimal("7700.00")),
            ids[2]: LineEntry(work=Decimal("15307.50")),
            ids[3]: LineEntry(work=Decimal("62890.00"), stored_installed=Decimal("30000.00")),
            ids[5]: LineEntry(work=Decimal("33703.70")),
            ids[7]: LineEntry(work=Decimal("8642.10")),
            ids[25]: LineEntry(work=Decimal("4282.50")),
        },
    ]


def _concrete_entries(ids: list[int]) -> list[dict[int, LineEntry]]:
    """What Bayside Concrete billed, by quantity, in each of the two months before this one."""
    return [
        {
            ids[0]: LineEntry(new_quantity=Decimal("2520")),
            ids[1]: LineEntry(new_quantity=Decimal("11550")),
            ids[5]: LineEntry(new_quantity=Decimal("344")),
        },
        {
            ids[0]: LineEntry(new_quantity=Decimal("1260")),
            ids[1]: LineEntry(new_quantity=Decimal("15400")),
            ids[2]: LineEntry(new_quantity=Decimal("645")),
            ids[5]: LineEntry(new_quantity=Decimal("301")),
            ids[6]: LineEntry(new_quantity=Decimal("6")),
        },
    ]


def _current_month(
    session: Session,
    erin: Actor,
    pat: Actor,
    electrical: Commitment,
    concrete: Commitment,
    period: BillingPeriod,
    today: date,
) -> None:
    assert electrical.id is not None and concrete.id is not None and period.id is not None
    invite_e = invites.send_invite(
        session,
        pat,
        electrical.id,
        period.id,
        invite_type=InviteType.WORK_MATERIALS_AND_RETAINAGE,
        today=today,
    )
    invites.send_invite(
        session, pat, concrete.id, period.id, invite_type=InviteType.WORK_AND_MATERIALS, today=today
    )
    assert invite_e.id is not None
    invoice = invites.respond(session, erin, invite_e.id, bill=True, today=today)
    assert invoice is not None and invoice.id is not None
    ids = _sov_ids(session, electrical.id)
    invoice_changes.save_lines(
        session,
        erin,
        invoice.id,
        {
            ids[0]: LineEntry(work=Decimal("3850.00")),
            ids[3]: LineEntry(work=Decimal("36010.00"), stored_installed=Decimal("18000.00")),
            ids[5]: LineEntry(work=Decimal("28086.43")),
            ids[6]: LineEntry(work=Decimal("15730.55")),
            ids[8]: LineEntry(work=Decimal("12594.08")),
            ids[12]: LineEntry(new_stored=Decimal("26490.00")),
            ids[25]: LineEntry(work=Decimal("9992.50")),
        },
    )
    invoice_changes.change_status(session, erin, invoice.id, InvoiceStatus.UNDER_REVIEW)
    line = session.exec(
        select(InvoiceLine).where(
            InvoiceLine.invoice_id == invoice.id, InvoiceLine.sov_line_id == ids[6]
        )
    ).one()
    line.review = "rejected"
    line.review_comment = (
        "Levels 4-6 feeders were not inspected by the end of the period; bill them next month."
    )
    session.add(line)
    invoice_changes.change_status(
        session,
        pat,
        invoice.id,
        InvoiceStatus.REVISE_AND_RESUBMIT,
        comment="Line 7 rejected, see the line comment.",
    )


def build_demo(engine: Engine, today: date, wording: PointOfView | None = None) -> None:
    """Fill an empty, migrated database with the demo project. Nothing is built if it is there.
    `wording`: the project speaks as a general contractor's (the default), an owner's or a
    specialty contractor's people (domain.md §1), also when it was built before."""
    with writing(engine) as session:
        built = session.exec(select(Project).where(Project.number == DEMO_PROJECT_NUMBER)).first()
        if built is not None:
            if wording is not None and built.point_of_view != wording.value:
                built.point_of_view = wording.value
                session.add(built)
            return
        companies = _seed_people(session)
        project, electrical, concrete = _seed_project(session, companies, today)
        if wording is not None:
            project.point_of_view = wording.value
            session.add(project)
        assert project.id is not None and electrical.id is not None and concrete.id is not None
        erin = actor_for_login(session, "erin")
        dan = actor_for_login(session, "dan")
        pat = actor_for_login(session, "pat")
        history = zip(
            _electrical_entries(_sov_ids(session, electrical.id)),
            _concrete_entries(_sov_ids(session, concrete.id)),
            strict=True,
        )
        for back, (electrical_entries, concrete_entries) in zip((2, 1), history, strict=True):
            period = _open_period(session, project.id, _month_start(today, back), today)
            _bill(session, erin, pat, electrical, period, electrical_entries, today=today)
            _bill(session, dan, pat, concrete, period, concrete_entries, today=today)
        period = _open_period(session, project.id, _month_start(today, 0), today)
        _current_month(session, erin, pat, electrical, concrete, period, today)


def main() -> None:
    """`python -m data.demo`: build the demo project in the migrated database that the
    environment variable PAYAPP_DATABASE_URL names, to try a shared host before its own projects
    are entered (payapp has no command for entering them yet). Never into a database in use."""
    import os
    import sys

    from data import migrate
    from data.db import make_engine

    url = os.environ.get("PAYAPP_DATABASE_URL", "").strip()
    if not url:
        sys.exit("python -m data.demo: set PAYAPP_DATABASE_URL to the database to fill")
    engine = make_engine(url)
    try:
        migrate.check_schema(engine)
    except migrate.SchemaMismatch as error:
        sys.exit(f"python -m data.demo: {error}")
    build_demo(engine, date.today())
    engine.dispose()
    print(f"the demo project {DEMO_PROJECT_NUMBER} is in the database: its commitments "
          f"SC-2417-016 ({ELECTRIC}) and SC-2417-031 ({CONCRETE})")


if __name__ == "__main__":
    main()
