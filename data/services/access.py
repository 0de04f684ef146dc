"""How the acting person stands to a commitment: contact, administrator, support, or nobody."""

from __future__ import annotations

from sqlmodel import Session, col, select

from data.models import Commitment, CommitmentContact, ProjectAdministrator, Role
from data.services.actors import Actor
from data.services.errors import NotAllowed
from data.workflow import Standing, standing_for


def is_contact(session: Session, actor: Actor, commitment_id: int) -> bool:
    return session.get(CommitmentContact, (commitment_id, actor.user_id)) is not None


def is_project_admin(session: Session, actor: Actor, project_id: int) -> bool:
    return session.get(ProjectAdministrator, (project_id, actor.user_id)) is not None


def standing(session: Session, actor: Actor, commitment: Commitment) -> Standing:
    assert commitment.id is not None
    return standing_for(
        actor.roles,
        is_contact=is_contact(session, actor, commitment.id),
        is_admin=is_project_admin(session, actor, commitment.project_id),
    )


def require_visible(session: Session, actor: Actor, commitment: Commitment) -> Standing:
    found = standing(session, actor, commitment)
    if found is Standing.NONE:
        raise NotAllowed(f"you have no access to commitment {commitment.number}")
    return found


def visible_commitment_ids(session: Session, actor: Actor) -> list[int] | None:
    """The commitments this person may see; None means all of them (support)."""
    if actor.has(Role.SUPPORT):
        return None
    ids: set[int] = set()
    if actor.has(Role.INVOICE_CONTACT):
        ids.update(session.exec(select(CommitmentContact.commitment_id)
                                .where(CommitmentContact.user_id == actor.user_id)).all())
    if actor.has(Role.INVOICE_ADMINISTRATOR):
        ids.update(x for x in session.exec(
            select(Commitment.id).join(
                ProjectAdministrator, col(ProjectAdministrator.project_id) == Commitment.project_id
            ).where(ProjectAdministrator.user_id == actor.user_id)).all() if x is not None)
    return sorted(ids)
