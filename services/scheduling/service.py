"""The scheduling nameko service: thin entrypoints over SchedulingApplication."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.common import contracts, inputs
from services.common.batches import consume_batches
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.rpc import RpcProxy, answer_in_time, rpc
from services.scheduling.application import (
    NotFound,
    SchedulingApplication,
    SearchPeriodError,
    UnknownPlace,
)
from services.scheduling.domain import SchedulingError
from services.scheduling.projections import READ_MODELS
from services.scheduling.schemas import NewCentre, SearchQuery

ERRORS = {
    SchedulingError: (400, "session_invalide"),
    NotFound: (404, "introuvable"),
    UnknownPlace: (404, "commune_inconnue"),
    SearchPeriodError: (400, "periode_invalide"),
}


class SchedulingService:
    """Exam centres, sessions and their seats (SC-1…SC-4)."""

    name = "scheduling"
    errors = ERRORS
    app: SchedulingApplication = ApplicationProvider(
        SchedulingApplication, read_models=READ_MODELS
    )
    booking = RpcProxy("booking")

    @rpc
    def register_centre(self, data: dict[str, Any]) -> dict[str, Any]:
        """Add an exam centre (SC-1)."""
        return self.app.register_centre(NewCentre().load(data))

    @rpc
    def session(self, session_id: str) -> dict[str, Any]:
        """One session with its centre and free seats."""
        return self.app.session(UUID(session_id))

    @rpc
    def published_session(self, session_id: str) -> dict[str, Any]:
        """A session as `SessionScheduled` tells it, for booking's first look."""
        return self.app.published_session(UUID(session_id))

    @rpc
    def cancel_session(self, session_id: str, reason: str = "") -> dict[str, Any]:
        """SC-2, for the operator: withdraw a session, unless someone holds a
        seat in it and it starts within 7 days (booking, which owns the seats,
        is asked); booking then ends every reservation in it."""
        try:
            session = UUID(str(session_id))
        except ValueError:
            raise NotFound("Cette session d'examen n'existe pas.") from None
        try:
            reason = inputs.SEARCH.clean(reason or "")
        except inputs.InputError as exc:
            raise SchedulingError(f"Motif refusé : {exc}") from None
        with answer_in_time():
            held = self.booking.session_holders(str(session))
        holders = held["paid"] + held["unpaid"]
        cancelled = self.app.cancel_session(session, holders, reason)
        return {**cancelled, "holders": held}

    @rpc
    def search(self, query: dict[str, Any]) -> dict[str, Any]:
        """Centres nearest to a town or postal code, with their slots (SC-3)."""
        return self.app.search(**SearchQuery().load(query))

    @consume_batches("booking", contracts.SlotReserved)
    def on_slot_reserved(self, events: list[Delivered]) -> None:
        """Seats were taken: the search shows fewer (SC-3)."""
        self.app.seats_changed([event.payload for event in events])

    @consume_batches("booking", contracts.SlotReleased)
    def on_slot_released(self, events: list[Delivered]) -> None:
        """Seats were given back: the search shows them again (SC-3)."""
        self.app.seats_changed([event.payload for event in events])

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)
