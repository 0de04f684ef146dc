"""on PostgreSQL: a send is a send, whoever makes it (payapp or psql)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09

An invoice moved to Under Review from psql gets what payapp's send gives it (data/services/
invoice_changes.change_status):

- refused where payapp refuses: a line billed past its scheduled value on a project that
  forbids overbilling (the same figures as data.billing: G = D + E + F against C);
- `submitted_at` is the database's clock; nobody writes it otherwise;
- the review marks of an earlier review (rejected or approved, and their comments) go back to
  pending, so that the contact's screen shows no stale marks and the administrator reviews what
  was sent. The audit trigger of 0004 keeps the marks that were there.

The checks run BEFORE UPDATE, after `invoice_guard` (triggers fire in name order), so the move
itself has been allowed by then; the lines are reset while the invoice still has its old status,
which is what the line guard lets a contact do (marks back to pending, in an editable status).
As in 0004, sessions that belong to no payapp person pass.

Nothing here on SQLite: payapp's service does all of it there.

Also, for speed and with the same answers: the policy functions every statement of a person
calls (which commitments they bill, which projects and commitments they administer) are each
one query instead of functions calling functions; and `payapp_standing` and
`payapp_is_maintainer`, which the guards call for every row, are PL/pgSQL, whose plans a
session keeps (an SQL function called from a trigger was planned again in every transaction).
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The lines of `p_invoice` billed past their scheduled value (data.billing.compute_line:
# overbilled when C >= 0 and G > C, or C < 0 and G < C), item numbers in the invoice's order
# (data/services/invoice_figures.billable_sov_lines), or NULL when none is.
OVERBILLED = r"""
CREATE FUNCTION payapp_overbilled_items(p_invoice invoice) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH previous AS (
        SELECT il.sov_line_id, sum(il.work_cents) AS work,
               sum(il.new_stored_cents - il.stored_installed_cents) AS stored
        FROM invoice_line il JOIN invoice i ON i.id = il.invoice_id
        WHERE i.commitment_id = p_invoice.commitment_id AND i.position < p_invoice.position
        GROUP BY il.sov_line_id),
    figures AS (
        SELECT s.item_no, s.position, o.kind, o.number,
               CASE WHEN s.quantity_e4 IS NOT NULL AND s.unit_price_e4 IS NOT NULL
                    THEN round(s.quantity_e4::numeric * s.unit_price_e4 / 1000000)
                    ELSE coalesce(s.scheduled_value_cents, 0) END AS c,
               coalesce(p.work, 0) + coalesce(il.work_cents, 0) + coalesce(p.stored, 0)
                   + coalesce(il.new_stored_cents, 0) - coalesce(il.stored_installed_cents, 0)
                   AS g
        FROM sov_line s
        LEFT JOIN change_order o ON o.id = s.change_order_id
        LEFT JOIN invoice_line il ON il.invoice_id = p_invoice.id AND il.sov_line_id = s.id
        LEFT JOIN previous p ON p.sov_line_id = s.id
        WHERE s.commitment_id = p_invoice.commitment_id
          AND (s.change_order_id IS NULL
               OR (o.status = 'approved' AND o.approved_on <= p_invoice.period_end)))
    SELECT string_agg(item_no, ', ' ORDER BY kind IS NOT NULL, kind = 'PCO', number, position)
    FROM figures
    WHERE (c >= 0 AND g > c) OR (c < 0 AND g < c) $$;
"""

SEND = r"""
CREATE FUNCTION payapp_invoice_send() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    over text;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    IF NEW.status = 'under_review' AND OLD.status <> 'under_review' THEN
        IF NOT (SELECT p.overbilling_allowed FROM project p JOIN commitment c
                ON c.project_id = p.id WHERE c.id = NEW.commitment_id) THEN
            over := payapp_overbilled_items(NEW);
            IF over IS NOT NULL THEN
                PERFORM payapp_refuse('this project does not allow overbilling; lines billed '
                                      'past their scheduled value: ' || over);
            END IF;
        END IF;
        NEW.submitted_at := now();
        -- The invoice still has its old status here, so the line guard sees an editable one.
        UPDATE invoice_line SET review = 'pending', review_comment = '', version = version + 1
            WHERE invoice_id = NEW.id AND (review <> 'pending' OR review_comment <> '');
    ELSE
        NEW.submitted_at := OLD.submitted_at;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoice_send BEFORE UPDATE ON invoice
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status
                       OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at)
    EXECUTE FUNCTION payapp_invoice_send();
