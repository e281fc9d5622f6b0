"""Booking's copies of what others publish, and the seats they hold: each
session's seats (from scheduling) and each school's bookable files (from
candidates), with the one upcoming seat a candidate may hold (BO-1, BO-2,
SC-4). A hold changes one of each, with its reservation, in one commit.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

from services.booking.rules import (
    ALREADY_BOOKED,
    AlreadyBooked,
    BookingError,
    CandidateNotBookable,
    SessionFull,
    check_bookable,
    session_share_reached,
)


class CopiedCheaply:
    """An aggregate copied field by field, its containers one level deep.

    The aggregate cache hands out a deep copy of each aggregate a command
    changes; `copy.deepcopy` walked every object and was a fifth of a hold's
    time. Every value these aggregates keep, in their fields and in their
    dicts, is immutable (str, int, bool, UUID, datetime, frozen events), so
    the copy shares them and the cached original stays untouched.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> object:
        copy = object.__new__(type(self))
        copy.__dict__.update(
            (name, value.copy() if isinstance(value, dict | list | set) else value)
            for name, value in self.__dict__.items()
        )
        return copy


class SessionSeats(CopiedCheaply, Aggregate):
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

    @property
    def schools(self) -> dict[str, str]:
        """Reservation id → the school holding that seat. Seats taken before
        schools were recorded, and snapshots of before, have none."""
        return self.__dict__.setdefault("held_by", {})

    def held_by_school(self, school_id: str) -> int:
        return sum(1 for school in self.schools.values() if school == school_id)

    class SlotReserved(Aggregate.Event):
        reservation_id: UUID
        candidate_id: UUID
        free_seats: int
        school_id: str = ""

    def reserve(
        self,
        reservation_id: UUID,
        candidate_id: UUID,
        now: datetime,
        school_id: str = "",
        school_cap: int | None = None,
    ) -> None:
        """A seat for `candidate_id`, unless the session is closed or full, or
        its school has `school_cap` of its seats already (issue 12)."""
        self.check_open(now)
        if school_cap is not None and self.held_by_school(school_id) >= school_cap:
            raise session_share_reached(school_cap, self.seats)
        self._slot_reserved(
            reservation_id=reservation_id,
            candidate_id=candidate_id,
            free_seats=self.free_seats - 1,
            school_id=school_id,
        )

    @event(SlotReserved)
    def _slot_reserved(
        self,
        reservation_id: UUID,
        candidate_id: UUID,
        free_seats: int,
        school_id: str = "",
    ) -> None:
        self.holders[str(reservation_id)] = str(candidate_id)
        if school_id:
            self.schools[str(reservation_id)] = school_id

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
        self.schools.pop(str(reservation_id), None)

    class Closed(Aggregate.Event):
        cancelled_at: datetime

    def close(self, at: datetime) -> None:
        """Scheduling cancelled the session: no new seat is taken."""
        if not self.cancelled:
            self._closed(cancelled_at=at)

    @event(Closed)
    def _closed(self, cancelled_at: datetime) -> None:
        self.cancelled = True


class BookableCandidate(CopiedCheaply, Aggregate):
    """A school's activated file for a NEPH, and the one upcoming seat it may
    hold (BO-1, BO-2), as candidates published it.

    Who the candidate is (name, birth date, NEPH) is kept sealed with the
    candidate's key (`personal`, sealed by the application): a reservation
    copies it as it is, and forgetting the key erases every copy at once.
    """

    @staticmethod
    def create_id(school_id: str, neph: str) -> UUID:
        # Found from what the school types (its NEPH), with no index to query;
        # a name-based UUID, so the NEPH itself is kept nowhere in clear.
        return uuid5(NAMESPACE_URL, f"pmc-bookable:{school_id}:{neph}")

    class Activated(Aggregate.Created):
        school_id: str
        candidate_id: UUID
        personal: str
        school_name: str = ""

    @event(Activated)
    def __init__(
        self,
        id: UUID,  # create_id(school_id, neph): the NEPH is not kept
        school_id: str,
        candidate_id: UUID,
        personal: str,
        school_name: str = "",
    ) -> None:
        self.school_id = school_id
        self.candidate_id = candidate_id
        self.personal = personal
        self.school_name = school_name
        self.bookable = True
        self.reservation_id: UUID | None = None
        self.exam_starts_at: datetime | None = None
        # Files that ended (archived): never bookable again, even if their
        # activation is heard of after. A dict: snapshots are JSON.
        self.ended: dict[str, bool] = {}

    def takes(self, candidate_id: UUID) -> bool:
        """Whether activating this file would change anything (before its
        data is sealed: an ended file's key must not be made again)."""
        if str(candidate_id) in self.ended:
            return False  # archived already: heard of late, the activation is past
        return not (self.bookable and self.candidate_id == candidate_id)

    class Reactivated(Aggregate.Event):
        candidate_id: UUID
        personal: str
        school_name: str = ""

    def activate(
        self, candidate_id: UUID, personal: str, school_name: str = ""
    ) -> None:
        """The file (or a new file for the same NEPH) is activated."""
        if self.takes(candidate_id):
            self._reactivated(
                candidate_id=candidate_id, personal=personal, school_name=school_name
            )

    @event(Reactivated)
    def _reactivated(
        self, candidate_id: UUID, personal: str, school_name: str = ""
    ) -> None:
        self.candidate_id = candidate_id
        self.personal = personal
        self.school_name = school_name
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

    class Erased(Aggregate.Event):
        candidate_id: UUID

    def erase(self, candidate_id: UUID) -> None:
        """That file was erased (TR-4): no new seat, and its sealed data is
        dropped here (its key is forgotten too: every copy is unreadable). The
        reservations' list forgets it too (projections.py)."""
        self._erased(candidate_id=candidate_id)

    @event(Erased)
    def _erased(self, candidate_id: UUID) -> None:
        self.ended[str(candidate_id)] = True
        if self.candidate_id == candidate_id:
            self.bookable = False
            self.personal = ""

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

    def move(self, reservation_id: UUID, exam_starts_at: datetime) -> None:
        """The seat it holds moved to another date (BO-6): its claim follows."""
        if self.reservation_id == reservation_id:
            self._seat_claimed(
                reservation_id=reservation_id, exam_starts_at=exam_starts_at
            )

    class SeatFreed(Aggregate.Event):
        reservation_id: UUID

    def free(self, reservation_id: UUID) -> None:
        if self.reservation_id == reservation_id:
            self._seat_freed(reservation_id=reservation_id)

    @event(SeatFreed)
    def _seat_freed(self, reservation_id: UUID) -> None:
        self.reservation_id = None


# Events and snapshots stored before these aggregates left domain.py name
# them there: the old topics still resolve (nested event classes too).
for _moved in (SessionSeats, BookableCandidate):
    register_topic(f"services.booking.domain:{_moved.__qualname__}", _moved)
