"""Scheduling: exam centres, sessions, seats and the search (SC-1…SC-4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.common import contracts
from services.common.calendar import bookable_days, is_public_holiday
from services.common.store import ServiceApplication
from services.scheduling import communes, rules, transfer
from services.scheduling.domain import (
    DEFAULT_DURATION,
    PARIS,
    ExamCentre,
    ExamSession,
    SchedulingError,
    check_session,
)
from services.scheduling.publications import PUBLISHED, session_scheduled

NEAREST_CENTRES = 20


class NotFound(LookupError):
    """No such centre or session."""


class UnknownPlace(LookupError):
    def __init__(self, query: str) -> None:
        super().__init__(f"Aucune commune ne correspond à « {query} ».")


class SchedulingApplication(ServiceApplication):
    """Centres and sessions; one aggregate per session's seats."""

    name: ClassVar[str] = "scheduling"
    published: ClassVar = PUBLISHED

    # -- centres and sessions (SC-1, SC-2) --------------------------------------------

    def register_centre(self, data: dict[str, Any]) -> dict[str, Any]:
        centre = ExamCentre(**rules.check_centre(data))
        try:
            self.save(centre)
        except IntegrityError:
            raise SchedulingError(
                "Ce centre existe déjà.", {"code": ["Code de centre déjà utilisé."]}
            ) from None
        return {"id": str(centre.id), "code": centre.code}

    def new_session(
        self,
        centre_id: UUID,
        starts_at: datetime,
        seats: int,
        kind: str,
        duration_minutes: int = DEFAULT_DURATION,
    ) -> ExamSession:
        """A checked session, not saved yet (callers save many at once)."""
        centre = self._centre(centre_id)
        day = starts_at.astimezone(PARIS).date()
        check_session(
            starts_at,
            duration_minutes,
            seats,
            kind,
            is_holiday=is_public_holiday(day, centre.departement),
        )
        return ExamSession(
            centre_id=centre.id,
            departement=centre.departement,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            seats=seats,
            kind=kind,
            centre_name=centre.name,
            centre_address=f"{centre.address}, {centre.postal_code}",
            centre_city=centre.city,
        )

    def schedule_session(
        self,
        centre_id: UUID,
        starts_at: datetime,
        seats: int,
        kind: str,
        duration_minutes: int = DEFAULT_DURATION,
    ) -> dict[str, Any]:
        session = self.new_session(centre_id, starts_at, seats, kind, duration_minutes)
        self.save(session)
        return self.session_view(session)

    def import_centres(self, text: str) -> dict[str, Any]:
        """SC-1: one centre per line; the report names each failed line."""
        return transfer.import_centres(text, self.register_centre)

    def import_sessions(self, text: str) -> dict[str, Any]:
        """SC-2: one session per line (centre code, start, seats, type)."""
        return transfer.import_sessions(text, self.schedule_session)

    def cancel_session(self, session_id: UUID) -> dict[str, Any]:
        """Withdraw a session from the catalogue: booking takes no new seat in it."""
        session = self._session(session_id)
        session.cancel(self.clock.now())
        self.save(session)
        return self.session_view(session)

    def seats_changed(self, change: dict[str, Any]) -> None:
        """Booking's word on a session's free seats, for the search."""
        self.views["session_board"].record_seats(
            change["session_id"], change["free_seats"], change["seats_version"]
        )

    # -- queries -----------------------------------------------------------------------

    def session(self, session_id: UUID) -> dict[str, Any]:
        return self.session_view(self._session(session_id))

    def published_session(self, session_id: UUID) -> dict[str, Any]:
        """A session as `SessionScheduled` tells it (for booking's first look)."""
        session = self._session(session_id)
        if session.cancelled:
            raise NotFound("Cette session d'examen a été annulée.")
        return contracts.SessionScheduled().dump(session_scheduled(session.id, session))

    def session_view(self, session: ExamSession) -> dict[str, Any]:
        centre = self._centre(session.centre_id)
        return {
            "id": str(session.id),
            "centre": {
                "id": str(centre.id),
                "name": centre.name,
                "address": centre.address,
                "postal_code": centre.postal_code,
                "city": centre.city,
                "departement": centre.departement,
                "pmr": centre.pmr,
            },
            "starts_at": session.starts_at.isoformat(),
            "duration_minutes": session.duration_minutes,
            "kind": session.kind,
            "seats": session.seats,
            # Booking gives the seats; the board follows it (under a second).
            "free_seats": self.views["session_board"].free_seats(session.id)
            if "session_board" in self.views
            else None,
            "cancelled": session.cancelled,
        }

    def search(
        self,
        query: str,
        after: date | None = None,
        before: date | None = None,
        individual_only: bool = False,
        pmr_only: bool = False,
    ) -> dict[str, Any]:
        """SC-3: centres nearest to a town or postal code, each with its slots."""
        place = communes.locate(query)
        if place is None:
            raise UnknownPlace(query)
        today = self.clock.now().astimezone(PARIS).date()
        first, last = bookable_days(today)  # only what can be booked (BO-2)
        centres = self.views["session_board"].centres_with_sessions(
            after=max(after or first, first),
            before=min(before or last, last),
            individual_only=individual_only,
            pmr_only=pmr_only,
            near=(place.latitude, place.longitude),
            limit=NEAREST_CENTRES,
        )
        return {
            "place": {
                "name": place.name,
                "latitude": place.latitude,
                "longitude": place.longitude,
            },
            "centres": centres,
        }

    def _session(self, session_id: UUID) -> ExamSession:
        try:
            return self.repository.get(session_id)
        except AggregateNotFoundError:
            raise NotFound("Cette session d'examen n'existe pas.") from None

    def _centre(self, centre_id: UUID) -> ExamCentre:
        try:
            return self.repository.get(centre_id)
        except AggregateNotFoundError:
            raise NotFound("Ce centre d'examen n'existe pas.") from None
