"""Many people saving at once (issue 8): N invoice contacts, each in their own process and logged
in as their own PostgreSQL role, save their own 25-line Draft invoice in a loop for S seconds
through the real save service; then the same run connected as one role that bypasses row-level
security (the superuser, acting as the same payapp users). Prints saves per second, p50, p95 and
max save latency and errors by type; one uncontended save as a contact against the same save
without row-level security; and the audit chain's verification (`payapp audit verify`).

Run: .venv/bin/python tests/benchmarks/bench_concurrent_saves.py [--people 50] [--seconds 30]
(needs the PostgreSQL server of the tests; PAYAPP_TEST_POSTGRES_URL names it, a superuser).
It creates a database payapp_bench_<random> and login roles bench_<random>_NN, and drops them
at the end, even on failure. Budget: p95 <= 150 ms with 50 people; the uncontended save as a
contact <= 3x the same save without row-level security. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from multiprocessing.synchronize import Barrier
from pathlib import Path
from queue import Empty
from threading import BrokenBarrierError
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session, select

from data import migrate
from data.db import make_engine, reading, writing
from data.editing import DraftInvoice, Field
from data.models import (
    AccountingMethod,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Company,
    CompanyKind,
    PeriodStatus,
    Project,
    Role,
    SovLine,
)
from data.roles import add_user
from data.services.actors import actor_for_login
from data.services.attachments import list_attachments
from data.services.invoice_changes import create_invoice, save_lines
from data.services.invoice_views import InvoiceView, load_invoice

ADMIN_URL = os.environ.get("PAYAPP_TEST_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LINES = 25
SCHEDULED_CENTS = 100_000_000  # $1,000,000 a line: a save adding $1 never overbills
UNCONTENDED_RUNS = 30
P95_BUDGET_MS = 150.0
RATIO_BUDGET = 3.0
START_TIMEOUT_S = 600.0  # 50 interpreters importing payapp on a small machine take a while
MIGRATE_ATTEMPTS, MIGRATE_WAIT_S = 4, 120.0


@dataclass(frozen=True)
class Person:
    login: str
    invoice_id: int


@dataclass(frozen=True)
class Run:
    label: str
    people: int
    saves: list[float]  # seconds, every successful save
    loads: list[float]
    errors: Counter[str]
    seconds: float  # the longest worker's time in the loop

    @property
    def per_second(self) -> float:
        return len(self.saves) / self.seconds if self.seconds else 0.0


# --- the data ----------------------------------------------------------------------------------


def _month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _build(engine: Engine, logins: list[str], today: date) -> list[Person]:
    """One project, a subcontractor, a user and login role, a 25-line commitment and a Draft
    invoice for each person, in the open period; returns who bills which invoice."""
    companies = [f"Bench Sub {n:02d}" for n in range(len(logins))]
    with writing(engine) as session:
        gc = Company(name="Bench General Contractor", kind=CompanyKind.GENERAL_CONTRACTOR.value)
        session.add(gc)
        session.add_all(Company(name=name, kind=CompanyKind.SUBCONTRACTOR.value)
                        for name in companies)
        session.flush()
        assert gc.id is not None
        session.add(Project(number="B8", name="Concurrent saves", gc_company_id=gc.id))
    for login, name in zip(logins, companies, strict=True):
        # What `payapp users add LOGIN --company ... --role invoice_contact` does.
        add_user(engine, login, company=name, roles=frozenset({Role.INVOICE_CONTACT}),
                 display_name=f"Contact of {name}")
    people = []
    with writing(engine) as session:
        project = session.exec(select(Project).where(Project.number == "B8")).one()
        assert project.id is not None
        end = _month_end(today)
        period = BillingPeriod(project_id=project.id, starts_on=today.replace(day=1),
                               ends_on=end, due_on=max(end, today + timedelta(days=7)),
                               status=PeriodStatus.OPEN.value)
        session.add(period)
        session.flush()
        assert period.id is not None
        for n, (login, company_name) in enumerate(zip(logins, companies, strict=True)):
            company = session.exec(select(Company).where(Company.name == company_name)).one()
            assert company.id is not None
            commitment = Commitment(
                project_id=project.id, number=f"SC-B8-{n:03d}", title=f"Trade {n:02d}",
                contract_company_id=company.id, accounting_method=AccountingMethod.AMOUNT.value,
                work_retainage_e4=100_000, stored_retainage_e4=100_000)
            session.add(commitment)
            session.flush()
            assert commitment.id is not None
            actor = actor_for_login(session, login)
            session.add(CommitmentContact(commitment_id=commitment.id, user_id=actor.user_id))
            session.add_all(
                SovLine(commitment_id=commitment.id, position=p, item_no=str(p),
                        description=f"Line {p}", budget_code=f"{p:02d}-000",
                        scheduled_value_cents=SCHEDULED_CENTS)
                for p in range(1, LINES + 1))
            session.flush()
            invoice = create_invoice(session, actor, commitment.id, period.id, today=today)
            assert invoice.id is not None
            people.append(Person(login, invoice.id))
    return people


# --- one person's work, as the app does it ---------------------------------------------------


def _load(engine: Engine, login: str, invoice_id: int) -> InvoiceView:
    """What the invoice screen does on opening, and again after every save."""
    with reading(engine) as session:
        actor = actor_for_login(session, login)
        view = load_invoice(session, actor, invoice_id)
        list_attachments(session, actor, invoice_id)
    return view


def _typed(view: InvoiceView, turn: int) -> DraftInvoice:
    """The person types a new work-this-period on one line: $1 more than it was."""
    draft = DraftInvoice(view)
    line = view.lines[turn % len(view.lines)]
    draft.set(line.sov_line_id, Field.WORK, str(line.result.line.work_this_period + Decimal(1)))
    return draft


def _save(engine: Engine, login: str, invoice_id: int, draft: DraftInvoice) -> None:
    """Ctrl+S on the invoice screen: one writing unit of work, with the version check."""
    with writing(engine) as session:
        actor = actor_for_login(session, login)
        save_lines(session, actor, invoice_id, draft.entries(), version=draft.view.version)


def _error_name(error: BaseException) -> str:
    cause = getattr(error, "orig", None)  # a SQLAlchemy error: name the driver's too
    return type(error).__name__ + (f"({type(cause).__name__})" if cause is not None else "")


def _worker(url: str, login: str, invoice_id: int, seconds: float, barrier: Barrier,
            ready: Any, results: Any) -> None:
    """One person's payapp process: open the invoice, say so on `ready`, wait for the start,
    then save in a loop. Puts (login, save seconds, load seconds, errors, seconds in the loop)
    on `results`."""
    saves: list[float] = []
    loads: list[float] = []
    errors: Counter[str] = Counter()
    elapsed = 0.0
    engine = make_engine(url)
    try:
        try:
            _load(engine, login, invoice_id)  # connect, and warm what a first open warms
        except Exception as error:
            errors[f"before the start: {_error_name(error)}: {str(error).splitlines()[0]}"] += 1
            barrier.abort()
            return
        ready.put(login)
        try:
            barrier.wait(START_TIMEOUT_S)
        except BrokenBarrierError:
            errors["the start was called off"] += 1
            return
        started = time.perf_counter()
        deadline = started + seconds
        turn = 0
        while time.perf_counter() < deadline:
            phase = "load"
            try:
                began = time.perf_counter()
                view = _load(engine, login, invoice_id)
                loads.append(time.perf_counter() - began)
                draft = _typed(view, turn)
                phase = "save"
                began = time.perf_counter()
                _save(engine, login, invoice_id, draft)
                saves.append(time.perf_counter() - began)
            except Exception as error:  # counted and reported: the run goes on
                errors[f"{phase}: {_error_name(error)}"] += 1
                time.sleep(0.01)
            turn += 1
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
        results.put((login, saves, loads, dict(errors), elapsed))


def _concurrent(label: str, jobs: list[tuple[str, Person]], seconds: float) -> Run:
    """One process per (url, person), started together, each saving for `seconds`."""
    context = multiprocessing.get_context("spawn")  # separate interpreters, as separate people
    barrier = context.Barrier(len(jobs) + 1)
    ready, results = context.Queue(), context.Queue()
    processes = [
        context.Process(target=_worker, name=f"saver-{person.login}",
                        args=(url, person.login, person.invoice_id, seconds, barrier, ready,
                              results))
        for url, person in jobs
    ]
    for process in processes:
        process.start()
    saves: list[float] = []
    loads: list[float] = []
    errors: Counter[str] = Counter()
    longest = 0.0
    try:
        if _all_ready(processes, ready):
            barrier.wait(START_TIMEOUT_S)
        else:
            errors["a worker did not get ready (died or failed to open its invoice)"] += 1
            barrier.abort()
        reported = 0
        while reported < len(processes):
            try:
                _login, own_saves, own_loads, own_errors, elapsed = results.get(timeout=1.0)
            except Empty:
                if not any(p.is_alive() for p in processes):
                    errors["a worker died without reporting"] += len(processes) - reported
                    break
                continue
            reported += 1
            saves += own_saves
            loads += own_loads
            errors.update(own_errors)
            longest = max(longest, elapsed)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join()
    return Run(label, len(jobs), saves, loads, errors, longest)


def _all_ready(processes: list[Any], ready: Any) -> bool:
    """Wait until every worker has opened its invoice; False as soon as one has died."""
    deadline = time.monotonic() + START_TIMEOUT_S
    count = 0
    while count < len(processes) and time.monotonic() < deadline:
        try:
            ready.get(timeout=1.0)
            count += 1
        except Empty:
            if any(p.exitcode is not None for p in processes):
                return False
    return count == len(processes)


def _uncontended_ms(engine: Engine, person: Person) -> float:
    """Median of 30 saves by one person alone (each after opening the invoice, untimed)."""
    _save(engine, person.login, person.invoice_id, _typed(_load(engine, person.login,
                                                                  person.invoice_id), 0))
    times = []
    for turn in range(1, UNCONTENDED_RUNS + 1):
        draft = _typed(_load(engine, person.login, person.invoice_id), turn)
        began = time.perf_counter()
        _save(engine, person.login, person.invoice_id, draft)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


# --- reporting ---------------------------------------------------------------------------------


def _percentile_ms(values: list[float], percent: float) -> float:
    """Nearest-rank percentile, in milliseconds; NaN when there is nothing."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1] * 1000


