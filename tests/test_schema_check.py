"""The schema check at start reads the revision with plain SQL and imports Alembic only when
the database is not at the newest revision."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from data import migrate
from data.db import make_engine

CHECK = """
import sys
from data import migrate
from data.db import make_engine
migrate.check_schema(make_engine(sys.argv[1]))
print("alembic" in sys.modules)
"""


def test_the_newest_file_names_alembics_head() -> None:
    assert migrate.newest_file_revision() == migrate.head_revision()


def test_an_up_to_date_database_is_checked_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'payapp.sqlite'}"
    migrate.upgrade(make_engine(url))
    done = subprocess.run([sys.executable, "-c", CHECK, url], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_an_empty_database_still_gets_alembics_answer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    try:
        migrate.check_schema(engine)
    except migrate.SchemaMismatch as error:
        assert error.upgradable and "payapp db upgrade" in str(error)
    else:
        raise AssertionError("an empty database passed the schema check")
