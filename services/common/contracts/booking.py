"""Booking's events: the seats a session has left, and reservations confirmed."""

from __future__ import annotations

from marshmallow import fields, validate

from services.common.contracts.base import Contract, personal_field, sealed_field


class _SeatsChanged(Contract):
    """A session's free seats after a change; `seats_version` orders changes
    (a reader keeps the highest), so redeliveries and reordering are harmless."""

    session_id = fields.UUID(required=True)
    reservation_id = fields.UUID(required=True)
    free_seats = fields.Integer(required=True)
    seats_version = fields.Integer(required=True)
    occurred_at = fields.AwareDateTime(required=True)


class SlotReserved(_SeatsChanged):
    """Booking gave a seat of a session to a reservation (BO-2, SC-4)."""

    event_type = "SlotReserved"
    version = 1


class SlotReleased(_SeatsChanged):
    """A reservation gave its seat back: removed from the cart, expired, moved."""

    event_type = "SlotReleased"
    version = 1

    reason = fields.String(required=True)


class ReservationConfirmed(Contract):
    """A reservation is paid: the candidate gets the convocation (BO-4, NO-4)."""

    event_type = "ReservationConfirmed"
    version = 2
    personal = ("candidate_name", "neph", "birth_date", "verification_code")
    subject_field = "candidate_id"

    reservation_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    candidate_id = fields.UUID(required=True)
    candidate_name = personal_field()
    neph = personal_field(validate=validate.Regexp(r"^\d{12}$"))
    sealed = sealed_field()
    session_id = fields.UUID(required=True)
    centre_name = fields.String(required=True)
    centre_address = fields.String(required=True)
    centre_city = fields.String(required=True)
    exam_starts_at = fields.String(required=True)
    checkout_id = fields.UUID(required=True)
    confirmed_at = fields.AwareDateTime(required=True)
    # Added in v1 (readers ignore what they do not know), for the convocation:
    # None when the reservation was held before booking kept them.
    birth_date = personal_field()
    school_name = fields.String(load_default=None, allow_none=True)
    change_deadline = fields.String(load_default=None, allow_none=True)
    verification_code = personal_field()
