"""Booking: seats, the cart of held seats and the school's reservations
(BO-1…BO-5, SC-4)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.booking.cancellations import Cancellations
from services.booking.carts import SchoolCart
from services.booking.changes import Changes
from services.booking.convocations import convocation_fields
from services.booking.deadlines import CONFIRMED
from services.booking.domain import Reservation
from services.booking.inventory import (
    BUSY,
    Catalogue,
    Inventory,
    SessionNotFound,
)
from services.booking.paid_carts import PaidCarts
from services.booking.projections import ReservationList, reservation_row
from services.booking.publications import PUBLISHED
from services.booking.queueing import WaitingLists
from services.booking.reminders import Reminders
from services.booking.reported_steps import ReportedSteps
from services.booking.returned_debits import ReturnedDebits
from services.booking.rules import (
    CHANGED_MEANWHILE,
    EXPIRED,
    IN_CART,
    MOVED,
    REMOVED,
    BookingError,
)
from services.booking.seats import SessionSeats
from services.booking.session_cancellations import SessionCancellations
from services.booking.waiting_list import WaitingList
from services.common import inputs
from services.common.documents import render_convocation
from services.common.errors import UNCERTAIN, PlatformError
from services.common.idempotency import Idempotent, first_answer, once
from services.common.store import retry_on_conflict

log = logging.getLogger(__name__)

HOLD_ATTEMPTS = 10
# How long a cart read waits for the list to show the last writes.
LIST_CATCH_UP_SECONDS = 2.0
ERASED_FILE = (
    "La convocation n'est plus disponible : le dossier du candidat a été effacé."
)


class ReservationNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("Cette réservation est introuvable.")


class BookingApplication(
    Reminders,
    WaitingLists,
    PaidCarts,
    Cancellations,
    Changes,
    ReturnedDebits,
    ReportedSteps,
    SessionCancellations,
    Inventory,
):
    """Holds, releases and lists reservations; keeps each session's seats."""

    name: ClassVar[str] = "booking"
    published: ClassVar = PUBLISHED
    # `ReservationConfirmed` opens who the seat is for (publications.py).
    publishes_sealed: ClassVar = True
    # Seats and candidates are read on every hold: kept in memory as this
    # process last saved them, read from the store only on a miss. Another
    # replica's write makes a copy stale: the save then fails its version check
    # and forgets the copies (`ServiceApplication.save`), and a refusal is only
    # given after reading the store (`on_the_stores_word`).
    # A busy session collects many holds and releases: a miss (a restart, a
    # conflict) loads it from a snapshot.
    snapshotting_intervals: ClassVar = {
        SessionSeats: 100,
        SchoolCart: 100,
        WaitingList: 100,
    }
    env: ClassVar = {
        "AGGREGATE_CACHE_MAXSIZE": "50000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",
    }

    # -- holding (BO-2, SC-4) ----------------------------------------------------------

    def hold_request(
        self, school_id: str, neph: str, session_id: str, key: str | None
    ) -> Idempotent | None:
        """A hold's idempotency key, scoped to the school, bound to what it asks."""
        asked = {"neph": neph, "session_id": session_id}
        return Idempotent.of(
            self.settings.secret_key.get_secret_value(), "hold", school_id, key, asked
        )

    def hold(
        self,
        school_id: str,
        neph: str,
        session_id: UUID,
        catalogue: Catalogue,
        request: Idempotent | None = None,
    ) -> dict[str, Any]:
        """Put a candidate's seat in the cart: reservation, candidate and seat in
        one commit. « complet » is decided from state and writes nothing.

        With a key, a retry (or the loser of two concurrent requests) gets the
        reservation the first one made, and nothing more is held."""

        # Asked to their owners (if ever) before the session's lock is taken:
        # a slow owner never holds up the other holds on the session.
        bookable_id = self._known_candidate(school_id, neph, catalogue)
        self._known_seats(session_id, catalogue)

        def act(mark: Any) -> dict[str, Any]:
            def attempt() -> Reservation:
                candidate = self._bookable(bookable_id)
                seats = self._seats(session_id)
                cart = self._cart(school_id)
                reservation = Reservation.hold(
                    uuid4(), candidate, seats, cart, self.hold_limits, self.now
                )
                try:
                    self.group.save(
                        reservation, candidate, seats, cart, *mark(str(reservation.id))
                    )
                except Exception as exc:
                    self._saved_after_all(reservation.id, exc)
                return reservation

            # The school's cart too: its holds on other sessions wait here
            # rather than meet its cart's version and retry.
            with self.locks.held(session_id, SchoolCart.create_id(school_id)):
                held = self.on_the_stores_word(
                    lambda: retry_on_conflict(
                        attempt, HOLD_ATTEMPTS, BookingError(BUSY)
                    )
                )
            # Named once the session's lock is given back.
            return self._answer(held, just_held=True)

        return once(self, request, act, self._replay_hold)

    def _saved_after_all(self, reservation_id: UUID, failure: Exception) -> None:
        """Whether a hold whose save failed was written all the same: a commit
        whose answer was lost (and that eventsourcing retried, meeting its own
        write as a conflict) is this request's seat, not « déjà une place ».
        A conflict with another writer is raised as it came; any other
        failure, left unproven, is « résultat incertain », never « not done »:
        the commit may still land."""
        try:
            self.forget_id(reservation_id)
            self.repository.get(reservation_id)
            return
        except AggregateNotFoundError:
            if isinstance(failure, IntegrityError):
                raise failure from None
        except Exception:
            pass
        raise PlatformError("resultat_incertain", UNCERTAIN, status=504) from failure

    def _replay_hold(self, reservation_id: str) -> dict[str, Any]:
        return self._answer(self._get(UUID(reservation_id)))

    def first_hold(self, request: Idempotent | None) -> dict[str, Any] | None:
        """The reservation an earlier request with this key made, if any."""
        first = first_answer(self, request) if request else None
        return self._replay_hold(first) if first else None

    def change_slot(
        self,
        school_id: str,
        reservation_id: UUID,
        session_id: UUID,
        catalogue: Catalogue,
    ) -> dict[str, Any]:
        """BO-3: another slot for a line of the cart, keeping its deadline; the
        new seat taken and the old one freed in one commit."""
        current = self._get(reservation_id, school_id)
        if current.session_id == session_id:
            return self._answer(current)
        self._known_seats(session_id, catalogue)

        def attempt() -> Reservation:
            old = self._get(reservation_id, school_id)
            old.release(MOVED, self.now)
            freed = self._given_back(old, MOVED)
            # The ones whose claim and line were just freed, if they were.
            given_back = {a.id: a for a in freed}
            candidate = self._bookable(old.bookable_id)
            candidate = given_back.get(candidate.id, candidate)
            cart = given_back.get(SchoolCart.create_id(school_id))
            cart = cart or self._cart(school_id)
            new_seats = self._seats(session_id)
            new = Reservation.hold(
                uuid4(),
                candidate,
                new_seats,
                cart,
                self.hold_limits,
                self.now,
                expires_at=old.expires_at,  # a change never keeps a seat longer
            )
            changed = {a.id: a for a in (*freed, candidate, cart, new_seats)}
            self.save(old, new, *changed.values())
            return new

        cart_id = SchoolCart.create_id(school_id)
        with self.locks.held(current.session_id, session_id, cart_id):
            moved = self.on_the_stores_word(
                lambda: retry_on_conflict(
                    attempt, HOLD_ATTEMPTS, BookingError(CHANGED_MEANWHILE)
                )
            )
        return self._answer(moved, just_held=True)

    def release(self, school_id: str | None, reservation_id: UUID, reason: str) -> dict:
        """Give a held seat back (removed from the cart, expired)."""
        held = self._get(reservation_id, school_id)
        session_id, cart_id = held.session_id, SchoolCart.create_id(held.school_id)

        def attempt() -> Reservation:
            reservation = self._get(reservation_id, school_id)
            reservation.release(reason, self.now)
            self.save(reservation, *self._given_back(reservation, reason))
            return reservation

        with self.locks.held(session_id, cart_id):
            released = self.on_the_stores_word(
                lambda: retry_on_conflict(
                    attempt, HOLD_ATTEMPTS, BookingError(CHANGED_MEANWHILE)
                )
            )
        return self._answer(released)

    def _given_back(self, reservation: Reservation, reason: str) -> list[Any]:
        """The candidate's claim, the session's seat and the cart's line,
        freed. A reservation written before seats (or carts) were booking's
        has none to free."""
        freed: list[Any] = [*self._lines_left([reservation])]
        try:
            candidate = self._bookable(reservation.bookable_id)
            candidate.free(reservation.id)
            freed.append(candidate)
        except AggregateNotFoundError:
            pass
        try:
            seats = self._seats(reservation.session_id)
            seats.release(reservation.id, reason)
            freed.append(seats)
        except SessionNotFound:
            return freed
        # EX-2: the seat goes to the first in line, in the same commit.
        changed = {a.id: a for a in freed}
        self._offer_freed_seat(seats, changed)
        return list(changed.values())

    def expire_holds(self) -> list[str]:
        """BO-3: unpaid holds older than 30 minutes free their seats."""
        now = self.now
        expired = []
        for reservation_id in self.views["reservation_list"].overdue(now):
            try:
                if self._get(reservation_id).is_overdue(now):
                    self.release(None, reservation_id, EXPIRED)
                    expired.append(str(reservation_id))
            except (BookingError, ReservationNotFound):
                continue  # released meanwhile by its school or another replica
        return expired

    def sealed_subject(self, event: Any) -> UUID | None:
        """A confirmation, or a waiting entry dropped, opens its candidate's
        data; seats' events, nothing."""
        if isinstance(
            event, Reservation.Confirmed | Reservation.Changed | WaitingList.Dropped
        ):
            return event.candidate_id
        return None

    # -- queries ---------------------------------------------------------------------

    def cart(self, school_id: str) -> list[dict[str, Any]]:
        self._list_caught_up()
        return self.views["reservation_list"].search(
            school_id, status=IN_CART, now=self.now
        )

    def on_candidate_erased(
        self, school_id: str, neph: str, candidate_id: UUID, tracking: Any
    ) -> None:
        """Forget an erased file. The candidates service refuses an erasure
        while a seat is held; one taken in the instant between its question and
        the erasure leaves the cart here, before it can be paid."""
        self._list_caught_up()
        for row in self.views["reservation_list"].in_cart_of(candidate_id):
            try:
                self.release(None, UUID(row), REMOVED)
            except (BookingError, ReservationNotFound):
                continue  # left the cart meanwhile (paid, expired, removed)
        self.candidate_erased(school_id, neph, candidate_id, tracking)

    def has_upcoming_seat(self, candidate_id: UUID) -> bool:
        """Whether an erasure must wait: a seat held or paid for an exam to come."""
        self._list_caught_up()
        return self.views["reservation_list"].has_upcoming(candidate_id, self.now)

    def _list_caught_up(self) -> None:
        """A school that just held a seat sees it in its cart, and pays for it:
        the list follows the log a few milliseconds behind, and a hold answers
        as soon as it is committed. Late beyond that, the list answers as is."""
        view = self.views["reservation_list"]
        view.caught_up(self, ReservationList.topics, LIST_CATCH_UP_SECONDS)

    def reservations(
        self, school_id: str, search: str = "", exam_date: str | None = None
    ) -> list[dict[str, Any]]:
        # The gateway checks these too; PostgreSQL cannot even compare a NUL.
        try:
            search = inputs.SEARCH.clean(search)
        except inputs.InputError as exc:
            raise inputs.InvalidFields({"recherche": [str(exc)]}) from None
        if exam_date is not None:
            try:
                exam_date = inputs.day(exam_date).isoformat()
            except inputs.InputError as exc:
                raise inputs.InvalidFields({"date": [str(exc)]}) from None
        self._list_caught_up()
        return self.views["reservation_list"].search(
            school_id, text=search, exam_date=exam_date, now=self.now
        )

    def convocation_pdf(self, school_id: str, reservation_id: UUID) -> bytes:
        """The convocation of a confirmed reservation of this school (NO-4)."""

        def confirmed() -> Reservation:
            reservation = self._get(reservation_id, school_id)
            if reservation.status != CONFIRMED:
                raise BookingError(
                    "La convocation est disponible une fois la place payée."
                )
            return reservation

        reservation = self.on_the_stores_word(confirmed)
        who = self.candidate_keys.opened(reservation.candidate_id, reservation.personal)
        if not who["candidate_name"]:
            raise BookingError(ERASED_FILE)
        secret = self.settings.secret_key.get_secret_value()
        return render_convocation(
            convocation_fields(reservation, who, reservation.id, secret)
        )

    # -- helpers ---------------------------------------------------------------------

    @property
    def now(self) -> Any:
        return self.clock.now()

    def _answer(self, reservation: Reservation, just_held: bool = False) -> dict:
        """A reservation as the school reads it, its candidate opened. Just
        held (the file was found bookable, so not erased), with the key this
        process remembers: a hold makes no round trip to the key store."""
        keys = self.candidate_keys
        open_ = keys.opened_recent if just_held else keys.opened
        return reservation_row(
            reservation,
            open_(reservation.candidate_id, reservation.personal),
            self.now,
        )

    def _get(self, reservation_id: UUID, school_id: str | None = None) -> Reservation:
        try:
            reservation = self._load(reservation_id)
        except AggregateNotFoundError:
            raise ReservationNotFound() from None
        if not isinstance(reservation, Reservation) or (
            school_id is not None and reservation.school_id != school_id
        ):
            raise ReservationNotFound()
        return reservation
