"""The audit trail: every change a service makes is written here in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

from sqlmodel import Session

from data.audit_chain import append
from data.models import AuditEntry
from data.services.actors import Actor


def _json(values: Mapping[str, object] | None) -> str:
    if not values:
        return ""

    def plain(value: object) -> object:
        if isinstance(value, date | datetime):
            return value.isoformat()
        return str(value)

    return json.dumps(values, default=plain, sort_keys=True, ensure_ascii=False)


def record(session: Session, actor: Actor, action: str, entity: str, entity_id: int | None,
           before: Mapping[str, object] | None = None,
           after: Mapping[str, object] | None = None) -> None:
    append(session, AuditEntry(actor_login=actor.login, action=action, entity=entity,
                               entity_id=entity_id, before=_json(before), after=_json(after)))
