"""Start-up figures: `payapp --help` and `payapp locate` (which must not import textual), and a
cold start of the app to a home screen showing the demo's invoices.

Run: python tests/benchmarks/bench_startup.py   (prints figures; asserts nothing on time)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAYAPP = Path(sys.executable).with_name("payapp")
RUNS = 10

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
        print("painted", flush=True)

asyncio.run(main())
"""


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


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_DATA_HOME": f"{home}/data", "XDG_CONFIG_HOME": f"{home}/config"}
        env.pop("PAYAPP_DATABASE_URL", None)
        subprocess.run([str(PAYAPP), "demo", "--no-app"], env=env, check=True,
                       capture_output=True)
        for argv in (["--help"], ["locate"]):
            _report(f"payapp {' '.join(argv)}", [_timed([str(PAYAPP), *argv], env)
                                                 for _ in range(RUNS)])
            print(f"{'':<38} imports textual: {_imports_textual(argv, env)}")
        cold = []
        for _ in range(5):
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-c", _COLD_START], env=env,
                                     stdout=subprocess.PIPE, text=True)
            assert child.stdout is not None
            line = child.stdout.readline()
            cold.append(time.perf_counter() - start)
            child.wait()
            assert line.strip() == "painted", line
        _report("cold start to home screen with data", cold)


if __name__ == "__main__":
    main()
