"""a commitment billed before payapp: its last application and certificates, and per SOV line
what was billed and retained to date

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

data/services/commitment_history.py. The history is entered (or taken from the G703 of the last
application filed elsewhere) before the commitment's first invoice in payapp, which then
continues the application numbers and counts the history in every "previous" column and in
line 7. On PostgreSQL the columns are written under the existing policies (an administrator of
the project) and audited by the existing triggers; `history_before_payapp_guard` refuses to
change them once the commitment has an invoice, whoever writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMITMENT_COLUMNS = ("previous_applications", "previous_certificates_cents")
LINE_COLUMNS = ("history_work_cents", "history_stored_cents", "history_retainage_work_cents",
                "history_retainage_stored_cents", "history_quantity_e4")

GUARD = r"""
CREATE FUNCTION payapp_history_before_payapp_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- the commitment's own id, or a line's commitment (read by name: the row is either)
    the_commitment integer := CASE WHEN TG_TABLE_NAME = 'commitment' THEN NEW.id
                                   ELSE (to_jsonb(NEW) ->> 'commitment_id')::integer END;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM invoice i WHERE i.commitment_id = the_commitment) THEN
        PERFORM payapp_refuse('the history before payapp is entered before the commitment''s '
                              'first invoice; it has invoices now');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER commitment_history_guard BEFORE UPDATE OF previous_applications,
    previous_certificates_cents ON commitment
    FOR EACH ROW EXECUTE FUNCTION payapp_history_before_payapp_guard();
CREATE TRIGGER sov_line_history_guard BEFORE UPDATE OF history_work_cents,
    history_stored_cents, history_retainage_work_cents, history_retainage_stored_cents,
    history_quantity_e4 ON sov_line
    FOR EACH ROW EXECUTE FUNCTION payapp_history_before_payapp_guard();
"""


def upgrade() -> None:
    op.add_column("commitment", sa.Column("previous_applications", sa.Integer(),
                                          nullable=False, server_default="0"))
    op.add_column("commitment", sa.Column("previous_certificates_cents", sa.BigInteger(),
                                          nullable=False, server_default="0"))
    for column in LINE_COLUMNS:
        op.add_column("sov_line", sa.Column(column, sa.BigInteger(), nullable=False,
                                            server_default="0"))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(GUARD)
    op.execute("ALTER FUNCTION payapp_history_before_payapp_guard() OWNER TO payapp_policy")
    op.execute("REVOKE ALL ON FUNCTION payapp_history_before_payapp_guard() FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER commitment_history_guard ON commitment")
        op.execute("DROP TRIGGER sov_line_history_guard ON sov_line")
        op.execute("DROP FUNCTION payapp_history_before_payapp_guard()")
    for column in LINE_COLUMNS:  # SQLite drops a column in place since 3.35
        op.drop_column("sov_line", column)
    for column in COMMITMENT_COLUMNS:
        op.drop_column("commitment", column)
