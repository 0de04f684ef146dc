"""Errors the services raise; each message is meant to be shown to the person as it is."""

from __future__ import annotations

from data.workflow import NotAllowed

__all__ = ["Conflict", "Invalid", "NotAllowed", "NotFound"]


class NotFound(LookupError):
    pass


class Invalid(ValueError):
    """Input that breaks a billing rule; nothing was written."""


class Conflict(RuntimeError):
    """Someone else saved the same row meanwhile; nothing was written."""
