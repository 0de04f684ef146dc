"""Errors the services raise; each message is meant to be shown to the person as it is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm.exc import StaleDataError

from data.refusals import Busy, Conflict, Invalid, NotAllowed, NotFound, Refusal

__all__ = ["Busy", "Conflict", "Invalid", "NotAllowed", "NotFound", "Refusal", "saving"]


@contextmanager
def saving(what: str) -> Iterator[None]:
    """Turn an UPDATE that matched no row into a Conflict the person can read. It happens when
    someone else saved the row first (its version moved on) or when the database's row-level
    security does not let this person change it: either way nothing was written."""
    try:
        yield
    except StaleDataError as error:
        raise Conflict(f"{what} was not saved: someone else changed it meanwhile, or you may "
                       "not change it; reopen it to see the current values") from error
