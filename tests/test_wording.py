from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from data.db import reading, writing
from data.models import Invoice, PointOfView, Project
from data.services.actors import actor_for_login
from data.services.invoice_views import load_invoice
from data.wording import reworded, word


def test_point_of_view_dictionary() -> None:
    assert word("Invoice #", PointOfView.GENERAL_CONTRACTOR) == "Invoice #"
    assert word("Invoice #", PointOfView.SPECIALTY_CONTRACTOR) == "Progress Billing #"
    assert word("Subcontractor", PointOfView.OWNER) == "Contractor"
    assert word("Owner/Client", "specialty_contractor") == "GC/Client"
    assert word("Prime Contracts", PointOfView.OWNER) == "Funding"
    assert word("Schedule of Values", PointOfView.OWNER) == "Schedule of Values"


def test_reworded_says_payapps_own_text_in_the_projects_words() -> None:
    owner, specialty = PointOfView.OWNER, PointOfView.SPECIALTY_CONTRACTOR
    text = "Subcontractor's invoice No. · hold for owner approval · Owner/Client · Invoice #3"
    assert reworded(text, PointOfView.GENERAL_CONTRACTOR) == text
    assert reworded(text, owner) == ("Contractor's invoice No. · hold for funding approval · "
                                     "Owner/Client · Invoice #3")
    assert reworded(text, specialty) == ("Subcontractor's progress billing No. · hold for owner "
                                         "approval · GC/Client · Progress Billing #3")
    # whole words only: a form the dictionary does not list (a plural) is not half-translated
    assert reworded("Subcontracts, subcontractors", owner) == "Subcontracts, subcontractors"


def test_invoice_title_speaks_the_projects_language(sqlite_demo_engine: Engine) -> None:
    with writing(sqlite_demo_engine) as session:
        project = session.exec(select(Project)).one()
        project.point_of_view = PointOfView.SPECIALTY_CONTRACTOR.value
        session.add(project)
    with reading(sqlite_demo_engine) as session:
        invoice_id = session.exec(select(Invoice.id).where(Invoice.status == "revise_resubmit")
                                  ).one()
        assert invoice_id is not None
        view = load_invoice(session, actor_for_login(session, "erin"), invoice_id)
    assert view.title == "SC-2417-016 Electrical · Progress Billing #3"