"""

OWNED_FUNCTIONS = ("payapp_overbilled_items(invoice)", "payapp_invoice_send()")

# The same sets as revision 0002's functions, each in one query (0004 has them call each other,
# in PL/pgSQL). CREATE OR REPLACE keeps each function's owner and grants.
FLAT_POLICY_FUNCTIONS = (
    r"""
CREATE OR REPLACE FUNCTION payapp_admin_projects() RETURNS integer[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(pa.project_id), '{}')
            FROM app_user u
            JOIN user_role r ON r.user_id = u.id AND r.role = 'invoice_administrator'
            JOIN project_administrator pa ON pa.user_id = u.id
            WHERE u.login = session_user AND u.active);
END $$""",
    r"""
CREATE OR REPLACE FUNCTION payapp_admin_commitments() RETURNS integer[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(c.id), '{}')
            FROM app_user u
            JOIN user_role r ON r.user_id = u.id AND r.role = 'invoice_administrator'
            JOIN project_administrator pa ON pa.user_id = u.id
            JOIN commitment c ON c.project_id = pa.project_id
            WHERE u.login = session_user AND u.active);
END $$""",
    r"""
CREATE OR REPLACE FUNCTION payapp_billed_commitments() RETURNS integer[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(DISTINCT x), '{}') FROM (
        SELECT cc.commitment_id
            FROM app_user u
            JOIN user_role r ON r.user_id = u.id AND r.role = 'invoice_contact'
            JOIN commitment_contact cc ON cc.user_id = u.id
            WHERE u.login = session_user AND u.active
        UNION ALL
        SELECT c.id
            FROM app_user u
            JOIN user_role r ON r.user_id = u.id AND r.role = 'invoice_administrator'
            JOIN project_administrator pa ON pa.user_id = u.id
            JOIN commitment c ON c.project_id = pa.project_id
            WHERE u.login = session_user AND u.active) AS ids(x));
END $$""",
)

# Called by the guards for every row: PL/pgSQL, same bodies as 0004's.
PER_ROW_HELPERS = ("payapp_is_maintainer", "payapp_standing")


def _helpers_of_0004(language: str) -> list[str]:
    """0004's `payapp_is_maintainer` and `payapp_standing`, as CREATE OR REPLACE in
    `language` (0004 wrote them in SQL)."""
    statements = []
    for block in _revision("0004_database_enforces_workflow.py").HELPERS.split(
            "CREATE FUNCTION")[1:]:
        head, body = block.split("AS $$", 1)
        if head.split("(", 1)[0].strip() not in PER_ROW_HELPERS:
            continue
        body = body.split("$$", 1)[0].strip()
        if language == "plpgsql":
            head = head.replace("LANGUAGE sql", "LANGUAGE plpgsql")
            body = f"BEGIN RETURN ({body}); END"
        statements.append(f"CREATE OR REPLACE FUNCTION{head}AS $$ {body} $$")
    assert len(statements) == len(PER_ROW_HELPERS)
    return statements


def _revision(file_name: str) -> ModuleType:
    path = Path(__file__).with_name(file_name)
    spec = importlib.util.spec_from_file_location(f"payapp_revision_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (*FLAT_POLICY_FUNCTIONS, *_helpers_of_0004("plpgsql")):
        op.execute(statement)
    # The send resets review marks as the function's owner; it touches nothing else of a line.
    op.execute("GRANT UPDATE (review, review_comment, version) ON invoice_line TO payapp_policy")
    op.execute(OVERBILLED)
    op.execute(SEND)
    for name in OWNED_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {name} OWNER TO payapp_policy")
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER invoice_send ON invoice")
    for name in reversed(OWNED_FUNCTIONS):
        op.execute(f"DROP FUNCTION {name}")
    op.execute("REVOKE UPDATE (review, review_comment, version) ON invoice_line "
               "FROM payapp_policy")
    revision_0004 = _revision("0004_database_enforces_workflow.py")
    policy_functions = revision_0004._policy_functions_in("plpgsql")
    flattened = ("payapp_admin_projects", "payapp_admin_commitments",
                 "payapp_billed_commitments")
    for statement in (*[f for f in policy_functions
                        if f.split("(", 1)[0].split()[-1] in flattened],
                      *_helpers_of_0004("sql")):
        op.execute(statement)
