"""Putting people to work (system administrators, `payapp users add` and `payapp users assign`):
an invoice administrator on the projects they run, an invoice contact on the commitments they
bill. Until then row-level security shows a new person nothing.

Projects are named by their number; a commitment by its number, within the projects given when
two projects use the same one. Every row added writes an audit entry, like `users add`.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from data import audit_chain
from data.db import writing
from data.models import (
    AppUser,
    Commitment,
    CommitmentContact,
    Company,
    Project,
    ProjectAdministrator,
    Role,
    UserRole,
)


class AssignmentError(ValueError):
    """An assignment payapp refuses; the message says why and what to give instead."""


@dataclass
class Assigned:
    """What an assignment added, and what the person already had."""

    projects: list[str] = field(default_factory=list)  # project numbers now administered
    commitments: list[str] = field(default_factory=list)  # commitment numbers now billed
    already: list[str] = field(default_factory=list)  # "project 2417", "commitment SC-1"...

    def describe(self, login: str) -> list[str]:
        lines = [f"{login} now administers project {n}" for n in self.projects]
        lines += [f"{login} now bills commitment {n}" for n in self.commitments]
        lines += [f"{login} was already on {what}" for what in self.already]
        return lines


def _known(numbers: Sequence[str]) -> str:
    shown = ", ".join(sorted(numbers)[:10]) or "none yet"
    return shown + (", ..." if len(numbers) > 10 else "")


def _projects(session: Session, numbers: Sequence[str]) -> list[Project]:
    found = []
    for number in numbers:
        project = session.exec(select(Project).where(Project.number == number)).first()
        if project is None:
            every = session.exec(select(Project.number)).all()
            raise AssignmentError(f"there is no project numbered {number!r} (the projects: "
                                  f"{_known(every)})")
        found.append(project)
    return found


def _commitment(session: Session, number: str, projects: list[Project]) -> Commitment:
    query = select(Commitment).where(Commitment.number == number)
    if projects:
        query = query.where(col(Commitment.project_id).in_([p.id for p in projects]))
    matches = session.exec(query).all()
    within = (" on project " + ", ".join(p.number for p in projects)) if projects else ""
    if not matches:
        every = session.exec(select(Commitment.number)).all()
        raise AssignmentError(f"there is no commitment numbered {number!r}{within} (the "
                              f"commitments: {_known(every)})")
    if len(matches) > 1:
        raise AssignmentError(f"several projects have a commitment numbered {number!r}: name "
                              "its project with --project")
    return matches[0]


def _company_name(session: Session, company_id: int) -> str:
    company = session.get(Company, company_id)
    return company.name if company is not None else f"company {company_id}"


def put_on(session: Session, login: str, *, projects: Sequence[str] = (),
           commitments: Sequence[str] = (), by: str | None = None) -> Assigned:
    """Put `login` on `projects` (as their invoice administrator) and on `commitments` (as an
    invoice contact of the commitment's company), in the session's transaction. For a contact,
    `projects` only says where to look for the commitments. Refuses, changing nothing, an
    unknown project or commitment, or work the person's roles do not cover."""
    user = session.exec(select(AppUser).where(AppUser.login == login)).first()
    if user is None or user.id is None:
        raise AssignmentError(f"there is no user {login!r} (`payapp users add` creates one)")
    roles = {Role(r) for r in session.exec(select(UserRole.role)
                                           .where(UserRole.user_id == user.id)).all()}
    if not projects and not commitments:
        raise AssignmentError("name a project (--project NUMBER) or a commitment "
                              "(--commitment NUMBER)")
    if commitments and Role.INVOICE_CONTACT not in roles:
        raise AssignmentError(f"{login} is not an invoice contact: only invoice contacts are "
                              "put on commitments")
    found = _projects(session, projects)
    administers = Role.INVOICE_ADMINISTRATOR in roles
    if found and not administers and not commitments:
        raise AssignmentError(
            f"{login} is not an invoice administrator, so a project alone gives them nothing "
            "to do: " + ("name the commitments they bill with --commitment"
                         if Role.INVOICE_CONTACT in roles
                         else "support staff see every project already" if Role.SUPPORT in roles
                         else "their roles give them no work on a project"))
    done = Assigned()
    who = by or getpass.getuser()
    if administers:
        for project in found:
            assert project.id is not None
            if session.get(ProjectAdministrator, (project.id, user.id)) is not None:
                done.already.append(f"project {project.number}")
                continue
            session.add(ProjectAdministrator(project_id=project.id, user_id=user.id))
            audit_chain.record(session, who, "put on project", "project_administrator",
                               project.id, after={"login": login, "project": project.number})
            done.projects.append(project.number)
    for number in commitments:
        commitment = _commitment(session, number, found)
        assert commitment.id is not None
        if commitment.contract_company_id != user.company_id:
            raise AssignmentError(
                f"commitment {number} is a contract with "
                f"{_company_name(session, commitment.contract_company_id)}, and {login} works "
                f"for {_company_name(session, user.company_id)}: an invoice contact bills only "
                "their own company's commitments")
        if session.get(CommitmentContact, (commitment.id, user.id)) is not None:
            done.already.append(f"commitment {number}")
            continue
        session.add(CommitmentContact(commitment_id=commitment.id, user_id=user.id))
        audit_chain.record(session, who, "put on commitment", "commitment_contact",
                           commitment.id, after={"login": login, "commitment": number})
        done.commitments.append(number)
    session.flush()
    return done


def assign(engine: Engine, login: str, *, projects: Sequence[str] = (),
           commitments: Sequence[str] = ()) -> Assigned:
    """`put_on` in a transaction of its own (`payapp users assign`)."""
    with writing(engine) as session:
        return put_on(session, login, projects=projects, commitments=commitments)
