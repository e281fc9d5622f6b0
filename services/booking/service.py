"""The booking nameko service: seats, the cart and the reservations (BO-1…BO-5)."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from nameko.timer import timer

from services.booking import candidate_side
from services.booking.application import BookingApplication, ReservationNotFound
from services.booking.inventory import SessionNotFound
from services.booking.projections import READ_MODELS
from services.booking.rules import (
    REMOVED,
    AlreadyBooked,
    BookingError,
    CandidateNotBookable,
    HoldLimitReached,
    SessionFull,
)
from services.booking.schemas import HELD_SEAT, RESERVATION_DETAIL, RESERVATIONS
from services.booking.waiting_list import WaitingEntryNotFound, WaitingListError
from services.common import contracts
from services.common.consumer import consume
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.idempotency import IdempotencyConflict
from services.common.rpc import RpcProxy, answer_in_time, rpc, school_rpc
from services.common.timers import setting_timer

ERRORS = {
    WaitingListError: (409, "liste_attente_impossible"),
    WaitingEntryNotFound: (404, "inscription_introuvable"),
    SessionFull: (409, "complet"),
    HoldLimitReached: (409, "limite_atteinte"),
    AlreadyBooked: (409, "reservation_impossible"),
    BookingError: (409, "reservation_impossible"),
    CandidateNotBookable: (404, "dossier_introuvable"),
    SessionNotFound: (404, "introuvable"),
    ReservationNotFound: (404, "reservation_introuvable"),
    IdempotencyConflict: (422, "cle_deja_utilisee"),
}

# How often holds past their 30 minutes are looked for (BO-3).
EXPIRY_SWEEP_SECONDS = 5


class Catalogue:
    """What booking asks candidates and scheduling when its copies do not know
    a file or a session yet (see Inventory._known_candidate)."""

    def __init__(self, candidates: Any, scheduling: Any) -> None:
        self._candidates = candidates
        self._scheduling = scheduling

    def candidate(self, school_id: str, neph: str) -> dict[str, Any]:
        # Asked under the request's own acting-school context, which names
        # `school_id`: candidates answers with that school's file alone.
        with answer_in_time():
            file = self._candidates.booking_view(neph)
        if file.get("school_id") != school_id:
            raise CandidateNotBookable()
        return file

    def session(self, session_id: str) -> dict[str, Any]:
        with answer_in_time():
            published = self._scheduling.published_session(session_id)
        return contracts.SessionScheduled().load(published)


class BookingService:
    """Takes seats into the school's cart in one commit (SC-4, BO-2)."""

    name = "booking"
    errors = ERRORS
    app: BookingApplication = ApplicationProvider(
        BookingApplication, read_models=READ_MODELS
    )
    candidates = RpcProxy("candidates")
    scheduling = RpcProxy("scheduling")

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.candidates, self.scheduling)

    @school_rpc
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
        held = self.app.hold(school_id, neph, UUID(session_id), self.catalogue, request)
        return HELD_SEAT.dump(held)

    @school_rpc
    def remove(self, school_id: str, reservation_id: str) -> dict[str, Any]:
        """BO-3: take a reservation out of the cart; its seat is freed."""
        return HELD_SEAT.dump(
            self.app.release(school_id, UUID(reservation_id), REMOVED)
        )

    @school_rpc
    def change_slot(
        self, school_id: str, reservation_id: str, session_id: str
    ) -> dict[str, Any]:
        """BO-3: another slot for a reservation in the cart; the old seat is freed."""
        moved = self.app.change_slot(
            school_id, UUID(reservation_id), UUID(session_id), self.catalogue
        )
        return HELD_SEAT.dump(moved)

    @school_rpc
    def cancel(
        self,
        school_id: str,
        reservation_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """BO-7: cancel a paid reservation before the deadline; refunded by billing.

        Once per idempotency key: a retry gets the first answer back."""
        request = self.app.cancel_request(school_id, reservation_id, idempotency_key)
        cancelled = self.app.cancel(school_id, UUID(reservation_id), request)
        return HELD_SEAT.dump(cancelled)

    @school_rpc
    def change(
        self,
        school_id: str,
        reservation_id: str,
        session_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """BO-6: move a paid reservation to another slot before the deadline;
        the candidate gets a new convocation. Once per idempotency key."""
        request = self.app.change_request(
            school_id, reservation_id, session_id, idempotency_key
        )
        changed = self.app.change(
            school_id, UUID(reservation_id), UUID(session_id), self.catalogue, request
        )
        return HELD_SEAT.dump(changed)

    @school_rpc
    def join_waiting_list(
        self,
        school_id: str,
        neph: str,
        session_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """EX-2: queue a candidate on a full session. Once per idempotency key."""
        request = self.app.queue_request(school_id, neph, session_id, idempotency_key)
        return self.app.join_waiting_list(
            school_id, neph, UUID(session_id), self.catalogue, request
        )

    @school_rpc
    def waiting_list(self, school_id: str) -> list[dict[str, Any]]:
        """EX-2: the school's candidates in line, with their rank."""
        return self.app.waiting_entries(school_id)

    @school_rpc
    def leave_waiting_list(self, school_id: str, entry_id: str) -> dict[str, Any]:
        """EX-2: take one of the school's candidates out of a line."""
        return self.app.leave_waiting_list(school_id, UUID(entry_id))

    @school_rpc
    def reservation(self, school_id: str, reservation_id: str) -> dict[str, Any]:
        """BO-8: one of the school's reservations with its whole history."""
        found = self.app.reservation(school_id, UUID(reservation_id))
        return RESERVATION_DETAIL.dump(found)

    @school_rpc
    def cart(self, school_id: str) -> list[dict[str, Any]]:
        """BO-3: the school's held, unpaid reservations."""
        return RESERVATIONS.dump(self.app.cart(school_id))

    @school_rpc
    def reservations(
        self, school_id: str, search: str = "", exam_date: str | None = None
    ) -> list[dict[str, Any]]:
        """BO-5: the school's reservations, by candidate name, NEPH, exam date."""
        found = self.app.reservations(school_id, search, exam_date)
        return RESERVATIONS.dump(found)

    @rpc
    def candidate_convocations(self, candidate_id: str) -> list[dict[str, Any]]:
        """The candidate's paid seats, for their own space (ID-6)."""
        return candidate_side.convocations(self.app, UUID(candidate_id))

    @rpc
    def candidate_convocation_pdf(self, candidate_id: str, reservation_id: str) -> str:
        """One of the candidate's convocations, base64-encoded for the RPC."""
        pdf = candidate_side.convocation_pdf(
            self.app, UUID(candidate_id), UUID(reservation_id)
        )
        return base64.b64encode(pdf).decode()

    @school_rpc
    def convocation_pdf(self, school_id: str, reservation_id: str) -> str:
        """A confirmed reservation's convocation, base64-encoded for the RPC."""
        pdf = self.app.convocation_pdf(school_id, UUID(reservation_id))
        return base64.b64encode(pdf).decode()

    @consume("billing", contracts.PaymentCaptured)
    def on_payment_captured(self, event: Delivered) -> None:
        """A paid cart: its reservations become confirmed, exactly once."""
        self.app.on_payment_captured(event)

    @consume("billing", contracts.DebitReturned)
    def on_debit_returned(self, event: Delivered) -> None:
        """A returned SEPA debit: the reservations it paid for are cancelled."""
        self.app.on_debit_returned(event)

    @consume("billing", contracts.RefundIssued)
    def on_refund_issued(self, event: Delivered) -> None:
        """A cancelled reservation refunded: a step of its history (BO-8)."""
        self.app.on_refund_issued(event)

    @consume("notifier", contracts.ConvocationSent)
    def on_convocation_sent(self, event: Delivered) -> None:
        """A reservation's convocation sent: a step of its history (BO-8)."""
        self.app.on_convocation_sent(event)

    @consume("scheduling", contracts.SessionScheduled)
    def on_session_scheduled(self, event: Delivered) -> None:
        """A new session: its seats are booking's to give."""
        self.app.session_scheduled(event.payload, event.tracking)

    @consume("scheduling", contracts.SessionCancelled)
    def on_session_cancelled(self, event: Delivered) -> None:
        """A cancelled session (SC-2): no new seat is taken in it, and every
        reservation in it is ended: paid ones cancelled and refunded in full,
        unpaid ones released from their carts."""
        self.app.on_session_cancelled(event)

    @rpc
    def session_holders(self, session_id: str) -> dict[str, int]:
        """SC-2, asked by scheduling before a cancellation: the seats taken in
        a session, paid and unpaid."""
        return self.app.session_holders(UUID(session_id))

    @consume("candidates", contracts.CandidateActivated)
    def on_candidate_activated(self, event: Delivered) -> None:
        """A file confirmed by its candidate can be booked (BO-1)."""
        p = event.payload
        self.app.candidate_activated(
            p["school_id"],
            p["neph"],
            p["candidate_id"],
            None if event.erased else p["candidate_name"] or "",
            event.tracking,
            birth_date=p.get("birth_date") or "",
            school_name=p.get("school_name") or "",
        )

    @consume("candidates", contracts.CandidateArchived)
    def on_candidate_archived(self, event: Delivered) -> None:
        """An archived file takes no new seat (BO-1)."""
        p = event.payload
        self.app.candidate_withdrawn(
            p["school_id"], p["neph"], p["candidate_id"], event.tracking
        )

    @consume("candidates", contracts.CandidateErased)
    def on_candidate_erased(self, event: Delivered) -> None:
        """An erased file: what booking sealed of it opens no more (TR-4)."""
        p = event.payload
        self.app.on_candidate_erased(
            p["school_id"], p["neph"], p["candidate_id"], event.tracking
        )

    @rpc
    def has_upcoming_seat(self, candidate_id: str) -> bool:
        """Whether a candidate holds or paid a seat for an exam to come."""
        return self.app.has_upcoming_seat(UUID(candidate_id))

    @timer(interval=EXPIRY_SWEEP_SECONDS)
    def expire_holds(self) -> None:
        """Free the seats of holds left unpaid for 30 minutes."""
        self.app.expire_holds()

    @setting_timer("reminder_sweep_seconds")
    def send_reminders(self) -> None:
        """Remind candidates of their exam two days before, once (EX-3)."""
        self.app.send_reminders()

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)
