"""What scheduling publishes: each integration event built from its stored
event alone (DESIGN: the relay never reloads an aggregate)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.common import contracts
from services.common.store import Publication
from services.scheduling.domain import ExamSession


def session_scheduled(session_id: UUID, source: Any) -> dict[str, Any]:
    """`SessionScheduled` from the stored event, or from the session itself
    (their attributes share names)."""
    return {
        "session_id": session_id,
        "centre_id": source.centre_id,
        "centre_name": source.centre_name,
        "centre_address": source.centre_address,
        "centre_city": source.centre_city,
        "departement": source.departement,
        "kind": source.kind,
        "starts_at": source.starts_at,
        "duration_minutes": source.duration_minutes,
        "seats": source.seats,
    }


def _scheduled(e: ExamSession.Scheduled, app: Any) -> dict[str, Any]:
    return session_scheduled(e.originator_id, e)


def _cancelled(e: ExamSession.Cancelled, app: Any) -> dict[str, Any]:
    return {
        "session_id": e.originator_id,
        "cancelled_at": e.cancelled_at,
        "reason": getattr(e, "reason", ""),
    }


PUBLISHED: dict[type, Publication] = {
    ExamSession.Scheduled: Publication(contracts.SessionScheduled, _scheduled),
    ExamSession.Cancelled: Publication(contracts.SessionCancelled, _cancelled),
}
