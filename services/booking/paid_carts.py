"""The saga's step in booking: a captured payment confirms its cart's
reservations, once (BI-2); a line that left the cart before it is given back
(the issue's late payment)."""

from __future__ import annotations

import logging
from typing import Any

from services.booking.domain import Reservation
from services.booking.rules import CHANGED_MEANWHILE, BookingError
from services.common.envelope import Delivered
from services.common.store import retry_on_conflict

log = logging.getLogger(__name__)

CONFIRM_ATTEMPTS = 20


class PaidCarts:
    """Part of BookingApplication."""

    def on_payment_captured(self, event: Delivered) -> list[str]:
        """The saga's step: a paid cart's reservations become confirmed, once.

        A line that left the cart before the payment was confirmed (expired,
        removed, moved) is not the candidate's: it is given back in full
        (`ReservationCancelled` by the platform; billing refunds it with a
        credit note and the school is told).
        """
        payload = event.payload

        ids = payload["reservation_ids"]
        # EX-4: each seat's price as paid (one price a seat, BI-5).
        amount = payload.get("amount_cents")
        price = amount // len(ids) if ids and amount is not None else None
        method = payload.get("method")

        def attempt() -> list[str]:
            reservations = [self._get(r) for r in ids]
            now = self.now
            paid = self._paid_by(reservations, payload)
            checkout_id = payload["checkout_id"]
            confirmed = [r for r in paid if r.confirm(checkout_id, now, price, method)]
            given_back = [r for r in paid if r.refund_unheld(checkout_id, now, price)]
            # A line changed meanwhile (expiry sweep, removal): attempted again.
            carts = self._lines_left(confirmed)
            self.save(*confirmed, *given_back, *carts, tracking=event.tracking)
            return [str(r.id) for r in confirmed]

        return retry_on_conflict(
            attempt, CONFIRM_ATTEMPTS, BookingError(CHANGED_MEANWHILE)
        )

    @staticmethod
    def _paid_by(
        reservations: list[Reservation], payload: dict[str, Any]
    ) -> list[Reservation]:
        """The reservations of the school that paid: a payment never confirms
        another school's seat, whatever ids it names."""
        school_id = payload["school_id"]
        foreign = [str(r.id) for r in reservations if r.school_id != school_id]
        if foreign:
            log.warning(
                "payment %s of school %s names other schools' reservations %s: "
                "left as they are",
                payload["checkout_id"],
                school_id,
                foreign,
            )
        return [r for r in reservations if r.school_id == school_id]
