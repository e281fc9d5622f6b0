"""A school's exam results, once released (RE-1), their documents (RE-2)
and their export (EX-1)."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import schemas
from gateway.api import endpoint
from gateway.exports import results_file
from gateway.http import download, parse_uuid
from services.common.csvfiles import PARIS
from services.common.text import found_by

RESULTS = "Résultats"


class ResultRoutes:
    """The school's released results: the list, its search, its export and
    the PDFs."""

    @endpoint(
        "GET",
        "/api/resultats",
        summary=(
            "Les résultats des candidats de l'auto-école, publiés 24 heures "
            "après l'examen (recherche par nom, NEPH, date d'examen)"
        ),
        tag=RESULTS,
        query=schemas.ResultSearch,
        response=schemas.ExamResults,
    )
    def exam_results(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> dict:
        return {"items": self._found_results(query)}

    @endpoint(
        "GET",
        "/api/resultats/export",
        summary="Exporter les résultats en CSV (mêmes filtres que la liste)",
        tag=RESULTS,
        query=schemas.ResultSearch,
    )
    def export_results(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> Response:
        found = self._found_results(query)
        return download(results_file(found), "text/csv", "resultats.csv")

    @endpoint(
        "GET",
        "/api/resultats/<string:reservation_id>/pdf",
        summary="Télécharger le résultat d'un candidat (PDF)",
        tag=RESULTS,
    )
    def result_pdf(
        self, request: Request, reservation_id: str, account: dict[str, Any]
    ) -> Response:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        pdf = self.results.result_pdf(reservation_id)
        return download(base64.b64decode(pdf), "application/pdf", "resultat.pdf")

    @endpoint(
        "GET",
        "/api/resultats/sessions/<string:session_id>/pdf",
        summary=(
            "Télécharger les résultats publiés d'une session, une page par "
            "candidat (PDF)"
        ),
        tag=RESULTS,
    )
    def session_results_pdf(
        self, request: Request, session_id: str, account: dict[str, Any]
    ) -> Response:
        session_id = parse_uuid(session_id, "Session")
        pdf = self.results.session_results_pdf(session_id)
        return download(base64.b64decode(pdf), "application/pdf", "resultats.pdf")

    def _found_results(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return matching(
            self.results.school_results(), query.get("search", ""), query["exam_date"]
        )


def matching(
    rows: list[dict[str, Any]], search: str, exam_date: date | None
) -> list[dict[str, Any]]:
    """As the reservations are searched (BO-5), and by the exam's day in Paris."""
    return [
        r
        for r in rows
        if (exam_date is None or _paris_day(r["exam_starts_at"]) == exam_date)
        and found_by(search, r.get("neph"), r.get("candidate_name"))
    ]


def _paris_day(at: str) -> date:
    return datetime.fromisoformat(at).astimezone(PARIS).date()
