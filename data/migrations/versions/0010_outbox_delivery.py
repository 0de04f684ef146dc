"""outbox delivery: when an email was claimed, refused, and may be tried again; on PostgreSQL the
`payapp_mailer` group, the only one that may settle an email

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-17

- `claimed_at`: a delivery took the email and has not said yet how it went. Left set when the
  delivery died: the email is then "uncertain" and waits for a person (`payapp outbox retry`).
- `next_attempt_at`: a delivery that failed for now (4xx, connection lost) waits until then.
- `failed_at`: the server refused it for good (5xx); `last_error` says why.

On PostgreSQL, `payapp_mailer` (NOLOGIN; `payapp users mailer LOGIN` grants it) reads every
email and may UPDATE only the delivery's columns: never the recipient, subject or body. Nobody
else is granted UPDATE on the outbox; support and ordinary people still change nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELIVERY_COLUMNS = ("claimed_at", "attempts", "last_error", "sent_at", "next_attempt_at",
                    "failed_at")

MAILER_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'payapp_mailer') THEN
        CREATE ROLE payapp_mailer NOLOGIN;
    END IF;
END
$$;
"""


def upgrade() -> None:
    with op.batch_alter_table("outbox_email") as batch:
        for column in ("claimed_at", "next_attempt_at", "failed_at"):
            batch.add_column(sa.Column(column, sqlmodel.sql.sqltypes.UTCDateTime(),
                                       nullable=True, server_default=sa.text("NULL")))
    op.create_index("ix_outbox_email_waiting", "outbox_email", ["id"],
                    sqlite_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
                    postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(MAILER_ROLE)
    op.execute("GRANT SELECT ON outbox_email TO payapp_mailer")
    op.execute(f"GRANT UPDATE ({', '.join(DELIVERY_COLUMNS)}) ON outbox_email TO payapp_mailer")
    op.execute("CREATE POLICY outbox_email_mailer_read ON outbox_email FOR SELECT "
               "TO payapp_mailer USING (true)")
    op.execute("CREATE POLICY outbox_email_mailer_settle ON outbox_email FOR UPDATE "
               "TO payapp_mailer USING (true) WITH CHECK (true)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY outbox_email_mailer_settle ON outbox_email")
        op.execute("DROP POLICY outbox_email_mailer_read ON outbox_email")
        op.execute("REVOKE ALL ON outbox_email FROM payapp_mailer")
        # The role is the server's, shared by every payapp database on it: it stays.
    op.drop_index("ix_outbox_email_waiting", table_name="outbox_email")
    with op.batch_alter_table("outbox_email") as batch:
        for column in ("failed_at", "next_attempt_at", "claimed_at"):
            batch.drop_column(column)
