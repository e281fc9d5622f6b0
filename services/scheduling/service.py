"""The scheduling nameko service: thin entrypoints over SchedulingApplication."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.common import contracts
from services.common.consumer import consume
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.rpc import rpc
from services.scheduling.application import (
    NotFound,
    SchedulingApplication,
    UnknownPlace,
)
from services.scheduling.domain import SchedulingError, SessionFull
from services.scheduling.projections import READ_MODELS
from services.scheduling.schemas import NewCentre, SearchQuery

ERRORS = {
    SessionFull: (409, "complet"),
    SchedulingError: (400, "session_invalide"),
    NotFound: (404, "introuvable"),
    UnknownPlace: (404, "commune_inconnue"),
}


class SchedulingService:
    """Exam centres, sessions and their seats (SC-1…SC-4)."""

    name = "scheduling"
    errors = ERRORS
    app: SchedulingApplication = ApplicationProvider(
        SchedulingApplication, read_models=READ_MODELS
    )

    @rpc
    def register_centre(self, data: dict[str, Any]) -> dict[str, Any]:
        """Add an exam centre (SC-1)."""
        return self.app.register_centre(NewCentre().load(data))

    @rpc
    def session(self, session_id: str) -> dict[str, Any]:
        """One session with its centre and free seats."""
        return self.app.session(UUID(session_id))

    @rpc
    def hold(self, session_id: str, hold_id: str, candidate_id: str) -> dict[str, Any]:
        """Take a seat for a reservation; « complet » when none is left (SC-4)."""
        return self.app.hold(UUID(session_id), hold_id, candidate_id)

    @rpc
    def search(self, query: dict[str, Any]) -> dict[str, Any]:
        """Centres nearest to a town or postal code, with their slots (SC-3)."""
        return self.app.search(**SearchQuery().load(query))

    @consume("booking", contracts.ReservationReleased)
    def on_reservation_released(self, event: Delivered) -> None:
        """Free the seat of a reservation given back (cart, expiry, cancellation)."""
        payload = event.payload
        self.app.release_for(
            payload["session_id"], str(payload["reservation_id"]), event
        )

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)
