"""The tables. Money is integer cents (`*_cents`); quantities, unit prices and percentages are
integers scaled by 10,000 (`*_e4`: 12.5 % is 125000). Nothing is ever stored as a float.

Every table a person edits carries `version`, SQLAlchemy's optimistic lock: an UPDATE that finds
another version raises StaleDataError instead of overwriting someone else's save.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    LargeBinary,
    MetaData,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from data.billing import CapKind as CapKind
from data.billing import Method

AccountingMethod = Method

# Stable constraint names, so that Alembic can drop and alter them on SQLite and PostgreSQL alike.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, choices: type[StrEnum], name: str | None = None) -> CheckConstraint:
    values = ", ".join(f"'{c.value}'" for c in choices)
    return CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_valid")


class Role(StrEnum):
    INVOICE_CONTACT = "invoice_contact"
    INVOICE_ADMINISTRATOR = "invoice_administrator"
    SUPPORT = "support"
    SYSTEM_ADMINISTRATOR = "system_administrator"


class CompanyKind(StrEnum):
    GENERAL_CONTRACTOR = "general_contractor"
    SUBCONTRACTOR = "subcontractor"
    OWNER = "owner"


class PointOfView(StrEnum):
    GENERAL_CONTRACTOR = "general_contractor"
    OWNER = "owner"
    SPECIALTY_CONTRACTOR = "specialty_contractor"


class ChangeOrderKind(StrEnum):
    PCO = "PCO"
    CCO = "CCO"


class ChangeOrderStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    VOID = "void"


class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InviteType(StrEnum):
    WORK_AND_MATERIALS = "work_materials"
    RETAINAGE_RELEASE = "retainage_release"
    WORK_MATERIALS_AND_RETAINAGE = "work_materials_retainage"


class InviteResponse(StrEnum):
    PENDING = "pending"
    YES = "yes"
    NO = "no"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    UNDER_REVIEW = "under_review"
    REVISE_AND_RESUBMIT = "revise_resubmit"
    PENDING_OWNER_APPROVAL = "pending_owner"
    APPROVED_AS_NOTED = "approved_as_noted"
    APPROVED = "approved"


class BillingType(StrEnum):
    PROGRESS = "progress"
    FINAL = "final"


class LineReview(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PaymentStatus(StrEnum):
    """How far an invoice is paid: worked out from its approval and its payments, not stored."""

    NOT_APPROVED = "not_approved"
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


class Versioned(SQLModel):
    """Optimistic locking: SQLAlchemy bumps `version` on every UPDATE and checks the old one."""

    version: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Company(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    street: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    state: str = Field(default="", max_length=50)
    zip_code: str = Field(default="", max_length=20)

    __table_args__ = (one_of("kind", CompanyKind),)


class AppUser(Versioned, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    company_id: int = Field(foreign_key="company.id", index=True)
    active: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    role: str = Field(max_length=32, primary_key=True)

    __table_args__ = (one_of("role", Role),)


class Project(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=50, unique=True)
    name: str = Field(max_length=200)
    street: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    state: str = Field(default="", max_length=50)
    zip_code: str = Field(default="", max_length=20)
    owner_name: str = Field(default="", max_length=200)
    gc_company_id: int = Field(foreign_key="company.id", index=True)
    point_of_view: str = Field(default=PointOfView.GENERAL_CONTRACTOR.value, max_length=32)
    overbilling_allowed: bool = Field(default=True)
    waiver_conditional: bool = Field(default=True)
    waiver_unconditional: bool = Field(default=True)
    waiver_jurisdiction: str = Field(default="CA", max_length=20)
    # Billing periods opened and closed on schedule (data/period_schedule.py), or by hand.
    period_cadence: str = Field(default="manual", max_length=8)
    period_starts_on: date | None = None
    period_due_days_before_end: int = Field(default=5)

    __table_args__ = (one_of("point_of_view", PointOfView),)


class ProjectAdministrator(SQLModel, table=True):
    __tablename__ = "project_administrator"

    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")


class Commitment(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: str = Field(max_length=50)
    title: str = Field(max_length=200)
    contract_company_id: int = Field(foreign_key="company.id", index=True)
    accounting_method: str = Field(max_length=16)
    work_retainage_e4: int = Field(default=0)
    stored_retainage_e4: int = Field(default=0)
    stored_materials_separately: bool = Field(default=False)
    # Billed before payapp (starting mid-project): the last application filed elsewhere, and
    # what was certified for payment up to it (G702 line 7 of the first invoice in payapp).
    previous_applications: int = Field(default=0)
    previous_certificates_cents: int = Field(default=0, sa_type=BigInteger)

    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        one_of("accounting_method", AccountingMethod),
        CheckConstraint("work_retainage_e4 BETWEEN 0 AND 1000000", name="work_rate_range"),
        CheckConstraint("stored_retainage_e4 BETWEEN 0 AND 1000000", name="stored_rate_range"),
    )


class RetainageRule(Versioned, table=True):
    """A sliding-scale step: `rate` until the cap (a % of a contract sum, or an amount) is held."""

    __tablename__ = "retainage_rule"

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    position: int
    rate_e4: int
    cap_kind: str = Field(max_length=32)
    cap_percent_e4: int | None = None
    cap_cents: int | None = Field(default=None, sa_type=BigInteger)

    __table_args__ = (
        UniqueConstraint("commitment_id", "position"),
        CheckConstraint("position BETWEEN 1 AND 5", name="position_range"),
        CheckConstraint("rate_e4 BETWEEN 0 AND 1000000", name="rate_range"),
        one_of("cap_kind", CapKind),
        CheckConstraint(
            "(cap_kind = 'amount' AND cap_cents >= 0 AND cap_percent_e4 IS NULL) OR "
            "(cap_kind <> 'amount' AND cap_percent_e4 BETWEEN 0 AND 1000000 AND cap_cents IS NULL)",
            name="cap_matches_kind",
        ),
    )


class CommitmentContact(SQLModel, table=True):
    """An invoice contact of a commitment: a user of the contract company who bills it."""

    __tablename__ = "commitment_contact"

    commitment_id: int = Field(foreign_key="commitment.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")


class ChangeOrder(Versioned, table=True):
    __tablename__ = "change_order"

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    kind: str = Field(max_length=3)
    number: str = Field(max_length=20)
    title: str = Field(max_length=200)
    status: str = Field(max_length=16)
    approved_on: date | None = None

    __table_args__ = (
        UniqueConstraint("commitment_id", "kind", "number"),
        one_of("kind", ChangeOrderKind),
        one_of("status", ChangeOrderStatus),
        CheckConstraint("status <> 'approved' OR approved_on IS NOT NULL", name="approved_dated"),
    )


class SovLine(Versioned, table=True):
    """A schedule-of-values line: amount-based lines carry a value, unit-based ones qty × price."""

    __tablename__ = "sov_line"

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    change_order_id: int | None = Field(default=None, foreign_key="change_order.id", index=True)
    position: int
    item_no: str = Field(max_length=20)
    description: str = Field(max_length=500)
    budget_code: str = Field(default="", max_length=50)
    scheduled_value_cents: int | None = Field(default=None, sa_type=BigInteger)
    quantity_e4: int | None = Field(default=None, sa_type=BigInteger)
    unit_price_e4: int | None = Field(default=None, sa_type=BigInteger)
    unit: str = Field(default="", max_length=20)
    # Billed on this line before payapp, to date (data/services/commitment_history.py): added
    # to what approved invoices in payapp billed, in every "previous" column.
    history_work_cents: int = Field(default=0, sa_type=BigInteger)
    history_stored_cents: int = Field(default=0, sa_type=BigInteger)
    history_retainage_work_cents: int = Field(default=0, sa_type=BigInteger)
    history_retainage_stored_cents: int = Field(default=0, sa_type=BigInteger)
    history_quantity_e4: int = Field(default=0, sa_type=BigInteger)

    __table_args__ = (
        UniqueConstraint("commitment_id", "position"),
        CheckConstraint(
            "scheduled_value_cents IS NOT NULL OR "
            "(quantity_e4 IS NOT NULL AND unit_price_e4 IS NOT NULL)",
            name="value_or_units",
        ),
        CheckConstraint("unit_price_e4 IS NULL OR unit_price_e4 >= 0", name="price_not_negative"),
    )


class BillingPeriod(Versioned, table=True):
    __tablename__ = "billing_period"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    starts_on: date
    ends_on: date
    due_on: date
    status: str = Field(max_length=8)

    __table_args__ = (
        one_of("status", PeriodStatus),
        CheckConstraint("starts_on <= ends_on", name="dates_in_order"),
        # Exactly one open period per project: at most one here, at least one by the services.
        Index(
            "uq_billing_period_one_open",
            "project_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class Invite(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    period_id: int = Field(foreign_key="billing_period.id", index=True)
    invite_type: str = Field(max_length=32)
    invited_by_id: int = Field(foreign_key="app_user.id")
    sent_at: datetime = Field(default_factory=utc_now)
    response: str = Field(default=InviteResponse.PENDING.value, max_length=8)
    responded_at: datetime | None = None

    __table_args__ = (
        UniqueConstraint("commitment_id", "period_id"),
        one_of("invite_type", InviteType),
        one_of("response", InviteResponse),
    )


class Invoice(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    period_id: int = Field(foreign_key="billing_period.id", index=True)
    position: int  # 1 for the commitment's first pay application, 2 for the next...
    status: str = Field(default=InvoiceStatus.DRAFT.value, max_length=24)
    invoice_type: str = Field(default=InviteType.WORK_AND_MATERIALS.value, max_length=32)
    invoice_number: str = Field(default="", max_length=50)  # the contact's own number
    billing_date: date
    period_start: date
    period_end: date
    billing_type: str = Field(default=BillingType.PROGRESS.value, max_length=16)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime | None = None  # every save sets it, which moves `version` on
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")  # who, last
    submitted_at: datetime | None = None
    decided_at: datetime | None = None

    __table_args__ = (
        UniqueConstraint("commitment_id", "position"),
        UniqueConstraint("commitment_id", "period_id"),
        one_of("status", InvoiceStatus),
        one_of("invoice_type", InviteType),
        one_of("billing_type", BillingType),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("period_start <= period_end", name="dates_in_order"),
    )


class InvoiceLine(Versioned, table=True):
    """What one invoice bills on one SOV line, and the retainage it retained and released.

    The retained/released figures are written by the service from data.billing on every save,
    so that later invoices read their "previous" columns as sums instead of replaying history.
    """

    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True, ondelete="CASCADE")
    sov_line_id: int = Field(foreign_key="sov_line.id", index=True)
    work_cents: int = Field(default=0, sa_type=BigInteger)  # column E
    new_quantity_e4: int | None = Field(default=None, sa_type=BigInteger)  # unit-based lines
    value_override: bool = Field(default=False)
    new_stored_cents: int = Field(default=0, sa_type=BigInteger)
    stored_installed_cents: int = Field(default=0, sa_type=BigInteger)
    work_retainage_e4: int = Field(default=0)
    stored_retainage_e4: int = Field(default=0)
    release_requested_cents: int = Field(default=0, sa_type=BigInteger)
    retained_work_cents: int = Field(default=0, sa_type=BigInteger)
    retained_stored_cents: int = Field(default=0, sa_type=BigInteger)
    released_work_cents: int = Field(default=0, sa_type=BigInteger)
    released_stored_cents: int = Field(default=0, sa_type=BigInteger)
    review: str = Field(default=LineReview.PENDING.value, max_length=16)
    review_comment: str = Field(default="", max_length=2000)

    __table_args__ = (
        UniqueConstraint("invoice_id", "sov_line_id"),
        one_of("review", LineReview),
        CheckConstraint("new_stored_cents >= 0", name="new_stored_not_negative"),
        CheckConstraint("stored_installed_cents >= 0", name="installed_not_negative"),
        CheckConstraint("release_requested_cents >= 0", name="release_not_negative"),
        CheckConstraint("released_work_cents >= 0 AND released_stored_cents >= 0",
                        name="released_not_negative"),
        CheckConstraint("work_retainage_e4 BETWEEN 0 AND 1000000", name="work_rate_range"),
        CheckConstraint("stored_retainage_e4 BETWEEN 0 AND 1000000", name="stored_rate_range"),
    )


class Attachment(SQLModel, table=True):
    """A file attached to an invoice. Its content is in the database, as the chunks its
    `AttachmentPart`s name in order; `sha256` is the whole file's. `original_name` is for display
    only. `content_missing`: the file was not found when attachments moved from people's data
    folders into the database (migration 0009); the row is kept, and reading it says so."""

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True, ondelete="CASCADE")
    sha256: str = Field(max_length=64)
    original_name: str = Field(max_length=255)
    size_bytes: int
    page_count: int | None = None
    content_type: str = Field(default="application/octet-stream", max_length=100)
    uploaded_by_id: int = Field(foreign_key="app_user.id")
    uploaded_at: datetime = Field(default_factory=utc_now)
    content_missing: bool = Field(default=False,
                                  sa_column_kwargs={"server_default": text("false")})

    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_not_negative"),)


CHUNK_MAX_BYTES = 1024 * 1024


class AttachmentChunk(SQLModel, table=True):
    """Up to CHUNK_MAX_BYTES of some attachment's content, stored once under its own SHA-256
    (hex), however many attachments contain it. On PostgreSQL the database checks that the key
    is the hash of the data. Read and written with Core statements, never as ORM objects: a
    session would keep every chunk it loaded in memory until it closed."""

    __tablename__ = "attachment_chunk"

    sha256: str = Field(primary_key=True, max_length=64)
    data: bytes = Field(sa_type=LargeBinary)

    __table_args__ = (
        CheckConstraint(f"length(data) BETWEEN 1 AND {CHUNK_MAX_BYTES}", name="size_range"),
    )


class AttachmentPart(SQLModel, table=True):
    """The chunk at `position` (from 0) of an attachment's content."""

    __tablename__ = "attachment_part"

    attachment_id: int = Field(foreign_key="attachment.id", primary_key=True,
                               ondelete="CASCADE")
    position: int = Field(primary_key=True)
    chunk_sha256: str = Field(foreign_key="attachment_chunk.sha256", index=True, max_length=64)

    __table_args__ = (CheckConstraint("position >= 0", name="position_not_negative"),)