def _print_runs(runs: list[Run]) -> None:
    print(f"\n{'run':<28}{'people':>7}{'saves':>7}{'saves/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'max ms':>9}{'load p50':>10}{'errors':>8}")
    for run in runs:
        print(f"{run.label:<28}{run.people:>7}{len(run.saves):>7}{run.per_second:>9.1f}"
              f"{_percentile_ms(run.saves, 50):>9.1f}{_percentile_ms(run.saves, 95):>9.1f}"
              f"{_percentile_ms(run.saves, 100):>9.1f}{_percentile_ms(run.loads, 50):>10.1f}"
              f"{sum(run.errors.values()):>8}")
    for run in runs:
        for name, count in run.errors.most_common():
            print(f"  {run.label}: {count} x {name}")


def _verify_audit(superuser: Engine, url: URL) -> None:
    """The function behind `payapp audit verify`, then the command itself."""
    from data.audit_chain import verify_database

    with Session(superuser) as session:
        # (count, breaks) before the chain was sealed afterwards; a Verdict since.
        verdict: Any = verify_database(session)
    if isinstance(verdict, tuple):
        (count, breaks), unsealed = verdict, 0
    else:
        count, breaks, unsealed = verdict.count, verdict.breaks, getattr(verdict, "unsealed", 0)
    print(f"\naudit chain (verify_database): {count} entries read; "
          + ("the chain is intact" if not breaks else f"{len(breaks)} problem(s)")
          + (f"; {unsealed} not chained yet" if unsealed else ""))
    for found in breaks[:5]:
        print(f"  entry {found.entry_id}: {found.problem}")
    if len(breaks) > 5:
        print(f"  ... and {len(breaks) - 5} more")
    command = Path(sys.executable).with_name("payapp")
    if not command.exists():
        print(f"(no {command}: the command itself was not run)")
        return
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PAYAPP_DATABASE_URL": url.render_as_string(hide_password=False),
               "XDG_CONFIG_HOME": f"{home}/config", "XDG_DATA_HOME": f"{home}/data"}
        done = subprocess.run([str(command), "audit", "verify"], env=env, capture_output=True,
                              text=True, check=False)
    lines = done.stdout.strip().splitlines()
    print(f"payapp audit verify (exit {done.returncode}): "
          f"{lines[-1] if lines else done.stderr.strip()}")


