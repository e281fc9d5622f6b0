"""The results nameko service: thin entrypoints over ResultsApplication."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from services.common import contracts
from services.common.consumer import consume
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.rpc import RpcProxy, rpc, school_rpc
from services.common.timers import setting_timer
from services.results import candidate_side
from services.results.application import ResultsApplication
from services.results.centres import CentreDesk, CentreKeyRefused, ScheduledCentres
from services.results.domain import ResultError
from services.results.downloads import ResultNotFound
from services.results.imports import ResultsFileRefused
from services.results.projections import READ_MODELS
from services.results.schemas import CandidateResult, SchoolResult

ERRORS = {
    ResultError: (400, "resultat_invalide"),
    ResultNotFound: (404, "resultat_introuvable"),
    ResultsFileRefused: (400, "fichier_invalide"),
    CentreKeyRefused: (401, "non_authentifie"),
}


class ResultsService:
    """Exam results: recorded from the centres, released after 24 hours (RE-1)."""

    name = "results"
    errors = ERRORS
    app: ResultsApplication = ApplicationProvider(
        ResultsApplication, read_models=READ_MODELS
    )
    # Which centre a session is in, for the centres' own files.
    scheduling = RpcProxy("scheduling")

    @consume("booking", contracts.ReservationConfirmed)
    def on_reservation_confirmed(self, event: Delivered) -> None:
        """A paid seat: its result may be recorded once the exam starts."""
        self.app.on_confirmed(event.payload, event.tracking)

    @consume("booking", contracts.ReservationChanged)
    def on_reservation_changed(self, event: Delivered) -> None:
        """The seat moved to another exam: its result is that exam's."""
        self.app.on_changed(event.payload, event.tracking)

    @consume("booking", contracts.ReservationCancelled)
    def on_reservation_cancelled(self, event: Delivered) -> None:
        """No seat, no result."""
        self.app.on_cancelled(event.payload, event.tracking)

    @setting_timer("results_release_sweep_seconds")
    def release_due_results(self) -> None:
        """RE-1: release the results 24 hours past their exam, once."""
        self.app.release_due()

    @school_rpc
    def school_results(self, school_id: str) -> list[dict[str, Any]]:
        """The school's released results (never another school's)."""
        return SchoolResult(many=True).dump(self.app.school_results(school_id))

    @school_rpc
    def result_pdf(self, school_id: str, reservation_id: str) -> str:
        """One released result of the school, as a PDF, base64-encoded (RE-2)."""
        pdf = self.app.result_pdf(school_id, UUID(reservation_id))
        return base64.b64encode(pdf).decode()

    @school_rpc
    def session_results_pdf(self, school_id: str, session_id: str) -> str:
        """The school's released results of one session, one page each, as
        one PDF, base64-encoded (RE-2)."""
        pdf = self.app.session_results_pdf(school_id, UUID(session_id))
        return base64.b64encode(pdf).decode()

    @rpc
    def candidate_results(self, candidate_id: str) -> list[dict[str, Any]]:
        """The candidate's released results, for their own space (RE-2)."""
        results = candidate_side.results(self.app, UUID(candidate_id))
        return CandidateResult(many=True).dump(results)

    @rpc
    def candidate_result_pdf(self, candidate_id: str, reservation_id: str) -> str:
        """One of the candidate's released results, as a PDF, base64-encoded."""
        pdf = candidate_side.result_pdf(
            self.app, UUID(candidate_id), UUID(reservation_id)
        )
        return base64.b64encode(pdf).decode()

    @rpc
    def centre_of_key(self, key: str) -> str:
        """The exam centre a key in force opens; 401 otherwise (issue 14)."""
        return str(CentreDesk(self.app).centre_of(key))

    @rpc
    def centre_results(self, key: str, text: str) -> dict[str, Any]:
        """A centre's results file: lines for its own exams only (RE-1)."""
        desk = CentreDesk(self.app)
        return desk.import_results(key, text, ScheduledCentres(self.scheduling))

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)
