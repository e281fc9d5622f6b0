"""The notifier's events: what it did that other services keep a trace of."""

from __future__ import annotations

from marshmallow import fields, validate

from services.common.contracts.base import Contract

# The channels a convocation travels by (services/notifier/domain.py).
CONVOCATION_CHANNELS = ("email", "courrier")


class ConvocationSent(Contract):
    """A candidate's convocation left the platform (NO-4): e-mailed, or put in
    the postal print queue; for the first seat paid and after each change of
    slot (BO-6), so booking lists it in the reservation's history (BO-8).
    Published once the message is sent, never when it was only queued."""

    event_type = "ConvocationSent"
    version = 1

    # The message's id: one convocation, whatever the redeliveries.
    message_id = fields.UUID(required=True)
    reservation_id = fields.UUID(required=True)
    channel = fields.String(
        required=True, validate=validate.OneOf(CONVOCATION_CHANNELS)
    )
    # The exam the convocation is for: a change sends a new one.
    exam_starts_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime(required=True)
