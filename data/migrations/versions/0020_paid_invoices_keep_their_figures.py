"""on PostgreSQL: once a payment is recorded against an invoice, its figures no longer change

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

An invoice administrator may change a contact's invoice in any status (data/workflow.check_edit),
but not the figures a payment was made against: payapp refuses to save them
(data/services/invoice_changes.save_lines), and so does the database, whoever updates the lines
or the invoice's number and dates (payapp or psql). Sessions that belong to no payapp person pass,
as in 0004.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _revision_0018() -> ModuleType:
    path = Path(__file__).with_name("0018_contacts_told_of_admin_changes.py")
    spec = importlib.util.spec_from_file_location("payapp_revision_0018", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _guard() -> str:
    typed = _revision_0018()

    def changed(fields: Sequence[str]) -> str:
        return " OR ".join(f"OLD.{field} IS DISTINCT FROM NEW.{field}" for field in fields)

    return rf"""
CREATE FUNCTION payapp_paid_figures_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_invoice integer;
    paid bigint;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'invoice_line' THEN
        v_invoice := NEW.invoice_id;
    ELSE
        v_invoice := NEW.id;
    END IF;
    SELECT sum(p.amount_cents) INTO paid FROM payment p WHERE p.invoice_id = v_invoice;
    IF coalesce(paid, 0) > 0 THEN
        PERFORM payapp_refuse(format('%s was paid against this invoice: its figures can no '
                                     'longer change', to_char(paid / 100.0,
                                                              'FM$999,999,999,990.00')));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoice_line_paid_figures_guard BEFORE UPDATE ON invoice_line
    FOR EACH ROW WHEN ({changed(typed.LINE_FIELDS)})
    EXECUTE FUNCTION payapp_paid_figures_guard();
CREATE TRIGGER invoice_paid_figures_guard BEFORE UPDATE ON invoice
    FOR EACH ROW WHEN ({changed(typed.INVOICE_FIELDS)})
    EXECUTE FUNCTION payapp_paid_figures_guard();
"""


FUNCTION = "payapp_paid_figures_guard()"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_guard())
    op.execute(f"ALTER FUNCTION {FUNCTION} OWNER TO payapp_policy")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute("GRANT SELECT ON payment TO payapp_policy")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER invoice_line_paid_figures_guard ON invoice_line")
    op.execute("DROP TRIGGER invoice_paid_figures_guard ON invoice")
    op.execute(f"DROP FUNCTION {FUNCTION}")
