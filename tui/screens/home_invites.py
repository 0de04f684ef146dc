"""Invites to bill, from the home screen's command palette (an invoice administrator's): the
highlighted commitment, or every commitment of its project, invited for the open period with
one of the three invite types; a report says, commitment by commitment, what was sent and why
the others were not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

from tui.dialogs import Choose, Report
from tui.service_calls import acting, call_service

if TYPE_CHECKING:
    from sqlmodel import Session
    from textual.screen import Screen

    from data.services.actors import Actor

# Each invite type's button: its first letter is its key.
TYPE_BUTTONS = (("work_materials", "Work and materials"),
                ("retainage_release", "Retainage release"),
                ("work_materials_retainage", "All: work, materials and retainage"))


class InvitesSent(Message):
    def __init__(self, outcome: list[tuple[str, str | None]], kind: str) -> None:
        super().__init__()
        self.outcome, self.kind = outcome, kind


def ask_and_invite(screen: Screen[Any], commitment_ids: list[int], whom: str) -> None:
    """Ask which kind of invite, then send it to each commitment; the screen gets
    `InvitesSent`."""
    from data.models import InviteType
    from data.services.invites import invite_to_bill
    from data.wording import INVITE_TYPE_LABELS

    today = acting(screen).today()

    def chosen(value: str | None) -> None:
        if value is None or value == "cancel":
            return
        kind = InviteType(value)

        def work(session: Session, actor: Actor) -> list[tuple[str, str | None]]:
            return invite_to_bill(session, actor, commitment_ids, invite_type=kind,
                                  today=today)

        call_service(screen, "Sending invites", work,
                     lambda outcome: InvitesSent(outcome, INVITE_TYPE_LABELS[kind]),
                     writes=True, group="invites")

    screen.app.push_screen(Choose(f"Invite {whom} to bill the open period, as:",
                                  [*TYPE_BUTTONS, ("cancel", "Cancel")]), chosen)


def report_invites(screen: Screen[Any], event: InvitesSent) -> None:
    sent = [number for number, why in event.outcome if why is None]
    lines = [f"{number}: invited ({event.kind})" if why is None else f"{number}: not "
             f"invited: {why}" for number, why in event.outcome]
    screen.app.push_screen(Report(f"Invites sent: {len(sent)} of {len(event.outcome)}",
                                  lines))
