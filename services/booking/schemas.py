"""What crosses booking's RPC boundary: a reservation, as every answer shows it."""

from __future__ import annotations

from marshmallow import Schema, fields


class HeldSeat(Schema):
    """One reservation: a line of the cart, or of the school's reservations."""

    class Meta:
        ordered = True

    id = fields.String(required=True)
    candidate_id = fields.String(required=True)
    neph = fields.String(required=True)
    candidate_name = fields.String(required=True)
    session_id = fields.String(required=True)
    centre_name = fields.String(required=True)
    centre_city = fields.String(required=True)
    exam_starts_at = fields.String(required=True)
    expires_at = fields.String(required=True)
    status = fields.String(required=True)
    # BO-6, BO-7: an ISO 8601 instant, null once past or unless confirmed.
    changes_allowed_until = fields.String(allow_none=True)
    # EX-1: the day it was paid (Paris, ISO), null unless paid; and how
    # (« carte » or « sepa »), null unless paid.
    paid_on = fields.String(allow_none=True)
    payment_method = fields.String(allow_none=True)


class HistoryStep(Schema):
    """One step of a reservation's history (BO-8)."""

    class Meta:
        ordered = True

    at = fields.String(required=True)
    step = fields.String(required=True)
    by = fields.String(required=True)


class ReservationDetail(HeldSeat):
    """One reservation and its whole history, oldest step first."""

    history = fields.List(fields.Nested(HistoryStep), required=True)


# Built once: a schema costs more to build than to dump with.
HELD_SEAT = HeldSeat()
RESERVATIONS = HeldSeat(many=True)
RESERVATION_DETAIL = ReservationDetail()
