"""Who is acting: the person behind every service call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from data.models import AppUser, Role, UserRole
from data.services.errors import NotAllowed, NotFound


@dataclass(frozen=True)
class Actor:
    user_id: int
    login: str
    display_name: str
    company_id: int
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles


def actor_for_login(session: Session, login: str) -> Actor:
    user = session.exec(select(AppUser).where(AppUser.login == login)).first()
    if user is None or user.id is None:
        raise NotFound(f"there is no payapp user with the login {login!r}")
    if not user.active:
        raise NotAllowed(f"the payapp user {login!r} is disabled")
    roles = session.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all()
    return Actor(user.id, user.login, user.display_name, user.company_id,
                 frozenset(Role(r) for r in roles))
