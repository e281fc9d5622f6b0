"""The candidate's own results (RE-2), for their signed-in space: the
released results of the seats paid for them, whichever school booked them.
The gateway asks with a file the candidate's account holds; a result of
another candidate, not released yet, or whose candidate was erased is "not
found", whichever it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.results.downloads import NOT_FOUND, ResultNotFound

if TYPE_CHECKING:
    from services.results.application import ResultsApplication
    from services.results.domain import ExamResult


def results(app: ResultsApplication, candidate_id: UUID) -> list[dict[str, Any]]:
    """The candidate's released results, opened, the latest exam first; none
    once erased (nothing opens)."""
    rows = app.views["result_board"].published_of_candidate(candidate_id)
    return [
        {
            "reservation_id": str(row["reservation_id"]),
            "centre_name": row["centre_name"],
            "centre_city": row["centre_city"],
            "exam_starts_at": row["exam_starts_at"].isoformat(),
            "score": opened["score"],
            "outcome": opened["outcome"],
            "valid_until": opened["valid_until"],
        }
        for row, opened in app.seals.open_all(rows)
    ]


def result_pdf(
    app: ResultsApplication, candidate_id: UUID, reservation_id: UUID
) -> bytes:
    """The document of one of this candidate's released results, the same
    as their school's, and no other candidate's."""
    try:
        result: ExamResult = app.repository.get(reservation_id)
    except AggregateNotFoundError:
        raise ResultNotFound(NOT_FOUND) from None
    if str(result.candidate_id) != str(candidate_id):
        raise ResultNotFound(NOT_FOUND)
    return app.result_pdf(result.school_id, reservation_id)
