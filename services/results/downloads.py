"""The result documents a school downloads (RE-2): one result, or every
released result of one of its sessions, one page each.

Only the school's own released results: another school's, one not released
yet, or one whose candidate was erased is "not found", whichever it is, so
that nobody learns what exists elsewhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.common.documents import render_result, write_result
from services.common.pdf import Document
from services.results.domain import ExamResult


class ResultNotFound(LookupError):
    """No released result of this school here (HTTP 404)."""


NOT_FOUND = "Ce résultat est introuvable ou n'est pas encore publié."
NONE_IN_SESSION = "Aucun résultat publié pour cette session dans votre auto-école."


def result_document(
    result: Mapping[str, Any], opened: Mapping[str, Any]
) -> dict[str, Any]:
    """What the result document prints: the seat (aggregate or board row)
    and its released result, opened."""
    return {
        "reservation_id": str(result["reservation_id"]),
        "candidate_name": opened.get("candidate_name"),
        "birth_date": opened.get("birth_date"),
        "neph": opened.get("neph"),
        "centre_name": result["centre_name"],
        "centre_city": result["centre_city"],
        "exam_starts_at": result["exam_starts_at"].isoformat(),
        "score": opened.get("score"),
        "outcome": opened.get("outcome"),
        "valid_until": opened.get("valid_until"),
    }


class ResultDownloads:
    """The results application's documents (a mixin: its repository, seals
    and board are the application's)."""

    repository: Any
    seals: Any
    views: Any

    def result_pdf(self, school_id: str, reservation_id: UUID) -> bytes:
        """One released result of this school, as a PDF."""
        try:
            result: ExamResult = self.repository.get(reservation_id)
        except AggregateNotFoundError:
            raise ResultNotFound(NOT_FOUND) from None
        if result.school_id != school_id or result.published_at is None:
            raise ResultNotFound(NOT_FOUND)
        opened = self.seals.open(result.candidate_id, result.published_result)
        if opened is None:  # erased: nothing of it can be read
            raise ResultNotFound(NOT_FOUND)
        seat = {
            "reservation_id": result.id,
            "centre_name": result.centre_name,
            "centre_city": result.centre_city,
            "exam_starts_at": result.exam_starts_at,
        }
        return render_result(result_document(seat, opened))

    def session_results_pdf(self, school_id: str, session_id: UUID) -> bytes:
        """Every released result of this school in the session, one page
        each, in the order of the candidates' names."""
        rows = self.views["result_board"].published_for(school_id, session_id)
        opened = sorted(
            self.seals.open_all(rows),
            key=lambda pair: (pair[1].get("candidate_name") or "").casefold(),
        )
        if not opened:
            raise ResultNotFound(NONE_IN_SESSION)
        doc = Document()
        for n, (row, result) in enumerate(opened):
            if n:
                doc.add_page()
            write_result(doc, result_document(row, result))
        return doc.to_bytes()
