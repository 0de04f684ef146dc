"""audit chain; on PostgreSQL: owner and group roles, grants, row-level security, audit trigger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

On PostgreSQL the tables belong to `payapp_owner`, a role nobody logs in as. People log in as
their own roles, members of `payapp_user` (reads and writes what the policies allow) or
`payapp_reader` (support: reads what the policies allow, writes nothing). Policies key on
`session_user`, which a person cannot change, through `app_user`, which they cannot write.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "company", "app_user", "user_role", "project", "project_administrator", "commitment",
    "retainage_rule", "commitment_contact", "change_order", "sov_line", "billing_period",
    "invite", "invoice", "invoice_line", "attachment", "payment", "audit_entry",
)
# Tables people may change (within their policies); the others they only read.
WRITABLE = (
    "project", "commitment", "retainage_rule", "commitment_contact", "change_order", "sov_line",
    "billing_period", "invite", "invoice", "invoice_line", "attachment", "payment",
)

ROLES = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'payapp_owner') THEN
        CREATE ROLE payapp_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'payapp_user') THEN
        CREATE ROLE payapp_user NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'payapp_reader') THEN
        CREATE ROLE payapp_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'payapp_policy') THEN
        CREATE ROLE payapp_policy NOLOGIN BYPASSRLS;
    END IF;
END
$$;
"""

# Who is asking, and what they may see, as SECURITY DEFINER functions owned by payapp_policy:
# a role nobody logs in as or belongs to, which bypasses row-level security so that the
# policies' own look-ups do not recurse into each other (row-level security is forced, so the
# table owner would not escape it).
FUNCTIONS = """
CREATE FUNCTION payapp_me() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id FROM app_user WHERE login = session_user AND active $$;

CREATE FUNCTION payapp_is(p_wanted text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM user_role r JOIN app_user u ON u.id = r.user_id
                   WHERE u.login = session_user AND u.active AND r.role = p_wanted) $$;

CREATE FUNCTION payapp_contact_of(p_commitment integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT payapp_is('invoice_contact') AND EXISTS (
        SELECT 1 FROM commitment_contact cc
        WHERE cc.commitment_id = p_commitment AND cc.user_id = payapp_me()) $$;

CREATE FUNCTION payapp_admin_of_project(p_project integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT payapp_is('invoice_administrator') AND EXISTS (
        SELECT 1 FROM project_administrator pa
        WHERE pa.project_id = p_project AND pa.user_id = payapp_me()) $$;

CREATE FUNCTION payapp_admin_of(p_commitment integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM commitment c
                   WHERE c.id = p_commitment AND payapp_admin_of_project(c.project_id)) $$;

CREATE FUNCTION payapp_bills(p_commitment integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT payapp_contact_of(p_commitment) OR payapp_admin_of(p_commitment) $$;

CREATE FUNCTION payapp_sees(p_commitment integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT payapp_is('support') OR payapp_bills(p_commitment) $$;

CREATE FUNCTION payapp_invoice_commitment(p_invoice integer) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT commitment_id FROM invoice WHERE id = p_invoice $$;

CREATE FUNCTION payapp_sees_project(p_project integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT payapp_is('support') OR payapp_admin_of_project(p_project) OR EXISTS (
        SELECT 1 FROM commitment c WHERE c.project_id = p_project AND payapp_contact_of(c.id)) $$;

CREATE FUNCTION payapp_sees_company(p_company integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT payapp_is('support')
        OR p_company = (SELECT company_id FROM app_user WHERE id = payapp_me())
        OR EXISTS (SELECT 1 FROM commitment c
                   WHERE c.contract_company_id = p_company AND payapp_sees(c.id))
        OR EXISTS (SELECT 1 FROM project p
                   WHERE p.gc_company_id = p_company AND payapp_sees_project(p.id)) $$;

CREATE FUNCTION payapp_sees_user(p_person integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT payapp_is('support') OR p_person = payapp_me()
        OR EXISTS (SELECT 1 FROM project_administrator pa
                   WHERE pa.user_id = p_person AND payapp_sees_project(pa.project_id))
        OR EXISTS (SELECT 1 FROM commitment_contact cc
                   WHERE cc.user_id = p_person AND payapp_sees(cc.commitment_id))
        OR EXISTS (SELECT 1 FROM invite i
                   WHERE i.invited_by_id = p_person AND payapp_sees(i.commitment_id)) $$;
"""

# What the policy functions and the audit trigger read.
POLICY_READS = (
    "app_user", "user_role", "commitment_contact", "project_administrator", "commitment",
    "project", "invoice", "invite", "audit_entry",
)

FUNCTION_NAMES = (
    "payapp_me()", "payapp_is(text)", "payapp_contact_of(integer)",
    "payapp_admin_of_project(integer)", "payapp_admin_of(integer)", "payapp_bills(integer)",
    "payapp_sees(integer)", "payapp_invoice_commitment(integer)",
    "payapp_sees_project(integer)", "payapp_sees_company(integer)", "payapp_sees_user(integer)",
)


