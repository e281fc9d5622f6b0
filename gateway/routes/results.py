"""A school's exam results, once released (RE-1)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from gateway import schemas
from gateway.api import endpoint

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