class Payment(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    amount_cents: int = Field(sa_type=BigInteger)
    paid_on: date
    reference: str = Field(default="", max_length=100)
    recorded_by_id: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)


class AuditEntry(SQLModel, table=True):
    """Append-only history: who did what to which row, with the values before and after (JSON).

    `actor_login` is what payapp says (on PostgreSQL, the database sets it to the person's own
    login); `db_role` is what PostgreSQL authenticated. `position` orders the chain: each entry
    carries the SHA-256 of its fields and of the previous entry's hash (data/audit_chain.py).
    On PostgreSQL entries arrive unchained and the database seals them in order
    (`payapp_audit_seal()`, migration 0004); on SQLite payapp chains each entry as it writes it
    and `db_role` stays empty.
    """

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now)
    actor_login: str = Field(max_length=64)
    db_role: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: int | None = None
    before: str = Field(default="")
    after: str = Field(default="")
    prev_hash: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    hash: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    position: int | None = Field(default=None, sa_type=BigInteger)

    __table_args__ = (
        Index("ix_audit_entry_entity", "entity", "entity_id"),
        Index("uq_audit_entry_position", "position", unique=True),
    )


_NULL_DEFAULT: dict[str, Any] = {"server_default": text("NULL")}


class OutboxEmail(SQLModel, table=True):
    """An email waiting to be sent. Written in the same transaction as the change it reports,
    so that no notification is lost and none is sent for a change that was rolled back."""

    __tablename__ = "outbox_email"
    __mapper_args__ = {"eager_defaults": False}  # nor asked back (RETURNING) after an INSERT

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now)
    kind: str = Field(max_length=40)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    to_address: str = Field(max_length=254)
    to_name: str = Field(default="", max_length=200)
    subject: str = Field(max_length=300)
    body: str
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=2000)
    sent_at: datetime | None = None
    # Delivery (data/outbox_delivery.py): claimed and not settled is "uncertain" once its
    # delivery has ended; failed_at is a permanent refusal; next_attempt_at a wait after 4xx.
    # A server default leaves them out of an INSERT that does not set them, so that payapp can
    # still queue an email in a database at an older revision (tests build the demo there).
    claimed_at: datetime | None = Field(default=None, sa_column_kwargs=_NULL_DEFAULT)
    next_attempt_at: datetime | None = Field(default=None, sa_column_kwargs=_NULL_DEFAULT)
    failed_at: datetime | None = Field(default=None, sa_column_kwargs=_NULL_DEFAULT)

    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts_not_negative"),
                      Index("ix_outbox_email_waiting", "id",
                            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
                            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL")))


class InviteReminder(SQLModel, table=True):
    """A day on which an invite's contacts were reminded to bill (domain.md §2), written in the
    same transaction as the reminder emails it queued. The database holds it to one row per
    invite and day, so no run, repeated or concurrent, reminds anyone twice in a day."""

    __tablename__ = "invite_reminder"

    id: int | None = Field(default=None, primary_key=True)
    invite_id: int = Field(foreign_key="invite.id", ondelete="CASCADE")
    reminder_day: date
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (UniqueConstraint("invite_id", "reminder_day"),)


class PaymentHoldRelease(SQLModel, table=True):
    """An invoice administrator's release of the holds on an invoice's payment, with the reason
    they gave (data/services/payment_holds.py). It releases the reasons present when it was
    given: `covers` lists their keys (JSON), `held_for` their words then. Never changed or
    removed: on PostgreSQL the database stamps who and when, and grants no UPDATE or DELETE."""

    __tablename__ = "payment_hold_release"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    reason: str = Field(max_length=2000)
    covers: str
    held_for: str
    released_by_id: int = Field(foreign_key="app_user.id")
    released_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (CheckConstraint("length(trim(reason)) > 0", name="reason_given"),
                      CheckConstraint("covers <> '[]'", name="covers_a_reason"))


class InvoiceChange(SQLModel, table=True):
    """What an invoice administrator changed on a contact's invoice: one row per invoice or
    line row changed, the rows of one save sharing `batch`. The contacts read them as "changed by
    <name> on <date>" (data/services/invoice_notices.py). `before` and `after` hold, as JSON,
    the fields a person types (figures, invoice number, dates). On PostgreSQL the database
    writes them from the change itself, whoever makes it (payapp or psql), stamping who and
    when; nobody inserts, changes or removes one by hand."""

    __tablename__ = "invoice_change"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True, ondelete="CASCADE")
    batch: str = Field(max_length=40)
    entity: str = Field(max_length=20)  # "invoice" or "invoice_line"
    entity_id: int
    before: str
    after: str
    changed_by_id: int = Field(foreign_key="app_user.id")
    changed_by_name: str = Field(max_length=200)
    changed_at: datetime = Field(default_factory=utc_now)
