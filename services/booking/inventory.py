"""Booking's own copies of what it decides on: the sessions' seats (from
scheduling's events) and the bookable candidates (from candidates' events),
kept in memory as this process last saved them.

A hold reads nothing from the store on its usual path. Another replica's write
makes a copy stale: the save then fails its version check and forgets the
copies (`ServiceApplication.save`), and a refusal is only given on the store's
word (`on_the_stores_word`)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cached_property
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.booking.carts import SchoolCart
from services.booking.rules import BookingError, CandidateNotBookable, HoldLimits
from services.booking.sealed import CandidateKeys
from services.booking.seats import BookableCandidate, SessionSeats
from services.booking.waiting_list import FILE_ARCHIVED, FILE_ERASED
from services.common import inputs
from services.common.group_commit import GroupCommit
from services.common.store import ServiceApplication, retry_on_conflict

BUSY = "Trop de demandes simultanées sur cette session : réessayez."
T = TypeVar("T")
# Answers given on a stale copy would be wrong: given on the store's word only.
REFUSALS = (BookingError, CandidateNotBookable, LookupError)
# Conflicts left after the per-session lock come from another replica or from
# the same candidate booked twice at once: a few attempts settle them.
ATTEMPTS = 10


class SessionNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("Cette session d'examen n'existe pas.")


class Catalogue(Protocol):
    """The owners' answers, asked only when booking's copy does not know yet
    (a file confirmed or a session opened a moment ago, not yet relayed)."""

    def candidate(self, school_id: str, neph: str) -> dict[str, Any]: ...

    def session(self, session_id: str) -> dict[str, Any]: ...


class SeatLocks:
    """One lock per session in this process: concurrent holds on one session
    queue up for a few milliseconds instead of colliding on its version and
    retrying (measured: see tests/benchmarks/booking.py)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[UUID, Any] = (
            weakref.WeakValueDictionary()
        )
        self._guard = threading.Lock()

    @contextmanager
    def held(self, *session_ids: UUID) -> Iterator[None]:
        with ExitStack() as stack:
            for session_id in sorted(set(session_ids)):  # one order: no deadlock
                with self._guard:
                    lock = self._locks.get(session_id)
                    if lock is None:
                        lock = self._locks[session_id] = threading.Lock()
                stack.enter_context(lock)
            yield


