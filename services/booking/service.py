"""The booking nameko service: the cart and the reservations (BO-1…BO-5)."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID, uuid4

from nameko.timer import timer

from services.booking.application import BookingApplication, ReservationNotFound
from services.booking.domain import FULL, IN_CART, REMOVED, BookingError
from services.booking.projections import READ_MODELS
from services.common import contracts
from services.common.consumer import consume
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.idempotency import IdempotencyConflict
from services.common.rpc import RpcProxy, rpc

ERRORS = {
    BookingError: (409, "reservation_impossible"),
    ReservationNotFound: (404, "reservation_introuvable"),
    IdempotencyConflict: (422, "cle_deja_utilisee"),
}

# How often holds past their 30 minutes are looked for (BO-3).
EXPIRY_SWEEP_SECONDS = 5


class BookingService:
    """Holds seats into the school's cart; asks scheduling for the seat itself."""

    name = "booking"
    errors = ERRORS
    app: BookingApplication = ApplicationProvider(
        BookingApplication, read_models=READ_MODELS
    )
    candidates = RpcProxy("candidates")
    scheduling = RpcProxy("scheduling")

    @rpc
    def candidate_block(self, school_id: str, neph: str) -> dict[str, Any]:
        """BO-1: the activated file of this school for a NEPH."""
        return self.candidates.booking_view(school_id, neph)

    @rpc
    def hold(
        self,
        school_id: str,
        neph: str,
        session_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """BO-2: put a candidate's seat in the cart; « complet » if none is left.

        Once per idempotency key: a retry gets the first reservation back."""
        request = self.app.hold_request(school_id, neph, session_id, idempotency_key)
        reservation = self.app.first_hold(request)
        if reservation is None:
            file = self.candidates.booking_view(school_id, neph)
            session = self.scheduling.session(session_id)
            reservation = self.app.hold(school_id, file, session, request)
        if reservation["status"] != IN_CART:
            # A retry after the line was paid, removed or expired: its seat's
            # fate was settled since, asking for it again would take another.
            return reservation
        try:
            # The first request may have stopped before its seat was taken, and
            # a concurrent one may be taking it now: taking a seat is idempotent
            # per hold id, so a retry asks again and answers only once it holds.
            self.scheduling.hold(
                session_id, reservation["id"], reservation["candidate_id"]
            )
        except Exception:
            # No seat, or no answer: the cart line and the candidate's claim go,
            # and the seat too if it was taken (freeing it is idempotent); the
            # key is free again for a new attempt.
            self.app.release(school_id, UUID(reservation["id"]), FULL)
            self.app.forget_hold(request)
            raise
        return reservation

    @rpc
    def remove(self, school_id: str, reservation_id: str) -> dict[str, Any]:
        """BO-3: take a reservation out of the cart; its seat is freed."""
        return self.app.release(school_id, UUID(reservation_id), REMOVED)

    @rpc
    def change_slot(
        self, school_id: str, reservation_id: str, session_id: str
    ) -> dict[str, Any]:
        """BO-3: another slot for a reservation in the cart; the old seat is freed."""
        current = self.app.in_cart(school_id, UUID(reservation_id))
        if current["session_id"] == session_id:
            return current
        file = self.candidates.booking_view(school_id, current["neph"])
        session = self.scheduling.session(session_id)
        self.app.check_bookable(session)
        new_id = uuid4()
        try:
            self.scheduling.hold(session_id, str(new_id), file["id"])  # « complet »?
            return self.app.move(school_id, UUID(reservation_id), new_id, file, session)
        except Exception:
            # Whatever failed, a seat taken under new_id goes back (idempotent).
            self.app.abandon(new_id, school_id, file, session)
            raise

    @rpc
    def cart(self, school_id: str) -> list[dict[str, Any]]:
        """BO-3: the school's held, unpaid reservations."""
        return self.app.cart(school_id)

    @rpc
    def reservations(
        self, school_id: str, search: str = "", exam_date: str | None = None
    ) -> list[dict[str, Any]]:
        """BO-5: the school's reservations, by candidate name, NEPH, exam date."""
        return self.app.reservations(school_id, search, exam_date)

    @rpc
    def convocation_pdf(self, school_id: str, reservation_id: str) -> str:
        """A confirmed reservation's convocation, base64-encoded for the RPC."""
        pdf = self.app.convocation_pdf(school_id, UUID(reservation_id))
        return base64.b64encode(pdf).decode()

    @consume("billing", contracts.PaymentCaptured)
    def on_payment_captured(self, event: Delivered) -> None:
        """A paid cart: its reservations become confirmed, exactly once."""
        self.app.on_payment_captured(event)

    @timer(interval=EXPIRY_SWEEP_SECONDS)
    def expire_holds(self) -> None:
        """Free the seats of holds left unpaid for 30 minutes."""
        self.app.expire_holds()

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)
