"""commitments set up by an invoice administrator; on PostgreSQL: what the administrator's own
role may write, and the rules the database holds whoever writes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-21

data/services/commitment_setup.py and change_orders.py. Before this revision the policies of
0002 let an administrator change a commitment of their projects but not create one (the new
row's id is not among `payapp_admin_commitments()` while it is being inserted), nor see or
create the subcontractor company it is with, nor see that company's people to make them
invoice contacts. On PostgreSQL:

- Row-level security: an invoice administrator inserts (and reads) commitments of the projects
  they administer; reads every subcontractor company and its users (and their roles), and
  inserts subcontractor companies. Contacts and support gain nothing: a contact still writes
  no commitment, retainage rule, SOV line or change order (0002's policies), and support's
  `payapp_reader` has no write grant at all.
- `commitment_setup_guard`: a commitment stays in its project; its accounting method does not
  change once it has SOV lines; its contract company does not change once it has invoices.
- `sov_line_setup_guard`: a line stays on its commitment and change order; a line of the
  original schedule is added, removed or given other figures (value, quantity, unit price)
  only before the commitment's first invoice, a change order's line only while the change
  order is Draft or Pending and on the same commitment; its words may be corrected any time. A
  line has the shape of its commitment's method (a scheduled value, or quantity and unit
  price).
- `change_order_setup_guard`: a change order starts as a Draft; it moves only as
  data/services/change_orders.MOVES says (Approved, Rejected and Void are final); only a Draft
  is deleted; it stays on its commitment under its kind and number.
- `commitment_contact_setup_guard`: an invoice contact is a user of the contract company.
- Company ids come from their sequence (0004's `payapp_fresh_id`).

The guards judge only what row-level security lets through (an administrator's writes); a
contact's or anyone else's write is refused by the policies, in their words.

Sessions that belong to no payapp person (superuser, members of `payapp_owner`: migrations, the
demo builder) pass the guards, as in 0004.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADMINISTRATOR = "(SELECT payapp_is('invoice_administrator'))"

FUNCTIONS = r"""
CREATE FUNCTION payapp_subcontractor_users() RETURNS integer[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(u.id), '{}') FROM app_user u
            JOIN company c ON c.id = u.company_id AND c.kind = 'subcontractor'
            WHERE payapp_is('invoice_administrator'));
END $$;

CREATE FUNCTION payapp_commitment_setup_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    IF NEW.project_id <> OLD.project_id THEN
        PERFORM payapp_refuse('a commitment stays in its project');
    END IF;
    IF NEW.accounting_method <> OLD.accounting_method
            AND EXISTS (SELECT 1 FROM sov_line s WHERE s.commitment_id = OLD.id) THEN
        PERFORM payapp_refuse('the accounting method cannot change once the commitment has '
                              'SOV lines');
    END IF;
    IF NEW.contract_company_id <> OLD.contract_company_id
            AND EXISTS (SELECT 1 FROM invoice i WHERE i.commitment_id = OLD.id) THEN
        PERFORM payapp_refuse('the contract company cannot change once the commitment has '
                              'invoices');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER commitment_setup_guard BEFORE UPDATE ON commitment
    FOR EACH ROW EXECUTE FUNCTION payapp_commitment_setup_guard();

-- Why `line` may not be written now, or NULL.
CREATE FUNCTION payapp_why_not_sov_line(line sov_line) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    method text := (SELECT accounting_method FROM commitment WHERE id = line.commitment_id);
    order_status text;
BEGIN
    IF line.change_order_id IS NULL THEN
        IF EXISTS (SELECT 1 FROM invoice i WHERE i.commitment_id = line.commitment_id) THEN
            RETURN 'the commitment has invoices: its schedule of values changes only through '
                   'change orders';
        END IF;
    ELSE
        SELECT status INTO order_status FROM change_order
            WHERE id = line.change_order_id AND commitment_id = line.commitment_id;
        IF order_status IS NULL THEN
            RETURN 'a change order''s line belongs to the change order''s commitment';
        ELSIF order_status NOT IN ('draft', 'pending') THEN
            RETURN format('the change order is %s: its lines no longer change', order_status);
        END IF;
    END IF;
    IF method = 'amount' AND (line.scheduled_value_cents IS NULL OR line.quantity_e4 IS NOT NULL)
    THEN
        RETURN 'a line of an amount-based commitment has a scheduled value and no quantity';
    ELSIF method = 'unit' AND (line.quantity_e4 IS NULL OR line.unit_price_e4 IS NULL) THEN
        RETURN 'a line of a unit-based commitment has a quantity and a unit price';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION payapp_sov_line_setup_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    why text;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    -- Who may write here is row-level security's to say (0002), and it says so itself.
    IF payapp_standing(CASE WHEN TG_OP = 'DELETE' THEN OLD.commitment_id
                       ELSE NEW.commitment_id END) <> 'administrator' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.commitment_id <> OLD.commitment_id
                             OR NEW.change_order_id IS DISTINCT FROM OLD.change_order_id) THEN
        PERFORM payapp_refuse('an SOV line stays on its commitment and its change order');
    END IF;
    -- Words (description, budget code...) may be corrected; the figures are what is fixed.
    IF TG_OP = 'UPDATE' AND (NEW.scheduled_value_cents, NEW.quantity_e4, NEW.unit_price_e4)
            IS NOT DISTINCT FROM (OLD.scheduled_value_cents, OLD.quantity_e4, OLD.unit_price_e4)
    THEN
        RETURN NEW;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        why := payapp_why_not_sov_line(OLD);
    END IF;
    IF why IS NULL AND TG_OP <> 'DELETE' THEN
        why := payapp_why_not_sov_line(NEW);
    END IF;
    IF why IS NOT NULL THEN
        PERFORM payapp_refuse(why);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER sov_line_setup_guard BEFORE INSERT OR UPDATE OR DELETE ON sov_line
    FOR EACH ROW EXECUTE FUNCTION payapp_sov_line_setup_guard();

