"""What results publishes: each integration event built from its stored event
alone (DESIGN: the relay never reloads an aggregate)."""

from __future__ import annotations

from typing import Any

from services.common import contracts
from services.common.store import Publication
from services.results.domain import ExamResult


def _published(e: ExamResult.Published, app: Any) -> dict[str, Any]:
    # Opened with the keys the relay read for its whole batch; erased (or
    # released with nothing readable): nothing personal travels.
    opened = app.vault.unseal(e.candidate_id, e.sealed) if e.sealed else None
    personal = {
        field: (opened or {}).get(field) or None
        for field in contracts.ResultPublished.personal
    }
    if opened is not None:
        personal["score"] = opened.get("score")
    return {
        **personal,
        "reservation_id": e.originator_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "centre_name": e.centre_name,
        "centre_city": e.centre_city,
        "exam_starts_at": e.exam_starts_at,
        "published_at": e.published_at,
    }


PUBLISHED: dict[type, Publication] = {
    ExamResult.Published: Publication(contracts.ResultPublished, _published),
}
