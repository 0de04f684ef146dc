"""Notifications are emails, queued in the outbox in the same transaction as the change they
report; a separate delivery job sends them.

On PostgreSQL people cannot write the outbox: the database queues each email from the event it
reports (migrations 0004, 0008 and 0018: `payapp_queue_review_emails`,
`payapp_queue_revision_emails`, `payapp_record_admin_change`), so that nobody chooses a recipient
or words. On SQLite payapp queues the same email itself; a test holds the two to the same
words.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from data.models import (
    AppUser,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Company,
    Invite,
    InviteType,
    Invoice,
    OutboxEmail,
    Project,
    ProjectAdministrator,
)
from data.wording import INVITE_TYPE_LABELS


def queue(session: Session, *, kind: str, to_address: str, to_name: str, subject: str,
          body: str, invoice_id: int | None = None) -> OutboxEmail:
    email = OutboxEmail(kind=kind, to_address=to_address, to_name=to_name, subject=subject,
                        body=body, invoice_id=invoice_id)
    session.add(email)
    return email


def _active_contacts(session: Session, commitment: Commitment) -> list[AppUser]:
    """The commitment's invoice contacts who can still log in: whom its emails go to."""
    return list(session.exec(
        select(AppUser).join(CommitmentContact, col(CommitmentContact.user_id) == AppUser.id)
        .where(CommitmentContact.commitment_id == commitment.id, col(AppUser.active))
        .order_by(col(AppUser.id))
    ).all())


def _which_invoice(invoice: Invoice, commitment: Commitment, project: Project) -> list[str]:
    """The lines of an email that say which invoice it is about."""
    return [f"Project: {project.number} {project.name}",
            f"Commitment: {commitment.number} {commitment.title}",
            f"Period: {invoice.period_start:%b %d, %Y} to {invoice.period_end:%b %d, %Y}"]


def invoice_sent_for_review(session: Session, invoice: Invoice, *, sent_by: str
                            ) -> list[OutboxEmail]:
    """Tell each invoice administrator of the project that an invoice waits for their review."""
    if session.get_bind().dialect.name == "postgresql":
        return []  # the database's trigger queues them when the status changes
    commitment = session.get(Commitment, invoice.commitment_id)
    assert commitment is not None
    project = session.get(Project, commitment.project_id)
    company = session.get(Company, commitment.contract_company_id)
    assert project is not None and company is not None
    admins = session.exec(
        select(AppUser).join(ProjectAdministrator,
                             col(ProjectAdministrator.user_id) == AppUser.id)
        .where(ProjectAdministrator.project_id == project.id, col(AppUser.active))
        .order_by(col(AppUser.id))
    ).all()
    subject = (f"Invoice #{invoice.position} for {commitment.number} {commitment.title} "
               "is ready for review")
    body = "\n".join([
        f"{company.name} sent invoice #{invoice.position} for review.",
        "",
        *_which_invoice(invoice, commitment, project),
        f"Sent by: {sent_by}",
        "",
        "Open payapp to review it.",
    ])
    return [queue(session, kind="invoice_under_review", to_address=admin.email,
                  to_name=admin.display_name, subject=subject, body=body,
                  invoice_id=invoice.id) for admin in admins]



def invoice_sent_back(session: Session, invoice: Invoice, *, sent_by: str
                      ) -> list[OutboxEmail]:
    """Tell each invoice contact of the commitment that their invoice came back for revision
    (on PostgreSQL the database's trigger queues them when the status changes, 0008)."""
    return _to_contacts(session, invoice, "invoice_sent_back", "needs revision",
                        f"{sent_by} sent invoice #{invoice.position} back for revision.",
                        "Open payapp to read the reviewer's comments, then send the invoice "
                        "again.")


def invoice_changed(session: Session, invoice: Invoice, *, changed_by: str
                    ) -> list[OutboxEmail]:
    """Tell each invoice contact of the commitment that an invoice administrator changed their
    invoice; what changed is on the invoice (data/services/invoice_notices.py). On PostgreSQL
    the database's trigger queues them with the change (0018)."""
    return _to_contacts(session, invoice, "invoice_changed", f"was changed by {changed_by}",
                        f"{changed_by} changed invoice #{invoice.position}.",
                        "Open the invoice in payapp to see what changed.")


def _to_contacts(session: Session, invoice: Invoice, kind: str, subject_end: str, news: str,
                 what_to_do: str) -> list[OutboxEmail]:
    """One email about the invoice to each active contact of its commitment, on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return []
    commitment = session.get(Commitment, invoice.commitment_id)
    assert commitment is not None
    project = session.get(Project, commitment.project_id)
    assert project is not None
    subject = (f"Invoice #{invoice.position} for {commitment.number} {commitment.title} "
               f"{subject_end}")
    body = "\n".join([news, "", *_which_invoice(invoice, commitment, project), "", what_to_do])
    return [queue(session, kind=kind, to_address=contact.email, to_name=contact.display_name,
                  subject=subject, body=body, invoice_id=invoice.id)
            for contact in _active_contacts(session, commitment)]


def contacts_invited(session: Session, invite: Invite, *, invited_by: str
                     ) -> list[OutboxEmail]:
    """Tell each active invoice contact of the commitment that they are invited to bill the
    period (domain.md §2 and §8), with what the invite shows and the question it asks."""
    if session.get_bind().dialect.name == "postgresql":
        return []  # the database's trigger queues them when the invite is written (0015)
    commitment = session.get(Commitment, invite.commitment_id)
    period = session.get(BillingPeriod, invite.period_id)
    assert commitment is not None and period is not None
    project = session.get(Project, commitment.project_id)
    assert project is not None
    contacts = _active_contacts(session, commitment)
    subject = f"{project.name}: {invited_by} has invited you to bill."
    body = "\n".join([
        f"{invited_by} has invited you to bill {commitment.number} {commitment.title}.",
        "",
        f"Project: {project.number} {project.name}",
        f"Commitment: {commitment.number} {commitment.title}",
        f"Invoice type: {INVITE_TYPE_LABELS[InviteType(invite.invite_type)]}",
        f"Billing period: {period.starts_on:%b %d, %Y} to {period.ends_on:%b %d, %Y}",
        f"Due date: {period.due_on:%b %d, %Y}",
        "",
        "Do you want to bill this period? Open payapp and answer Yes or No.",
    ])
    return [queue(session, kind="invite", to_address=contact.email,
                  to_name=contact.display_name, subject=subject, body=body)
            for contact in contacts]
