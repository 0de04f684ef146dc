"""audit chain positions; on PostgreSQL: the workflow, the audit of every row change, the outbox
and clean text enforced by the database itself

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

What payapp refuses, the database refuses too, whoever asks (payapp or psql):

- Workflow: who may change an invoice, its lines, review marks and attachments, in which status
  (domain.md §3). Triggers read `workflow_move` and `workflow_status`, which are filled here from
  data/workflow.py; a test compares the two.
- Who did it: `created_by_id`, `uploaded_by_id`, `recorded_by_id`, `invited_by_id` and an audit
  entry's `actor_login` come from `session_user`, never from the client.
- Audit: every insert, update and delete on the billing tables writes an audit entry (before →
  after) in the same transaction, whoever issued it.
- The chain: entries are written unchained and sealed afterwards, in order, by
  `payapp_audit_seal()` under a row lock of `audit_chain_head`, a table nobody but the sealing
  function's owner may touch. Sealing skips when someone else seals, so no lock a person can
  take stalls anybody's save; entries get a `position`, and verify walks that order.
- Outbox: people no longer insert emails; a trigger queues them from the event (an invoice sent
  for review), with the recipients and words fixed by the database.
- Clean text: CHECK constraints refuse control characters and bidi overrides in names, numbers
  and descriptions (NOT VALID: rows written before this revision are not re-checked).

Sessions that belong to no payapp person (the server's superuser, members of `payapp_owner`: the
system administrator running migrations, the demo builder, `payapp users`) are not people and
pass the workflow checks; row-level security still applies to everyone else.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

from data.workflow import CONTACT_EDITABLE, MOVES

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose every change the database audits.
AUDITED = (
    "company", "app_user", "user_role", "project", "project_administrator", "commitment",
    "retainage_rule", "commitment_contact", "change_order", "sov_line", "billing_period",
    "invite", "invoice", "invoice_line", "attachment", "payment", "outbox_email",
)

# (table, column, newlines allowed) that must hold no control character or bidi override.
CLEAN_TEXT = (
    ("company", "name", False), ("company", "street", False), ("company", "city", False),
    ("app_user", "login", False), ("app_user", "display_name", False),
    ("app_user", "email", False),
    ("project", "number", False), ("project", "name", False), ("project", "owner_name", False),
    ("commitment", "number", False), ("commitment", "title", False),
    ("change_order", "number", False), ("change_order", "title", False),
    ("sov_line", "item_no", False), ("sov_line", "description", False),
    ("sov_line", "budget_code", False), ("sov_line", "unit", False),
    ("invoice", "invoice_number", False), ("attachment", "original_name", False),
    ("payment", "reference", False), ("invoice_line", "review_comment", True),
)
_CONTROL = r"\x01-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_CONTROL_BUT_NEWLINE = r"\x01-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"

HELPERS = r"""
CREATE FUNCTION payapp_is_maintainer() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
        OR pg_has_role(session_user, 'payapp_owner', 'MEMBER') $$;

-- How the person behind this session stands to a commitment (data/workflow.standing_for).
CREATE FUNCTION payapp_standing(p_commitment integer) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM app_user u
                     JOIN user_role r ON r.user_id = u.id AND r.role = 'invoice_administrator'
                     JOIN project_administrator pa ON pa.user_id = u.id
                     JOIN commitment c ON c.project_id = pa.project_id
                     WHERE u.login = session_user AND u.active AND c.id = p_commitment)
            THEN 'administrator'
        WHEN EXISTS (SELECT 1 FROM app_user u
                     JOIN user_role r ON r.user_id = u.id AND r.role = 'invoice_contact'
                     JOIN commitment_contact cc ON cc.user_id = u.id
                     WHERE u.login = session_user AND u.active
                       AND cc.commitment_id = p_commitment)
            THEN 'contact'
        WHEN EXISTS (SELECT 1 FROM app_user u
                     JOIN user_role r ON r.user_id = u.id AND r.role = 'support'
                     WHERE u.login = session_user AND u.active)
            THEN 'support'
        ELSE 'none' END $$;

