"""the invoice contacts are told when they are invited to bill

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

One email per active invoice contact of the commitment when an invite to bill is written,
worded as data/notify.contacts_invited words it on SQLite: subject "<project name>: <who
invited> has invited you to bill.", and what the invite shows (commitment, invoice type,
billing period, due date) with its question. On PostgreSQL the database queues it, as it does
the review and revision emails (0004, 0008), whoever writes the invite (payapp or psql).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVITE_EMAILS = r"""
CREATE FUNCTION payapp_queue_invite_emails() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c commitment;
    p project;
    bp billing_period;
    sender text;
    kind_label text;
BEGIN
    SELECT * INTO c FROM commitment WHERE id = NEW.commitment_id;
    SELECT * INTO p FROM project WHERE id = c.project_id;
    SELECT * INTO bp FROM billing_period WHERE id = NEW.period_id;
    sender := coalesce((SELECT display_name FROM app_user WHERE id = NEW.invited_by_id),
                       session_user);
    kind_label := CASE NEW.invite_type
        WHEN 'work_materials' THEN 'Work and Materials'
        WHEN 'retainage_release' THEN 'Retainage Release'
        WHEN 'work_materials_retainage' THEN 'Work, Materials, and Retainage'
        ELSE NEW.invite_type END;
    INSERT INTO outbox_email (created_at, kind, invoice_id, to_address, to_name, subject, body,
                              attempts, last_error)
    SELECT now(), 'invite', NULL, u.email, u.display_name,
           format('%s: %s has invited you to bill.', p.name, sender),
           concat_ws(E'\n',
               format('%s has invited you to bill %s %s.', sender, c.number, c.title),
               '',
               format('Project: %s %s', p.number, p.name),
               format('Commitment: %s %s', c.number, c.title),
               format('Invoice type: %s', kind_label),
               format('Billing period: %s to %s', to_char(bp.starts_on, 'Mon DD, YYYY'),
                      to_char(bp.ends_on, 'Mon DD, YYYY')),
               format('Due date: %s', to_char(bp.due_on, 'Mon DD, YYYY')),
               '',
               'Do you want to bill this period? Open payapp and answer Yes or No.'),
           0, ''
    FROM app_user u JOIN commitment_contact cc ON cc.user_id = u.id
    WHERE cc.commitment_id = c.id AND u.active
    ORDER BY u.id;
    RETURN NULL;
END $$;
CREATE TRIGGER invite_queue_invite_emails AFTER INSERT ON invite
    FOR EACH ROW EXECUTE FUNCTION payapp_queue_invite_emails();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(INVITE_EMAILS)
    op.execute("ALTER FUNCTION payapp_queue_invite_emails() OWNER TO payapp_policy")
    op.execute("REVOKE ALL ON FUNCTION payapp_queue_invite_emails() FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER invite_queue_invite_emails ON invite")
    op.execute("DROP FUNCTION payapp_queue_invite_emails()")
