"""invite reminders: one row per invite and day reminded, unique; on PostgreSQL the
`payapp_reminder` group, which may only ask the database to queue today's reminders

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-18

- `invite_reminder` (invite, day): UNIQUE (invite_id, reminder_day), so that no run, repeated
  or concurrent, reminds an invite's contacts twice in one day (domain.md §2).

On PostgreSQL nobody inserts reminders or their emails: `payapp_queue_invite_reminders(day,
days_before)` (SECURITY DEFINER, owned by `payapp_policy`) reads the invites, periods and
invoices, decides which invites are due a reminder, writes their rows and queues the emails,
with recipients and words fixed by the database (data/reminders/words.py words them the same on
SQLite). Only `payapp_reminder` (NOLOGIN; `payapp reminders allow LOGIN` grants it) may call it,
and only for the database's own today; a maintainer (superuser, payapp_owner) may name another
day. People read the reminders of the commitments they bill; support reads all; every change
is audited like the billing tables'.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "payapp_queue_invite_reminders(date, integer)"

REMINDER_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'payapp_reminder') THEN
        CREATE ROLE payapp_reminder NOLOGIN;
    END IF;
END
$$;
"""

BILLED_INVITES = ("SELECT i.id FROM invite i "
                  "WHERE i.commitment_id IN (SELECT unnest(payapp_billed_commitments()))")