CREATE FUNCTION payapp_refuse(p_message text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = p_message;
END $$;

-- May the person behind this session change this invoice (and its lines and attachments)?
-- Returns why not, or NULL (data/workflow.check_edit).
CREATE FUNCTION payapp_why_not_edit(p_invoice invoice) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    who text := payapp_standing(p_invoice.commitment_id);
BEGIN
    IF who = 'administrator' THEN
        RETURN NULL;
    ELSIF who <> 'contact' THEN
        RETURN 'you can read this invoice but not change it';
    ELSIF EXISTS (SELECT 1 FROM invoice i WHERE i.commitment_id = p_invoice.commitment_id
                  AND i.position > p_invoice.position) THEN
        RETURN 'only the commitment''s most recent invoice can be changed';
    ELSIF p_invoice.status NOT IN (SELECT status FROM workflow_status
                                   WHERE rule = 'contact_editable') THEN
        RETURN format('the invoice is %s; it can be changed only in Draft or Revise & Resubmit',
                      (SELECT label FROM workflow_status WHERE rule = 'label'
                       AND status = p_invoice.status));
    END IF;
    RETURN NULL;
END $$;
"""

INVOICE_GUARD = r"""
CREATE FUNCTION payapp_invoice_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    who text;
    why text;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF payapp_standing(OLD.commitment_id) = 'administrator' AND OLD.status = 'draft' THEN
            RETURN OLD;
        END IF;
        PERFORM payapp_refuse('only an invoice administrator deletes an invoice, and only a Draft');
    END IF;
    who := payapp_standing(NEW.commitment_id);
    IF TG_OP = 'INSERT' THEN
        IF who NOT IN ('contact', 'administrator') THEN
            PERFORM payapp_refuse('only an invoice contact or an invoice administrator creates '
                                  'invoices');
        END IF;
        IF NEW.status <> 'draft' OR NEW.submitted_at IS NOT NULL OR NEW.decided_at IS NOT NULL
        THEN
            PERFORM payapp_refuse('a new invoice starts as a Draft');
        END IF;
        NEW.created_by_id := payapp_me();
        NEW.created_at := now();
        RETURN NEW;
    END IF;
    IF NEW.commitment_id <> OLD.commitment_id OR NEW.position <> OLD.position THEN
        PERFORM payapp_refuse('an invoice stays on its commitment and in its place');
    END IF;
    NEW.created_by_id := OLD.created_by_id;
    NEW.created_at := OLD.created_at;
    IF NEW.status <> OLD.status AND NOT EXISTS (
            SELECT 1 FROM workflow_move m WHERE m.source = OLD.status
            AND m.target = NEW.status AND m.standing = who) THEN
        PERFORM payapp_refuse(format('%s cannot move an invoice from %s to %s',
            CASE who WHEN 'contact' THEN 'an invoice contact'
                     WHEN 'administrator' THEN 'an invoice administrator'
                     WHEN 'support' THEN 'support staff (read-only)'
                     ELSE 'someone with no role on this commitment' END,
            (SELECT label FROM workflow_status WHERE rule = 'label' AND status = OLD.status),
            (SELECT label FROM workflow_status WHERE rule = 'label' AND status = NEW.status)));
    END IF;
    why := payapp_why_not_edit(OLD);
    IF why IS NOT NULL THEN
        PERFORM payapp_refuse(why);
    END IF;
    IF who = 'contact' AND (NEW.period_id <> OLD.period_id
            OR NEW.invoice_type <> OLD.invoice_type OR NEW.billing_type <> OLD.billing_type
            OR NEW.decided_at IS DISTINCT FROM OLD.decided_at) THEN
        PERFORM payapp_refuse('the billing period, the invoice type, the billing type and the '
                              'decision are the invoice administrator''s to set');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoice_guard BEFORE INSERT OR UPDATE OR DELETE ON invoice
    FOR EACH ROW EXECUTE FUNCTION payapp_invoice_guard();
"""

LINE_GUARD = r"""
CREATE FUNCTION payapp_invoice_line_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    parent invoice;
    who text;
    why text;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.invoice_id <> OLD.invoice_id
                             OR NEW.sov_line_id <> OLD.sov_line_id) THEN
        PERFORM payapp_refuse('an invoice line stays on its invoice and its SOV line');
    END IF;
    SELECT * INTO parent FROM invoice
        WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
    -- A line of another schedule, or of a change order not approved in time, would be left out
    -- of this invoice's figures and still count in every later invoice's "previous" columns.
    IF TG_OP = 'INSERT' AND NOT EXISTS (
            SELECT 1 FROM sov_line s
            JOIN billing_period b ON b.id = parent.period_id
            LEFT JOIN change_order o ON o.id = s.change_order_id
            WHERE s.id = NEW.sov_line_id AND s.commitment_id = parent.commitment_id
              AND (s.change_order_id IS NULL
                   OR (o.status = 'approved' AND o.approved_on <= b.ends_on))) THEN
        PERFORM payapp_refuse('an invoice line bills a line of its own commitment''s schedule '
                              'of values: an original line, or one of a change order approved '
                              'by the end of the billing period');
    END IF;
    who := payapp_standing(parent.commitment_id);
    IF who = 'administrator' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    why := payapp_why_not_edit(parent);
    IF why IS NOT NULL THEN
        PERFORM payapp_refuse(why);
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM payapp_refuse('an invoice contact does not remove lines from an invoice');
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.review <> 'pending' OR NEW.review_comment <> '' THEN
            PERFORM payapp_refuse('review marks are the invoice administrator''s to set');
        END IF;
        IF EXISTS (SELECT 1 FROM commitment c WHERE c.id = parent.commitment_id
                   AND (c.work_retainage_e4 <> NEW.work_retainage_e4
                        OR c.stored_retainage_e4 <> NEW.stored_retainage_e4)) THEN
            PERFORM payapp_refuse('retainage rates are the invoice administrator''s to set');
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.review <> OLD.review AND NEW.review <> 'pending')
            OR (NEW.review_comment <> OLD.review_comment AND NEW.review_comment <> '') THEN
        PERFORM payapp_refuse('review marks are the invoice administrator''s to set');
    END IF;
    IF NEW.work_retainage_e4 <> OLD.work_retainage_e4
            OR NEW.stored_retainage_e4 <> OLD.stored_retainage_e4 THEN
        PERFORM payapp_refuse('retainage rates are the invoice administrator''s to set');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoice_line_guard BEFORE INSERT OR UPDATE OR DELETE ON invoice_line
    FOR EACH ROW EXECUTE FUNCTION payapp_invoice_line_guard();
