"""Reservations of exam seats and the rule of one upcoming seat per candidate."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

# Pure date arithmetic, shared with scheduling's search window.
from services.common.calendar import add_months

PARIS = ZoneInfo("Europe/Paris")
HOLD_DURATION = timedelta(minutes=30)
HORIZON_MONTHS = 3

IN_CART = "dans le panier"
REMOVED = "retirée du panier"
EXPIRED = "expirée"
FULL = "complet"


class BookingError(ValueError):
    """A booking rule says no."""


class AlreadyBooked(BookingError):
    """The candidate already holds an upcoming seat (BO-2)."""


def check_bookable(exam_starts_at: datetime, now: datetime) -> None:
    """BO-2: from 3 months ahead until midnight (Paris) the day before."""
    today = now.astimezone(PARIS).date()
    exam_day = exam_starts_at.astimezone(PARIS).date()
    if exam_day <= today:
        raise BookingError(
            "Les réservations ferment à minuit la veille de l'examen : "
            "choisissez une date à partir de demain."
        )
    if exam_day > add_months(today, HORIZON_MONTHS):
        raise BookingError(
            "Les sessions ne sont ouvertes à la réservation que 3 mois à l'avance."
        )


class CandidateSeat(Aggregate):
    """The one upcoming seat a candidate may hold."""

    @staticmethod
    def create_id(candidate_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-candidate-seat:{candidate_id}")

    class Claimed(Aggregate.Created):
        candidate_id: UUID
        reservation_id: UUID
        exam_starts_at: datetime

    @event(Claimed)
    def __init__(
        self, candidate_id: UUID, reservation_id: UUID, exam_starts_at: datetime
    ) -> None:
        self.candidate_id = candidate_id
        self.reservation_id: UUID | None = reservation_id
        self.exam_starts_at = exam_starts_at

    class Reclaimed(Aggregate.Event):
        reservation_id: UUID
        exam_starts_at: datetime

    def claim(
        self, reservation_id: UUID, exam_starts_at: datetime, now: datetime
    ) -> None:
        if self.reservation_id is not None and self.exam_starts_at > now:
            raise AlreadyBooked(
                "Ce candidat a déjà une place réservée pour un examen à venir."
            )
        self._reclaimed(reservation_id=reservation_id, exam_starts_at=exam_starts_at)

    @event(Reclaimed)
    def _reclaimed(self, reservation_id: UUID, exam_starts_at: datetime) -> None:
        self.reservation_id = reservation_id
        self.exam_starts_at = exam_starts_at

    class Freed(Aggregate.Event):
        reservation_id: UUID

    def free(self, reservation_id: UUID) -> None:
        if self.reservation_id == reservation_id:
            self._freed(reservation_id=reservation_id)

    @event(Freed)
    def _freed(self, reservation_id: UUID) -> None:
        self.reservation_id = None


MOVED = "créneau modifié"
CONFIRMED = "confirmée"


class Reservation(Aggregate):
    """One candidate's seat in one session, from the cart onwards (BO-2…BO-5)."""

    @staticmethod
    def create_id(reservation_id: UUID) -> UUID:
        # Chosen by the application: the seat is asked for under this id first.
        return reservation_id

    class Held(Aggregate.Created):
        reservation_id: UUID
        school_id: str
        candidate_id: UUID
        neph: str
        candidate_name: str
        session_id: UUID
        centre_name: str
        centre_city: str
        exam_starts_at: datetime
        expires_at: datetime
        centre_address: str = ""

    @event(Held)
    def __init__(
        self,
        reservation_id: UUID,
        school_id: str,
        candidate_id: UUID,
        neph: str,
        candidate_name: str,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        exam_starts_at: datetime,
        expires_at: datetime,
        centre_address: str = "",
    ) -> None:
        self.school_id = school_id
        self.centre_address = centre_address
        self.candidate_id = candidate_id
        self.neph = neph
        self.candidate_name = candidate_name
        self.session_id = session_id
        self.centre_name = centre_name
        self.centre_city = centre_city
        self.exam_starts_at = exam_starts_at
        self.expires_at = expires_at
        self.status = IN_CART

    class Released(Aggregate.Event):
        reason: str
        released_at: datetime

    def release(self, reason: str, at: datetime) -> None:
        if self.status != IN_CART:
            raise BookingError(f"Cette réservation est « {self.status} ».")
        self._released(reason=reason, released_at=at)

    @event(Released)
    def _released(self, reason: str, released_at: datetime) -> None:
        self.status = reason

    class Confirmed(Aggregate.Event):
        checkout_id: UUID
        confirmed_at: datetime

    def confirm(self, checkout_id: UUID, at: datetime) -> bool:
        """Paid: the seat is the candidate's. False if it left the cart before."""
        if self.status == CONFIRMED:
            return False
        if self.status != IN_CART:
            return False
        self._confirmed(checkout_id=checkout_id, confirmed_at=at)
        return True

    @event(Confirmed)
    def _confirmed(self, checkout_id: UUID, confirmed_at: datetime) -> None:
        self.status = CONFIRMED

    def is_overdue(self, at: datetime) -> bool:
        return self.status == IN_CART and at > self.expires_at