CREATE FUNCTION payapp_change_order_setup_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    -- Who may write here is row-level security's to say (0002), and it says so itself.
    IF payapp_standing(CASE WHEN TG_OP = 'DELETE' THEN OLD.commitment_id
                       ELSE NEW.commitment_id END) <> 'administrator' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            PERFORM payapp_refuse('only a Draft change order is deleted');
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' OR NEW.approved_on IS NOT NULL THEN
            PERFORM payapp_refuse('a new change order starts as a Draft');
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.commitment_id, NEW.kind, NEW.number) IS DISTINCT FROM
            (OLD.commitment_id, OLD.kind, OLD.number) THEN
        PERFORM payapp_refuse('a change order stays on its commitment, under its kind and '
                              'number');
    END IF;
    IF OLD.status IN ('approved', 'rejected', 'void') THEN
        PERFORM payapp_refuse(format('the change order is %s: that is final', OLD.status));
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
            ('draft', 'pending'), ('draft', 'void'), ('pending', 'approved'),
            ('pending', 'rejected'), ('pending', 'void'), ('pending', 'draft')) THEN
        PERFORM payapp_refuse(format('a change order does not move from %s to %s',
                                     OLD.status, NEW.status));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER change_order_setup_guard BEFORE INSERT OR UPDATE OR DELETE ON change_order
    FOR EACH ROW EXECUTE FUNCTION payapp_change_order_setup_guard();

CREATE FUNCTION payapp_commitment_contact_setup_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    -- Who may write here is row-level security's to say (0002), and it says so itself.
    IF payapp_standing(CASE WHEN TG_OP = 'DELETE' THEN OLD.commitment_id
                       ELSE NEW.commitment_id END) <> 'administrator' THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM app_user u JOIN commitment c
                   ON c.contract_company_id = u.company_id
                   WHERE u.id = NEW.user_id AND c.id = NEW.commitment_id) THEN
        PERFORM payapp_refuse('an invoice contact is a user of the commitment''s contract '
                              'company');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER commitment_contact_setup_guard BEFORE INSERT OR UPDATE ON commitment_contact
    FOR EACH ROW EXECUTE FUNCTION payapp_commitment_contact_setup_guard();
"""

OWNED_FUNCTIONS = (
    "payapp_subcontractor_users()", "payapp_commitment_setup_guard()",
    "payapp_why_not_sov_line(sov_line)", "payapp_sov_line_setup_guard()",
    "payapp_change_order_setup_guard()", "payapp_commitment_contact_setup_guard()",
)
TRIGGERS = (
    ("commitment_setup_guard", "commitment"), ("sov_line_setup_guard", "sov_line"),
    ("change_order_setup_guard", "change_order"),
    ("commitment_contact_setup_guard", "commitment_contact"),
    ("company_fresh_id", "company"),
)

POLICIES = (
    ("commitment_setup_read", "commitment",
     "FOR SELECT USING (project_id IN (SELECT unnest(payapp_admin_projects())))"),
    ("commitment_setup_add", "commitment",
     "FOR INSERT WITH CHECK (project_id IN (SELECT unnest(payapp_admin_projects())))"),
    ("company_setup_read", "company",
     f"FOR SELECT USING (kind = 'subcontractor' AND {ADMINISTRATOR})"),
    ("company_setup_add", "company",
     f"FOR INSERT WITH CHECK (kind = 'subcontractor' AND {ADMINISTRATOR})"),
    ("app_user_setup_read", "app_user",
     "FOR SELECT USING (id IN (SELECT unnest(payapp_subcontractor_users())))"),
    ("user_role_setup_read", "user_role",
     "FOR SELECT USING (user_id IN (SELECT unnest(payapp_subcontractor_users())))"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("GRANT SELECT ON company, app_user, sov_line, invoice, change_order, commitment "
               "TO payapp_policy")
    op.execute(FUNCTIONS)
    for name in OWNED_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {name} OWNER TO payapp_policy")
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION payapp_subcontractor_users() "
               "TO payapp_user, payapp_reader")
    op.execute("CREATE TRIGGER company_fresh_id BEFORE INSERT ON company "
               "FOR EACH ROW EXECUTE FUNCTION payapp_fresh_id()")
    op.execute("GRANT INSERT ON company TO payapp_user")
    for name, table, rule in POLICIES:
        op.execute(f"CREATE POLICY {name} ON {table} {rule}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _rule in POLICIES:
        op.execute(f"DROP POLICY {name} ON {table}")
    op.execute("REVOKE INSERT ON company FROM payapp_user")
    for trigger, table in TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for name in reversed(OWNED_FUNCTIONS):
        op.execute(f"DROP FUNCTION {name}")