"""

ATTACHMENT_GUARD = r"""
CREATE FUNCTION payapp_attachment_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    parent invoice;
    why text;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM payapp_refuse('an attachment is never changed; remove it and attach another');
    END IF;
    SELECT * INTO parent FROM invoice
        WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
    why := payapp_why_not_edit(parent);
    IF why IS NOT NULL THEN
        PERFORM payapp_refuse(why);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    NEW.uploaded_by_id := payapp_me();
    NEW.uploaded_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER attachment_guard BEFORE INSERT OR UPDATE OR DELETE ON attachment
    FOR EACH ROW EXECUTE FUNCTION payapp_attachment_guard();

CREATE FUNCTION payapp_payment_stamp() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.recorded_by_id := payapp_me();
        NEW.recorded_at := now();
    ELSE
        NEW.recorded_by_id := OLD.recorded_by_id;
        NEW.recorded_at := OLD.recorded_at;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_stamp BEFORE INSERT OR UPDATE ON payment
    FOR EACH ROW EXECUTE FUNCTION payapp_payment_stamp();

-- An invite is the administrator's; the contact only answers it.
CREATE FUNCTION payapp_invite_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    who text;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    who := payapp_standing(CASE WHEN TG_OP = 'DELETE' THEN OLD.commitment_id
                           ELSE NEW.commitment_id END);
    IF TG_OP = 'INSERT' AND who = 'administrator' THEN
        NEW.invited_by_id := payapp_me();
        NEW.sent_at := now();
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' AND who IN ('administrator', 'contact') THEN
        IF (NEW.commitment_id, NEW.period_id, NEW.invite_type, NEW.invited_by_id, NEW.sent_at)
                IS DISTINCT FROM (OLD.commitment_id, OLD.period_id, OLD.invite_type,
                                  OLD.invited_by_id, OLD.sent_at) THEN
            PERFORM payapp_refuse('an invite''s commitment, period, type and sender stay as '
                                  'they were sent');
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' AND who = 'administrator' THEN
        RETURN OLD;
    END IF;
    PERFORM payapp_refuse('only an invoice administrator sends or withdraws invites');
    RETURN NULL;
