"""the invoice contacts are told when their invoice is sent back for revision

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

One email per active invoice contact of the commitment when an invoice moves to Revise &
Resubmit (sent back by hand, or because a line was rejected), worded as
data/notify.invoice_sent_back words it on SQLite. On PostgreSQL the database queues it, as it
does the review emails (migration 0004), whoever moves the invoice (payapp or psql).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVISION_EMAILS = r"""
CREATE FUNCTION payapp_queue_revision_emails() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c commitment;
    p project;
    sender text;
BEGIN
    SELECT * INTO c FROM commitment WHERE id = NEW.commitment_id;
    SELECT * INTO p FROM project WHERE id = c.project_id;
    sender := coalesce((SELECT display_name FROM app_user WHERE login = session_user),
                       session_user);
    INSERT INTO outbox_email (created_at, kind, invoice_id, to_address, to_name, subject, body,
                              attempts, last_error)
    SELECT now(), 'invoice_sent_back', NEW.id, u.email, u.display_name,
           format('Invoice #%s for %s %s needs revision', NEW.position, c.number, c.title),
           concat_ws(E'\n',
               format('%s sent invoice #%s back for revision.', sender, NEW.position),
               '',
               format('Project: %s %s', p.number, p.name),
               format('Commitment: %s %s', c.number, c.title),
               format('Period: %s to %s', to_char(NEW.period_start, 'Mon DD, YYYY'),
                      to_char(NEW.period_end, 'Mon DD, YYYY')),
               '',
               'Open payapp to read the reviewer''s comments, then send the invoice again.'),
           0, ''
    FROM app_user u JOIN commitment_contact cc ON cc.user_id = u.id
    WHERE cc.commitment_id = c.id AND u.active
    ORDER BY u.id;
    RETURN NULL;
END $$;
CREATE TRIGGER invoice_queue_revision_emails AFTER UPDATE OF status ON invoice
    FOR EACH ROW WHEN (NEW.status = 'revise_resubmit' AND OLD.status <> 'revise_resubmit')
    EXECUTE FUNCTION payapp_queue_revision_emails();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REVISION_EMAILS)
    op.execute("ALTER FUNCTION payapp_queue_revision_emails() OWNER TO payapp_policy")
    op.execute("REVOKE ALL ON FUNCTION payapp_queue_revision_emails() FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER invoice_queue_revision_emails ON invoice")
    op.execute("DROP FUNCTION payapp_queue_revision_emails()")
