"""Start-up figures: `payapp --help` and `payapp locate` (which must not import textual), and a
cold start of the app to a home screen showing the demo's invoices, beside a bare Textual app of
the same shape (Header, a line, three tabs of DataTables with as many rows and columns, a detail
line, the Footer) started the same way. Budget (issue 7): payapp ≤ 1.5× the bare app.

Each cold start is a new interpreter (`python -c`): wall time from spawning it to its "painted"
line, and the child's own CPU time (time.process_time, imports included) at that moment.

Run: python tests/benchmarks/bench_startup.py   (prints figures; asserts nothing on time)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PAYAPP = Path(sys.executable).with_name("payapp")
RUNS = 10
COLD_RUNS = 7
COLD_START_BUDGET = 1.5  # payapp's cold start at most this many times the bare app's

_COLD_START = """
import asyncio, sys, time
from data.config import locations, sqlite_url
from data.db import make_engine
from tui.app import PayApp

async def main() -> None:
    app = PayApp(make_engine(sqlite_url(locations().demo_database_file)), login="erin", demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        while True:
            tables = app.screen.query("#invoices-table")
            if tables and tables.first().row_count:
                break
            await asyncio.sleep(0.002)
        await pilot.pause()
        cpu = time.process_time()
        shape = " ".join(f"{t.row_count}x{len(t.columns)}"
                         for t in (app.screen.query_one(f"#{k}-table")
                                   for k in ("invites", "invoices", "commitments")))
        print("painted", cpu, shape, flush=True)

asyncio.run(main())
"""

_BARE_START = """
import asyncio, sys, time
from textual.app import App
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

SHAPE = [tuple(int(n) for n in part.split("x")) for part in sys.argv[1:4]]

class Bare(App[None]):
    CSS = "TabbedContent { height: 1fr; } TabPane { padding: 0; } DataTable { height: 1fr; }"

    def compose(self):
        yield Header()
        yield Static("Erin Walsh (erin) · Invoice contact", id="who")
        with TabbedContent(initial="invoices"):
            for key in ("invites", "invoices", "commitments"):
                with TabPane(key.title(), id=key):
                    yield DataTable(id=f"{key}-table", cursor_type="row", zebra_stripes=True)
        yield Static("detail", id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for key, (rows, columns) in zip(("invites", "invoices", "commitments"), SHAPE):
            table = self.query_one(f"#{key}-table", DataTable)
            table.add_columns(*(f"Column {c}" for c in range(columns)))
            for r in range(rows):
                table.add_row(*(f"cell {r}.{c}" for c in range(columns)))

async def main() -> None:
    app = Bare()
    async with app.run_test(size=(80, 24)) as pilot:
        while True:
            tables = app.screen.query("#invoices-table")
            if tables and tables.first().row_count:
                break
            await asyncio.sleep(0.002)
        await pilot.pause()
        print("painted", time.process_time(), flush=True)

asyncio.run(main())
"""


@dataclass(frozen=True)
class ColdStarts:
    """Medians over `runs` cold starts, in seconds: wall time to the painted line and the
    child's CPU time then, for payapp and for the bare app of the same shape."""

    payapp_wall: float
    payapp_cpu: float
    bare_wall: float
    bare_cpu: float
    shape: str
    runs: int

    @property
    def wall_ratio(self) -> float:
        return self.payapp_wall / self.bare_wall

    @property
    def cpu_ratio(self) -> float:
        return self.payapp_cpu / self.bare_cpu


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _report(name: str, seconds: list[float]) -> None:
    print(f"{name:<38} median {statistics.median(seconds) * 1000:7.1f} ms   "
          f"best {min(seconds) * 1000:7.1f} ms   ({len(seconds)} runs)")


def _imports_textual(argv: list[str], env: dict[str, str]) -> bool:
    done = subprocess.run([sys.executable, "-X", "importtime", str(PAYAPP), *argv], env=env,
                          capture_output=True, text=True, check=True)
    return any(line.split("|")[-1].strip() == "textual" for line in done.stderr.splitlines())


def _cold(script: str, args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Spawn `script`; (wall seconds to its "painted" line, its CPU seconds then, the rest)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", script, *args], env=env,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    wall = time.perf_counter() - start
    child.wait()
    word, cpu, *rest = line.split()
    if word != "painted":
        raise RuntimeError(f"the cold start did not paint: {line!r}")
    return wall, float(cpu), " ".join(rest)


def demo_env(home: str) -> dict[str, str]:
    """An environment with its own data and config folders holding the demo database."""
    env = {**os.environ, "XDG_DATA_HOME": f"{home}/data", "XDG_CONFIG_HOME": f"{home}/config"}
    env.pop("PAYAPP_DATABASE_URL", None)
    subprocess.run([str(PAYAPP), "demo", "--no-app"], env=env, check=True, capture_output=True)
    return env


def cold_starts(env: dict[str, str], runs: int = COLD_RUNS) -> ColdStarts:
    """payapp and the bare app of the same shape, started alternately `runs` times each."""
    payapp: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    shape = ""
    for _ in range(runs):
        wall, cpu, shape = _cold(_COLD_START, [], env)
        payapp.append((wall, cpu))
        wall, cpu, _ = _cold(_BARE_START, shape.split(), env)
        bare.append((wall, cpu))
    return ColdStarts(statistics.median(w for w, _ in payapp),
                      statistics.median(c for _, c in payapp),
                      statistics.median(w for w, _ in bare),
                      statistics.median(c for _, c in bare), shape, runs)


def print_cold_starts(cold: ColdStarts) -> None:
    holds = "holds" if cold.wall_ratio <= COLD_START_BUDGET else "MISSED"
    print(f"{'cold start to home screen with data':<38} median {cold.payapp_wall * 1000:7.1f} ms"
          f" wall, {cold.payapp_cpu * 1000:7.1f} ms CPU   ({cold.runs} runs)")
    print(f"{'bare Textual app of the same shape':<38} median {cold.bare_wall * 1000:7.1f} ms"
          f" wall, {cold.bare_cpu * 1000:7.1f} ms CPU   (tables {cold.shape})")
    print(f"{'payapp ÷ bare app':<38} {cold.wall_ratio:.2f}× wall, {cold.cpu_ratio:.2f}× CPU"
          f"   (budget ≤ {COLD_START_BUDGET}×: {holds})")


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = demo_env(home)
        for argv in (["--help"], ["locate"]):
            _report(f"payapp {' '.join(argv)}", [_timed([str(PAYAPP), *argv], env)
                                                 for _ in range(RUNS)])
            print(f"{'':<38} imports textual: {_imports_textual(argv, env)}")
        print_cold_starts(cold_starts(env))


if __name__ == "__main__":
    main()