END $$;
CREATE TRIGGER invite_guard BEFORE INSERT OR UPDATE OR DELETE ON invite
    FOR EACH ROW EXECUTE FUNCTION payapp_invite_guard();
"""

# Every row change on the audited tables, as the database saw it. Only the columns that changed
# are kept for an update.
ROW_AUDIT = r"""
CREATE FUNCTION payapp_audit_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END;
    row_id integer := (coalesce(new_row, old_row) ->> 'id')::integer;  -- before trimming
    changed text[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(array_agg(n.key), '{}') INTO changed FROM jsonb_each(new_row) n
            WHERE n.value IS DISTINCT FROM old_row -> n.key;
        old_row := (SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(old_row)
                    WHERE key = ANY (changed));
        new_row := (SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(new_row)
                    WHERE key = ANY (changed));
    END IF;
    INSERT INTO audit_entry (actor_login, action, entity, entity_id, before, after)
    VALUES (session_user, 'database ' || lower(TG_OP), TG_TABLE_NAME,
            row_id, coalesce(old_row::text, ''), coalesce(new_row::text, ''));
    RETURN NULL;
END $$;
"""

# Tables people insert into, whose ids come from a sequence.
FRESH_IDS = (
    "project", "commitment", "retainage_rule", "change_order", "sov_line", "billing_period",
    "invite", "invoice", "invoice_line", "attachment", "payment", "audit_entry",
)

# A row inserted with an id the sequence has not handed out yet takes somebody else's next id:
# rows planted ahead (one INSERT ... SELECT generate_series(...) into audit_entry) would make
# every change by everybody fail on the primary key, since every change writes an audit entry.
# Such an id is replaced by a fresh one; ids the sequence drew (the column default) pass.
FRESH_ID = r"""
CREATE FUNCTION payapp_fresh_id() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    sequence_name text := pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME),
                                                 'id');
BEGIN
    IF NEW.id > coalesce(pg_sequence_last_value(sequence_name::regclass), 0)
            AND NOT payapp_is_maintainer() THEN
        NEW.id := nextval(sequence_name);
    END IF;
    RETURN NEW;
END $$;
"""

# Entries arrive unchained; sealing chains them in order. The stamp says who and when.
AUDIT_STAMP = r"""
CREATE FUNCTION payapp_audit_stamp() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    NEW.db_role := session_user;
    IF payapp_me() IS NOT NULL THEN
        NEW.actor_login := session_user;
    END IF;
    NEW.at := clock_timestamp();
    NEW.position := NULL;
    NEW.prev_hash := '';
    NEW.hash := '';
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_entry_stamp BEFORE INSERT ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION payapp_audit_stamp();

