"""What payapp refuses, in words the person reads. Every refusal means nothing was written.

Screens show a refusal's message as it is; anything else that goes wrong is unexpected, and is
shown with where its details were logged.
"""

from __future__ import annotations


class Refusal(Exception):
    """A request payapp (or the database) refused; the message says why."""


class NotAllowed(Refusal, PermissionError):
    """A forbidden action."""


class NotFound(Refusal, LookupError):
    """Something the person named does not exist, or is not theirs to see."""


class Invalid(Refusal, ValueError):
    """Input that breaks a billing rule."""


class Conflict(Refusal, RuntimeError):
    """Someone else saved the same row meanwhile."""


class Busy(Refusal, TimeoutError):
    """The database did not answer in time: someone holds a lock, or a statement ran too long."""
