"""data/workflow.py: the invoice status moves, who may make them, and who may edit (domain §3)."""

from __future__ import annotations

import itertools

import pytest

from data.models import InvoiceStatus, Role
from data.wording import STATUS_LABELS
from data.workflow import (
    CONTACT_EDITABLE,
    MOVES,
    Move,
    NotAllowed,
    Standing,
    check_edit,
    check_move,
    find_move,
    moves_from,
    standing_for,
)

S = InvoiceStatus
ALL_MOVES = [(m, standing) for m in MOVES for standing in Standing]
IN_TABLE = {(m.source, m.target) for m in MOVES}
NOT_IN_TABLE = [(a, b) for a, b in itertools.product(S, S) if (a, b) not in IN_TABLE]


def move_id(value: object) -> str:
    if isinstance(value, Move):
        return f"{value.source.value}->{value.target.value}"
    return str(value)


@pytest.mark.parametrize(("move", "standing"), ALL_MOVES, ids=move_id)
def test_each_move_is_allowed_exactly_for_the_standings_it_lists(move: Move,
                                                                  standing: Standing) -> None:
    if standing in move.by:
        assert check_move(move.source, move.target, standing) is move
        assert move in moves_from(move.source, standing)
    else:
        with pytest.raises(NotAllowed) as refused:
            check_move(move.source, move.target, standing)
        assert move.verb in str(refused.value)
        assert STATUS_LABELS[move.source] in str(refused.value)
        assert move not in moves_from(move.source, standing)


@pytest.mark.parametrize(("source", "target"), NOT_IN_TABLE, ids=move_id)
def test_moves_not_in_the_table_are_refused_for_everyone(source: InvoiceStatus,
                                                          target: InvoiceStatus) -> None:
    assert find_move(source, target) is None
    for standing in Standing:
        with pytest.raises(NotAllowed, match="cannot go from") as refused:
            check_move(source, target, standing)
        assert STATUS_LABELS[source] in str(refused.value)
        assert STATUS_LABELS[target] in str(refused.value)


def test_the_table_follows_the_domain() -> None:
    # Only contacts and administrators send; everything after sending is the administrator's.
    for move in MOVES:
        assert Standing.SUPPORT not in move.by
        assert Standing.NONE not in move.by
        if move.target is S.UNDER_REVIEW:
            assert move.by == {Standing.CONTACT, Standing.ADMINISTRATOR}
            assert move.source in CONTACT_EDITABLE
        else:
            assert move.by == {Standing.ADMINISTRATOR}
    assert len(IN_TABLE) == len(MOVES)  # no duplicate (source, target)
    assert {m.source for m in MOVES if m.target is S.UNDER_REVIEW} == {
        S.DRAFT, S.REVISE_AND_RESUBMIT}
    # Approved is final; no move leaves it.
    assert moves_from(S.APPROVED, Standing.ADMINISTRATOR) == []
    # A contact has nothing to do once an invoice is sent.
    for status in S:
        if status not in CONTACT_EDITABLE:
            assert moves_from(status, Standing.CONTACT) == []
    assert [m.target for m in moves_from(S.DRAFT, Standing.CONTACT)] == [S.UNDER_REVIEW]
    assert moves_from(S.UNDER_REVIEW, Standing.SUPPORT) == []


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("is_latest", [True, False])
def test_check_edit(status: InvoiceStatus, is_latest: bool) -> None:
    # Administrators edit any invoice in any status.
    check_edit(status, Standing.ADMINISTRATOR, is_latest=is_latest)
    # Support and people with no role never edit.
    for standing in (Standing.SUPPORT, Standing.NONE):
        with pytest.raises(NotAllowed, match="read"):
            check_edit(status, standing, is_latest=is_latest)
    # A contact edits only the latest invoice, only in Draft or Revise & Resubmit.
    if is_latest and status in (S.DRAFT, S.REVISE_AND_RESUBMIT):
        check_edit(status, Standing.CONTACT, is_latest=is_latest)
    else:
        with pytest.raises(NotAllowed) as refused:
            check_edit(status, Standing.CONTACT, is_latest=is_latest)
        if not is_latest:
            assert "most recent" in str(refused.value)
        else:
            assert STATUS_LABELS[status] in str(refused.value)


def test_contact_editable_statuses() -> None:
    assert frozenset({S.DRAFT, S.REVISE_AND_RESUBMIT}) == CONTACT_EDITABLE


@pytest.mark.parametrize(("roles", "is_contact", "is_admin", "expected"), [
    ({Role.INVOICE_ADMINISTRATOR}, False, True, Standing.ADMINISTRATOR),
    ({Role.INVOICE_ADMINISTRATOR}, False, False, Standing.NONE),  # not on this project
    ({Role.INVOICE_CONTACT}, True, False, Standing.CONTACT),
    ({Role.INVOICE_CONTACT}, False, False, Standing.NONE),  # another commitment
    ({Role.INVOICE_CONTACT}, False, True, Standing.NONE),  # listed, but lacks the role
    ({Role.SUPPORT}, False, False, Standing.SUPPORT),
    ({Role.SUPPORT}, True, True, Standing.SUPPORT),  # support stays read-only
    ({Role.SYSTEM_ADMINISTRATOR}, False, False, Standing.NONE),
    ({Role.INVOICE_ADMINISTRATOR, Role.INVOICE_CONTACT}, True, True, Standing.ADMINISTRATOR),
    ({Role.INVOICE_ADMINISTRATOR, Role.SUPPORT}, False, False, Standing.SUPPORT),
    (set(), True, True, Standing.NONE),
])
def test_standing_for(roles: set[Role], is_contact: bool, is_admin: bool,
                      expected: Standing) -> None:
    assert standing_for(frozenset(roles), is_contact=is_contact, is_admin=is_admin) is expected
