"""A school moves a paid reservation to another slot before the deadline
(BO-6): the new session's seat taken, the old one freed, the candidate's claim
moved and the reservation changed in one commit, under both sessions' locks.
`ReservationChanged`, published from that commit, has the notifier send the
candidate a new convocation and tell the school."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.booking.domain import Reservation
from services.booking.inventory import Catalogue, SessionNotFound
from services.booking.rules import BY_SCHOOL, MOVED, BookingError
from services.common.idempotency import Idempotent, once
from services.common.store import retry_on_conflict

CHANGE_ATTEMPTS = 20
# Another change (or a cancellation) of the same reservation came first.
CHANGED_MEANWHILE = (
    "Cette réservation vient d'être modifiée par une autre demande : "
    "rechargez-la pour voir son créneau actuel."
)


class Changes:
    """Part of BookingApplication."""

    def change_request(
        self, school_id: str, reservation_id: str, session_id: str, key: str | None
    ) -> Idempotent | None:
        """A change's idempotency key, scoped to the school, bound to the
        session it asks for."""
        return Idempotent.of(
            self.settings.secret_key.get_secret_value(),
            "change",
            school_id,
            key,
            {"reservation_id": reservation_id, "session_id": session_id},
        )

    def change(
        self,
        school_id: str,
        reservation_id: UUID,
        session_id: UUID,
        catalogue: Catalogue,
        request: Idempotent | None = None,
    ) -> dict[str, Any]:
        """Move one of the school's paid reservations to `session_id` (BO-6).
        It keeps its id, its price and its rule; another school's is not
        found. Two changes at once: the first wins, the second is told."""
        # The slot this request sees: if another change lands first, this one
        # is refused rather than applied on top of it.
        seen = self._get(reservation_id, school_id)
        if seen.session_id != session_id:
            self._known_seats(session_id, catalogue)

        def act(mark: Any) -> dict[str, Any]:
            def attempt() -> Reservation:
                reservation = self._get(reservation_id, school_id)
                if reservation.version != seen.version:
                    raise BookingError(CHANGED_MEANWHILE)
                new_seats = self._seats(session_id)
                reservation.change(new_seats, self.hold_limits, self.now, BY_SCHOOL)
                changed: dict[UUID, Any] = {new_seats.id: new_seats}
                self._leave_old_seat(reservation, seen.session_id, changed)
                self.save(reservation, *changed.values(), *mark(str(reservation.id)))
                return reservation

            # Both sessions, in one order (SeatLocks sorts them): two changes
            # crossing between the same sessions cannot wait on each other.
            with self.locks.held(seen.session_id, session_id):
                moved = self.on_the_stores_word(
                    lambda: retry_on_conflict(
                        attempt, CHANGE_ATTEMPTS, BookingError(CHANGED_MEANWHILE)
                    )
                )
            return self._answer(moved)

        return once(self, request, act, self._replay_hold)

    def _leave_old_seat(
        self, reservation: Reservation, old_session_id: UUID, changed: dict
    ) -> None:
        """The old session's seat freed and the candidate's claim moved to
        the new date; a reservation older than booking's seats (or
        candidates) has none."""
        try:
            old_seats = self._seats(old_session_id)
            old_seats.release(reservation.id, MOVED)
            changed[old_seats.id] = old_seats
            # EX-2: the old seat goes to the first in line, in the same commit.
            self._offer_freed_seat(old_seats, changed)
        except SessionNotFound:
            pass
        try:
            candidate = self._bookable(reservation.bookable_id)
        except AggregateNotFoundError:
            return
        candidate.move(reservation.id, reservation.exam_starts_at)
        changed[candidate.id] = candidate
