"""Reservations, and the rules and wording of holding a seat (BO-1…BO-5, SC-4).

Booking owns the seat inventory: a hold writes the reservation, the candidate's
one upcoming seat and the session's seat in one commit, so two holds racing for
the last seat meet one version check (SC-4). The sessions and the bookable
candidates, booking's own copies of what scheduling and candidates publish,
are in seats.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

# Pure date arithmetic, shared with scheduling's search window.
from services.common.calendar import bookable_days

if TYPE_CHECKING:  # a reservation is held on them; they live in seats.py
    from services.booking.carts import SchoolCart
    from services.booking.seats import BookableCandidate, SessionSeats

PARIS = ZoneInfo("Europe/Paris")
HOLD_DURATION = timedelta(minutes=30)

IN_CART = "dans le panier"
REMOVED = "retirée du panier"
EXPIRED = "expirée"
MOVED = "créneau modifié"
CONFIRMED = "confirmée"
# Paid by a SEPA debit the bank gave back: the seat is freed, the
# convocation void.
CANCELLED_UNPAID = "annulée (prélèvement impayé)"

ALREADY_BOOKED = "Ce candidat a déjà une place réservée pour un examen à venir."
NOT_BOOKABLE = "Aucun dossier activé ne correspond à ce NEPH dans votre auto-école."


class BookingError(ValueError):
    """A booking rule says no."""


class AlreadyBooked(BookingError):
    """The candidate already holds an upcoming seat (BO-2)."""


class SessionFull(BookingError):
    """No free seat left (SC-4)."""


class HoldLimitReached(BookingError):
    """One more seat would pass a cap on what one school holds (issue 12)."""


@dataclass(frozen=True)
class HoldLimits:
    """What one school may hold (settings `PMC_HOLDS_*`): unpaid lines in its
    cart at once, and a share of one session's seats (held or paid), so that
    no school takes a whole session's seats and re-holds them unpaid."""

    per_school: int
    session_percent: int

    def in_session(self, seats: int) -> int:
        """The seats of a session of `seats` one school may have: its share,
        rounded up, and at least one."""
        return max(1, -(-seats * self.session_percent // 100))


def cart_full(cap: int) -> HoldLimitReached:
    return HoldLimitReached(
        f"Votre panier compte déjà {cap} réservations non payées, le maximum "
        "permis à une auto-école : payez-les ou retirez-en avant d'en ajouter."
    )


def session_share_reached(cap: int, seats: int) -> HoldLimitReached:
    return HoldLimitReached(
        f"Votre auto-école a déjà {cap} des {seats} places de cette session, le "
        "maximum permis à une auto-école : choisissez un autre créneau."
    )


class CandidateNotBookable(LookupError):
    """No activated file of this school for this NEPH (BO-1)."""

    def __init__(self) -> None:
        super().__init__(NOT_BOOKABLE)


def check_bookable(exam_starts_at: datetime, now: datetime) -> None:
    """BO-2: from 3 months ahead until midnight (Paris) the day before."""
    first, last = bookable_days(now.astimezone(PARIS).date())
    exam_day = exam_starts_at.astimezone(PARIS).date()
    if exam_day < first:
        raise BookingError(
            "Les réservations ferment à minuit la veille de l'examen : "
            "choisissez une date à partir de demain."
        )
    if exam_day > last:
        raise BookingError(
            "Les sessions ne sont ouvertes à la réservation que 3 mois à l'avance."
        )


class Reservation(Aggregate):
    """One candidate's seat in one session, from the cart onwards (BO-2…BO-5).

    Who it is for is the bookable file's sealed copy (`personal`), carried as
    it is: a hold neither seals nor opens anything."""

    @staticmethod
    def create_id(reservation_id: UUID) -> UUID:
        return reservation_id  # chosen by the application

    class Held(Aggregate.Created):
        reservation_id: UUID
        school_id: str
        candidate_id: UUID
        # The BookableCandidate the seat was claimed from (its id, not the NEPH).
        bookable_id: UUID
        personal: str
        session_id: UUID
        centre_name: str
        centre_city: str
        centre_address: str
        exam_starts_at: datetime
        expires_at: datetime
        school_name: str
        departement: str

    @event(Held)
    def __init__(
        self,
        reservation_id: UUID,
        school_id: str,
        candidate_id: UUID,
        bookable_id: UUID,
        personal: str,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        centre_address: str,
        exam_starts_at: datetime,
        expires_at: datetime,
        school_name: str,
        departement: str,
    ) -> None:
        self.school_id = school_id
        self.candidate_id = candidate_id
        self.bookable_id = bookable_id
        self.personal = personal
        self.session_id = session_id
        self.centre_name = centre_name
        self.centre_city = centre_city
        self.centre_address = centre_address
        self.exam_starts_at = exam_starts_at
        self.expires_at = expires_at
        self.school_name = school_name
        self.departement = departement
        self.status = IN_CART
        self.checkout_id: UUID | None = None

    @classmethod
    def hold(
        cls,
        reservation_id: UUID,
        candidate: BookableCandidate,
        seats: SessionSeats,
        cart: SchoolCart,
        limits: HoldLimits,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> Reservation:
        """A seat of `seats` for `candidate`, a line in the school's `cart`:
        the four change together, within the school's `limits`."""
        candidate.check_bookable()
        expires_at = expires_at or now + HOLD_DURATION
        seats.reserve(
            reservation_id,
            candidate.candidate_id,
            now,
            school_id=candidate.school_id,
            school_cap=limits.in_session(seats.seats),
        )
        cart.add(reservation_id, expires_at, now, limits.per_school)
        candidate.claim(reservation_id, seats.starts_at, now)
        return cls(
            reservation_id=reservation_id,
            school_id=candidate.school_id,
            candidate_id=candidate.candidate_id,
            bookable_id=candidate.id,
            personal=candidate.personal,
            session_id=seats.id,
            centre_name=seats.centre_name,
            centre_city=seats.centre_city,
            centre_address=seats.centre_address,
            exam_starts_at=seats.starts_at,
            expires_at=expires_at,
            school_name=candidate.school_name,
            departement=seats.departement,
        )

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
        """Paid. Carries what the convocation needs (who, sealed), so that the
        relay builds `ReservationConfirmed` from this event alone."""

        checkout_id: UUID
        confirmed_at: datetime
        school_id: str
        candidate_id: UUID
        personal: str
        session_id: UUID
        centre_name: str
        centre_address: str
        centre_city: str
        exam_starts_at: datetime
        school_name: str
        departement: str

    def confirm(self, checkout_id: UUID, at: datetime) -> bool:
        """Paid: the seat is the candidate's. False if it left the cart before."""
        if self.status != IN_CART:
            return False
        self._confirmed(
            checkout_id=checkout_id,
            confirmed_at=at,
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            personal=self.personal,
            session_id=self.session_id,
            centre_name=self.centre_name,
            centre_address=self.centre_address,
            centre_city=self.centre_city,
            exam_starts_at=self.exam_starts_at,
            school_name=self.school_name,
            departement=self.departement,
        )
        return True

    @event(Confirmed)
    def _confirmed(
        self,
        checkout_id: UUID,
        confirmed_at: datetime,
        school_id: str,
        candidate_id: UUID,
        personal: str,
        session_id: UUID,
        centre_name: str,
        centre_address: str,
        centre_city: str,
        exam_starts_at: datetime,
        school_name: str,
        departement: str,
    ) -> None:
        self.status = CONFIRMED
        self.checkout_id = checkout_id

    class CancelledUnpaid(Aggregate.Event):
        """The payment's debit came back: the seat is given back."""

        checkout_id: UUID
        reason: str
        cancelled_at: datetime

    def cancel_unpaid(self, checkout_id: UUID, reason: str, at: datetime) -> bool:
        """Cancelled if this payment (and no other) paid for it and its exam is
        still to come; False otherwise (cancelled already, paid otherwise,
        exam passed), and nothing changes."""
        if (
            self.status != CONFIRMED
            or self.checkout_id != checkout_id
            or self.exam_starts_at <= at
        ):
            return False
        self._cancelled_unpaid(checkout_id=checkout_id, reason=reason, cancelled_at=at)
        return True

    @event(CancelledUnpaid)
    def _cancelled_unpaid(
        self, checkout_id: UUID, reason: str, cancelled_at: datetime
    ) -> None:
        self.status = CANCELLED_UNPAID

    def is_overdue(self, at: datetime) -> bool:
        return self.status == IN_CART and at > self.expires_at
