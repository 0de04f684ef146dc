"""Two payapp processes on one SQLite file (data/db.py): writes wait their turn, none is lost.

Each process runs read-then-write transactions through data.db.writing. Without BEGIN IMMEDIATE
the second writer of a pair fails at once with "database is locked" (its read snapshot is stale
and SQLite cannot wait for it); with it, the writer waits for the lock before reading.
"""

from __future__ import annotations

import multiprocessing
import stat
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import select

from data import migrate
from data.config import sqlite_url
from data.db import make_engine, reading, writing
from data.models import AuditEntry, Company, CompanyKind

ROUNDS = 100
COUNTER = "payapp concurrency counter"


def _worker(url: str, name: str, start: Barrier, errors: Queue[str]) -> None:
    """Run in a spawned process: ROUNDS read-then-write transactions."""
    try:
        engine = make_engine(url)
        start.wait(timeout=60)
        for _ in range(ROUNDS):
            with writing(engine) as session:
                counter = session.exec(select(Company).where(Company.name == COUNTER)).one()
                seen = int(counter.zip_code)
                entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
                session.add(AuditEntry(actor_login=name, action="tick", entity="company",
                                       entity_id=counter.id, before=str(seen),
                                       after=str(entries)))
                counter.zip_code = str(seen + 1)
                session.add(counter)
        engine.dispose()
    except BaseException:
        errors.put(f"{name}: {traceback.format_exc()}")
        raise


def test_two_processes_write_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "payapp.sqlite"
    url = sqlite_url(path)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with writing(engine) as session:
        session.add(Company(name=COUNTER, kind=CompanyKind.SUBCONTRACTOR.value, zip_code="0"))

    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    errors: Queue[str] = context.Queue()
    workers = [context.Process(target=_worker, args=(url, f"p{n}", start, errors))
               for n in (1, 2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    failures = []
    while not errors.empty():
        failures.append(errors.get(timeout=5))
    for process in workers:
        if process.is_alive():
            process.kill()
            process.join()
    assert failures == []
    assert [p.exitcode for p in workers] == [0, 0]

    with reading(engine) as session:
        rows = session.exec(select(AuditEntry.actor_login, func.count())
                            .group_by(AuditEntry.actor_login)).all()
        counter = session.exec(select(Company).where(Company.name == COUNTER)).one()
        # Each transaction saw the count its predecessor left: no two read the same state.
        seen = sorted(int(a) for a in session.exec(select(AuditEntry.after)).all())
        zip_code, version = counter.zip_code, counter.version
    assert dict(rows) == {"p1": ROUNDS, "p2": ROUNDS}
    assert sum(n for _, n in rows) == 2 * ROUNDS
    assert seen == list(range(2 * ROUNDS))
    assert zip_code == str(2 * ROUNDS)  # no lost update
    assert version == 2 * ROUNDS + 1
    engine.dispose()


def test_new_sqlite_file_is_private_and_configured(tmp_path: Path) -> None:
    folder = tmp_path / "fresh" / "payapp"
    path = folder / "payapp.sqlite"
    engine = make_engine(sqlite_url(path))
    assert path.exists()  # created before SQLite opens it, so never with a looser mode
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() >= 1000
    engine.dispose()
