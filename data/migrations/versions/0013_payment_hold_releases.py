"""payment hold releases; on PostgreSQL: who reads and writes them, and payments only against
approved invoices, whoever inserts them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20

- `payment_hold_release`: an invoice administrator's release of the holds on an invoice's
  payment (data/services/payment_holds.py), with the reason given (required), the reasons it
  released (their keys and words) and who released it when.

On PostgreSQL:

- Row-level security: the project's invoice administrators and support read releases; only
  administrators insert them; nobody updates or deletes one (no grant, no policy).
- `payment_hold_release_stamp`: who and when come from `session_user` and the database's clock,
  and a release is given only on an approved invoice.
- `payment_approved_only`: a payment is inserted (or moved to another invoice) only on an
  invoice in a status of data/workflow.APPROVED_FOR_PAYMENT.
- Every change to a release is audited like the billing tables' (0004's `payapp_audit_row`).

What the database does not check: over-payment (the sum of payments past G702 line 8) and the
holds themselves. Line 8 is worked out by data.billing from the lines and is stored in no
column; payapp's service refuses both (data/services/payments.record_payment).

As in 0004, sessions that belong to no payapp person (superuser, members of `payapp_owner`)
pass the triggers' checks.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from data.workflow import APPROVED_FOR_PAYMENT

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONTROL = r"\x01-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"  # as 0004's CLEAN_TEXT


def _approved_statuses() -> str:
    return ", ".join(f"'{status.value}'" for status in sorted(APPROVED_FOR_PAYMENT))


def _via_invoice(function: str) -> str:
    return ("invoice_id IN (SELECT i.id FROM invoice i "
            f"WHERE i.commitment_id IN (SELECT unnest({function}())))")


def _triggers() -> str:
    approved = _approved_statuses()
    return rf"""
CREATE FUNCTION payapp_payment_approved_only() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.invoice_id <> OLD.invoice_id THEN
        IF NOT EXISTS (SELECT 1 FROM invoice i WHERE i.id = NEW.invoice_id
                       AND i.status IN ({approved})) THEN
            PERFORM payapp_refuse('a payment can be recorded only against an approved invoice');
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_approved_only BEFORE INSERT OR UPDATE ON payment
    FOR EACH ROW EXECUTE FUNCTION payapp_payment_approved_only();

CREATE FUNCTION payapp_payment_hold_release_stamp() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM invoice i WHERE i.id = NEW.invoice_id
                   AND i.status IN ({approved})) THEN
        PERFORM payapp_refuse('a hold on payment is released only on an approved invoice');
    END IF;
    NEW.released_by_id := payapp_me();
    NEW.released_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER payment_hold_release_stamp BEFORE INSERT ON payment_hold_release
    FOR EACH ROW EXECUTE FUNCTION payapp_payment_hold_release_stamp();
"""


OWNED_FUNCTIONS = ("payapp_payment_approved_only()", "payapp_payment_hold_release_stamp()")


def upgrade() -> None:
    op.create_table(
        "payment_hold_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("covers", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("held_for", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=False),
        sa.Column("released_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(trim(reason)) > 0",
                           name=op.f("ck_payment_hold_release_reason_given")),
        sa.CheckConstraint("covers <> '[]'",
                           name=op.f("ck_payment_hold_release_covers_a_reason")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"],
                                name=op.f("fk_payment_hold_release_invoice_id_invoice")),
        sa.ForeignKeyConstraint(["released_by_id"], ["app_user.id"],
                                name=op.f("fk_payment_hold_release_released_by_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_hold_release")),
    )
    op.create_index(op.f("ix_payment_hold_release_invoice_id"), "payment_hold_release",
                    ["invoice_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    table = "payment_hold_release"
    op.execute(f"ALTER TABLE {table} OWNER TO payapp_owner")
    op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"GRANT SELECT ON {table} TO payapp_user, payapp_reader")
    op.execute(f"GRANT INSERT ON {table} TO payapp_user")
    # payapp_policy owns payapp_fresh_id(), which reads the sequence.
    op.execute(f"GRANT USAGE ON SEQUENCE {table}_id_seq TO payapp_user, payapp_policy")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING "
               f"((SELECT payapp_is('support')) OR {_via_invoice('payapp_admin_commitments')})")
    op.execute(f"CREATE POLICY {table}_add ON {table} FOR INSERT WITH CHECK "
               f"({_via_invoice('payapp_admin_commitments')})")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_reason_clean "
               f"CHECK (reason !~ '[{_CONTROL}]')")
    op.execute("GRANT SELECT ON invoice TO payapp_policy")  # what the triggers read
    op.execute(_triggers())
    for name in OWNED_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {name} OWNER TO payapp_policy")
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
    op.execute(f"CREATE TRIGGER {table}_fresh_id BEFORE INSERT ON {table} "
               "FOR EACH ROW EXECUTE FUNCTION payapp_fresh_id()")
    op.execute(f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE OR DELETE ON {table} "
               "FOR EACH ROW EXECUTE FUNCTION payapp_audit_row()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER payment_approved_only ON payment")
        op.execute("DROP TRIGGER payment_hold_release_stamp ON payment_hold_release")
        for name in OWNED_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}")
    op.drop_index(op.f("ix_payment_hold_release_invoice_id"), table_name="payment_hold_release")
    op.drop_table("payment_hold_release")
