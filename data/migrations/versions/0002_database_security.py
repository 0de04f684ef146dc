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
# table owner would not escape it). Each returns a whole set (an array); policies test
# membership with an uncorrelated `IN (SELECT unnest(...))`, which PostgreSQL evaluates once
# per statement into a hash table, instead of calling functions for every row.
FUNCTIONS = """
CREATE FUNCTION payapp_me() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id FROM app_user WHERE login = session_user AND active $$;

CREATE FUNCTION payapp_is(p_wanted text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM user_role r JOIN app_user u ON u.id = r.user_id
                   WHERE u.login = session_user AND u.active AND r.role = p_wanted) $$;

CREATE FUNCTION payapp_admin_projects() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(pa.project_id), '{}') FROM project_administrator pa
    WHERE pa.user_id = (SELECT payapp_me()) AND (SELECT payapp_is('invoice_administrator')) $$;

CREATE FUNCTION payapp_admin_commitments() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(c.id), '{}') FROM commitment c
    WHERE c.project_id IN (SELECT unnest(payapp_admin_projects())) $$;

CREATE FUNCTION payapp_billed_commitments() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT x), '{}') FROM (
        SELECT cc.commitment_id FROM commitment_contact cc
        WHERE cc.user_id = (SELECT payapp_me()) AND (SELECT payapp_is('invoice_contact'))
        UNION SELECT unnest(payapp_admin_commitments())) AS ids(x) $$;

CREATE FUNCTION payapp_visible_projects() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT x), '{}') FROM (
        SELECT c.project_id FROM commitment c
              WHERE c.id IN (SELECT unnest(payapp_billed_commitments()))
        UNION SELECT unnest(payapp_admin_projects())) AS ids(x) $$;

CREATE FUNCTION payapp_visible_companies() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT x), '{}') FROM (
        SELECT company_id FROM app_user WHERE id = (SELECT payapp_me())
        UNION SELECT c.contract_company_id FROM commitment c
              WHERE c.id IN (SELECT unnest(payapp_billed_commitments()))
        UNION SELECT p.gc_company_id FROM project p
              WHERE p.id IN (SELECT unnest(payapp_visible_projects()))) AS ids(x) $$;

CREATE FUNCTION payapp_visible_users() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT x), '{}') FROM (
        SELECT payapp_me()
        UNION SELECT pa.user_id FROM project_administrator pa
              WHERE pa.project_id IN (SELECT unnest(payapp_visible_projects()))
        UNION SELECT cc.user_id FROM commitment_contact cc
              WHERE cc.commitment_id IN (SELECT unnest(payapp_billed_commitments()))
        UNION SELECT i.invited_by_id FROM invite i
              WHERE i.commitment_id IN (SELECT unnest(payapp_billed_commitments()))) AS ids(x) $$;
"""

FUNCTION_NAMES = (
    "payapp_me()", "payapp_is(text)", "payapp_admin_projects()", "payapp_admin_commitments()",
    "payapp_billed_commitments()", "payapp_visible_projects()", "payapp_visible_companies()",
    "payapp_visible_users()",
)

# What the policy functions and the audit trigger read.
POLICY_READS = (
    "app_user", "user_role", "commitment_contact", "project_administrator", "commitment",
    "project", "invite", "audit_entry",
)

SUPPORT = "(SELECT payapp_is('support'))"


def _in(column: str, function: str) -> str:
    return f"{column} IN (SELECT unnest({function}()))"


def _via_invoice(function: str) -> str:
    return f"invoice_id IN (SELECT i.id FROM invoice i WHERE {_in('i.commitment_id', function)})"


def _policy_pair(table: str, readable: str, writable: str, *, support_reads: bool = True
                 ) -> list[str]:
    read = f"{SUPPORT} OR {readable}" if support_reads else readable
    return [
        f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read})",
        f"CREATE POLICY {table}_write ON {table} FOR ALL USING ({writable}) "
        f"WITH CHECK ({writable})",
    ]


def _policies() -> list[str]:
    billed = "payapp_billed_commitments"
    admin = "payapp_admin_commitments"
    policies = [
        *_policy_pair("commitment", _in("id", billed), _in("id", admin)),
        *_policy_pair("invite", _in("commitment_id", billed), _in("commitment_id", billed)),
        *_policy_pair("invoice", _in("commitment_id", billed), _in("commitment_id", billed)),
        *_policy_pair("invoice_line", _via_invoice(billed), _via_invoice(billed)),
        *_policy_pair("attachment", _via_invoice(billed), _via_invoice(billed)),
        *_policy_pair("payment", _via_invoice(billed), _via_invoice(admin)),
        *_policy_pair("billing_period", _in("project_id", "payapp_visible_projects"),
                      _in("project_id", "payapp_admin_projects")),
    ]
    for table in ("retainage_rule", "commitment_contact", "change_order", "sov_line"):
        policies += _policy_pair(table, _in("commitment_id", billed), _in("commitment_id", admin))
    return [
        *policies,
        f"CREATE POLICY project_read ON project FOR SELECT "
        f"USING ({SUPPORT} OR {_in('id', 'payapp_visible_projects')})",
        f"CREATE POLICY project_write ON project FOR UPDATE "
        f"USING ({_in('id', 'payapp_admin_projects')}) "
        f"WITH CHECK ({_in('id', 'payapp_admin_projects')})",
        f"CREATE POLICY project_administrator_read ON project_administrator FOR SELECT "
        f"USING ({SUPPORT} OR {_in('project_id', 'payapp_visible_projects')})",
        f"CREATE POLICY company_read ON company FOR SELECT "
        f"USING ({SUPPORT} OR {_in('id', 'payapp_visible_companies')})",
        f"CREATE POLICY app_user_read ON app_user FOR SELECT "
        f"USING ({SUPPORT} OR {_in('id', 'payapp_visible_users')})",
        f"CREATE POLICY user_role_read ON user_role FOR SELECT "
        f"USING ({SUPPORT} OR {_in('user_id', 'payapp_visible_users')})",
        f"CREATE POLICY audit_entry_read ON audit_entry FOR SELECT "
        f"USING ({SUPPORT} OR db_role = session_user)",
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
