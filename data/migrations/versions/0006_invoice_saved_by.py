"""who saved an invoice last, recorded on the invoice

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10

`invoice.updated_by_id` names the payapp person whose save (or move) changed the invoice last,
so that a person whose save lost a race is told who saved first. The audit trail cannot say it
to them on PostgreSQL: a person reads only their own audit entries there.

On PostgreSQL the database sets it from `session_user` on creation and on every update that moves the invoice's
version or status, whoever issues it (payapp or psql); an update that moves neither keeps the
value it had, so nobody can put someone else's name on the invoice. Sessions that belong to no
payapp person (a maintainer) keep what they wrote.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAVED_BY = r"""
CREATE FUNCTION payapp_invoice_saved_by() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    me integer := payapp_me();
BEGIN
    IF me IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.updated_by_id := me;
    ELSIF NEW.version IS DISTINCT FROM OLD.version OR NEW.status IS DISTINCT FROM OLD.status
    THEN
        NEW.updated_by_id := me;
    ELSE
        NEW.updated_by_id := OLD.updated_by_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoice_saved_by BEFORE INSERT OR UPDATE ON invoice
    FOR EACH ROW EXECUTE FUNCTION payapp_invoice_saved_by();
"""


def upgrade() -> None:
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_invoice_updated_by_id_app_user"), "app_user",
                                 ["updated_by_id"], ["id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(SAVED_BY)
    op.execute("ALTER FUNCTION payapp_invoice_saved_by() OWNER TO payapp_policy")
    op.execute("REVOKE ALL ON FUNCTION payapp_invoice_saved_by() FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER invoice_saved_by ON invoice")
        op.execute("DROP FUNCTION payapp_invoice_saved_by()")
    with op.batch_alter_table("invoice") as batch:
        batch.drop_constraint(op.f("fk_invoice_updated_by_id_app_user"), type_="foreignkey")
        batch.drop_column("updated_by_id")
