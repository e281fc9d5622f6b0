"""RPC payloads of the results service."""

from __future__ import annotations

from marshmallow import Schema, fields


class SchoolResult(Schema):
    """One released result, as a school reads it."""

    reservation_id = fields.String()
    candidate_id = fields.String()
    session_id = fields.String()
    candidate_name = fields.String()
    neph = fields.String()
    birth_date = fields.String(allow_none=True)
    centre_name = fields.String()
    centre_city = fields.String()
    exam_starts_at = fields.String()
    score = fields.Integer(allow_none=True)
    outcome = fields.String()
    valid_until = fields.String(allow_none=True)
    published_at = fields.String()


class CandidateResult(Schema):
    """One released result, as its candidate reads it in their space."""

    reservation_id = fields.String()
    centre_name = fields.String()
    centre_city = fields.String()
    exam_starts_at = fields.String()
    score = fields.Integer(allow_none=True)
    outcome = fields.String()
    valid_until = fields.String(allow_none=True)
