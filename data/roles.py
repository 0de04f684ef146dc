"""People and their database roles (system administrators), and the check that payapp runs as a
person, not as a role that could see or change everything.

On PostgreSQL each payapp user logs in as their own role, named like their login on the jump
host: a member of `payapp_user`, or of `payapp_reader` for support staff, who write nothing.
On SQLite there are no database roles; only the rows are managed.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from data import audit_chain
from data.assignments import Assigned, put_on
from data.db import writing
from data.models import AppUser, Company, CompanyKind, Role, UserRole

_LOGIN = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")
READER_ROLES = frozenset({Role.SUPPORT})


class UnsafeRole(RuntimeError):
    """payapp was started as a role that bypasses the database's rules about who sees what."""


class UserError(ValueError):
    pass


def check_login(login: str) -> str:
    if not _LOGIN.match(login):
        raise UserError(f"{login!r} is not a usable login: lower-case letters, digits, '_', "
                        "'.' and '-', starting with a letter or '_', at most 63 characters")
    return login


def _quoted(login: str) -> str:
    return '"' + check_login(login).replace('"', '""') + '"'


def session_role(engine: Engine) -> str:
    """The role PostgreSQL authenticated for this connection: payapp's word for who you are."""
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT session_user")).scalar_one())


def check_runtime_role(engine: Engine) -> None:
    """Refuse to run as a superuser, as the schema's owner or as a role that bypasses
    row-level security: such a role would see and change every company's rows."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, "
            "       pg_has_role(session_user, 'payapp_owner', 'MEMBER') AS owner_member, "
            "       EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public' "
            "               AND t.tablename = 'invoice' AND t.tableowner = session_user) "
            "         AS owns_tables "
            "FROM pg_roles r WHERE r.rolname = session_user"
        )).one()
    name, superuser, bypass, owner_member, owns = row
    why = ("a superuser" if superuser else "a role that bypasses row-level security" if bypass
           else "the owner of payapp's tables" if owns or owner_member else None)
    if why:
        raise UnsafeRole(
            f"payapp will not run as {name!r}: it is {why}, so the database could not keep "
            "each company's rows to itself. Log in as your own role (payapp users add creates "
            "one); keep this role for `payapp db upgrade` and `payapp users`."
        )


@dataclass(frozen=True)
class UserRow:
    login: str
    display_name: str
    email: str
    company: str
    roles: tuple[str, ...]
    active: bool
    assigned: Assigned | None = None  # what `add_user` put them on


def _ensure_database_role(session: Session, login: str, roles: frozenset[Role]) -> None:
    group = "payapp_reader" if roles <= READER_ROLES else "payapp_user"
    other = "payapp_user" if group == "payapp_reader" else "payapp_reader"
    role = _quoted(login)
    exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                             {"r": login}).first()
    if exists is None:
        session.execute(text(f"CREATE ROLE {role} LOGIN"))
    else:
        session.execute(text(f"ALTER ROLE {role} LOGIN"))
    session.execute(text(f"GRANT {group} TO {role}"))
    session.execute(text(f"REVOKE {other} FROM {role}"))
    database = session.execute(text("SELECT current_database()")).scalar_one()
    session.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {role}'))


def ensure_login_role(engine: Engine, login: str) -> None:
    """Give an existing payapp user their PostgreSQL login role (again), matching their roles."""
    if engine.dialect.name != "postgresql":
        return
    with writing(engine) as session:
        user = session.exec(select(AppUser).where(AppUser.login == login)).first()
        if user is None:
            raise UserError(f"there is no user {login!r}")
        roles = session.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all()
        _ensure_database_role(session, login, frozenset(Role(r) for r in roles))


def add_user(engine: Engine, login: str, *, company: str, roles: frozenset[Role],
             display_name: str = "", email: str = "",
             company_kind: CompanyKind = CompanyKind.SUBCONTRACTOR,
             projects: Sequence[str] = (), commitments: Sequence[str] = ()) -> UserRow:
    """Create the payapp user and, on PostgreSQL, its login role, and put them on `projects`
    and `commitments` (data.assignments), in one transaction: a refused assignment adds
    nobody."""
    check_login(login)
    if not roles:
        raise UserError("give at least one --role")
    with writing(engine) as session:
        if session.exec(select(AppUser).where(AppUser.login == login)).first():
            raise UserError(f"the user {login!r} already exists")
        found = session.exec(select(Company).where(Company.name == company)).first()
        if found is None:
            found = Company(name=company, kind=company_kind.value)
            session.add(found)
            session.flush()
        assert found.id is not None
        user = AppUser(login=login, display_name=display_name or login,
                       email=email or f"{login}@localhost", company_id=found.id)
        session.add(user)
        session.flush()
        assert user.id is not None
        for role in sorted(roles):
            session.add(UserRole(user_id=user.id, role=role.value))
        if engine.dialect.name == "postgresql":
            _ensure_database_role(session, login, roles)
        audit_chain.record(session, getpass.getuser(), "add user", "app_user", user.id,
                           after={"login": login, "company": company,
                                  "roles": sorted(r.value for r in roles)})
        assigned = (put_on(session, login, projects=projects, commitments=commitments)
                    if projects or commitments else Assigned())
    return UserRow(login, user.display_name, user.email, company,
                   tuple(sorted(r.value for r in roles)), True, assigned)


def list_users(engine: Engine) -> list[UserRow]:
    with Session(engine) as session:
        users = session.exec(select(AppUser, Company)
                             .join(Company, col(Company.id) == AppUser.company_id)
                             .order_by(col(AppUser.login))).all()
        roles: dict[int, list[str]] = {}
        for user_id, role in session.exec(select(UserRole.user_id, UserRole.role)).all():
            roles.setdefault(user_id, []).append(role)
        return [UserRow(u.login, u.display_name, u.email, c.name,
                        tuple(sorted(roles.get(u.id or 0, []))), u.active) for u, c in users]


def disable_user(engine: Engine, login: str) -> None:
    """The user can no longer open payapp; on PostgreSQL their role can no longer log in."""
    with writing(engine) as session:
        user = session.exec(select(AppUser).where(AppUser.login == login)).first()
        if user is None:
            raise UserError(f"there is no user {login!r}")
        user.active = False
        session.add(user)
        audit_chain.record(session, getpass.getuser(), "disable user", "app_user", user.id,
                           before={"active": True}, after={"active": False})
        if engine.dialect.name == "postgresql":
            exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                     {"r": login}).first()
            if exists is not None:
                session.execute(text(f"ALTER ROLE {_quoted(login)} NOLOGIN"))


def grant_group_role(engine: Engine, login: str, group: str, *, action: str,
                     may: str) -> None:
    """Make the user's login role a member of `group` (a NOLOGIN role of the migrations, such
    as payapp_mailer) on PostgreSQL, and audit it as `action` ("make mailer"), saying what they
    `may` do; on SQLite only the audit entry is written. UserError when there is no such user,
    or no login role for them."""
    check_login(login)
    with writing(engine) as session:
        user = session.exec(select(AppUser).where(AppUser.login == login)).first()
        if user is None:
            raise UserError(f"there is no user {login!r}; add them first (payapp users add)")
        if engine.dialect.name == "postgresql":
            exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                     {"r": login}).first()
            if exists is None:
                raise UserError(f"the user {login!r} has no database role")
            session.execute(text(f'GRANT {group} TO "{login}"'))
        audit_chain.record(session, getpass.getuser(), action, "app_user", user.id,
                           after={"login": login, "may": may})
