"""The invoice editor with a 500-line schedule of values: time to open the invoice (database
read, arithmetic and the grid drawn), time to commit one typed cell (the line, the totals row and
the G702 figures updated), and the process's memory with the invoice open.

Run: python tests/benchmarks/bench_invoice_editor.py   (prints figures; asserts nothing on time)
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

LINES = 500
TODAY = date(2026, 11, 21)


def _build(engine: Engine) -> int:
    """A commitment with 500 lines, one earlier approved invoice, and a draft to edit."""
    from data.db import writing
    from data.models import (
        AppUser,
        BillingPeriod,
        Commitment,
        CommitmentContact,
        Company,
        InvoiceStatus,
        Project,
        ProjectAdministrator,
        SovLine,
        UserRole,
    )
    from data.services.actors import actor_for_login
    from data.services.invoice_changes import LineEntry, change_status, create_invoice, save_lines

    with writing(engine) as s:
        gc, sub = Company(name="GC", kind="general_contractor"), Company(name="Sub",
                                                                          kind="subcontractor")
        s.add_all([gc, sub])
        s.flush()
        assert gc.id is not None and sub.id is not None
        project = Project(number="P", name="Bench", gc_company_id=gc.id)
        s.add(project)
        s.flush()
        assert project.id is not None
        users = {}
        for login, company, role in (("bench", sub.id, "invoice_contact"),
                                     ("boss", gc.id, "invoice_administrator")):
            user = AppUser(login=login, display_name=login, email=f"{login}@x", company_id=company)
            s.add(user)
            s.flush()
            assert user.id is not None
            s.add(UserRole(user_id=user.id, role=role))
            users[login] = user.id
        s.add(ProjectAdministrator(project_id=project.id, user_id=users["boss"]))
        commitment = Commitment(project_id=project.id, number="SC-1", title="Big",
                                contract_company_id=sub.id, accounting_method="amount",
                                work_retainage_e4=100000, stored_retainage_e4=100000,
                                stored_materials_separately=True)
        s.add(commitment)
        s.flush()
        assert commitment.id is not None
        s.add(CommitmentContact(commitment_id=commitment.id, user_id=users["bench"]))
        s.add_all(SovLine(commitment_id=commitment.id, position=n, item_no=str(n),
                          description=f"Line {n} — scope of work", budget_code="01-000",
                          scheduled_value_cents=1_000_000 + n * 137) for n in range(1, LINES + 1))
        first = BillingPeriod(project_id=project.id, starts_on=date(2026, 10, 1),
                              ends_on=date(2026, 10, 31), due_on=date(2026, 10, 31),
                              status="open")
        s.add(first)
        s.flush()
        assert first.id is not None
        contact, boss = actor_for_login(s, "bench"), actor_for_login(s, "boss")
        earlier = create_invoice(s, contact, commitment.id, first.id, today=date(2026, 10, 20))
        assert earlier.id is not None
        ids = [line.id for line in s.exec(select(SovLine)).all()]
        save_lines(s, contact, earlier.id, {i: LineEntry(work=Decimal("1234.56"))
                                           for i in ids if i is not None})
        change_status(s, contact, earlier.id, InvoiceStatus.UNDER_REVIEW)
        change_status(s, boss, earlier.id, InvoiceStatus.APPROVED)
        first.status = "closed"
        s.add(first)
        s.flush()
        second = BillingPeriod(project_id=project.id, starts_on=date(2026, 11, 1),
                               ends_on=date(2026, 11, 30), due_on=date(2026, 11, 30),
                               status="open")
        s.add(second)
        s.flush()
        assert second.id is not None
        draft = create_invoice(s, contact, commitment.id, second.id, today=TODAY)
        assert draft.id is not None
        return draft.id


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _measure(engine: Engine, invoice_id: int) -> None:
    from tui.app import PayApp
    from tui.screens.invoice import InvoiceScreen

    app = PayApp(engine, login="bench", today=lambda: TODAY)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        before = _rss_mb()
        opens = []
        for _ in range(5):
            start = time.perf_counter()
            screen = InvoiceScreen(invoice_id)
            await app.push_screen(screen)
            while screen.draft is None or screen.grid.row_count < LINES:
                await asyncio.sleep(0.001)
            await pilot.pause()
            opens.append(time.perf_counter() - start)
            if len(opens) < 5:
                await app.pop_screen()
        print(f"open a {LINES}-line invoice (read, compute, draw): "
              f"median {statistics.median(opens) * 1000:.0f} ms, best {min(opens) * 1000:.0f} ms")
        print(f"memory: peak RSS {_rss_mb():.0f} MB with the invoice open "
              f"({before:.0f} MB on the home screen before)")

        from data.editing import Field

        assert screen.draft is not None
        line_ids = [line.sov_line_id for line in screen.draft.view.lines]
        commits = []
        for n in range(60):
            sov_line_id = line_ids[(n * 7) % LINES]
            start = time.perf_counter()
            screen.draft.set(sov_line_id, Field.WORK, f"{100 + n}.25")
            screen.grid.update_lines([sov_line_id])
            screen._show_figures()
            commits.append(time.perf_counter() - start)
        print(f"commit one cell (line, totals, summary): median "
              f"{statistics.median(commits) * 1000:.1f} ms, worst {max(commits) * 1000:.1f} ms "
              f"({len(commits)} commits)")

        keys = []
        for n in range(10):
            start = time.perf_counter()
            await pilot.press(*str(200 + n), "enter")
            await pilot.pause()
            keys.append(time.perf_counter() - start)
        print(f"type a value and Enter through the real key path (Pilot, incl. redraw): "
              f"median {statistics.median(keys) * 1000:.0f} ms")


def main() -> None:
    from data import migrate
    from data.db import make_engine

    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_DATA_HOME"] = folder
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        migrate.upgrade(engine)
        started = time.perf_counter()
        invoice_id = _build(engine)
        print(f"built: {LINES} SOV lines, one approved invoice and a draft "
              f"({time.perf_counter() - started:.1f} s)")
        asyncio.run(_measure(engine, invoice_id))


if __name__ == "__main__":
    main()
