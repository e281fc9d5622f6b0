"""A school's exam results (RE-1)."""

from __future__ import annotations

from marshmallow import fields

from gateway.schemas.base import ApiSchema
from gateway.schemas.booking import ReservationSearch


class ResultSearch(ReservationSearch):
    """The same filters as the reservations' list: name or NEPH, exam date."""


class ExamResult(ApiSchema):
    reservation_id = fields.String()
    candidate_id = fields.String()
    session_id = fields.String()
    # Who the result is for (opened from results' sealed copy).
    candidate_name = fields.String()
    neph = fields.String()
    # ISO date; null when booking did not know it.
    birth_date = fields.String(allow_none=True)
    centre_name = fields.String()
    centre_city = fields.String()
    exam_starts_at = fields.String()
    # Out of 40; null when the candidate was absent.
    score = fields.Integer(allow_none=True)
    # « admis » (35 or more), « ajourné » or « absent ».
    outcome = fields.String()
    # The last day a pass counts (5 years); null otherwise.
    valid_until = fields.String(allow_none=True)
    published_at = fields.String()


class ExamResults(ApiSchema):
    items = fields.List(fields.Nested(ExamResult))
