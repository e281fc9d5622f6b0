"""A school cancels a paid reservation before the deadline (BO-7): the
reservation, its session's seat and its candidate's claim change in one
commit; `ReservationCancelled`, published from that commit, has billing
refund it (BI-4) and the notifier tell the candidate."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.booking.domain import Reservation
from services.booking.history import history
from services.booking.rules import BY_SCHOOL, CANCELLED, CHANGED_MEANWHILE, BookingError
from services.common.idempotency import Idempotent, once
from services.common.store import retry_on_conflict

CANCEL_ATTEMPTS = 20


class Cancellations:
    """Part of BookingApplication."""

    def cancel_request(
        self, school_id: str, reservation_id: str, key: str | None
    ) -> Idempotent | None:
        """A cancellation's idempotency key, scoped to the school."""
        return Idempotent.of(
            self.settings.secret_key.get_secret_value(),
            "cancel",
            school_id,
            key,
            {"reservation_id": reservation_id},
        )

    def cancel(
        self,
        school_id: str,
        reservation_id: UUID,
        request: Idempotent | None = None,
    ) -> dict[str, Any]:
        """Cancel one of the school's paid reservations (BO-7); another
        school's is not found, and a second cancellation is refused unless it
        repeats the first one's key (then it gets the first one's answer)."""
        session_id = self._get(reservation_id, school_id).session_id

        def act(mark: Any) -> dict[str, Any]:
            def attempt() -> Reservation:
                reservation = self._get(reservation_id, school_id)
                reservation.cancel(self.now, BY_SCHOOL)
                changed: dict[UUID, Any] = {reservation.id: reservation}
                self._free_seat(reservation, changed, CANCELLED)
                self.save(*changed.values(), *mark(str(reservation.id)))
                return reservation

            with self.locks.held(session_id):
                cancelled = self.on_the_stores_word(
                    lambda: retry_on_conflict(
                        attempt, CANCEL_ATTEMPTS, BookingError(CHANGED_MEANWHILE)
                    )
                )
            return self._answer(cancelled)

        return once(self, request, act, self._replay_hold)

    def reservation(self, school_id: str, reservation_id: UUID) -> dict[str, Any]:
        """One of the school's reservations with its whole history (BO-8)."""
        reservation = self._get(reservation_id, school_id)
        steps = history(self.aggregate_history(reservation_id))
        return {**self._answer(reservation), "history": steps}
