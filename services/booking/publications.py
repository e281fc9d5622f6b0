"""What booking publishes: each integration event built from its stored event
alone (DESIGN: the relay never reloads an aggregate)."""

from __future__ import annotations

from typing import Any

from services.booking.convocations import convocation_fields
from services.booking.domain import Reservation
from services.booking.sealed import shown
from services.booking.seats import SessionSeats
from services.booking.waiting_list import WaitingList
from services.common import contracts
from services.common.store import Publication


def _seats_changed(e: Any) -> dict[str, Any]:
    return {
        "session_id": e.originator_id,
        "reservation_id": e.reservation_id,
        "free_seats": e.free_seats,
        "seats_version": e.originator_version,
        "occurred_at": e.timestamp,
    }


def _slot_reserved(e: SessionSeats.SlotReserved, app: Any) -> dict[str, Any]:
    return _seats_changed(e)


def _slot_released(e: SessionSeats.SlotReleased, app: Any) -> dict[str, Any]:
    return {**_seats_changed(e), "reason": e.reason}


def _confirmed(e: Reservation.Confirmed, app: Any) -> dict[str, Any]:
    # Opened with the keys the relay read for its whole batch.
    opened = app.vault.unseal(e.candidate_id, e.personal) if e.personal else None
    secret = app.settings.secret_key.get_secret_value()
    fields = convocation_fields(e, shown(opened), e.originator_id, secret)
    if opened is None:
        # Erased before this was published: nothing of them travels, and no
        # key is made again for them to seal the code with.
        fields.update(dict.fromkeys(contracts.ReservationConfirmed.personal))
    return {
        **fields,
        "reservation_id": e.originator_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "checkout_id": e.checkout_id,
        "confirmed_at": e.confirmed_at,
    }


def _changed(e: Reservation.Changed, app: Any) -> dict[str, Any]:
    # The new convocation, built as a confirmation's is (same field names).
    opened = app.vault.unseal(e.candidate_id, e.personal) if e.personal else None
    secret = app.settings.secret_key.get_secret_value()
    fields = convocation_fields(e, shown(opened), e.originator_id, secret)
    if opened is None:
        fields.update(dict.fromkeys(contracts.ReservationChanged.personal))
    return {
        **fields,
        "reservation_id": e.originator_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "previous_session_id": e.previous_session_id,
        "previous_centre_name": e.previous_centre_name,
        "previous_exam_starts_at": e.previous_exam_starts_at,
        "changed_at": e.changed_at,
        "changed_by": e.changed_by,
    }


def _cancelled(e: Reservation.Cancelled, app: Any) -> dict[str, Any]:
    return {
        "reservation_id": e.originator_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "checkout_id": e.checkout_id,
        "centre_name": e.centre_name,
        "centre_city": e.centre_city,
        "exam_starts_at": e.exam_starts_at,
        "price_cents": e.price_cents,
        "refund_cents": e.refund_cents,
        "cancelled_at": e.cancelled_at,
        "cancelled_by": e.cancelled_by,
        "reason": getattr(e, "reason", ""),
    }


def _seat_offered(e: WaitingList.SeatOffered, app: Any) -> dict[str, Any]:
    return {
        "entry_id": e.entry_id,
        "reservation_id": e.reservation_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "centre_name": e.centre_name,
        "centre_city": e.centre_city,
        "exam_starts_at": e.exam_starts_at,
        "expires_at": e.expires_at,
        "offered_at": e.timestamp,
    }


def _entry_dropped(e: WaitingList.Dropped, app: Any) -> dict[str, Any]:
    # Who it was, for the school's notice: sealed again by the relay.
    personal = getattr(e, "personal", "")
    opened = app.vault.unseal(e.candidate_id, personal) if personal else None
    who = shown(opened)
    return {
        "candidate_name": who["candidate_name"] if opened else None,
        "neph": who["neph"] if opened else None,
        "entry_id": e.entry_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "centre_name": e.centre_name,
        "centre_city": e.centre_city,
        "exam_starts_at": e.exam_starts_at,
        "reason": e.reason,
        "operator_reason": e.operator_reason,
        "dropped_at": e.timestamp,
    }


def _hold_cancelled(e: Reservation.HoldCancelled, app: Any) -> dict[str, Any]:
    return {
        "reservation_id": e.originator_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "centre_name": e.centre_name,
        "centre_city": e.centre_city,
        "exam_starts_at": e.exam_starts_at,
        "reason": e.reason,
        "cancelled_at": e.cancelled_at,
    }


def _reminder_due(e: Reservation.ReminderDue, app: Any) -> dict[str, Any]:
    return {
        "reservation_id": e.originator_id,
        "school_id": e.school_id,
        "candidate_id": e.candidate_id,
        "session_id": e.session_id,
        "school_name": e.school_name,
        "centre_name": e.centre_name,
        "centre_address": e.centre_address,
        "centre_city": e.centre_city,
        "exam_starts_at": e.exam_starts_at,
        "reminded_at": e.reminded_at,
    }


PUBLISHED: dict[type, Publication] = {
    SessionSeats.SlotReserved: Publication(contracts.SlotReserved, _slot_reserved),
    SessionSeats.SlotReleased: Publication(contracts.SlotReleased, _slot_released),
    Reservation.Confirmed: Publication(contracts.ReservationConfirmed, _confirmed),
    Reservation.Cancelled: Publication(contracts.ReservationCancelled, _cancelled),
    Reservation.Changed: Publication(contracts.ReservationChanged, _changed),
    WaitingList.SeatOffered: Publication(contracts.SeatOffered, _seat_offered),
    WaitingList.Dropped: Publication(contracts.WaitingEntryDropped, _entry_dropped),
    Reservation.HoldCancelled: Publication(contracts.HoldCancelled, _hold_cancelled),
    Reservation.ReminderDue: Publication(contracts.ReminderDue, _reminder_due),
}
