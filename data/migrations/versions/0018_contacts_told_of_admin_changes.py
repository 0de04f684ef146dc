"""the invoice contacts are told what an invoice administrator changed on their invoice

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

- `invoice_change`: one row per invoice or line row an invoice administrator changed, with the
  fields a person types before and after (JSON), grouped by `batch` (one save), who and when.
  The contact's invoice shows them as "changed by <name> on <date>" with what changed
  (data/services/invoice_notices.py), and each save queues one email per active invoice contact,
  worded as data/notify.invoice_changed words it on SQLite.

On PostgreSQL the database writes both, from the change itself, whoever makes it (payapp or
psql as the administrator's own role): `payapp_record_admin_change` runs after each update of an
invoice or an invoice line made by someone who stands to the commitment as its administrator
(0004's `payapp_standing`), stamps who (`payapp_me()`) and when (the database's clock), and
groups one transaction's rows by its transaction id. Nobody inserts, changes or removes a row
(no grant); the commitment's contacts, the project's administrators and support read them.
Sessions that belong to no payapp person (superuser, members of `payapp_owner`) are not recorded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The fields a person types; data/services/invoice_changes.py saves exactly these.
LINE_FIELDS = ("work_cents", "new_quantity_e4", "new_stored_cents", "stored_installed_cents",
               "release_requested_cents", "value_override")
INVOICE_FIELDS = ("invoice_number", "billing_date", "period_start", "period_end")


def _array(fields: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{field}'" for field in fields) + "]"


RECORD = rf"""
CREATE FUNCTION payapp_record_admin_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    inv invoice;
    c commitment;
    p project;
    fields text[];
    was jsonb;
    now_is jsonb;
    this_batch text := txid_current()::text;
    sender text;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'invoice_line' THEN
        SELECT * INTO inv FROM invoice WHERE id = NEW.invoice_id;
        fields := {_array(LINE_FIELDS)};
    ELSE
        inv := NEW;
        fields := {_array(INVOICE_FIELDS)};
    END IF;
    IF payapp_standing(inv.commitment_id) IS DISTINCT FROM 'administrator' THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(jsonb_object_agg(key, value), '{{}}'::jsonb) INTO was
        FROM jsonb_each(to_jsonb(OLD)) WHERE key = ANY(fields);
    SELECT coalesce(jsonb_object_agg(key, value), '{{}}'::jsonb) INTO now_is
        FROM jsonb_each(to_jsonb(NEW)) WHERE key = ANY(fields);
    IF was = now_is THEN
        RETURN NULL;
    END IF;
    sender := coalesce((SELECT display_name FROM app_user WHERE login = session_user),
                       session_user);
    IF NOT EXISTS (SELECT 1 FROM invoice_change
                   WHERE invoice_id = inv.id AND batch = this_batch) THEN
        SELECT * INTO c FROM commitment WHERE id = inv.commitment_id;
        SELECT * INTO p FROM project WHERE id = c.project_id;
        INSERT INTO outbox_email (created_at, kind, invoice_id, to_address, to_name, subject,
                                  body, attempts, last_error)
        SELECT now(), 'invoice_changed', inv.id, u.email, u.display_name,
               format('Invoice #%s for %s %s was changed by %s', inv.position, c.number,
                      c.title, sender),
               concat_ws(E'\n',
                   format('%s changed invoice #%s.', sender, inv.position),
                   '',
                   format('Project: %s %s', p.number, p.name),
                   format('Commitment: %s %s', c.number, c.title),
                   format('Period: %s to %s', to_char(inv.period_start, 'Mon DD, YYYY'),
                          to_char(inv.period_end, 'Mon DD, YYYY')),
                   '',
                   'Open the invoice in payapp to see what changed.'),
               0, ''
        FROM app_user u JOIN commitment_contact cc ON cc.user_id = u.id
        WHERE cc.commitment_id = c.id AND u.active
        ORDER BY u.id;
    END IF;
    INSERT INTO invoice_change (invoice_id, batch, entity, entity_id, before, after,
                                changed_by_id, changed_by_name, changed_at)
    VALUES (inv.id, this_batch, TG_TABLE_NAME, NEW.id, was::text, now_is::text, payapp_me(),
            sender, now());
    RETURN NULL;
END $$;
CREATE TRIGGER invoice_record_admin_change AFTER UPDATE ON invoice
    FOR EACH ROW EXECUTE FUNCTION payapp_record_admin_change();
CREATE TRIGGER invoice_line_record_admin_change AFTER UPDATE ON invoice_line
    FOR EACH ROW EXECUTE FUNCTION payapp_record_admin_change();
"""

FUNCTION = "payapp_record_admin_change()"
TABLE = "invoice_change"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("changed_by_name", sqlmodel.sql.sqltypes.AutoString(length=200),
                  nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], ondelete="CASCADE",
                                name=op.f("fk_invoice_change_invoice_id_invoice")),
        sa.ForeignKeyConstraint(["changed_by_id"], ["app_user.id"],
                                name=op.f("fk_invoice_change_changed_by_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_change")),
    )
    op.create_index(op.f("ix_invoice_change_invoice_id"), TABLE, ["invoice_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {TABLE} OWNER TO payapp_owner")
    op.execute(f"REVOKE ALL ON {TABLE} FROM PUBLIC")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"GRANT SELECT ON {TABLE} TO payapp_user, payapp_reader")
    op.execute(f"GRANT SELECT, INSERT ON {TABLE} TO payapp_policy")
    op.execute(f"GRANT USAGE ON SEQUENCE {TABLE}_id_seq TO payapp_policy")
    op.execute(f"CREATE POLICY {TABLE}_read ON {TABLE} FOR SELECT USING "
               "((SELECT payapp_is('support')) OR invoice_id IN (SELECT i.id FROM invoice i "
               "WHERE i.commitment_id IN (SELECT unnest(payapp_billed_commitments()))))")
    op.execute(f"CREATE POLICY {TABLE}_recorded ON {TABLE} FOR INSERT TO payapp_policy "
               "WITH CHECK (true)")
    op.execute("GRANT SELECT ON commitment, project, commitment_contact, app_user "
               "TO payapp_policy")
    op.execute(RECORD)
    op.execute(f"ALTER FUNCTION {FUNCTION} OWNER TO payapp_policy")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER invoice_record_admin_change ON invoice")
        op.execute("DROP TRIGGER invoice_line_record_admin_change ON invoice_line")
        op.execute(f"DROP FUNCTION {FUNCTION}")
    op.drop_index(op.f("ix_invoice_change_invoice_id"), table_name=TABLE)
    op.drop_table(TABLE)