# The rule of data/reminders/rule.py and the words of data/reminders/words.py; the tests run
# both backends through the same days and compare the emails word for word.
QUEUE_REMINDERS = r"""
CREATE FUNCTION payapp_queue_invite_reminders(p_day date, p_days_before integer)
    RETURNS TABLE (reminders integer, emails integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_day date := coalesce(p_day, current_date);
    due record;
    reminder_id integer;
    queued integer;
BEGIN
    reminders := 0;
    emails := 0;
    IF v_day <> current_date AND NOT payapp_is_maintainer() THEN
        PERFORM payapp_refuse(format('reminders are queued for the database''s today (%s) only',
                                     current_date));
    END IF;
    IF p_days_before IS NULL OR p_days_before NOT BETWEEN 1 AND 30 THEN
        PERFORM payapp_refuse('the reminder before the due date comes 1 to 30 days before it');
    END IF;
    FOR due IN
        SELECT i.id AS invite_id, i.commitment_id, i.response, c.number AS c_number,
               c.title AS c_title, p.number AS p_number, p.name AS p_name, bp.starts_on,
               bp.ends_on, bp.due_on,
               (SELECT v.id FROM invoice v WHERE v.commitment_id = i.commitment_id
                   AND v.period_id = i.period_id) AS invoice_id
        FROM invite i
        JOIN billing_period bp ON bp.id = i.period_id
        JOIN commitment c ON c.id = i.commitment_id
        JOIN project p ON p.id = c.project_id
        WHERE i.response IN ('pending', 'yes')
          AND bp.status = 'open'
          AND NOT EXISTS (SELECT 1 FROM invoice v WHERE v.commitment_id = i.commitment_id
                              AND v.period_id = i.period_id AND v.status <> 'draft')
          AND EXISTS (SELECT 1 FROM commitment_contact cc JOIN app_user u ON u.id = cc.user_id
                      WHERE cc.commitment_id = i.commitment_id AND u.active)
          AND (v_day > bp.due_on
               OR (v_day BETWEEN bp.due_on - p_days_before AND bp.due_on
                   AND NOT EXISTS (SELECT 1 FROM invite_reminder r WHERE r.invite_id = i.id
                                   AND r.reminder_day BETWEEN bp.due_on - p_days_before
                                                          AND bp.due_on)))
        ORDER BY i.id
    LOOP
        INSERT INTO invite_reminder (invite_id, reminder_day, created_at)
        VALUES (due.invite_id, v_day, now())
        ON CONFLICT (invite_id, reminder_day) DO NOTHING
        RETURNING id INTO reminder_id;
        CONTINUE WHEN reminder_id IS NULL;  -- another run reminded this invite today
        INSERT INTO outbox_email (created_at, kind, invoice_id, to_address, to_name, subject,
                                  body, attempts, last_error)
        SELECT now(), 'invite_reminder', due.invoice_id, u.email, u.display_name,
               format('Reminder: your invoice for %s %s %s due %s', due.c_number, due.c_title,
                      CASE WHEN v_day > due.due_on THEN 'was' ELSE 'is' END,
                      to_char(due.due_on, 'Mon DD, YYYY')),
               concat_ws(E'\n',
                   CASE WHEN v_day > due.due_on
                        THEN format('The invoice for this billing period was due on %s and '
                                    'has not been sent.', to_char(due.due_on, 'Mon DD, YYYY'))
                        ELSE format('The invoice for this billing period is due on %s.',
                                    to_char(due.due_on, 'Mon DD, YYYY')) END,
                   '',
                   format('Project: %s %s', due.p_number, due.p_name),
                   format('Commitment: %s %s', due.c_number, due.c_title),
                   format('Period: %s to %s', to_char(due.starts_on, 'Mon DD, YYYY'),
                          to_char(due.ends_on, 'Mon DD, YYYY')),
                   format('Due date: %s', to_char(due.due_on, 'Mon DD, YYYY')),
                   '',
                   CASE WHEN due.response = 'yes'
                        THEN 'Open payapp to finish your invoice and send it.'
                        WHEN v_day > due.due_on
                        THEN 'The invite can no longer be answered: ask the project''s invoice '
                             'administrator to open the invoice for you.'
                        ELSE 'Open payapp to answer the invite: Yes to bill this period, No if '
                             'you will not (the reminders then stop).' END),
               0, ''
        FROM app_user u JOIN commitment_contact cc ON cc.user_id = u.id
        WHERE cc.commitment_id = due.commitment_id AND u.active
        ORDER BY u.id;
        GET DIAGNOSTICS queued = ROW_COUNT;
        reminders := reminders + 1;
        emails := emails + queued;
    END LOOP;
    RETURN NEXT;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "invite_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("reminder_day", sa.Date(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invite_id"], ["invite.id"], ondelete="CASCADE",
                                name=op.f("fk_invite_reminder_invite_id_invite")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_reminder")),
        sa.UniqueConstraint("invite_id", "reminder_day",
                            name=op.f("uq_invite_reminder_invite_id_reminder_day")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REMINDER_ROLE)
    op.execute("ALTER TABLE invite_reminder OWNER TO payapp_owner")
    op.execute("REVOKE ALL ON invite_reminder FROM PUBLIC")
    op.execute("ALTER TABLE invite_reminder ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE invite_reminder FORCE ROW LEVEL SECURITY")
    op.execute("GRANT SELECT ON invite_reminder TO payapp_user, payapp_reader")
    op.execute("CREATE POLICY invite_reminder_read ON invite_reminder FOR SELECT USING "
               f"((SELECT payapp_is('support')) OR invite_id IN ({BILLED_INVITES}))")
    # What the queuing function, run as its owner, reads (granted by 0002 and 0004 already;
    # repeated here as the list of what it needs) and writes; nobody else writes.
    op.execute("GRANT SELECT, INSERT ON invite_reminder TO payapp_policy")
    op.execute("GRANT USAGE ON SEQUENCE invite_reminder_id_seq TO payapp_policy")
    op.execute("GRANT SELECT ON invite, billing_period, invoice, commitment, project, "
               "commitment_contact, app_user TO payapp_policy")
    op.execute(QUEUE_REMINDERS)
    op.execute(f"ALTER FUNCTION {FUNCTION} OWNER TO payapp_policy")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO payapp_reminder")
    op.execute("CREATE TRIGGER invite_reminder_audit AFTER INSERT OR UPDATE OR DELETE "
               "ON invite_reminder FOR EACH ROW EXECUTE FUNCTION payapp_audit_row()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {FUNCTION}")
        # The role is the server's, shared by every payapp database on it: it stays.
    op.drop_table("invite_reminder")
