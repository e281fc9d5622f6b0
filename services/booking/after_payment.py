"""What a paid reservation goes through (BO-6, BO-7, BO-8, SC-2): until when
it can change, a change of slot, a cancellation, a payment given back, and the
steps other services report. A part of `Reservation` (domain.py), whose events
stay declared there, under the topics they were first stored with."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

# The change and cancellation deadline (BO-6, BO-7), pure date arithmetic.
from services.booking.deadlines import (
    CONFIRMED,
    WORKING_DAYS_BEFORE_EXAM,
    allowed_until,
    change_deadline,
)
from services.booking.rules import (
    BY_OPERATOR,
    BY_PLATFORM,
    CANCELLED,
    LEFT_THE_CART,
    PAID_AFTER_RELEASE,
    REFUNDABLE_ONLINE,
    SAME_SLOT,
    BookingError,
    HoldLimits,
)

if TYPE_CHECKING:
    from services.booking.seats import SessionSeats


class AfterPayment:
    """Part of Reservation: its commands once paid (its events: domain.py)."""

    def changes_allowed_until(self, now: datetime) -> datetime | None:
        """Until when the school may still change or cancel it (BO-6, BO-7),
        under the rule recorded when it was paid (EX-4): None unless
        confirmed and before that instant."""
        return allowed_until(
            self.status,
            self.exam_starts_at,
            self.departement,
            now,
            getattr(self, "working_days", WORKING_DAYS_BEFORE_EXAM),
        )

    def cancel(self, at: datetime, by: str, reason: str = "") -> None:
        """BO-7: the school gives the paid seat back before the deadline; the
        refund is the share the reservation's rule promised (EX-4). SC-2: the
        operator cancelled the session: refunded in full, whatever the
        deadline, the method or the rule."""
        if by == BY_OPERATOR and self.status == CONFIRMED:
            self._record_cancelled(at, by, getattr(self, "price_cents", None), reason)
            return
        if self.status == CANCELLED:
            raise BookingError("Cette réservation est déjà annulée.")
        if self.status != CONFIRMED:
            raise BookingError(
                f"Cette réservation est « {self.status} » : seule une réservation "
                "payée peut être annulée."
            )
        # Billing refunds a card payment to the card and a SEPA debit by
        # transfer. A seat paid before the method was recorded: billing would
        # not know how to refund it.
        if getattr(self, "method", None) not in REFUNDABLE_ONLINE:
            raise BookingError(
                "L'annulation en ligne n'est possible que pour une place payée "
                "par carte ou par prélèvement SEPA : contactez le support pour "
                "celle-ci."
            )
        if self.changes_allowed_until(at) is None:
            raise BookingError(self._too_late())
        price = getattr(self, "price_cents", None)
        refund = None if price is None else price * self.refund_percent // 100
        self._record_cancelled(at, by, refund)

    def refund_unheld(
        self, checkout_id: UUID, at: datetime, price_cents: int | None
    ) -> bool:
        """Paid after it left the cart (its hold expired, or the school removed
        or moved it, between the payment's check and its confirmation): the
        seat is not the candidate's and the payment is given back in full.
        False, and nothing changes, for any other reservation."""
        if self.status not in LEFT_THE_CART:
            return False
        self.trigger_event(
            self.Cancelled,
            cancelled_at=at,
            cancelled_by=BY_PLATFORM,
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            session_id=self.session_id,
            checkout_id=checkout_id,
            centre_name=self.centre_name,
            centre_city=self.centre_city,
            exam_starts_at=self.exam_starts_at,
            price_cents=price_cents,
            refund_cents=price_cents,
            reason=PAID_AFTER_RELEASE,
        )
        return True

    def _record_cancelled(
        self, at: datetime, by: str, refund: int | None, reason: str = ""
    ) -> None:
        self.trigger_event(
            self.Cancelled,
            cancelled_at=at,
            cancelled_by=by,
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            session_id=self.session_id,
            checkout_id=self.checkout_id,
            centre_name=self.centre_name,
            centre_city=self.centre_city,
            exam_starts_at=self.exam_starts_at,
            price_cents=getattr(self, "price_cents", None),
            refund_cents=refund,
            reason=reason,
        )

    def _too_late(self, done: str = "annulée") -> str:
        last = change_deadline(self.exam_starts_at, self.departement, self.working_days)
        until = f" (dernier jour : le {last:%d/%m/%Y} à 23 h 59)" if last else ""
        return (
            f"Le délai est dépassé : une réservation ne peut plus être {done} "
            f"moins de {self.working_days} jours ouvrés avant l'examen{until}."
        )

    def change(
        self, seats: SessionSeats, limits: HoldLimits, at: datetime, by: str
    ) -> None:
        """BO-6: a seat of `seats` for this paid reservation, before the
        deadline and under BO-2's rules as a hold (open, not full, not past,
        the school's share); the caller frees the old seat in the same commit."""
        if self.status != CONFIRMED:
            raise BookingError(
                f"Cette réservation est « {self.status} » : seule une réservation "
                "payée peut être modifiée."
            )
        if self.changes_allowed_until(at) is None:
            raise BookingError(self._too_late("modifiée"))
        if seats.id == self.session_id:
            raise BookingError(SAME_SLOT)
        seats.reserve(
            self.id,
            self.candidate_id,
            at,
            school_id=self.school_id,
            school_cap=limits.in_session(seats.seats),
        )
        self.trigger_event(
            self.Changed,
            changed_at=at,
            changed_by=by,
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            personal=self.personal,
            school_name=self.school_name,
            previous_session_id=self.session_id,
            previous_centre_name=self.centre_name,
            previous_exam_starts_at=self.exam_starts_at,
            session_id=seats.id,
            centre_name=seats.centre_name,
            centre_address=seats.centre_address,
            centre_city=seats.centre_city,
            departement=seats.departement,
            exam_starts_at=seats.starts_at,
        )

    def record_refund(
        self,
        refund_id: UUID,
        amount_cents: int,
        method: str,
        credit_note_number: str,
        at: datetime,
        by: str,
    ) -> bool:
        """The refund as a step; False (nothing recorded) if it already is."""
        if refund_id in self._told():
            return False
        self.trigger_event(
            self.Refunded,
            refund_id=refund_id,
            amount_cents=amount_cents,
            method=method,
            credit_note_number=credit_note_number,
            refunded_at=at,
            refunded_by=by,
        )
        return True

    def record_convocation_sent(
        self,
        message_id: UUID,
        channel: str,
        exam_starts_at: datetime,
        at: datetime,
        by: str,
    ) -> bool:
        """The convocation's sending as a step; False if it already is."""
        if message_id in self._told():
            return False
        self.trigger_event(
            self.ConvocationSent,
            message_id=message_id,
            channel=channel,
            exam_starts_at=exam_starts_at,
            sent_at=at,
            sent_by=by,
        )
        return True

    def remind(self, now: datetime, before: timedelta) -> bool:
        """EX-3: a confirmed reservation whose exam starts within `before`
        and is still to come is due its reminder, once for that exam date;
        False when it is not (or no longer, or already) due."""
        due = now < self.exam_starts_at <= now + before
        if self.status != CONFIRMED or not due:
            return False
        if getattr(self, "reminded_for", None) == self.exam_starts_at:
            return False
        self.trigger_event(
            self.ReminderDue,
            reminded_at=now,
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            session_id=self.session_id,
            school_name=self.school_name,
            centre_name=self.centre_name,
            centre_address=self.centre_address,
            centre_city=self.centre_city,
            exam_starts_at=self.exam_starts_at,
        )
        return True

    def _told(self) -> frozenset[UUID]:
        """The refunds and messages already recorded: none until the first
        step another service reports (reservations held before have none)."""
        return getattr(self, "steps_told", frozenset())