def _by_commitment(table: str, column: str, *, who_writes: str) -> list[str]:
    return [
        f"CREATE POLICY {table}_read ON {table} FOR SELECT USING (payapp_sees({column}))",
        f"CREATE POLICY {table}_write ON {table} FOR ALL USING ({who_writes}({column})) "
        f"WITH CHECK ({who_writes}({column}))",
    ]


def _policies() -> list[str]:
    via_invoice = "payapp_invoice_commitment(invoice_id)"
    return [
        *_by_commitment("commitment", "id", who_writes="payapp_admin_of"),
        *_by_commitment("retainage_rule", "commitment_id", who_writes="payapp_admin_of"),
        *_by_commitment("commitment_contact", "commitment_id", who_writes="payapp_admin_of"),
        *_by_commitment("change_order", "commitment_id", who_writes="payapp_admin_of"),
        *_by_commitment("sov_line", "commitment_id", who_writes="payapp_admin_of"),
        *_by_commitment("invite", "commitment_id", who_writes="payapp_bills"),
        *_by_commitment("invoice", "commitment_id", who_writes="payapp_bills"),
        *_by_commitment("invoice_line", via_invoice, who_writes="payapp_bills"),
        *_by_commitment("attachment", via_invoice, who_writes="payapp_bills"),
        *_by_commitment("payment", via_invoice, who_writes="payapp_admin_of"),
        "CREATE POLICY billing_period_read ON billing_period FOR SELECT "
        "USING (payapp_sees_project(project_id))",
        "CREATE POLICY billing_period_write ON billing_period FOR ALL "
        "USING (payapp_admin_of_project(project_id)) "
        "WITH CHECK (payapp_admin_of_project(project_id))",
        "CREATE POLICY project_read ON project FOR SELECT USING (payapp_sees_project(id))",
        "CREATE POLICY project_write ON project FOR UPDATE USING (payapp_admin_of_project(id)) "
        "WITH CHECK (payapp_admin_of_project(id))",
        "CREATE POLICY project_administrator_read ON project_administrator FOR SELECT "
        "USING (payapp_sees_project(project_id))",
        "CREATE POLICY company_read ON company FOR SELECT USING (payapp_sees_company(id))",
        "CREATE POLICY app_user_read ON app_user FOR SELECT USING (payapp_sees_user(id))",
        "CREATE POLICY user_role_read ON user_role FOR SELECT USING (payapp_sees_user(user_id))",
        "CREATE POLICY audit_entry_read ON audit_entry FOR SELECT "
        "USING (payapp_is('support') OR db_role = session_user)",
        "CREATE POLICY audit_entry_add ON audit_entry FOR INSERT WITH CHECK (true)",
    ]


# The database, not the client, says who wrote an entry and when, and chains it to the last one.
# The advisory lock makes concurrent writers take turns, so the chain never forks.
AUDIT_TRIGGER = r"""
CREATE FUNCTION payapp_audit_stamp() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('payapp_audit_chain'));
    NEW.db_role := session_user;
    NEW.at := clock_timestamp();
    NEW.prev_hash := coalesce((SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1), '');
    NEW.hash := encode(sha256(convert_to(concat_ws(E'\n',
        NEW.prev_hash, NEW.id::text,
        (extract(epoch FROM date_trunc('microseconds', NEW.at)) * 1000000)::bigint::text,
        NEW.actor_login, coalesce(NEW.db_role, ''), NEW.action, NEW.entity,
        coalesce(NEW.entity_id::text, ''), NEW.before, NEW.after), 'UTF8')), 'hex');
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_entry_stamp BEFORE INSERT ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION payapp_audit_stamp();
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("db_role", sa.String(64), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=False, server_default=""))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ROLES)
    op.execute(FUNCTIONS)
    op.execute(AUDIT_TRIGGER)
    for table in POLICY_READS:
        op.execute(f"GRANT SELECT ON {table} TO payapp_policy")
    for name in (*FUNCTION_NAMES, "payapp_audit_stamp()"):
        op.execute(f"ALTER FUNCTION {name} OWNER TO payapp_policy")
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
    for name in FUNCTION_NAMES:
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO payapp_user, payapp_reader")
    for table in (*TABLES, "alembic_version"):
        op.execute(f"ALTER TABLE {table} OWNER TO payapp_owner")
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
        op.execute(f"GRANT SELECT ON {table} TO payapp_user, payapp_reader")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for table in WRITABLE:
        op.execute(f"GRANT INSERT, UPDATE, DELETE ON {table} TO payapp_user")
    op.execute("GRANT INSERT ON audit_entry TO payapp_user")
    op.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO payapp_user")
    for statement in _policies():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_stamp ON audit_entry")
        for table in TABLES:
            for policy in op.get_bind().execute(
                sa.text("SELECT policyname FROM pg_policies WHERE tablename = :t"), {"t": table}
            ).scalars():
                op.execute(f"DROP POLICY {policy} ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for name in (*FUNCTION_NAMES, "payapp_audit_stamp()"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
        # The roles are shared by every payapp database on the server: they stay.
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("db_role")
