"""billing periods of a project do not overlap

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Invoice administrators now open billing periods by hand (data/services/billing_periods.py).
The service refuses a period that overlaps another of the same project; so does the database,
on PostgreSQL and SQLite alike, for whoever writes (payapp or psql). One open period per project
was already the index uq_billing_period_one_open, and a period that an invite or invoice uses
cannot be deleted because of their foreign keys.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "the billing periods of a project do not overlap"

POSTGRES = rf"""
CREATE FUNCTION payapp_period_no_overlap() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- Two writers of the same project take turns, so that neither misses the other's period.
    PERFORM pg_advisory_xact_lock(hashtext('billing_period'), NEW.project_id);
    IF EXISTS (SELECT 1 FROM billing_period p
               WHERE p.project_id = NEW.project_id AND p.id <> NEW.id
                 AND p.starts_on <= NEW.ends_on AND NEW.starts_on <= p.ends_on) THEN
        PERFORM payapp_refuse('{MESSAGE}');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER billing_period_no_overlap
    BEFORE INSERT OR UPDATE OF project_id, starts_on, ends_on ON billing_period
    FOR EACH ROW EXECUTE FUNCTION payapp_period_no_overlap();
"""

SQLITE = [
    f"""CREATE TRIGGER billing_period_no_overlap_insert BEFORE INSERT ON billing_period
    WHEN EXISTS (SELECT 1 FROM billing_period p WHERE p.project_id = NEW.project_id
                 AND p.starts_on <= NEW.ends_on AND NEW.starts_on <= p.ends_on)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER billing_period_no_overlap_update
    BEFORE UPDATE OF project_id, starts_on, ends_on ON billing_period
    WHEN EXISTS (SELECT 1 FROM billing_period p WHERE p.project_id = NEW.project_id
                 AND p.id <> NEW.id AND p.starts_on <= NEW.ends_on
                 AND NEW.starts_on <= p.ends_on)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES)
        op.execute("ALTER FUNCTION payapp_period_no_overlap() OWNER TO payapp_policy")
        op.execute("REVOKE ALL ON FUNCTION payapp_period_no_overlap() FROM PUBLIC")
        return
    for statement in SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER billing_period_no_overlap ON billing_period")
        op.execute("DROP FUNCTION payapp_period_no_overlap()")
        return
    op.execute("DROP TRIGGER billing_period_no_overlap_update")
    op.execute("DROP TRIGGER billing_period_no_overlap_insert")