class Inventory(ServiceApplication):
    """Sessions' seats and bookable candidates, as booking keeps them."""

    @cached_property
    def locks(self) -> SeatLocks:
        return SeatLocks()

    @cached_property
    def candidate_keys(self) -> CandidateKeys:
        """Candidates' keys of booking's own, in the key store."""
        return CandidateKeys(self.keystore, owner=self.name)

    def _known_candidate(self, school_id: str, neph: str, catalogue: Catalogue) -> UUID:
        """BO-1: that booking has a copy of the school's file for this NEPH;
        asked to candidates only when the copy has not heard of it yet. The
        copy's id (a name-based UUID, worth computing once per hold)."""
        bookable_id = BookableCandidate.create_id(school_id, inputs.compact(neph))
        try:
            self._load(bookable_id, to_change=False)
            return bookable_id
        except AggregateNotFoundError:
            pass
        file = catalogue.candidate(school_id, neph)  # raises when not activated
        name = f"{file['given_names']} {file['birth_name']}"
        self.candidate_activated(
            school_id,
            neph,
            UUID(file["id"]),
            name,
            birth_date=file.get("birth_date") or "",
            school_name=file.get("school_name") or "",
        )
        return bookable_id

    def candidate_activated(
        self,
        school_id: str,
        neph: str,
        candidate_id: UUID,
        name: str | None,
        tracking: Any = None,
        birth_date: str = "",
        school_name: str = "",
    ) -> None:
        """A file booking may book (BO-1): who it is, sealed with the
        candidate's key. `name` None: the activation's message was sealed
        for a candidate erased since, so nothing is sealed (no key is made
        again for them) and the erasure, on its way, ends the file."""
        neph = inputs.compact(neph)
        who = {"candidate_name": name, "birth_date": birth_date, "neph": neph}

        def sealed() -> str:
            return "" if name is None else self.candidate_keys.seal(candidate_id, who)

        def attempt() -> None:
            try:
                candidate = self._candidate(school_id, neph)
                # Told twice, or ended already: nothing to seal or change.
                if candidate.takes(candidate_id):
                    candidate.activate(candidate_id, sealed(), school_name)
            except AggregateNotFoundError:
                candidate = BookableCandidate(
                    id=BookableCandidate.create_id(school_id, neph),
                    school_id=school_id,
                    candidate_id=candidate_id,
                    personal=sealed(),
                    school_name=school_name,
                )
            self.save(candidate, tracking=tracking)

        retry_on_conflict(attempt, ATTEMPTS, BookingError(BUSY))

    def candidate_withdrawn(
        self, school_id: str, neph: str, candidate_id: UUID, tracking: Any
    ) -> None:
        """An archived file takes no new seat."""
        self._file_ended(school_id, neph, candidate_id, tracking, erased=False)

    def candidate_erased(
        self, school_id: str, neph: str, candidate_id: UUID, tracking: Any
    ) -> None:
        """An erased file takes no new seat; what booking sealed of its
        candidate can no longer be opened, anywhere."""
        self._file_ended(school_id, neph, candidate_id, tracking, erased=True)
        # After the file is ended here: an activation saved before it (heard
        # of late, after the candidates service forgot the keys) sealed with a
        # key made again, forgotten now; one heard of after seals nothing.
        self.candidate_keys.forget(candidate_id)

    def _file_ended(
        self,
        school_id: str,
        neph: str,
        candidate_id: UUID,
        tracking: Any,
        erased: bool,
    ) -> None:
        neph = inputs.compact(neph)

        def attempt() -> None:
            try:
                candidate = self._candidate(school_id, neph)
            except AggregateNotFoundError:
                # Ended before booking heard of its activation (each event
                # type has its queue and its retries): recorded, so that the
                # activation, when it comes, finds the file ended.
                candidate = BookableCandidate(
                    id=BookableCandidate.create_id(school_id, neph),
                    school_id=school_id,
                    candidate_id=candidate_id,
                    personal="",
                )
            if erased:
                candidate.erase(candidate_id)
            else:
                candidate.withdraw(candidate_id)
            # Its places in waiting lists end with it (EX-2), in one commit;
            # who it was travels with the notices (nothing once erased).
            lines = self._lines_left_by(
                school_id,
                candidate_id,
                candidate.personal if candidate.candidate_id == candidate_id else "",
                FILE_ERASED if erased else FILE_ARCHIVED,
            )
            self.save(candidate, *lines, tracking=tracking)

        retry_on_conflict(attempt, ATTEMPTS, BookingError(BUSY))

    def _known_seats(self, session_id: UUID, catalogue: Catalogue) -> None:
        """That booking has a session's seats; asked to scheduling only the
        first time."""
        try:
            self._seats(session_id, to_change=False)
            return
        except SessionNotFound:
            pass
        self.session_scheduled(catalogue.session(str(session_id)))

    def session_scheduled(self, session: dict[str, Any], tracking: Any = None) -> None:
        """Scheduling opened a session (its event, or its answer to a lookup)."""
        try:
            self.save(
                SessionSeats(
                    session_id=UUID(str(session["session_id"])),
                    centre_id=UUID(str(session["centre_id"])),
                    centre_name=session["centre_name"],
                    centre_address=session["centre_address"],
                    centre_city=session["centre_city"],
                    departement=session["departement"],
                    kind=session["kind"],
                    starts_at=session["starts_at"],
                    seats=session["seats"],
                ),
                tracking=tracking,
            )
        except IntegrityError:
            # Known already (a lookup came first): only the message is recorded.
            if tracking is not None:
                self.record_processed(tracking)

    def session_cancelled(self, session_id: UUID, tracking: Any) -> None:
        def attempt() -> None:
            try:
                seats = self._seats(session_id)
            except SessionNotFound:
                # Cancelled before booking heard of it (each event type has its
                # queue and its retries): no seat, so the opening that may
                # still come is only recorded (see session_scheduled).
                seats = SessionSeats.unknown_cancelled(session_id, self.now)
            seats.close(self.now)
            self.save(seats, tracking=tracking)

        with self.locks.held(session_id):
            retry_on_conflict(attempt, ATTEMPTS, BookingError(BUSY))

    # -- the school's cart (issue 12) ----------------------------------------------

    @property
    def hold_limits(self) -> HoldLimits:
        return HoldLimits(
            per_school=self.settings.holds_per_school,
            session_percent=self.settings.holds_session_percent,
        )

    def _cart(self, school_id: str) -> SchoolCart:
        """The school's cart as booking counts it; a new one at its first hold."""
        try:
            cart = self._load(SchoolCart.create_id(school_id))
        except AggregateNotFoundError:
            return SchoolCart.of(school_id)
        return cart

    def _lines_left(self, reservations: list[Any]) -> list[SchoolCart]:
        """The carts these reservations leave (paid, removed, moved, expired)."""
        carts: dict[str, SchoolCart] = {}
        for reservation in reservations:
            school_id = reservation.school_id
            if school_id not in carts:
                try:
                    carts[school_id] = self._load(SchoolCart.create_id(school_id))
                except AggregateNotFoundError:
                    continue  # held before carts were counted
            carts[school_id].remove(reservation.id)
        return list(carts.values())

    # -- copies in memory ------------------------------------------------------------

    def on_the_stores_word(self, decide: Callable[[], T]) -> T:
        """`decide()`, on copies from memory; a refusal only once `decide()`
        refused again on what the store says (another replica may have
        changed what this one remembers)."""
        try:
            return decide()
        except REFUSALS:
            self._fresh.reads = True
            try:
                return decide()
            finally:
                self._fresh.reads = False

    @cached_property
    def _fresh(self) -> threading.local:
        return threading.local()

    def _load(self, aggregate_id: UUID, to_change: bool = True) -> Any:
        """An aggregate; a copy of the cached one when it is `to_change`
        (a command on it must not change the cache), the cached one itself
        when it is only looked at."""
        if getattr(self._fresh, "reads", False):
            self.forget_id(aggregate_id)
        return self.repository.get(aggregate_id, deepcopy_from_cache=to_change)

    @cached_property
    def group(self) -> GroupCommit:
        """Holds arriving together are written in one commit."""
        return GroupCommit(self)

    def _candidate(
        self, school_id: str, neph: str, to_change: bool = True
    ) -> BookableCandidate:
        """Booking's copy of a school's file (AggregateNotFoundError if none)."""
        key = BookableCandidate.create_id(school_id, inputs.compact(neph))
        return self._load(key, to_change)

    def _bookable(self, bookable_id: UUID) -> BookableCandidate:
        """The file a reservation claimed its seat from (AggregateNotFoundError
        if none)."""
        return self._load(bookable_id)

    def _seats(self, session_id: UUID, to_change: bool = True) -> SessionSeats:
        try:
            seats = self._load(SessionSeats.create_id(session_id), to_change)
        except AggregateNotFoundError:
            raise SessionNotFound() from None
        if not isinstance(seats, SessionSeats):
            raise SessionNotFound()
        return seats
