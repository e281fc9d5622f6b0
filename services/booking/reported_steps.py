"""Steps of a reservation other services report (BO-8): billing's refund
(`RefundIssued`) and the notifier's convocation sent (`ConvocationSent`),
recorded as events of the reservation, once, in one commit with the
message's tracking; a redelivery, or the same refund or message told again
under another position, adds nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.booking.domain import Reservation
from services.booking.rules import BookingError
from services.common.envelope import Delivered
from services.common.store import retry_on_conflict

log = logging.getLogger(__name__)

RECORD_ATTEMPTS = 20
# Who acted, as the history shows it: billing refunds and the notifier sends
# by themselves, neither on anyone's request.
BY_PLATFORM = "plateforme"


class ReportedSteps:
    """Part of BookingApplication."""

    def on_refund_issued(self, event: Delivered) -> bool:
        """A cancelled reservation refunded: the step recorded (True), or
        nothing (already recorded, not one of this school's reservations)."""
        p = event.payload

        def record(reservation: Reservation) -> bool:
            if reservation.school_id != p["school_id"]:
                log.warning(
                    "refund %s of school %s names reservation %s of another "
                    "school: not recorded",
                    p["refund_id"],
                    p["school_id"],
                    p["reservation_id"],
                )
                return False
            return reservation.record_refund(
                p["refund_id"],
                p["amount_cents"],
                p["method"],
                p["credit_note_number"],
                p["refunded_at"],
                BY_PLATFORM,
            )

        return self._record_step(p["reservation_id"], record, event)

    def on_convocation_sent(self, event: Delivered) -> bool:
        """A convocation sent: the step recorded (True), or nothing."""
        p = event.payload
        return self._record_step(
            p["reservation_id"],
            lambda reservation: reservation.record_convocation_sent(
                p["message_id"],
                p["channel"],
                p["exam_starts_at"],
                p["sent_at"],
                BY_PLATFORM,
            ),
            event,
        )

    def _record_step(
        self,
        reservation_id: UUID,
        record: Callable[[Reservation], bool],
        event: Delivered,
    ) -> bool:
        def attempt() -> bool:
            try:
                reservation = self._load(reservation_id)
            except AggregateNotFoundError:
                reservation = None
            if not isinstance(reservation, Reservation) or not record(reservation):
                self.record_processed(event.tracking)
                return False
            self.save(reservation, tracking=event.tracking)
            return True

        return retry_on_conflict(
            attempt,
            RECORD_ATTEMPTS,
            BookingError("Réservation modifiée pendant l'enregistrement."),
        )