# --- the run -----------------------------------------------------------------------------------


def _migrated(url: str) -> Engine:
    """The schema in the tree; someone may be changing a migration: wait and try again."""
    for attempt in range(1, MIGRATE_ATTEMPTS + 1):
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            return engine
        except Exception as error:
            engine.dispose()
            if attempt == MIGRATE_ATTEMPTS:
                raise
            print(f"migration failed ({_error_name(error)}: {str(error).splitlines()[0]}); "
                  f"trying again in {MIGRATE_WAIT_S:.0f} s", flush=True)
            time.sleep(MIGRATE_WAIT_S)
    raise AssertionError("unreachable")


def _drop(server: Engine, database: str, logins: list[str]) -> None:
    with server.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        for login in logins:
            try:
                c.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
            except Exception as error:  # report and go on: the others still go
                print(f"could not drop role {login}: {str(error).splitlines()[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=50, help="concurrent writers (50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each run (30)")
    args = parser.parse_args()
    people_count, seconds = int(args.people), float(args.seconds)

    token = uuid.uuid4().hex[:8]
    database = f"payapp_bench_{token}"
    logins = [f"bench_{token}_{n:02d}" for n in range(people_count)]
    server = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as c:
        c.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(ADMIN_URL).set(database=database)
    super_url = url.render_as_string(hide_password=False)

    def own_url(login: str) -> str:
        return url.set(username=login, password=None).render_as_string(hide_password=False)

    try:
        started = time.perf_counter()
        superuser = _migrated(super_url)
        people = _build(superuser, logins, date.today())
        print(f"database {database}: {people_count} people, {people_count} commitments of "
              f"{LINES} SOV lines, {people_count} Draft invoices of {LINES} lines "
              f"(built in {time.perf_counter() - started:.1f} s)", flush=True)

        contact = make_engine(own_url(people[0].login))
        with_rls = _uncontended_ms(contact, people[0])
        without = _uncontended_ms(superuser, people[0])
        contact.dispose()

        runs = []
        for label, jobs in (
            ("own roles (with RLS)", [(own_url(p.login), p) for p in people]),
            ("superuser (no RLS)", [(super_url, p) for p in people]),
        ):
            print(f"running {label}: {people_count} processes for {seconds:g} s ...", flush=True)
            runs.append(_concurrent(label, jobs, seconds))

        _print_runs(runs)
        p95 = _percentile_ms(runs[0].saves, 95)
        print(f"\np95 with row-level security, {people_count} people: {p95:.1f} ms "
              f"(budget <= {P95_BUDGET_MS:.0f} ms: "
              f"{'met' if p95 <= P95_BUDGET_MS else 'MISSED'})")
        ratio = with_rls / without
        print(f"uncontended save, median of {UNCONTENDED_RUNS}: as a contact {with_rls:.1f} ms, "
              f"without RLS {without:.1f} ms, ratio {ratio:.2f}x "
              f"(budget <= {RATIO_BUDGET:.0f}x: {'met' if ratio <= RATIO_BUDGET else 'MISSED'})")
        _verify_audit(superuser, url)
        superuser.dispose()
    finally:
        _drop(server, database, logins)
        server.dispose()


if __name__ == "__main__":
    main()