CREATE FUNCTION payapp_audit_seal() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head audit_chain_head;
    entry audit_entry;
    sealed integer := 0;
    next_hash text;
BEGIN
    SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN -1;  -- someone else is sealing; they take these entries too, or the next one does
    END IF;
    FOR entry IN SELECT * FROM audit_entry WHERE position IS NULL ORDER BY id LOOP
        next_hash := encode(sha256(convert_to(concat_ws(E'\n',
            head.hash, entry.id::text,
            (extract(epoch FROM date_trunc('microseconds', entry.at)) * 1000000)::bigint::text,
            entry.actor_login, coalesce(entry.db_role, ''), entry.action, entry.entity,
            coalesce(entry.entity_id::text, ''), entry.before, entry.after), 'UTF8')), 'hex');
        head.position := head.position + 1;
        UPDATE audit_entry SET position = head.position, prev_hash = head.hash,
                               hash = next_hash
            WHERE id = entry.id;
        head.hash := next_hash;
        sealed := sealed + 1;
    END LOOP;
    UPDATE audit_chain_head SET position = head.position, hash = head.hash WHERE id = 1;
    RETURN sealed;
END
$$;
"""

# The notification of an invoice sent for review: one email per active project administrator,
# worded as data/notify.review_email words it on SQLite.
OUTBOX = r"""
CREATE FUNCTION payapp_queue_review_emails() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c commitment;
    p project;
    company_name text;
    sender text;
BEGIN
    SELECT * INTO c FROM commitment WHERE id = NEW.commitment_id;
    SELECT * INTO p FROM project WHERE id = c.project_id;
    SELECT name INTO company_name FROM company WHERE id = c.contract_company_id;
    sender := coalesce((SELECT display_name FROM app_user WHERE login = session_user),
                       session_user);
    INSERT INTO outbox_email (created_at, kind, invoice_id, to_address, to_name, subject, body,
                              attempts, last_error)
    SELECT now(), 'invoice_under_review', NEW.id, u.email, u.display_name,
           format('Invoice #%s for %s %s is ready for review', NEW.position, c.number, c.title),
           concat_ws(E'\n',
               format('%s sent invoice #%s for review.', company_name, NEW.position),
               '',
               format('Project: %s %s', p.number, p.name),
               format('Commitment: %s %s', c.number, c.title),
               format('Period: %s to %s', to_char(NEW.period_start, 'Mon DD, YYYY'),
                      to_char(NEW.period_end, 'Mon DD, YYYY')),
               format('Sent by: %s', sender),
               '',
               'Open payapp to review it.'),
           0, ''
    FROM app_user u JOIN project_administrator pa ON pa.user_id = u.id
    WHERE pa.project_id = p.id AND u.active
    ORDER BY u.id;
    RETURN NULL;
END $$;
CREATE TRIGGER invoice_queue_review_emails AFTER UPDATE OF status ON invoice
    FOR EACH ROW WHEN (NEW.status = 'under_review' AND OLD.status <> 'under_review')
    EXECUTE FUNCTION payapp_queue_review_emails();
