"""The cost of row-level security: the invoice list (home) and opening an invoice, for a contact
and for an administrator, with the policies (their own role) and without (the superuser, which
bypasses them, with payapp's own filtering only), on 200 commitments and 5,000 invoices.

Run: python tests/benchmarks/bench_rls.py   (needs the PostgreSQL server of the tests; prints
figures, asserts nothing on time). PAYAPP_TEST_POSTGRES_URL names the server as for the tests.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import data.models  # noqa: F401  - registers the tables
from data import migrate
from data.db import make_engine, reading
from data.roles import ensure_login_role
from data.services.actors import actor_for_login
from data.services.home import home_for
from data.services.invoice_views import load_invoice

ADMIN_URL = os.environ.get("PAYAPP_TEST_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
T = SQLModel.metadata.tables
COMMITMENTS, INVOICES_EACH, LINES_EACH, COMPANIES = 200, 25, 10, 20
CONTACT, ADMIN = "bench_contact", "bench_admin"
TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def _fill(engine: Engine) -> int:
    """Bulk rows for one project; returns the id of an invoice the contact may open."""
    first_month = date(2024, 11, 1)
    with engine.begin() as c:
        gc = c.execute(insert(T['company']).values(
            name="GC", kind="general_contractor").returning(T['company'].c.id)).scalar_one()
        subs = [c.execute(insert(T['company']).values(
            name=f"Sub {n}", kind="subcontractor").returning(T['company'].c.id)).scalar_one()
            for n in range(COMPANIES)]
        project = c.execute(insert(T['project']).values(
            number="B1", name="Bench", gc_company_id=gc, point_of_view="general_contractor",
            overbilling_allowed=True, waiver_conditional=True, waiver_unconditional=True,
            waiver_jurisdiction="CA", street="", city="", state="", zip_code="", owner_name="",
        ).returning(T['project'].c.id)).scalar_one()
        users = {}
        for login, company, role in ((CONTACT, subs[0], "invoice_contact"),
                                     (ADMIN, gc, "invoice_administrator")):
            users[login] = c.execute(insert(T['app_user']).values(
                login=login, display_name=login, email=f"{login}@x", company_id=company,
                active=True).returning(T['app_user'].c.id)).scalar_one()
            c.execute(insert(T['user_role']).values(
                user_id=users[login], role=role))
        c.execute(insert(T['project_administrator']).values(
            project_id=project, user_id=users[ADMIN]))
        periods = []
        for month in range(INVOICES_EACH):
            start = date(first_month.year + (first_month.month - 1 + month) // 12,
                         (first_month.month - 1 + month) % 12 + 1, 1)
            end = date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(1)
            periods.append(c.execute(insert(T['billing_period']).values(
                project_id=project, starts_on=start, ends_on=end, due_on=end,
                status="open" if month == INVOICES_EACH - 1 else "closed",
            ).returning(T['billing_period'].c.id)).scalar_one())
        commitment_ids = []
        for n in range(COMMITMENTS):
            cid = c.execute(insert(T['commitment']).values(
                project_id=project, number=f"SC-{n:03d}", title=f"Trade {n}",
                contract_company_id=subs[n % COMPANIES], accounting_method="amount",
                work_retainage_e4=100000, stored_retainage_e4=0,
                stored_materials_separately=False).returning(T['commitment'].c.id)
            ).scalar_one()
            commitment_ids.append(cid)
            if n % COMPANIES == 0:
                c.execute(insert(T['commitment_contact']).values(
                    commitment_id=cid, user_id=users[CONTACT]))
        sov: dict[int, list[int]] = {}
        c.execute(insert(T['sov_line']), [
            {"commitment_id": cid, "position": p, "item_no": str(p), "description": f"L{p}",
             "budget_code": "", "scheduled_value_cents": 10_000_000, "unit": ""}
            for cid in commitment_ids for p in range(1, LINES_EACH + 1)])
        for cid, sid in c.execute(text("SELECT commitment_id, id FROM sov_line")):
            sov.setdefault(cid, []).append(sid)
        rows = [{"commitment_id": cid, "period_id": periods[k], "position": k + 1,
                 "status": "approved", "invoice_type": "work_materials", "invoice_number": "",
                 "billing_date": TODAY, "period_start": TODAY, "period_end": TODAY,
                 "billing_type": "progress", "created_by_id": users[ADMIN],
                 "created_at": NOW} for cid in commitment_ids for k in range(INVOICES_EACH)]
        c.execute(insert(T['invoice']), rows)
        invoice_rows = c.execute(text("SELECT id, commitment_id FROM invoice")).all()
        c.execute(insert(T['invoice_line']), [
            {"invoice_id": iid, "sov_line_id": sid, "work_cents": 20_000,
             "work_retainage_e4": 100000, "retained_work_cents": 2_000}
            for iid, cid in invoice_rows for sid in sov[cid]])
        return int(c.execute(text(
            "SELECT max(i.id) FROM invoice i JOIN commitment_contact cc "
            "ON cc.commitment_id = i.commitment_id")).scalar_one())


def _median_ms(action: Callable[[], object], runs: int = 15) -> float:
    action()  # warm the connection pool and caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    name = f"payapp_bench_{uuid.uuid4().hex[:8]}"
    server = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name)
    try:
        superuser = make_engine(url.render_as_string(hide_password=False))
        migrate.upgrade(superuser)
        started = time.perf_counter()
        invoice_id = _fill(superuser)
        print(f"data: {COMMITMENTS} commitments, {COMMITMENTS * INVOICES_EACH} invoices, "
              f"{COMMITMENTS * INVOICES_EACH * LINES_EACH} invoice lines "
              f"(loaded in {time.perf_counter() - started:.1f} s)")
        for login in (CONTACT, ADMIN):
            ensure_login_role(superuser, login)
        for login in (CONTACT, ADMIN):
            own = make_engine(url.set(username=login).render_as_string(hide_password=False))

            def home(engine: Engine, who: str = login) -> int:
                with reading(engine) as s:
                    return len(home_for(s, actor_for_login(s, who), today=TODAY).invoices)

            def open_invoice(engine: Engine, who: str = login) -> int:
                with reading(engine) as s:
                    return len(load_invoice(s, actor_for_login(s, who), invoice_id).lines)

            listed = home(own)
            assert listed == home(superuser), "the policies and payapp disagree"
            print(f"{login} ({listed} invoices listed):")
            for label, action in (("invoice list", home), ("open an invoice", open_invoice)):
                with_rls = _median_ms(partial(action, own))
                without = _median_ms(partial(action, superuser))
                print(f"  {label:<16} with policies {with_rls:8.1f} ms   without "
                      f"{without:8.1f} ms   ({with_rls / without:.1f}x)")
            own.dispose()
        superuser.dispose()
    finally:
        with server.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


if __name__ == "__main__":
    main()
