"""What booking publishes: each integration event built from its stored event
alone (DESIGN: the relay never reloads an aggregate)."""

from __future__ import annotations

from typing import Any

from services.booking.convocations import convocation_fields
from services.booking.domain import Reservation
from services.booking.sealed import shown
from services.booking.seats import SessionSeats
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


PUBLISHED: dict[type, Publication] = {
    SessionSeats.SlotReserved: Publication(contracts.SlotReserved, _slot_reserved),
    SessionSeats.SlotReleased: Publication(contracts.SlotReleased, _slot_released),
    Reservation.Confirmed: Publication(contracts.ReservationConfirmed, _confirmed),
}
