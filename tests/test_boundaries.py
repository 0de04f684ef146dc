"""The arrow goes one way: data never imports tui, textual or rich; the quick commands never
import textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import data

ROOT = Path(__file__).resolve().parent.parent


def _data_modules() -> list[str]:
    names = ["data"]
    for info in pkgutil.walk_packages(data.__path__, prefix="data."):
        if ".migrations" in info.name:  # Alembic's env.py runs only inside a migration
            continue
        names.append(info.name)
    return names


def _loaded_after(code: str) -> set[str]:
    script = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return set(done.stdout.split())


def test_every_data_module_imports_without_the_interface() -> None:
    modules = _data_modules()
    assert "data.services.invoice_views" in modules and "data.g703_check" in modules
    loaded = _loaded_after("\n".join(f"import {name}" for name in modules))
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "rich", "tui")}


def test_quick_commands_do_not_import_textual() -> None:
    for argv in (["--help"], ["locate"], ["db", "--help"]):
        loaded = _loaded_after(
            "from tui.cli import main\n"
            "try:\n"
            f"    main({argv!r}, standalone_mode=False)\n"
            "except SystemExit:\n"
            "    pass\n"
        )
        assert "tui.cli" in loaded
        assert "textual" not in loaded, argv
