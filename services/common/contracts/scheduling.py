"""Scheduling's events: the catalogue's sessions, opened and cancelled."""

from __future__ import annotations

from marshmallow import fields, validate

from services.common.contracts.base import Contract


class SessionScheduled(Contract):
    """Scheduling opened an exam session: booking keeps its seats (SC-2, SC-4)."""

    event_type = "SessionScheduled"
    version = 1

    session_id = fields.UUID(required=True)
    centre_id = fields.UUID(required=True)
    centre_name = fields.String(required=True)
    centre_address = fields.String(required=True)
    centre_city = fields.String(required=True)
    departement = fields.String(required=True)
    kind = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    seats = fields.Integer(required=True, validate=validate.Range(min=1))


class SessionCancelled(Contract):
    """The operator cancelled an exam session (SC-2): no new seat is taken in
    it, and booking ends every reservation in it (paid ones refunded in full)."""

    event_type = "SessionCancelled"
    version = 1

    session_id = fields.UUID(required=True)
    cancelled_at = fields.AwareDateTime(required=True)
    # The operator's words, told to the schools and candidates; "" if none.
    reason = fields.String(load_default="")
