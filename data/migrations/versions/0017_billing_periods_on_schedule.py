"""billing periods opened and closed on schedule, monthly or weekly from a start date

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

data/period_schedule.py. A project's `period_cadence` (manual, monthly, weekly), start date and
how many days before a period's end its invoices are due. Each day `payapp reminders run`
advances them: the open period closes once it has ended, and the one holding the day opens
(unless a period set by hand already covers it). On PostgreSQL the database does it in
`payapp_advance_billing_periods(day)` (SECURITY DEFINER, owned by `payapp_policy`), which only
`payapp_reminder` may call, and only for the database's own today, like the reminders (0011).
Whoever changes a schedule is an administrator of the project (the project policies of 0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "payapp_advance_billing_periods(date)"

ADVANCE = r"""
CREATE FUNCTION payapp_advance_billing_periods(p_day date) RETURNS TABLE (closed integer,
                                                                         opened integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_day date := coalesce(p_day, current_date);
    p project;
    v_start date;
    v_end date;
    v_months integer;
    v_closed integer;
BEGIN
    IF v_day <> current_date AND NOT payapp_is_maintainer() THEN
        PERFORM payapp_refuse(format('billing periods advance only for the database''s today '
                                     '(%s)', current_date));
    END IF;
    closed := 0;
    opened := 0;
    FOR p IN SELECT * FROM project WHERE period_cadence <> 'manual'
             AND period_starts_on IS NOT NULL ORDER BY id LOOP
        UPDATE billing_period SET status = 'closed', version = version + 1
            WHERE project_id = p.id AND status = 'open' AND ends_on < v_day;
        GET DIAGNOSTICS v_closed = ROW_COUNT;
        closed := closed + v_closed;
        CONTINUE WHEN v_day < p.period_starts_on
            OR EXISTS (SELECT 1 FROM billing_period b WHERE b.project_id = p.id
                       AND b.status = 'open');
        IF p.period_cadence = 'weekly' THEN
            v_start := p.period_starts_on + (v_day - p.period_starts_on) / 7 * 7;
            v_end := v_start + 6;
        ELSE
            v_months := (extract(year FROM v_day)::integer
                         - extract(year FROM p.period_starts_on)::integer) * 12
                        + extract(month FROM v_day)::integer
                        - extract(month FROM p.period_starts_on)::integer;
            IF extract(day FROM v_day) < extract(day FROM p.period_starts_on) THEN
                v_months := v_months - 1;
            END IF;
            v_start := (p.period_starts_on + make_interval(months => v_months))::date;
            v_end := (p.period_starts_on + make_interval(months => v_months + 1))::date - 1;
        END IF;
        CONTINUE WHEN EXISTS (SELECT 1 FROM billing_period b WHERE b.project_id = p.id
                              AND b.starts_on <= v_end AND v_start <= b.ends_on);
        INSERT INTO billing_period (project_id, starts_on, ends_on, due_on, status, version)
            VALUES (p.id, v_start, v_end, v_end - p.period_due_days_before_end, 'open', 1);
        opened := opened + 1;
    END LOOP;
    RETURN NEXT;
END $$;
"""


def upgrade() -> None:
    op.add_column("project", sa.Column("period_cadence", sa.String(length=8), nullable=False,
                                       server_default="manual"))
    op.add_column("project", sa.Column("period_starts_on", sa.Date(), nullable=True))
    op.add_column("project", sa.Column("period_due_days_before_end", sa.Integer(),
                                       nullable=False, server_default="5"))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE project ADD CONSTRAINT ck_project_period_cadence "
               "CHECK (period_cadence IN ('manual', 'monthly', 'weekly'))")
    op.execute(ADVANCE)
    op.execute(f"ALTER FUNCTION {FUNCTION} OWNER TO payapp_policy")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO payapp_reminder")
    op.execute("GRANT SELECT ON project TO payapp_policy")
    op.execute("GRANT SELECT, INSERT, UPDATE ON billing_period TO payapp_policy")
    op.execute("GRANT USAGE ON SEQUENCE billing_period_id_seq TO payapp_policy")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {FUNCTION}")
        op.execute("ALTER TABLE project DROP CONSTRAINT ck_project_period_cadence")
    for column in ("period_due_days_before_end", "period_starts_on", "period_cadence"):
        op.drop_column("project", column)
