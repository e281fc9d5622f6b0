"""What results publishes: each integration event built from its stored event
alone (DESIGN: the relay never reloads an aggregate)."""

from __future__ import annotations

from typing import Any

from services.common import contracts
from services.common.store import Publication
from services.results.domain import ExamResult


def _published(e: ExamResult.Published, app: Any) -> dict[str, Any]:
    return {
        "reservation_id": e.originator_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "centre_name": e.centre_name,
        "centre_city": e.centre_city,
        "exam_starts_at": e.exam_starts_at,
        "score": e.score,
        "outcome": e.outcome,
        "valid_until": e.valid_until,
        "published_at": e.published_at,
    }


PUBLISHED: dict[type, Publication] = {
    ExamResult.Published: Publication(contracts.ResultPublished, _published),
}
