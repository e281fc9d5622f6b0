"""A school's exam results, once released (RE-1), and their documents (RE-2)."""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import schemas
from gateway.api import endpoint
from gateway.http import download, parse_uuid

RESULTS = "Résultats"


class ResultRoutes:
    """The school's released results."""

    @endpoint(
        "GET",
        "/api/resultats",
        summary=(
            "Les résultats des candidats de l'auto-école, publiés 24 heures "
            "après l'examen"
        ),
        tag=RESULTS,
        response=schemas.ExamResults,
    )
    def exam_results(self, request: Request, account: dict[str, Any]) -> dict:
        return {"items": self.results.school_results()}

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
