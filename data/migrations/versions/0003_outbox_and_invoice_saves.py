"""email outbox; invoice.updated_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BILLED = "SELECT unnest(payapp_billed_commitments())"
OWN_INVOICES = f"SELECT i.id FROM invoice i WHERE i.commitment_id IN ({BILLED})"


def upgrade() -> None:
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(),
                                   nullable=True))
    op.create_table(
        "outbox_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("to_name", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(2000), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_email_attempts_not_negative")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"],
                                name=op.f("fk_outbox_email_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_email")),
    )
    op.create_index(op.f("ix_outbox_email_invoice_id"), "outbox_email", ["invoice_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    # Who may see a notification: support, and the people billing the invoice it is about.
    # Who may queue one: whoever can change that invoice. Sending belongs to the delivery job.
    op.execute("ALTER TABLE outbox_email OWNER TO payapp_owner")
    op.execute("REVOKE ALL ON outbox_email FROM PUBLIC")
    op.execute("GRANT SELECT ON outbox_email TO payapp_user, payapp_reader")
    op.execute("GRANT INSERT ON outbox_email TO payapp_user")
    op.execute("GRANT USAGE ON SEQUENCE outbox_email_id_seq TO payapp_user")
    op.execute("ALTER TABLE outbox_email ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE outbox_email FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY outbox_email_read ON outbox_email FOR SELECT USING "
               f"((SELECT payapp_is('support')) OR invoice_id IN ({OWN_INVOICES}))")
    op.execute("CREATE POLICY outbox_email_add ON outbox_email FOR INSERT WITH CHECK "
               f"(invoice_id IN ({OWN_INVOICES}))")


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_email_invoice_id"), table_name="outbox_email")
    op.drop_table("outbox_email")
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("updated_at")