"""

OWNED_FUNCTIONS = (
    "payapp_is_maintainer()", "payapp_standing(integer)", "payapp_why_not_edit(invoice)",
    "payapp_invoice_guard()", "payapp_invoice_line_guard()", "payapp_attachment_guard()",
    "payapp_payment_stamp()", "payapp_invite_guard()", "payapp_audit_row()",
    "payapp_audit_stamp()", "payapp_audit_seal()", "payapp_queue_review_emails()",
    "payapp_fresh_id()",
)


def _policy_functions_in(language: str) -> list[str]:
    """Revision 0002's policy functions, the same bodies, in `language`. In PL/pgSQL each
    session plans a function's query once and keeps the plan; an SQL function called through a
    policy is planned again in every statement, which made a contact's save 6× slower than the
    same save without row-level security."""
    statements = []
    for block in _revision_0002().FUNCTIONS.strip().split("CREATE FUNCTION")[1:]:
        head, body = block.split("AS $$", 1)
        body = body.rsplit("$$", 1)[0].strip()
        if language == "plpgsql":
            head = head.replace("LANGUAGE sql", "LANGUAGE plpgsql")
            body = f"BEGIN RETURN ({body}); END"
        statements.append(f"CREATE OR REPLACE FUNCTION{head}AS $$ {body} $$")
    return statements


def _workflow_rows() -> list[str]:
    from data.wording import STATUS_LABELS

    moves = [f"('{m.source.value}', '{m.target.value}', '{standing.value}')"
             for m in MOVES for standing in sorted(m.by)]
    statuses = [f"('contact_editable', '{s.value}', '')" for s in sorted(CONTACT_EDITABLE)]
    labels = [f"('label', '{s.value}', '{label}')" for s, label in STATUS_LABELS.items()]
    return [
        "INSERT INTO workflow_move (source, target, standing) VALUES " + ", ".join(moves),
        "INSERT INTO workflow_status (rule, status, label) VALUES "
        + ", ".join(statuses + labels),
    ]


def _chain_positions() -> None:
    """Number the entries written before this revision in the order their hashes chain them
    (their ids may not be in that order when people saved at once), then the rest by id."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, prev_hash, hash FROM audit_entry ORDER BY id")).all()
    following: dict[str, list[int]] = {}
    hashes: dict[int, str] = {}
    for entry_id, prev_hash, own_hash in rows:
        following.setdefault(prev_hash, []).append(entry_id)
        hashes[entry_id] = own_hash
    order: list[int] = []
    placed: set[int] = set()
    link = ""
    while following.get(link):
        entry_id = following[link].pop(0)
        order.append(entry_id)
        placed.add(entry_id)
        link = hashes[entry_id]
    order += [entry_id for entry_id, _prev, _hash in rows if entry_id not in placed]
    for position, entry_id in enumerate(order, start=1):
        bind.execute(sa.text("UPDATE audit_entry SET position = :p WHERE id = :i"),
                     {"p": position, "i": entry_id})
    if bind.dialect.name == "postgresql":
        last = hashes[order[-1]] if order else ""
        bind.execute(sa.text("INSERT INTO audit_chain_head (id, position, hash) "
                             "VALUES (1, :p, :h)"), {"p": len(order), "h": last})


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
        batch.create_index("uq_audit_entry_position", ["position"], unique=True)
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER audit_entry_stamp ON audit_entry")
        op.execute("DROP FUNCTION payapp_audit_stamp()")
        op.execute("CREATE TABLE audit_chain_head (id integer PRIMARY KEY CHECK (id = 1), "
                   "position bigint NOT NULL, hash varchar(64) NOT NULL)")
    _chain_positions()
    if not postgres:
        return
    op.execute("CREATE TABLE workflow_move (source varchar(24), target varchar(24), "
               "standing varchar(16), PRIMARY KEY (source, target, standing))")
    op.execute("CREATE TABLE workflow_status (rule varchar(32), status varchar(24), "
               "label varchar(40) NOT NULL, PRIMARY KEY (rule, status))")
    for statement in _workflow_rows():
        op.execute(statement)
    for statement in _policy_functions_in("plpgsql"):
        op.execute(statement)
    op.execute("CREATE INDEX ix_audit_entry_unsealed ON audit_entry (id) WHERE position IS NULL")
    for table in ("audit_chain_head", "workflow_move", "workflow_status"):
        op.execute(f"ALTER TABLE {table} OWNER TO payapp_owner")
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY workflow_move_read ON workflow_move FOR SELECT USING (true)")
    op.execute("CREATE POLICY workflow_status_read ON workflow_status FOR SELECT USING (true)")
    op.execute("CREATE POLICY audit_chain_head_sealer ON audit_chain_head TO payapp_policy "
               "USING (true)")
    op.execute("GRANT SELECT ON workflow_move, workflow_status TO payapp_user, payapp_reader, "
               "payapp_policy")
    op.execute("GRANT SELECT, UPDATE ON audit_chain_head TO payapp_policy")
    op.execute("GRANT SELECT, INSERT, UPDATE ON audit_entry TO payapp_policy")
    op.execute("GRANT SELECT ON invoice, invoice_line, attachment, payment, company, "
               "billing_period, sov_line, change_order TO payapp_policy")
    op.execute("GRANT INSERT ON outbox_email TO payapp_policy")
    op.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO payapp_policy")
    for statement in (HELPERS, INVOICE_GUARD, LINE_GUARD, ATTACHMENT_GUARD, ROW_AUDIT,
                      AUDIT_STAMP, OUTBOX, FRESH_ID):
        op.execute(statement)
    for table in FRESH_IDS:
        op.execute(f"CREATE TRIGGER {table}_fresh_id BEFORE INSERT ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION payapp_fresh_id()")
    for table in AUDITED:
        op.execute(f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION payapp_audit_row()")
    for name in OWNED_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {name} OWNER TO payapp_policy")
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION payapp_audit_seal() TO payapp_user, payapp_reader")
    op.execute("GRANT EXECUTE ON FUNCTION payapp_is_maintainer(), payapp_standing(integer) "
               "TO payapp_user, payapp_reader")
    # The outbox is written by the database alone; people read what concerns them.
    op.execute("DROP POLICY outbox_email_add ON outbox_email")
    op.execute("REVOKE INSERT ON outbox_email FROM payapp_user")
    # The audit trail: people add entries (payapp's own), never choose where they go.
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM payapp_user, payapp_reader")
    for table, column, newlines in CLEAN_TEXT:
        banned = _CONTROL_BUT_NEWLINE if newlines else _CONTROL
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{column}_clean "
                   f"CHECK ({column} !~ '[{banned}]') NOT VALID")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for table, column, _newlines in CLEAN_TEXT:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{column}_clean")
        for table in AUDITED:
            op.execute(f"DROP TRIGGER {table}_audit ON {table}")
        for table in FRESH_IDS:
            op.execute(f"DROP TRIGGER {table}_fresh_id ON {table}")
        for trigger, table in (("invoice_guard", "invoice"),
                               ("invoice_line_guard", "invoice_line"),
                               ("attachment_guard", "attachment"), ("payment_stamp", "payment"),
                               ("invite_guard", "invite"), ("audit_entry_stamp", "audit_entry"),
                               ("invoice_queue_review_emails", "invoice")):
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        for name in OWNED_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}")
        op.execute("DROP FUNCTION payapp_refuse(text)")
        for statement in _policy_functions_in("sql"):
            op.execute(statement)
        op.execute("DROP TABLE workflow_move, workflow_status, audit_chain_head")
        op.execute("GRANT INSERT ON outbox_email TO payapp_user")
        op.execute("CREATE POLICY outbox_email_add ON outbox_email FOR INSERT WITH CHECK "
                   "(invoice_id IN (SELECT i.id FROM invoice i WHERE i.commitment_id IN "
                   "(SELECT unnest(payapp_billed_commitments()))))")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_index("uq_audit_entry_position")
        batch.drop_column("position")
    if postgres:
        # The chain as revision 0002 kept it: stamped and chained on insert.
        op.execute(_revision_0002().AUDIT_TRIGGER)
        op.execute("ALTER FUNCTION payapp_audit_stamp() OWNER TO payapp_policy")
        op.execute("REVOKE ALL ON FUNCTION payapp_audit_stamp() FROM PUBLIC")


def _revision_0002() -> ModuleType:
    path = Path(__file__).with_name("0002_database_security.py")
    spec = importlib.util.spec_from_file_location("payapp_revision_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
