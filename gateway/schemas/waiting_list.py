"""A session's waiting list, for the school (EX-2)."""

from __future__ import annotations

from marshmallow import fields

from gateway.fields import text
from gateway.schemas.base import ApiSchema
from services.common import inputs


class WaitingListRequest(ApiSchema):
    """The candidate (NEPH) to queue on a full session."""

    neph = text(inputs.NEPH)
    session_id = text(inputs.TOKEN, data_key="session")


class WaitingEntry(ApiSchema):
    id = fields.String()
    candidate_id = fields.String(allow_none=True)
    neph = fields.String()
    candidate_name = fields.String()
    session_id = fields.String()
    centre_name = fields.String()
    centre_city = fields.String()
    exam_starts_at = fields.String()
    queued_at = fields.String(allow_none=True)
    # 1: the next freed seat is offered to this candidate; null once out of
    # the line (offered a seat, or taken out).
    rank = fields.Integer(allow_none=True)


class WaitingEntries(ApiSchema):
    items = fields.List(fields.Nested(WaitingEntry))
