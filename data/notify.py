"""Notifications are emails, queued in the outbox in the same transaction as the change they
report; a separate delivery job sends them.

On PostgreSQL people cannot write the outbox: the database queues each email from the event it
reports (migration 0004, `payapp_queue_review_emails`), so that nobody chooses a recipient or
words. On SQLite payapp queues the same email itself; a test holds the two to the same words.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from data.models import (
    AppUser,
    Commitment,
    Company,
    Invoice,
    OutboxEmail,
    Project,
    ProjectAdministrator,
)


def queue(session: Session, *, kind: str, to_address: str, to_name: str, subject: str,
          body: str, invoice_id: int | None = None) -> OutboxEmail:
    email = OutboxEmail(kind=kind, to_address=to_address, to_name=to_name, subject=subject,
                        body=body, invoice_id=invoice_id)
    session.add(email)
    return email


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
        f"Project: {project.number} {project.name}",
        f"Commitment: {commitment.number} {commitment.title}",
        f"Period: {invoice.period_start:%b %d, %Y} to {invoice.period_end:%b %d, %Y}",
        f"Sent by: {sent_by}",
        "",
        "Open payapp to review it.",
    ])
    return [queue(session, kind="invoice_under_review", to_address=admin.email,
                  to_name=admin.display_name, subject=subject, body=body,
                  invoice_id=invoice.id) for admin in admins]

