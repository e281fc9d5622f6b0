"""Scheduling: exam centres, sessions, seats and the search (SC-1…SC-4)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
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


class SearchPeriodError(ValueError):
    """A period no session can be booked in, said in words (not « Aucune session »)."""


def search_period(
    today: date, after: date | None, before: date | None
) -> tuple[date, date, str | None]:
    """The bookable part of [after, before) as (first day, day after the last,
    a notice when part of the asked period cannot be booked)."""
    first, last = bookable_days(today)  # only what can be booked (BO-2)
    end_of_booking = last + timedelta(days=1)
    if after and before and before <= after:
        raise SearchPeriodError(
            "La date « Avant le » doit être postérieure à la date « À partir du »."
        )
    if after and after > last:
        raise SearchPeriodError(
            "Les sessions se réservent au plus 3 mois à l'avance : choisissez "
            f"une date « À partir du » jusqu'au {last:%d/%m/%Y}."
        )
    if before and before <= first:
        raise SearchPeriodError(
            "Les sessions se réservent au plus tard la veille de l'examen : "
            f"choisissez une date « Avant le » après le {first:%d/%m/%Y}."
        )
    notice = None
    if before and before > end_of_booking:
        notice = (
            "Les sessions se réservent au plus 3 mois à l'avance : seules celles "
            f"jusqu'au {last:%d/%m/%Y} sont proposées."
        )
    start = max(after or first, first)
    end = min(before or end_of_booking, end_of_booking)
    return start, end, notice


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

    def cancel_session(
        self, session_id: UUID, holders: int = 0, reason: str = ""
    ) -> dict[str, Any]:
        """SC-2: withdraw a session from the catalogue, `holders` being
        booking's count of its seats held or paid: booking takes no new seat
        in it and ends every reservation in it."""
        session = self._session(session_id)
        session.cancel(self.clock.now(), holders, reason)
        self.save(session)
        return self.session_view(session)

    def seats_changed(self, changes: list[dict[str, Any]]) -> None:
        """Booking's word on sessions' free seats, for the search."""
        self.views["session_board"].record_seats(
            [
                (change["session_id"], change["free_seats"], change["seats_version"])
                for change in changes
            ]
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
        commune: str | None = None,
        radius_km: float | None = None,
    ) -> dict[str, Any]:
        """SC-3: centres near a town or postal code, each with its slots, from
        `after` to the day before `before`. A name several towns share asks
        which one (`choices`) unless `commune` (its INSEE code) says it."""
        place, choices = self._place(query, commune)
        radius = radius_km or self.settings.search_radius_km
        if place is None:
            return {
                "place": None,
                "choices": choices,
                "radius_km": radius,
                "notice": None,
                "centres": [],
            }
        today = self.clock.now().astimezone(PARIS).date()
        start, end, notice = search_period(today, after, before)
        centres = self.views["session_board"].centres_with_sessions(
            after=start,
            before=end,
            individual_only=individual_only,
            pmr_only=pmr_only,
            near=(place.latitude, place.longitude),
            radius_km=radius,
            limit=NEAREST_CENTRES,
        )
        return {
            "place": {
                "name": place.name,
                "commune": place.insee,
                "departement": place.departement,
                "departement_name": communes.departement_name(place.departement),
                "latitude": place.latitude,
                "longitude": place.longitude,
            },
            "choices": [],
            "radius_km": radius,
            "notice": notice,
            "centres": centres,
        }

    def _place(
        self, query: str, commune: str | None
    ) -> tuple[communes.Place | None, list[dict[str, Any]]]:
        """The place meant, or the homonyms to choose from."""
        found = communes.matching(query)
        if commune:
            found = [p for p in found if p.insee == commune]
        if not found:
            raise UnknownPlace(query)
        if len(found) == 1 or communes.is_postal_code(query):
            return found[0], []
        return None, [
            {
                "commune": p.insee,
                "name": p.name,
                "departement": p.departement,
                "departement_name": communes.departement_name(p.departement),
                "postal_code": p.postal_codes[0] if p.postal_codes else "",
            }
            for p in found
        ]

    def _session(self, session_id: UUID) -> ExamSession:
        try:
            session = self.repository.get(session_id)
        except AggregateNotFoundError:
            session = None
        if not isinstance(session, ExamSession):  # a centre's id is no session
            raise NotFound("Cette session d'examen n'existe pas.")
        return session

    def _centre(self, centre_id: UUID) -> ExamCentre:
        try:
            return self.repository.get(centre_id)
        except AggregateNotFoundError:
            raise NotFound("Ce centre d'examen n'existe pas.") from None
