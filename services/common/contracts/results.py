"""Results' events: a result released to the school and the candidate."""

from __future__ import annotations

from marshmallow import fields

from services.common.contracts.base import Contract, personal_field, sealed_field


class ResultPublished(Contract):
    """RE-1: a result released, 24 hours after the exam, once. The result
    itself is the candidate's: sealed with the candidate's key."""

    event_type = "ResultPublished"
    version = 1
    personal = (
        "candidate_name",
        "neph",
        "birth_date",
        "score",
        "outcome",
        "valid_until",
    )
    subject_field = "candidate_id"

    reservation_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    candidate_id = fields.UUID(required=True)
    session_id = fields.UUID(required=True)
    centre_name = fields.String(required=True)
    centre_city = fields.String(required=True)
    exam_starts_at = fields.AwareDateTime(required=True)
    # Who the result is for, as the result document prints it.
    candidate_name = personal_field()
    neph = personal_field()
    # ISO date; None when booking did not know it.
    birth_date = personal_field()
    # Out of 40; None when absent (and once erased).
    score = personal_field(fields.Integer)
    # « admis », « ajourné » or « absent ».
    outcome = personal_field()
    # The last day a pass counts (ISO date); None otherwise.
    valid_until = personal_field()
    sealed = sealed_field()
    published_at = fields.AwareDateTime(required=True)
