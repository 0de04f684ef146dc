"""Projects, created by the system administrator (`payapp projects create`), like users: with
the DBA role on a shared database, in one transaction with the administrators put on them. A
project's general contractor is a company (made, as a general contractor, when it is new); its
wording (data/wording.py) is who the billing is written for; its state picks the lien waiver
forms (domain.md §5)."""

from __future__ import annotations

import getpass
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from data import audit_chain
from data.assignments import put_on
from data.db import writing
from data.models import Company, CompanyKind, PointOfView, Project
from data.terminal_text import holds_controls

_STATE = re.compile(r"^[A-Z]{2}$")


class ProjectError(ValueError):
    """A project that cannot be created as asked; one line, saying why."""


@dataclass(frozen=True)
class ProjectRow:
    number: str
    name: str
    general_contractor: str
    city: str
    state: str
    point_of_view: str
    overbilling_allowed: bool
    assigned: tuple[str, ...] = ()  # "pat now administers project 2417"


def add_project(engine: Engine, number: str, *, name: str, general_contractor: str,
                street: str = "", city: str = "", state: str = "", zip_code: str = "",
                owner: str = "", point_of_view: PointOfView = PointOfView.GENERAL_CONTRACTOR,
                overbilling_allowed: bool = True,
                administrators: Sequence[str] = ()) -> ProjectRow:
    """Creates the project and puts `administrators` (invoice administrators) on it; a refused
    assignment creates nothing."""
    number, name, state = number.strip(), name.strip(), state.strip().upper()
    _check(number=number, name=name, state=state, general_contractor=general_contractor,
           texts=(street, city, zip_code, owner))
    with writing(engine) as session:
        if session.exec(select(Project).where(Project.number == number)).first():
            raise ProjectError(f"project {number} already exists")
        company = _general_contractor(session, general_contractor.strip())
        project = Project(number=number, name=name, street=street.strip(), city=city.strip(),
                          state=state, zip_code=zip_code.strip(), owner_name=owner.strip(),
                          gc_company_id=company, point_of_view=point_of_view.value,
                          overbilling_allowed=overbilling_allowed,
                          waiver_jurisdiction=state or "CA")
        session.add(project)
        session.flush()
        audit_chain.record(session, getpass.getuser(), "add project", "project", project.id,
                           after={"number": number, "name": name, "state": state,
                                  "general contractor": general_contractor.strip(),
                                  "wording": point_of_view.value})
        assigned = tuple(line for login in administrators
                         for line in put_on(session, login, projects=[number]).describe(login))
    return ProjectRow(number, name, general_contractor.strip(), city.strip(), state,
                      point_of_view.value, overbilling_allowed, assigned)


def list_projects(engine: Engine) -> list[ProjectRow]:
    with Session(engine) as session:
        rows = session.exec(select(Project, Company)
                            .join(Company, col(Company.id) == Project.gc_company_id)
                            .order_by(col(Project.number))).all()
        return [ProjectRow(p.number, p.name, c.name, p.city, p.state, p.point_of_view,
                           p.overbilling_allowed) for p, c in rows]


def _check(*, number: str, name: str, state: str, general_contractor: str,
           texts: Sequence[str]) -> None:
    if not number or len(number) > 50:
        raise ProjectError("the project number is 1 to 50 characters")
    if not name or len(name) > 200:
        raise ProjectError("the project's name is 1 to 200 characters")
    if not general_contractor.strip():
        raise ProjectError("name the general contractor's company (--general-contractor)")
    if state and not _STATE.match(state):
        raise ProjectError(f"{state!r} is not a state: two letters, e.g. CA or TX")
    for text in (number, name, general_contractor, *texts):
        if holds_controls(text):
            raise ProjectError("text may not hold control characters")


def _general_contractor(session: Session, name: str) -> int:
    company = session.exec(select(Company).where(Company.name == name)).first()
    if company is None:
        company = Company(name=name, kind=CompanyKind.GENERAL_CONTRACTOR.value)
        session.add(company)
        session.flush()
    elif company.kind != CompanyKind.GENERAL_CONTRACTOR.value:
        raise ProjectError(f"{name} is a subcontractor company, not a general contractor")
    assert company.id is not None
    return company.id
