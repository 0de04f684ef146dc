"""on PostgreSQL the send's overbilling check counts what a line billed before payapp

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

0005's `payapp_overbilled_items` (as 0012 left it: approved earlier invoices only) summed a
line's work and stored materials over the invoices in payapp alone. A commitment that joined
mid-project (0016) billed part of each line before: data/services/invoice_figures counts that
history in every "previous" column, so payapp refused a send that overbilled a line through its
history, while the same send from psql passed. The check now adds `history_work_cents` and
`history_stored_cents` to G, as payapp does.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_G_OF_0005 = "coalesce(p.work, 0) + coalesce(il.work_cents, 0) + coalesce(p.stored, 0)"
_G_WITH_HISTORY = ("s.history_work_cents + s.history_stored_cents\n"
                   "                   + " + _G_OF_0005)


def _revision_0012() -> ModuleType:
    path = Path(__file__).with_name("0012_one_open_invoice_per_commitment.py")
    spec = importlib.util.spec_from_file_location("payapp_revision_0012", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _overbilled_of_0012() -> str:
    text: str = _revision_0012()._overbilled_of_0005(approved_only=True)
    assert text.count(_G_OF_0005) == 1
    return text


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_overbilled_of_0012().replace(_G_OF_0005, _G_WITH_HISTORY))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_overbilled_of_0012())
