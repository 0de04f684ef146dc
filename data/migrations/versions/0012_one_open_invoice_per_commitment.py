"""a new invoice starts only when every earlier one of its commitment is approved; on
PostgreSQL the send's overbilling check counts approved earlier invoices only

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-19

domain.md §3: "A new invoice on a commitment starts only when every earlier one is approved
(Approved, Approved as Noted, or Pending Owner Approval); line 7 and every 'previous' column
count approved invoices only."

- payapp refuses to create an invoice (data/services/invoice_changes.create_invoice, and a Yes to
  an invite) while an earlier invoice of the commitment is Draft, Under Review or Revise &
  Resubmit; so does the database, for whoever inserts (payapp or psql). On PostgreSQL the
  refusal names the earlier invoice and its status, as payapp's does; sessions that belong to no
  payapp person pass, as in 0004. Two people inserting for the same commitment at once take turns
  (an advisory lock per commitment, as 0007 does per project), so neither misses the other's.
- On SQLite the same rule is a trigger, with a fixed message (RAISE takes no expression).
- The send's overbilling check of 0005 (`payapp_overbilled_items`) sums the approved earlier
  invoices only, as data/services/invoice_figures.previous_by_line now does.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# data/services/invoice_figures.COUNTS_AS_APPROVED as it stands at this revision (a test
# compares the two).
APPROVED = ("approved", "approved_as_noted", "pending_owner")
_APPROVED_SQL = ", ".join(f"'{status}'" for status in APPROVED)

RULE = "a new invoice starts only when every earlier one is approved"

POSTGRES = rf"""
CREATE FUNCTION payapp_one_open_invoice() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    earlier invoice;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('invoice'), NEW.commitment_id);
    SELECT * INTO earlier FROM invoice i
        WHERE i.commitment_id = NEW.commitment_id AND i.status NOT IN ({_APPROVED_SQL})
        ORDER BY i.position LIMIT 1;
    IF FOUND THEN
        PERFORM payapp_refuse(format('invoice #%s%s of this commitment is %s; {RULE}',
            earlier.position,
            CASE WHEN earlier.invoice_number <> '' THEN ' (' || earlier.invoice_number || ')'
                 ELSE '' END,
            (SELECT label FROM workflow_status WHERE rule = 'label'
             AND status = earlier.status)));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoice_one_open BEFORE INSERT ON invoice
    FOR EACH ROW EXECUTE FUNCTION payapp_one_open_invoice();
"""

SQLITE = f"""CREATE TRIGGER invoice_one_open BEFORE INSERT ON invoice
    WHEN EXISTS (SELECT 1 FROM invoice i WHERE i.commitment_id = NEW.commitment_id
                 AND i.status NOT IN ({_APPROVED_SQL}))
    BEGIN SELECT RAISE(ABORT, 'an earlier invoice of this commitment is not approved; {RULE}');
    END"""

_PREVIOUS_OF_0005 = "AND i.position < p_invoice.position"


def _revision(file_name: str) -> ModuleType:
    path = Path(__file__).with_name(file_name)
    spec = importlib.util.spec_from_file_location(f"payapp_revision_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _overbilled_of_0005(*, approved_only: bool) -> str:
    """0005's `payapp_overbilled_items` as CREATE OR REPLACE (which keeps its owner and
    grants), its previous columns summed over approved earlier invoices or over all."""
    text: str = _revision("0005_send_checked_by_the_database.py").OVERBILLED
    assert text.count(_PREVIOUS_OF_0005) == 1
    text = text.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    if approved_only:
        text = text.replace(_PREVIOUS_OF_0005,
                            f"{_PREVIOUS_OF_0005} AND i.status IN ({_APPROVED_SQL})")
    return text


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute(SQLITE)
        return
    op.execute(POSTGRES)
    op.execute("ALTER FUNCTION payapp_one_open_invoice() OWNER TO payapp_policy")
    op.execute("REVOKE ALL ON FUNCTION payapp_one_open_invoice() FROM PUBLIC")
    op.execute(_overbilled_of_0005(approved_only=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER invoice_one_open")
        return
    op.execute(_overbilled_of_0005(approved_only=False))
    op.execute("DROP TRIGGER invoice_one_open ON invoice")
    op.execute("DROP FUNCTION payapp_one_open_invoice()")
