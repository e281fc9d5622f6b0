"""Scheduling: exam centres, sessions, seats and the search (SC-1…SC-4)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.common.calendar import add_months, is_public_holiday
from services.common.envelope import Delivered
from services.common.store import ServiceApplication, retry_on_conflict
from services.scheduling import communes, rules, transfer
from services.scheduling.domain import (
    DEFAULT_DURATION,
    PARIS,
    ExamCentre,
    ExamSession,
    SchedulingError,
    check_session,
)

HOLD_ATTEMPTS = 50
NEAREST_CENTRES = 20


class NotFound(LookupError):
    """No such centre or session."""


class UnknownPlace(LookupError):
    def __init__(self, query: str) -> None:
        super().__init__(f"Aucune commune ne correspond à « {query} ».")


class SchedulingApplication(ServiceApplication):
    """Centres and sessions; one aggregate per session's seats."""

    name: ClassVar[str] = "scheduling"
    # A busy session collects many holds and releases: load it from a snapshot.
    snapshotting_intervals: ClassVar = {ExamSession: 100}

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

    # -- seats (SC-4) ------------------------------------------------------------------

    def hold(self, session_id: UUID, hold_id: str, candidate_id: str) -> dict[str, Any]:
        """Take a seat for a hold; retried on a concurrent change of the session."""

        def attempt() -> dict[str, Any]:
            session = self._session(session_id)
            if session.reserve(hold_id, candidate_id):  # False: it has its seat
                self.save(session)
            return self.session_view(session)

        return retry_on_conflict(
            attempt,
            HOLD_ATTEMPTS,
            SchedulingError(
                "Trop de demandes simultanées sur cette session : réessayez."
            ),
        )

    def release_for(self, session_id: UUID, hold_id: str, event: Delivered) -> None:
        """Free the seat a released reservation held, once per message."""

        def attempt() -> None:
            session = self._session(session_id)
            session.release(hold_id)  # nothing to free: still record the message
            self.save(session, tracking=event.tracking)

        retry_on_conflict(
            attempt,
            HOLD_ATTEMPTS,
            SchedulingError("Libération impossible pour l'instant : réessayez."),
        )

    # -- queries -----------------------------------------------------------------------

    def session(self, session_id: UUID) -> dict[str, Any]:
        return self.session_view(self._session(session_id))

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
            "free_seats": session.free_seats,
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
        # Only what can be booked (BO-2): from tomorrow to 3 months ahead.
        first, last = today + timedelta(days=1), add_months(today, 3)
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
