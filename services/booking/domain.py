"""Reservations and their events (BO-1…BO-8, SC-4); the rules and wording of
holding a seat are in rules.py, what a paid one goes through in after_payment.py.

Booking owns the seat inventory: a hold writes the reservation, the candidate's
one upcoming seat and the session's seat in one commit, so two holds racing for
the last seat meet one version check (SC-4). The sessions and the bookable
candidates, booking's own copies of what scheduling and candidates publish,
are in seats.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.booking.after_payment import AfterPayment

# The rule a reservation records when it is paid (EX-4).
from services.booking.deadlines import (
    CONFIRMED,
    REFUND_PERCENT,
    WORKING_DAYS_BEFORE_EXAM,
)
from services.booking.rules import (
    CANCELLED,
    CANCELLED_UNPAID,
    HOLD_DURATION,
    IN_CART,
    SESSION_CANCELLED,
    BookingError,
    HoldLimits,
)

if TYPE_CHECKING:  # a reservation is held on them; they live in seats.py
    from services.booking.carts import SchoolCart
    from services.booking.seats import BookableCandidate, SessionSeats


class Reservation(AfterPayment, Aggregate):
    """One candidate's seat in one session, from the cart onwards (BO-2…BO-5).

    Who it is for is the bookable file's sealed copy (`personal`), carried as
    it is: a hold neither seals nor opens anything."""

    @staticmethod
    def create_id(reservation_id: UUID) -> UUID:
        return reservation_id  # chosen by the application

    class Held(Aggregate.Created):
        reservation_id: UUID
        school_id: str
        candidate_id: UUID
        # The BookableCandidate the seat was claimed from (its id, not the NEPH).
        bookable_id: UUID
        personal: str
        session_id: UUID
        centre_name: str
        centre_city: str
        centre_address: str
        exam_starts_at: datetime
        expires_at: datetime
        school_name: str
        departement: str

    @event(Held)
    def __init__(
        self,
        reservation_id: UUID,
        school_id: str,
        candidate_id: UUID,
        bookable_id: UUID,
        personal: str,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        centre_address: str,
        exam_starts_at: datetime,
        expires_at: datetime,
        school_name: str,
        departement: str,
    ) -> None:
        self.school_id = school_id
        self.candidate_id = candidate_id
        self.bookable_id = bookable_id
        self.personal = personal
        self.session_id = session_id
        self.centre_name = centre_name
        self.centre_city = centre_city
        self.centre_address = centre_address
        self.exam_starts_at = exam_starts_at
        self.expires_at = expires_at
        self.school_name = school_name
        self.departement = departement
        self.status = IN_CART
        self.checkout_id: UUID | None = None
        self.price_cents: int | None = None
        self.method: str | None = None
        # When its payment was recorded (EX-1's « Payée le »); None unless paid.
        self.paid_at: datetime | None = None
        self.working_days = WORKING_DAYS_BEFORE_EXAM
        self.refund_percent = REFUND_PERCENT

    @classmethod
    def hold(
        cls,
        reservation_id: UUID,
        candidate: BookableCandidate,
        seats: SessionSeats,
        cart: SchoolCart,
        limits: HoldLimits,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> Reservation:
        """A seat of `seats` for `candidate`, a line in the school's `cart`:
        the four change together, within the school's `limits`."""
        candidate.check_bookable()
        expires_at = expires_at or now + HOLD_DURATION
        seats.reserve(
            reservation_id,
            candidate.candidate_id,
            now,
            school_id=candidate.school_id,
            school_cap=limits.in_session(seats.seats),
        )
        cart.add(reservation_id, expires_at, now, limits.per_school)
        candidate.claim(reservation_id, seats.starts_at, now)
        return cls(
            reservation_id=reservation_id,
            school_id=candidate.school_id,
            candidate_id=candidate.candidate_id,
            bookable_id=candidate.id,
            personal=candidate.personal,
            session_id=seats.id,
            centre_name=seats.centre_name,
            centre_city=seats.centre_city,
            centre_address=seats.centre_address,
            exam_starts_at=seats.starts_at,
            expires_at=expires_at,
            school_name=candidate.school_name,
            departement=seats.departement,
        )

    class Released(Aggregate.Event):
        reason: str
        released_at: datetime

    def release(self, reason: str, at: datetime) -> None:
        if self.status != IN_CART:
            raise BookingError(f"Cette réservation est « {self.status} ».")
        self._released(reason=reason, released_at=at)

    @event(Released)
    def _released(self, reason: str, released_at: datetime) -> None:
        self.status = reason

    class Confirmed(Aggregate.Event):
        """Paid. Carries what the convocation needs (who, sealed), so that the
        relay builds `ReservationConfirmed` from this event alone."""

        checkout_id: UUID
        confirmed_at: datetime
        school_id: str
        candidate_id: UUID
        personal: str
        session_id: UUID
        centre_name: str
        centre_address: str
        centre_city: str
        exam_starts_at: datetime
        school_name: str
        departement: str
        # EX-4, absent from confirmations recorded before: what was paid, how,
        # and the cancellation rule then in force.
        price_cents: int | None = None
        method: str | None = None
        working_days: int | None = None
        refund_percent: int | None = None

    def confirm(
        self,
        checkout_id: UUID,
        at: datetime,
        price_cents: int | None = None,
        method: str | None = None,
    ) -> bool:
        """Paid: the seat is the candidate's, with the price and the
        cancellation rule of now (EX-4). False if it left the cart before."""
        if self.status != IN_CART:
            return False
        self._confirmed(
            checkout_id=checkout_id,
            confirmed_at=at,
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            personal=self.personal,
            session_id=self.session_id,
            centre_name=self.centre_name,
            centre_address=self.centre_address,
            centre_city=self.centre_city,
            exam_starts_at=self.exam_starts_at,
            school_name=self.school_name,
            departement=self.departement,
            price_cents=price_cents,
            method=method,
            working_days=WORKING_DAYS_BEFORE_EXAM,
            refund_percent=REFUND_PERCENT,
        )
        return True

    @event(Confirmed)
    def _confirmed(
        self,
        checkout_id: UUID,
        confirmed_at: datetime,
        school_id: str,
        candidate_id: UUID,
        personal: str,
        session_id: UUID,
        centre_name: str,
        centre_address: str,
        centre_city: str,
        exam_starts_at: datetime,
        school_name: str,
        departement: str,
        price_cents: int | None = None,
        method: str | None = None,
        working_days: int | None = None,
        refund_percent: int | None = None,
    ) -> None:
        self.status = CONFIRMED
        self.checkout_id = checkout_id
        self.paid_at = confirmed_at
        self.price_cents = price_cents
        self.method = method
        self.working_days = working_days or WORKING_DAYS_BEFORE_EXAM
        self.refund_percent = (
            REFUND_PERCENT if refund_percent is None else refund_percent
        )

    class CancelledUnpaid(Aggregate.Event):
        """The payment's debit came back: the seat is given back."""

        checkout_id: UUID
        reason: str
        cancelled_at: datetime

    def cancel_unpaid(self, checkout_id: UUID, reason: str, at: datetime) -> bool:
        """Cancelled if this payment (and no other) paid for it and its exam is
        still to come; False otherwise (cancelled already, paid otherwise,
        exam passed), and nothing changes."""
        if (
            self.status != CONFIRMED
            or self.checkout_id != checkout_id
            or self.exam_starts_at <= at
        ):
            return False
        self._cancelled_unpaid(checkout_id=checkout_id, reason=reason, cancelled_at=at)
        return True

    @event(CancelledUnpaid)
    def _cancelled_unpaid(
        self, checkout_id: UUID, reason: str, cancelled_at: datetime
    ) -> None:
        self.status = CANCELLED_UNPAID
        self.paid_at = None  # the debit came back: never paid after all

    class Cancelled(Aggregate.Event):
        """Cancelled by its school before the deadline (BO-7). Carries what
        `ReservationCancelled` publishes, from this event alone."""

        cancelled_at: datetime
        cancelled_by: str
        school_id: str
        candidate_id: UUID
        session_id: UUID
        checkout_id: UUID
        centre_name: str
        centre_city: str
        exam_starts_at: datetime
        price_cents: int | None
        refund_cents: int | None
        # The operator's words when the session was cancelled (SC-2).
        reason: str = ""

    @event(Cancelled)
    def _cancelled(self, cancelled_at: datetime, cancelled_by: str) -> None:
        self.status = CANCELLED

    class Changed(Aggregate.Event):
        """Moved to another slot before the deadline (BO-6): same id, price
        and rule. Carries what `ReservationChanged` publishes (the new
        convocation, who it is for sealed), from this event alone."""

        changed_at: datetime
        changed_by: str
        school_id: str
        candidate_id: UUID
        personal: str
        school_name: str
        previous_session_id: UUID
        previous_centre_name: str
        previous_exam_starts_at: datetime
        session_id: UUID
        centre_name: str
        centre_address: str
        centre_city: str
        departement: str
        exam_starts_at: datetime

    @event(Changed)
    def _changed(
        self,
        session_id: UUID,
        centre_name: str,
        centre_address: str,
        centre_city: str,
        departement: str,
        exam_starts_at: datetime,
    ) -> None:
        # The exam, the centre and so the deadline follow the new session;
        # the price and the rule paid for (EX-4) stay.
        self.session_id = session_id
        self.centre_name = centre_name
        self.centre_address = centre_address
        self.centre_city = centre_city
        self.departement = departement
        self.exam_starts_at = exam_starts_at

    def is_overdue(self, at: datetime) -> bool:
        return self.status == IN_CART and at > self.expires_at

    # -- steps other services report (BO-8) -------------------------------------------
    # Neither changes the reservation's state: each is a step of its history,
    # recorded once per refund or message, whatever the redeliveries.

    class Refunded(Aggregate.Event):
        """Billing refunded it (its `RefundIssued`), with a credit note."""

        refund_id: UUID
        amount_cents: int
        method: str
        credit_note_number: str
        refunded_at: datetime
        refunded_by: str

    @event(Refunded)
    def _refunded(self, refund_id: UUID) -> None:
        self.steps_told = self._told() | {refund_id}

    class ConvocationSent(Aggregate.Event):
        """The notifier sent its candidate's convocation (its `ConvocationSent`)."""

        message_id: UUID
        channel: str
        exam_starts_at: datetime
        sent_at: datetime
        sent_by: str

    @event(ConvocationSent)
    def _convocation_sent(self, message_id: UUID) -> None:
        self.steps_told = self._told() | {message_id}

    # -- the reminder (EX-3) ----------------------------------------------------------

    class ReminderDue(Aggregate.Event):
        """Its exam is two days away: the candidate is to be reminded, once
        per exam date (a change of slot makes a new date to remind of).
        Carries what `ReminderDue` publishes: ids and the exam, nobody's name."""

        reminded_at: datetime
        school_id: str
        candidate_id: UUID
        session_id: UUID
        school_name: str
        centre_name: str
        centre_address: str
        centre_city: str
        exam_starts_at: datetime

    @event(ReminderDue)
    def _reminder_due(self, exam_starts_at: datetime) -> None:
        self.reminded_for = exam_starts_at

    class HoldCancelled(Aggregate.Event):
        """Unpaid in its cart when the operator cancelled its session (SC-2),
        recorded with its release: the school is told, with the operator's
        words. Carries what `HoldCancelled` publishes: ids and the exam."""

        school_id: str
        candidate_id: UUID
        session_id: UUID
        centre_name: str
        centre_city: str
        exam_starts_at: datetime
        reason: str
        cancelled_at: datetime

    def release_with_session(self, reason: str, at: datetime) -> None:
        """Out of its cart: the operator cancelled its session."""
        self.release(SESSION_CANCELLED, at)
        self._hold_cancelled(
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            session_id=self.session_id,
            centre_name=self.centre_name,
            centre_city=self.centre_city,
            exam_starts_at=self.exam_starts_at,
            reason=reason,
            cancelled_at=at,
        )

    @event(HoldCancelled)
    def _hold_cancelled(
        self,
        school_id: str,
        candidate_id: UUID,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        exam_starts_at: datetime,
        reason: str,
        cancelled_at: datetime,
    ) -> None:
        """Nothing changes: the release said it all."""
