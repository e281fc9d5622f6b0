"""A session's waiting list (EX-2): schools queue candidates on a full
session; a freed seat is offered to the first in line as a hold in its
school's cart, for a limited time, and passes to the next when unpaid.

The list is an aggregate of its own, changed in the same commit as the seat
it gives: two frees at once meet its version check, so a seat is never
offered twice and an entry never gets two seats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.booking.rules import (
    ALREADY_BOOKED,
    AlreadyBooked,
    BookingError,
    HoldLimits,
    check_bookable,
    session_share_reached,
)
from services.booking.seats import BookableCandidate, CopiedCheaply, SessionSeats

NOT_FULL = (
    "Cette session n'est pas complète : réservez directement une place pour "
    "ce candidat."
)
ALREADY_QUEUED = "Ce candidat est déjà en liste d'attente pour cette session."
SESSION_CANCELLED = "Cette session a été annulée : choisissez un autre créneau."
# Why an entry leaves the list without a seat.
LEFT = "retiré par l'auto-école"
NO_LONGER_BOOKABLE = "dossier plus réservable"
BOOKED_ELSEWHERE = "déjà une place réservée"
SHARE_REACHED = "part de la session atteinte"
NOT_FOUND = "dossier introuvable"
FILE_ARCHIVED = "dossier archivé"
FILE_ERASED = "dossier supprimé"
# The operator cancelled the session (SC-2): its whole line is dropped.
SESSION_GONE = "session annulée"


class WaitingListError(BookingError):
    """A waiting-list rule says no."""


class WaitingEntryNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("Cette inscription en liste d'attente est introuvable.")


def holds_upcoming_seat(candidate: BookableCandidate, now: datetime) -> bool:
    """BO-2: the candidate already has a seat (held or paid) for an exam to come."""
    return (
        candidate.reservation_id is not None
        and candidate.exam_starts_at is not None
        and candidate.exam_starts_at > now
    )


def why_not_offered(
    candidate: BookableCandidate,
    seats: SessionSeats,
    limits: HoldLimits,
    now: datetime,
) -> str | None:
    """Why a freed seat cannot go to this candidate, decided before anything
    changes (a hold refused halfway would leave the seat half taken); None
    when it can."""
    if not candidate.bookable:
        return NO_LONGER_BOOKABLE
    if holds_upcoming_seat(candidate, now):
        return BOOKED_ELSEWHERE
    if seats.held_by_school(candidate.school_id) >= limits.in_session(seats.seats):
        return SHARE_REACHED
    return None


def can_be_offered(seats: SessionSeats, now: datetime) -> bool:
    """A seat of this session can be given now: not cancelled, still
    bookable (BO-2), one free."""
    try:
        seats.check_open(now)
    except BookingError:
        return False
    return True


class WaitingList(CopiedCheaply, Aggregate):
    """The candidates waiting for a seat of one session, first come first."""

    @staticmethod
    def create_id(session_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-waiting-list:{session_id}")

    class Opened(Aggregate.Created):
        session_id: UUID

    @event(Opened)
    def __init__(self, session_id: UUID) -> None:
        self.session_id = session_id
        # In line, first first. Dicts of strings (snapshots are JSON), never
        # changed in place: a copy shares them (CopiedCheaply).
        self.entries: list[dict[str, str]] = []

    @classmethod
    def of(cls, session_id: UUID) -> WaitingList:
        return cls(session_id=session_id)

    # -- queueing ----------------------------------------------------------------

    class Queued(Aggregate.Event):
        entry_id: UUID
        school_id: str
        bookable_id: UUID
        candidate_id: UUID
        queued_at: datetime

    def queue(
        self,
        entry_id: UUID,
        candidate: BookableCandidate,
        seats: SessionSeats,
        limits: HoldLimits,
        now: datetime,
    ) -> None:
        """Queue an activated file of the school on this session, if full and
        if the school could take one more of its seats (issue 12)."""
        candidate.check_bookable()
        if seats.cancelled:
            raise WaitingListError(SESSION_CANCELLED)
        check_bookable(seats.starts_at, now)
        if seats.free_seats > 0:
            raise WaitingListError(NOT_FULL)
        if any(e["bookable_id"] == str(candidate.id) for e in self.entries):
            raise WaitingListError(ALREADY_QUEUED)
        if holds_upcoming_seat(candidate, now):
            raise AlreadyBooked(ALREADY_BOOKED)
        cap = limits.in_session(seats.seats)
        if seats.held_by_school(candidate.school_id) >= cap:
            raise session_share_reached(cap, seats.seats)
        self._queued(
            entry_id=entry_id,
            school_id=candidate.school_id,
            bookable_id=candidate.id,
            candidate_id=candidate.candidate_id,
            queued_at=now,
        )

    @event(Queued)
    def _queued(
        self,
        entry_id: UUID,
        school_id: str,
        bookable_id: UUID,
        candidate_id: UUID,
        queued_at: datetime,
    ) -> None:
        entry = {
            "entry_id": str(entry_id),
            "school_id": school_id,
            "bookable_id": str(bookable_id),
            "candidate_id": str(candidate_id),
            "queued_at": queued_at.isoformat(),
        }
        self.entries = [*self.entries, entry]

    # -- reading -----------------------------------------------------------------

    def of_school(self, school_id: str) -> list[dict[str, Any]]:
        """The school's entries, each with its rank in the whole line (1: next)."""
        return [
            {**entry, "rank": rank}
            for rank, entry in enumerate(self.entries, start=1)
            if entry["school_id"] == school_id
        ]

    def entry(self, entry_id: UUID, school_id: str) -> dict[str, str]:
        """One of the school's entries; another school's is not found."""
        for entry in self.entries:
            if entry["entry_id"] == str(entry_id) and entry["school_id"] == school_id:
                return entry
        raise WaitingEntryNotFound()

    # -- leaving -----------------------------------------------------------------

    class Left(Aggregate.Event):
        entry_id: UUID
        reason: str

    def leave(self, entry_id: UUID, school_id: str) -> None:
        """The school takes its candidate out of the line."""
        self.entry(entry_id, school_id)
        self._left(entry_id=entry_id, reason=LEFT)

    class Dropped(Aggregate.Event):
        """The platform, not the school, took the entry out of the line (file
        ended, booked elsewhere, share reached, session cancelled). Carries
        what `WaitingEntryDropped` publishes, from this event alone: who the
        candidate is travels as the file had it sealed (`personal`, copied,
        never opened here; "" when the file is gone)."""

        entry_id: UUID
        reason: str
        school_id: str
        candidate_id: UUID
        session_id: UUID
        centre_name: str
        centre_city: str
        exam_starts_at: datetime
        # The operator's words when the session was cancelled; "" otherwise.
        operator_reason: str = ""
        personal: str = ""

    def drop(
        self,
        entry: dict[str, str],
        seats: SessionSeats,
        reason: str,
        operator_reason: str = "",
        personal: str = "",
    ) -> None:
        """The entry can no longer take a seat: its school is told why."""
        self._dropped(
            entry_id=UUID(entry["entry_id"]),
            reason=reason,
            school_id=entry["school_id"],
            candidate_id=UUID(entry["candidate_id"]),
            session_id=seats.id,
            centre_name=seats.centre_name,
            centre_city=seats.centre_city,
            exam_starts_at=seats.starts_at,
            operator_reason=operator_reason,
            personal=personal,
        )

    def drop_file(
        self, candidate_id: UUID, personal: str, seats: SessionSeats, reason: str
    ) -> bool:
        """The candidate's file ended (archived, erased): its entry leaves the
        line at once rather than when a seat frees (`personal`: who it is,
        sealed). Whether it was in line."""
        gone = [e for e in self.entries if e["candidate_id"] == str(candidate_id)]
        for entry in gone:
            self.drop(entry, seats, reason, personal=personal)
        return bool(gone)

    def drop_all(
        self, seats: SessionSeats, operator_reason: str, personal: dict[str, str]
    ) -> int:
        """The session was cancelled: nobody in line will get a seat of it.
        `personal`: each file's sealed data, by its id (bookable_id). How many
        entries were dropped (none the second time)."""
        entries = list(self.entries)
        for entry in entries:
            sealed = personal.get(entry["bookable_id"], "")
            self.drop(entry, seats, SESSION_GONE, operator_reason, sealed)
        return len(entries)

    @event(Dropped)
    def _dropped(
        self,
        entry_id: UUID,
        reason: str,
        school_id: str,
        candidate_id: UUID,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        exam_starts_at: datetime,
        operator_reason: str = "",
        personal: str = "",
    ) -> None:
        self.entries = [e for e in self.entries if e["entry_id"] != str(entry_id)]

    @event(Left)
    def _left(self, entry_id: UUID, reason: str) -> None:
        self.entries = [e for e in self.entries if e["entry_id"] != str(entry_id)]

    # -- offering ----------------------------------------------------------------

    class SeatOffered(Aggregate.Event):
        """The first in line got a freed seat, held in its school's cart until
        `expires_at`. Carries what `SeatOffered` publishes, from this event
        alone (no personal data: ids and the exam)."""

        entry_id: UUID
        reservation_id: UUID
        school_id: str
        candidate_id: UUID
        session_id: UUID
        centre_name: str
        centre_city: str
        exam_starts_at: datetime
        expires_at: datetime

    def offered(
        self,
        entry: dict[str, str],
        reservation_id: UUID,
        seats: SessionSeats,
        expires_at: datetime,
    ) -> None:
        """The entry leaves the line with the seat held for it."""
        self._seat_offered(
            entry_id=UUID(entry["entry_id"]),
            reservation_id=reservation_id,
            school_id=entry["school_id"],
            candidate_id=UUID(entry["candidate_id"]),
            session_id=seats.id,
            centre_name=seats.centre_name,
            centre_city=seats.centre_city,
            exam_starts_at=seats.starts_at,
            expires_at=expires_at,
        )

    @event(SeatOffered)
    def _seat_offered(
        self,
        entry_id: UUID,
        reservation_id: UUID,
        school_id: str,
        candidate_id: UUID,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        exam_starts_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.entries = [e for e in self.entries if e["entry_id"] != str(entry_id)]


class SchoolWaitingLists(CopiedCheaply, Aggregate):
    """The sessions a school queued candidates on, to list its entries without
    a read model. Only added to (at queueing, not when an entry leaves): a
    session where it has no entry left simply shows none."""

    @staticmethod
    def create_id(school_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-school-waiting-lists:{school_id}")

    class Opened(Aggregate.Created):
        school_id: str

    @event(Opened)
    def __init__(self, id: UUID, school_id: str) -> None:
        self.school_id = school_id
        # Session id → when the school first queued on it. A dict: JSON.
        self.sessions: dict[str, str] = {}

    @classmethod
    def of(cls, school_id: str) -> SchoolWaitingLists:
        return cls(id=cls.create_id(school_id), school_id=school_id)

    class SessionAdded(Aggregate.Event):
        session_id: UUID
        added_at: datetime

    def add(self, session_id: UUID, now: datetime) -> None:
        if str(session_id) not in self.sessions:
            self._session_added(session_id=session_id, added_at=now)

    @event(SessionAdded)
    def _session_added(self, session_id: UUID, added_at: datetime) -> None:
        self.sessions[str(session_id)] = added_at.isoformat()
