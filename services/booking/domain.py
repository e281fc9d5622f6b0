"""Seats, the candidates who may take them, and reservations (BO-1…BO-5, SC-4).

Booking owns the seat inventory: a hold writes the reservation, the candidate's
one upcoming seat and the session's seat in one commit, so two holds racing for
the last seat meet one version check (SC-4). The sessions and the bookable
candidates are booking's own copies of what scheduling and candidates publish.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

# Pure date arithmetic, shared with scheduling's search window.
from services.common.calendar import bookable_days

PARIS = ZoneInfo("Europe/Paris")
HOLD_DURATION = timedelta(minutes=30)

IN_CART = "dans le panier"
REMOVED = "retirée du panier"
EXPIRED = "expirée"
MOVED = "créneau modifié"
CONFIRMED = "confirmée"

ALREADY_BOOKED = "Ce candidat a déjà une place réservée pour un examen à venir."
NOT_BOOKABLE = "Aucun dossier activé ne correspond à ce NEPH dans votre auto-école."


class BookingError(ValueError):
    """A booking rule says no."""


class AlreadyBooked(BookingError):
    """The candidate already holds an upcoming seat (BO-2)."""


class SessionFull(BookingError):
    """No free seat left (SC-4)."""


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


class SessionSeats(Aggregate):
    """The seats of one exam session, as scheduling published it (SC-4)."""

    @staticmethod
    def create_id(session_id: UUID) -> UUID:
        return session_id  # scheduling's id: one inventory per session

    class Opened(Aggregate.Created):
        session_id: UUID
        centre_id: UUID
        centre_name: str
        centre_address: str
        centre_city: str
        departement: str
        kind: str
        starts_at: datetime
        seats: int

    @event(Opened)
    def __init__(
        self,
        session_id: UUID,
        centre_id: UUID,
        centre_name: str,
        centre_address: str,
        centre_city: str,
        departement: str,
        kind: str,
        starts_at: datetime,
        seats: int,
    ) -> None:
        self.centre_id = centre_id
        self.centre_name = centre_name
        self.centre_address = centre_address
        self.centre_city = centre_city
        self.departement = departement
        self.kind = kind
        self.starts_at = starts_at
        self.seats = seats
        # reservation id → candidate id. A dict: snapshots are JSON.
        self.holders: dict[str, str] = {}
        self.cancelled = False

    @classmethod
    def unknown_cancelled(cls, session_id: UUID, at: datetime) -> SessionSeats:
        """A session cancelled before booking heard of its opening: no seat."""
        return cls(
            session_id=session_id,
            centre_id=UUID(int=0),
            centre_name="",
            centre_address="",
            centre_city="",
            departement="",
            kind="",
            starts_at=at,
            seats=0,
        )

    @property
    def free_seats(self) -> int:
        return self.seats - len(self.holders)

    def check_open(self, now: datetime) -> None:
        """Raise unless a seat can be taken now: bookable, not cancelled, not full.

        Decided from state alone: a refused hold writes nothing."""
        if self.cancelled:
            raise BookingError(
                "Cette session a été annulée : choisissez un autre créneau."
            )
        check_bookable(self.starts_at, now)
        if self.free_seats <= 0:
            raise SessionFull(
                "Cette session est complète : choisissez un autre créneau."
            )

    class SlotReserved(Aggregate.Event):
        reservation_id: UUID
        candidate_id: UUID
        free_seats: int

    def reserve(self, reservation_id: UUID, candidate_id: UUID, now: datetime) -> None:
        self.check_open(now)
        self._slot_reserved(
            reservation_id=reservation_id,
            candidate_id=candidate_id,
            free_seats=self.free_seats - 1,
        )

    @event(SlotReserved)
    def _slot_reserved(
        self, reservation_id: UUID, candidate_id: UUID, free_seats: int
    ) -> None:
        self.holders[str(reservation_id)] = str(candidate_id)

    class SlotReleased(Aggregate.Event):
        reservation_id: UUID
        reason: str
        free_seats: int

    def release(self, reservation_id: UUID, reason: str) -> None:
        """Free the seat this reservation holds (nothing if it holds none)."""
        if str(reservation_id) in self.holders:
            self._slot_released(
                reservation_id=reservation_id,
                reason=reason,
                free_seats=self.free_seats + 1,
            )

    @event(SlotReleased)
    def _slot_released(
        self, reservation_id: UUID, reason: str, free_seats: int
    ) -> None:
        self.holders.pop(str(reservation_id), None)

    class Closed(Aggregate.Event):
        cancelled_at: datetime

    def close(self, at: datetime) -> None:
        """Scheduling cancelled the session: no new seat is taken."""
        if not self.cancelled:
            self._closed(cancelled_at=at)

    @event(Closed)
    def _closed(self, cancelled_at: datetime) -> None:
        self.cancelled = True


class BookableCandidate(Aggregate):
    """A school's activated file for a NEPH, and the one upcoming seat it may
    hold (BO-1, BO-2), as candidates published it."""

    @staticmethod
    def create_id(school_id: str, neph: str) -> UUID:
        # Found from what the school types (its NEPH), with no index to query.
        return uuid5(NAMESPACE_URL, f"pmc-bookable:{school_id}:{neph}")

    class Activated(Aggregate.Created):
        school_id: str
        neph: str
        candidate_id: UUID
        candidate_name: str

    @event(Activated)
    def __init__(
        self, school_id: str, neph: str, candidate_id: UUID, candidate_name: str
    ) -> None:
        self.school_id = school_id
        self.neph = neph
        self.candidate_id = candidate_id
        self.candidate_name = candidate_name
        self.bookable = True
        self.reservation_id: UUID | None = None
        self.exam_starts_at: datetime | None = None
        # Files that ended (archived): never bookable again, even if their
        # activation is heard of after. A dict: snapshots are JSON.
        self.ended: dict[str, bool] = {}

    class Reactivated(Aggregate.Event):
        candidate_id: UUID
        candidate_name: str

    def activate(self, candidate_id: UUID, candidate_name: str) -> None:
        """The file (or a new file for the same NEPH) is activated."""
        if str(candidate_id) in self.ended:
            return  # archived already: heard of late, the activation is past
        if self.bookable and self.candidate_id == candidate_id:
            return  # told twice (the event after a lookup): nothing changes
        self._reactivated(candidate_id=candidate_id, candidate_name=candidate_name)

    @event(Reactivated)
    def _reactivated(self, candidate_id: UUID, candidate_name: str) -> None:
        self.candidate_id = candidate_id
        self.candidate_name = candidate_name
        self.bookable = True

    class Withdrawn(Aggregate.Event):
        candidate_id: UUID

    def withdraw(self, candidate_id: UUID) -> None:
        """That file ended (archived): no new seat for it."""
        if str(candidate_id) not in self.ended:
            self._withdrawn(candidate_id=candidate_id)

    @event(Withdrawn)
    def _withdrawn(self, candidate_id: UUID) -> None:
        self.ended[str(candidate_id)] = True
        if self.candidate_id == candidate_id:
            self.bookable = False

    def check_bookable(self) -> None:
        if not self.bookable:
            raise CandidateNotBookable()

    class SeatClaimed(Aggregate.Event):
        reservation_id: UUID
        exam_starts_at: datetime

    def claim(
        self, reservation_id: UUID, exam_starts_at: datetime, now: datetime
    ) -> None:
        """BO-2: one upcoming seat per candidate."""
        self.check_bookable()
        if (
            self.reservation_id is not None
            and self.exam_starts_at is not None
            and self.exam_starts_at > now
        ):
            raise AlreadyBooked(ALREADY_BOOKED)
        self._seat_claimed(reservation_id=reservation_id, exam_starts_at=exam_starts_at)

    @event(SeatClaimed)
    def _seat_claimed(self, reservation_id: UUID, exam_starts_at: datetime) -> None:
        self.reservation_id = reservation_id
        self.exam_starts_at = exam_starts_at

    class SeatFreed(Aggregate.Event):
        reservation_id: UUID

    def free(self, reservation_id: UUID) -> None:
        if self.reservation_id == reservation_id:
            self._seat_freed(reservation_id=reservation_id)

    @event(SeatFreed)
    def _seat_freed(self, reservation_id: UUID) -> None:
        self.reservation_id = None


class Reservation(Aggregate):
    """One candidate's seat in one session, from the cart onwards (BO-2…BO-5)."""

    @staticmethod
    def create_id(reservation_id: UUID) -> UUID:
        return reservation_id  # chosen by the application

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

    @classmethod
    def hold(
        cls,
        reservation_id: UUID,
        candidate: BookableCandidate,
        seats: SessionSeats,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> Reservation:
        """A seat of `seats` for `candidate`: the three change together."""
        candidate.check_bookable()
        seats.reserve(reservation_id, candidate.candidate_id, now)
        candidate.claim(reservation_id, seats.starts_at, now)
        return cls(
            reservation_id=reservation_id,
            school_id=candidate.school_id,
            candidate_id=candidate.candidate_id,
            neph=candidate.neph,
            candidate_name=candidate.candidate_name,
            session_id=seats.id,
            centre_name=seats.centre_name,
            centre_city=seats.centre_city,
            centre_address=seats.centre_address,
            exam_starts_at=seats.starts_at,
            expires_at=expires_at or now + HOLD_DURATION,
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
        """Paid. Carries what the convocation needs, so that the relay builds
        `ReservationConfirmed` from this event alone."""

        checkout_id: UUID
        confirmed_at: datetime
        school_id: str
        candidate_id: UUID
        candidate_name: str
        neph: str
        session_id: UUID
        centre_name: str
        centre_address: str
        centre_city: str
        exam_starts_at: datetime

    def confirm(self, checkout_id: UUID, at: datetime) -> bool:
        """Paid: the seat is the candidate's. False if it left the cart before."""
        if self.status != IN_CART:
            return False
        self._confirmed(
            checkout_id=checkout_id,
            confirmed_at=at,
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            candidate_name=self.candidate_name,
            neph=self.neph,
            session_id=self.session_id,
            centre_name=self.centre_name,
            centre_address=self.centre_address,
            centre_city=self.centre_city,
            exam_starts_at=self.exam_starts_at,
        )
        return True

    @event(Confirmed)
    def _confirmed(
        self,
        checkout_id: UUID,
        confirmed_at: datetime,
        school_id: str,
        candidate_id: UUID,
        candidate_name: str,
        neph: str,
        session_id: UUID,
        centre_name: str,
        centre_address: str,
        centre_city: str,
        exam_starts_at: datetime,
    ) -> None:
        self.status = CONFIRMED

    def is_overdue(self, at: datetime) -> bool:
        return self.status == IN_CART and at > self.expires_at
