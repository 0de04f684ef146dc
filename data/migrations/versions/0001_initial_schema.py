"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_login", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "company",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("street", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("zip_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.CheckConstraint(
            "kind IN ('general_contractor', 'subcontractor', 'owner')",
            name=op.f("ck_company_kind_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company")),
    )
    op.create_table(
        "app_user",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_app_user_company_id_company")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("login", name=op.f("uq_app_user_login")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_company_id"), ["company_id"], unique=False)

    op.create_table(
        "project",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("street", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("zip_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("owner_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("gc_company_id", sa.Integer(), nullable=False),
        sa.Column("point_of_view", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("overbilling_allowed", sa.Boolean(), nullable=False),
        sa.Column("waiver_conditional", sa.Boolean(), nullable=False),
        sa.Column("waiver_unconditional", sa.Boolean(), nullable=False),
        sa.Column(
            "waiver_jurisdiction", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.CheckConstraint(
            "point_of_view IN ('general_contractor', 'owner', 'specialty_contractor')",
            name=op.f("ck_project_point_of_view_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["gc_company_id"], ["company.id"], name=op.f("fk_project_gc_company_id_company")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("number", name=op.f("uq_project_number")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_gc_company_id"), ["gc_company_id"], unique=False
        )

    op.create_table(
        "billing_period",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_billing_period_status_valid")
        ),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_billing_period_dates_in_order")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_billing_period_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_period")),
    )
    with op.batch_alter_table("billing_period", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_period_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            "uq_billing_period_one_open",
            ["project_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "commitment",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("contract_company_id", sa.Integer(), nullable=False),
        sa.Column("accounting_method", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("work_retainage_e4", sa.Integer(), nullable=False),
        sa.Column("stored_retainage_e4", sa.Integer(), nullable=False),
        sa.Column("stored_materials_separately", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "accounting_method IN ('amount', 'unit')",
            name=op.f("ck_commitment_accounting_method_valid"),
        ),
        sa.CheckConstraint(
            "stored_retainage_e4 BETWEEN 0 AND 1000000",
            name=op.f("ck_commitment_stored_rate_range"),
        ),
        sa.CheckConstraint(
            "work_retainage_e4 BETWEEN 0 AND 1000000", name=op.f("ck_commitment_work_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["contract_company_id"],
            ["company.id"],
            name=op.f("fk_commitment_contract_company_id_company"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_commitment_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment")),
        sa.UniqueConstraint("project_id", "number", name=op.f("uq_commitment_project_id_number")),
    )
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commitment_contract_company_id"), ["contract_company_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_commitment_project_id"), ["project_id"], unique=False)

    op.create_table(
        "project_administrator",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_administrator_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_project_administrator_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_project_administrator")),
    )
    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.CheckConstraint(
            "role IN ('invoice_contact', 'invoice_administrator', 'support', 'system_administrator')",
            name=op.f("ck_user_role_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_user_role_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_role")),
    )
    op.create_table(
        "change_order",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.CheckConstraint("kind IN ('PCO', 'CCO')", name=op.f("ck_change_order_kind_valid")),
        sa.CheckConstraint(
            "status <> 'approved' OR approved_on IS NOT NULL",
            name=op.f("ck_change_order_approved_dated"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'pending', 'approved', 'rejected', 'void')",
            name=op.f("ck_change_order_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_change_order_commitment_id_commitment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_order")),
        sa.UniqueConstraint(
            "commitment_id",
            "kind",
            "number",
            name=op.f("uq_change_order_commitment_id_kind_number"),
        ),
    )
    with op.batch_alter_table("change_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_order_commitment_id"), ["commitment_id"], unique=False
        )

    op.create_table(
        "commitment_contact",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_commitment_contact_commitment_id_commitment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_commitment_contact_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("commitment_id", "user_id", name=op.f("pk_commitment_contact")),
    )
    op.create_table(
        "invite",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("invite_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("response", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("responded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "invite_type IN ('work_materials', 'retainage_release', 'work_materials_retainage')",
            name=op.f("ck_invite_invite_type_valid"),
        ),
        sa.CheckConstraint(
            "response IN ('pending', 'yes', 'no')", name=op.f("ck_invite_response_valid")
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"], ["commitment.id"], name=op.f("fk_invite_commitment_id_commitment")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["app_user.id"], name=op.f("fk_invite_invited_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["billing_period.id"], name=op.f("fk_invite_period_id_billing_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite")),
        sa.UniqueConstraint(
            "commitment_id", "period_id", name=op.f("uq_invite_commitment_id_period_id")
        ),
    )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invite_commitment_id"), ["commitment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invite_period_id"), ["period_id"], unique=False)

    op.create_table(
        "invoice",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("invoice_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("invoice_number", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("billing_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("billing_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "billing_type IN ('progress', 'final')", name=op.f("ck_invoice_billing_type_valid")
        ),
        sa.CheckConstraint(
            "invoice_type IN ('work_materials', 'retainage_release', 'work_materials_retainage')",
            name=op.f("ck_invoice_invoice_type_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'under_review', 'revise_resubmit', 'pending_owner', 'approved_as_noted', 'approved')",
            name=op.f("ck_invoice_status_valid"),
        ),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_invoice_dates_in_order")),
        sa.CheckConstraint("position >= 1", name=op.f("ck_invoice_position_positive")),
        sa.ForeignKeyConstraint(
            ["commitment_id"], ["commitment.id"], name=op.f("fk_invoice_commitment_id_commitment")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_invoice_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["billing_period.id"], name=op.f("fk_invoice_period_id_billing_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint(
            "commitment_id", "period_id", name=op.f("uq_invoice_commitment_id_period_id")
        ),
        sa.UniqueConstraint(
            "commitment_id", "position", name=op.f("uq_invoice_commitment_id_position")
        ),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_commitment_id"), ["commitment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoice_period_id"), ["period_id"], unique=False)

    op.create_table(
        "retainage_rule",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rate_e4", sa.Integer(), nullable=False),
        sa.Column("cap_kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("cap_percent_e4", sa.Integer(), nullable=True),
        sa.Column("cap_cents", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(cap_kind = 'amount' AND cap_cents >= 0 AND cap_percent_e4 IS NULL) OR (cap_kind <> 'amount' AND cap_percent_e4 BETWEEN 0 AND 1000000 AND cap_cents IS NULL)",
            name=op.f("ck_retainage_rule_cap_matches_kind"),
        ),
        sa.CheckConstraint(
            "cap_kind IN ('percent_of_original', 'percent_of_revised', 'amount')",
            name=op.f("ck_retainage_rule_cap_kind_valid"),
        ),
        sa.CheckConstraint(
            "position BETWEEN 1 AND 5", name=op.f("ck_retainage_rule_position_range")
        ),
        sa.CheckConstraint(
            "rate_e4 BETWEEN 0 AND 1000000", name=op.f("ck_retainage_rule_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_retainage_rule_commitment_id_commitment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retainage_rule")),
        sa.UniqueConstraint(
            "commitment_id", "position", name=op.f("uq_retainage_rule_commitment_id_position")
        ),
    )
    with op.batch_alter_table("retainage_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retainage_rule_commitment_id"), ["commitment_id"], unique=False
        )

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("original_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_attachment_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_attachment_invoice_id_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["app_user.id"], name=op.f("fk_attachment_uploaded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "payment",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_payment_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_payment_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "sov_line",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("change_order_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_no", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("budget_code", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("scheduled_value_cents", sa.BigInteger(), nullable=True),
        sa.Column("quantity_e4", sa.BigInteger(), nullable=True),
        sa.Column("unit_price_e4", sa.BigInteger(), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.CheckConstraint(
            "scheduled_value_cents IS NOT NULL OR (quantity_e4 IS NOT NULL AND unit_price_e4 IS NOT NULL)",
            name=op.f("ck_sov_line_value_or_units"),
        ),
        sa.CheckConstraint(
            "unit_price_e4 IS NULL OR unit_price_e4 >= 0",
            name=op.f("ck_sov_line_price_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["change_order_id"],
            ["change_order.id"],
            name=op.f("fk_sov_line_change_order_id_change_order"),
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"], ["commitment.id"], name=op.f("fk_sov_line_commitment_id_commitment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sov_line")),
        sa.UniqueConstraint(
            "commitment_id", "position", name=op.f("uq_sov_line_commitment_id_position")
        ),
    )
    with op.batch_alter_table("sov_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sov_line_change_order_id"), ["change_order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sov_line_commitment_id"), ["commitment_id"], unique=False
        )

    op.create_table(
        "invoice_line",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("sov_line_id", sa.Integer(), nullable=False),
        sa.Column("work_cents", sa.BigInteger(), nullable=False),
        sa.Column("new_quantity_e4", sa.BigInteger(), nullable=True),
        sa.Column("value_override", sa.Boolean(), nullable=False),
        sa.Column("new_stored_cents", sa.BigInteger(), nullable=False),
        sa.Column("stored_installed_cents", sa.BigInteger(), nullable=False),
        sa.Column("work_retainage_e4", sa.Integer(), nullable=False),
        sa.Column("stored_retainage_e4", sa.Integer(), nullable=False),
        sa.Column("release_requested_cents", sa.BigInteger(), nullable=False),
        sa.Column("retained_work_cents", sa.BigInteger(), nullable=False),
        sa.Column("retained_stored_cents", sa.BigInteger(), nullable=False),
        sa.Column("released_work_cents", sa.BigInteger(), nullable=False),
        sa.Column("released_stored_cents", sa.BigInteger(), nullable=False),
        sa.Column("review", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("review_comment", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.CheckConstraint(
            "review IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_invoice_line_review_valid"),
        ),
        sa.CheckConstraint(
            "new_stored_cents >= 0", name=op.f("ck_invoice_line_new_stored_not_negative")
        ),
        sa.CheckConstraint(
            "release_requested_cents >= 0", name=op.f("ck_invoice_line_release_not_negative")
        ),
        sa.CheckConstraint(
            "released_work_cents >= 0 AND released_stored_cents >= 0",
            name=op.f("ck_invoice_line_released_not_negative"),
        ),
        sa.CheckConstraint(
            "stored_installed_cents >= 0", name=op.f("ck_invoice_line_installed_not_negative")
        ),
        sa.CheckConstraint(
            "stored_retainage_e4 BETWEEN 0 AND 1000000",
            name=op.f("ck_invoice_line_stored_rate_range"),
        ),
        sa.CheckConstraint(
            "work_retainage_e4 BETWEEN 0 AND 1000000", name=op.f("ck_invoice_line_work_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_invoice_line_invoice_id_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sov_line_id"], ["sov_line.id"], name=op.f("fk_invoice_line_sov_line_id_sov_line")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
        sa.UniqueConstraint(
            "invoice_id", "sov_line_id", name=op.f("uq_invoice_line_invoice_id_sov_line_id")
        ),
    )
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_line_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_line_sov_line_id"), ["sov_line_id"], unique=False
        )



def downgrade() -> None:
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_line_sov_line_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_line_invoice_id"))

    op.drop_table("invoice_line")
    with op.batch_alter_table("sov_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sov_line_commitment_id"))
        batch_op.drop_index(batch_op.f("ix_sov_line_change_order_id"))

    op.drop_table("sov_line")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_invoice_id"))

    op.drop_table("payment")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_invoice_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("retainage_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retainage_rule_commitment_id"))

    op.drop_table("retainage_rule")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_period_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_commitment_id"))

    op.drop_table("invoice")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_period_id"))
        batch_op.drop_index(batch_op.f("ix_invite_commitment_id"))

    op.drop_table("invite")
    op.drop_table("commitment_contact")
    with op.batch_alter_table("change_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_order_commitment_id"))

    op.drop_table("change_order")
    op.drop_table("user_role")
    op.drop_table("project_administrator")
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_project_id"))
        batch_op.drop_index(batch_op.f("ix_commitment_contract_company_id"))

    op.drop_table("commitment")
    with op.batch_alter_table("billing_period", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_billing_period_one_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_billing_period_project_id"))

    op.drop_table("billing_period")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_gc_company_id"))

    op.drop_table("project")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_company_id"))

    op.drop_table("app_user")
    op.drop_table("company")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_entity")

    op.drop_table("audit_entry")
