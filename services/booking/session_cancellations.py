"""The operator cancelled a session (SC-2): booking, which owns its seats,
says who holds one (asked before the cancellation), then ends every
reservation in it: a paid one cancelled by the operator and refunded in full
(`ReservationCancelled`, as for a school's cancellation: billing refunds, the
notifier tells), an unpaid one released from its cart (`HoldCancelled`: its
school is told); last, its waiting list dropped (`WaitingEntryDropped`).

Each reservation ends in a commit of its own, with its seat. The message's
tracking is recorded once every one has ended: a restart in the middle
leaves it unrecorded, and its redelivery finds only the seats not yet freed
(what was done is not done again); a redelivery after that is skipped.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.booking.carts import SchoolCart
from services.booking.deadlines import CONFIRMED
from services.booking.domain import Reservation
from services.booking.inventory import SessionNotFound
from services.booking.rules import (
    BY_OPERATOR,
    CHANGED_MEANWHILE,
    IN_CART,
    SESSION_CANCELLED,
    BookingError,
)
from services.booking.waiting_list import WaitingList
from services.common.envelope import Delivered
from services.common.store import retry_on_conflict

log = logging.getLogger(__name__)

END_ATTEMPTS = 20
PAID, UNPAID = "paid", "unpaid"


class SessionCancellations:
    """Part of BookingApplication."""

    def session_holders(self, session_id: UUID) -> dict[str, int]:
        """The seats taken in a session: paid, and held unpaid in a cart. On
        the store's word: another replica's hold counts too."""
        self.forget_id(session_id)
        try:
            seats = self._seats(session_id, to_change=False)
        except SessionNotFound:
            return {PAID: 0, UNPAID: 0}
        paid = 0
        for reservation_id in list(seats.holders):
            self.forget_id(UUID(reservation_id))
            if self._load(UUID(reservation_id), to_change=False).status == CONFIRMED:
                paid += 1
        return {PAID: paid, UNPAID: len(seats.holders) - paid}

    def on_session_cancelled(self, event: Delivered) -> dict[str, int]:
        """Close the session's seats, then end each reservation holding one;
        the message recorded last. What was ended, by kind."""
        ended = {PAID: 0, UNPAID: 0}
        if self.has_processed(event.tracking):
            return ended  # a redelivery: every reservation ended the first time
        session_id = UUID(str(event.payload["session_id"]))
        reason = event.payload.get("reason") or ""
        # First: no new seat is taken while the holders are ended.
        self.session_cancelled(session_id, None)
        self.forget_id(session_id)
        for reservation_id in list(self._seats(session_id).holders):
            kind = self._end(UUID(reservation_id), session_id, reason)
            if kind:
                ended[kind] += 1
        self._drop_waiting_line(session_id, reason)
        self.record_processed(event.tracking)
        log.info("session %s cancelled: reservations ended %s", session_id, ended)
        return ended

    def _end(self, reservation_id: UUID, session_id: UUID, reason: str) -> str | None:
        """One reservation of the cancelled session ended with its seat, in
        one commit: which kind it was (None: nothing but a stray seat)."""

        def attempt() -> str | None:
            try:
                reservation = self._load(reservation_id)
            except AggregateNotFoundError:
                reservation = None
            if not isinstance(reservation, Reservation):
                return self._free_stray_seat(reservation_id, session_id)
            if reservation.session_id != session_id:
                return None  # moved to another slot meanwhile (BO-3, BO-6)
            if reservation.status == CONFIRMED:
                reservation.cancel(self.now, BY_OPERATOR, reason)
                changed: dict[UUID, Any] = {reservation.id: reservation}
                self._free_seat(reservation, changed, SESSION_CANCELLED)
                self.save(*changed.values())
                return PAID
            if reservation.status == IN_CART:
                reservation.release_with_session(reason, self.now)
                freed = self._given_back(reservation, SESSION_CANCELLED)
                self.save(reservation, *freed)
                return UNPAID
            return None  # ended meanwhile (expired, removed), its seat with it

        with self.locks.held(session_id, self._cart_id_of(reservation_id)):
            return retry_on_conflict(
                attempt, END_ATTEMPTS, BookingError(CHANGED_MEANWHILE)
            )

    def _drop_waiting_line(self, session_id: UUID, reason: str) -> None:
        """Nobody in the session's waiting list will get a seat of it: every
        entry is dropped, each school told (after the seats: a seat freed
        above offers nothing, the session being closed). Dropped already on
        a redelivery: nothing is dropped twice."""

        def attempt() -> None:
            try:
                line = self._load(WaitingList.create_id(session_id))
            except AggregateNotFoundError:
                return  # nobody ever waited on this session
            seats = self._seats(session_id, to_change=False)
            if line.drop_all(seats, reason, self._sealed_of_line(line)):
                self.save(line)

        with self.locks.held(session_id):
            retry_on_conflict(attempt, END_ATTEMPTS, BookingError(CHANGED_MEANWHILE))

    def _free_stray_seat(self, reservation_id: UUID, session_id: UUID) -> None:
        """A seat no reservation stands behind (never seen: a reservation and
        its seat are written in one commit) is freed all the same."""
        seats = self._seats(session_id)
        if str(reservation_id) in seats.holders:
            log.warning("seat of unknown %s in %s freed", reservation_id, session_id)
            seats.release(reservation_id, SESSION_CANCELLED)
            self.save(seats)
        return None

    def _cart_id_of(self, reservation_id: UUID) -> UUID:
        """The cart a reservation's release changes, locked with its session."""
        try:
            school_id = self._load(reservation_id, to_change=False).school_id
        except (AggregateNotFoundError, AttributeError):
            school_id = ""
        return SchoolCart.create_id(school_id)
