"""A returned SEPA debit (billing's DebitReturned): the reservations that
payment paid for, not paid otherwise and whose exam is to come, are cancelled
and their seats freed, once, in one commit with the event's tracking."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.booking.domain import Reservation
from services.booking.inventory import SessionNotFound
from services.booking.rules import CANCELLED_UNPAID, BookingError
from services.common.envelope import Delivered
from services.common.store import retry_on_conflict

CANCEL_ATTEMPTS = 20


class ReturnedDebits:
    """Part of BookingApplication."""

    def on_debit_returned(self, event: Delivered) -> list[str]:
        """Cancel what the returned payment paid for; the reservations cancelled."""
        payload = event.payload
        checkout_id: UUID = payload["checkout_id"]
        reason = f"{payload['reason']} ({payload['reason_code']})"
        paid = [self._found(r) for r in payload["reservation_ids"]]
        sessions = [r.session_id for r in paid if r is not None]

        def attempt() -> list[str]:
            now = self.now
            changed: dict[UUID, Any] = {}
            for reservation_id in payload["reservation_ids"]:
                reservation = self._found(reservation_id)
                if reservation is None:
                    continue
                if reservation.cancel_unpaid(checkout_id, reason, now):
                    changed[reservation.id] = reservation
                    self._free_seat(reservation, changed, CANCELLED_UNPAID)
            cancelled = [
                str(i) for i, a in changed.items() if isinstance(a, Reservation)
            ]
            self.save(*changed.values(), tracking=event.tracking)
            return cancelled

        with self.locks.held(*sessions):
            return retry_on_conflict(
                attempt,
                CANCEL_ATTEMPTS,
                BookingError("Réservations modifiées pendant l'annulation."),
            )

    def _found(self, reservation_id: UUID) -> Reservation | None:
        try:
            found = self._load(reservation_id)
        except AggregateNotFoundError:
            return None  # not one of booking's: nothing to cancel
        return found if isinstance(found, Reservation) else None

    def _free_seat(
        self, reservation: Reservation, changed: dict[UUID, Any], reason: str
    ) -> None:
        """Its session's seat and its candidate's claim, freed; each aggregate
        changed once per commit when two reservations share it."""
        try:
            candidate = changed.get(reservation.bookable_id) or self._bookable(
                reservation.bookable_id
            )
            candidate.free(reservation.id)
            changed[candidate.id] = candidate
        except AggregateNotFoundError:
            pass  # held before candidates were booking's: no claim to free
        try:
            seats = changed.get(reservation.session_id) or self._seats(
                reservation.session_id
            )
            seats.release(reservation.id, reason)
            changed[seats.id] = seats
        except SessionNotFound:
            return
        # EX-2: the seat goes to the first in line, in the same commit.
        self._offer_freed_seat(seats, changed)
