"""Candidates' events: a file to confirm, confirmed, archived, refused,
expired, erased."""

from __future__ import annotations

from marshmallow import fields, validate

from services.common.contracts.base import (
    NEPH,
    Address,
    Contract,
    ToTheSchool,
    personal_field,
    sealed_field,
)


class CandidateActivationRequested(Contract):
    """A candidate must confirm their file: by the e-mailed link, or, without an
    e-mail address, with the code of a letter. Personal data and secrets
    travel sealed with the candidate's key (v2); they are None when the file was
    erased before this was published or read."""

    event_type = "CandidateActivationRequested"
    version = 2
    personal = (
        "neph",
        "civility",
        "given_names",
        "birth_name",
        "email",
        "address",
        "link_token",
        "code",
        "phone",
    )
    subject_field = "candidate_id"

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    neph = personal_field(validate=validate.Regexp(r"^\d{12}$"))
    contact = fields.String(
        required=True, validate=validate.OneOf(["email", "courrier"])
    )
    civility = personal_field()
    given_names = personal_field()
    birth_name = personal_field()
    email = personal_field(fields.Email)
    address = personal_field(fields.Nested, nested=Address)
    link_token = personal_field()
    code = personal_field()
    sealed = sealed_field()
    expires_at = fields.AwareDateTime(required=True)
    # Added in v1 (readers ignore what they do not know): the school that filed,
    # named to the candidate; None for files created before it was kept.
    school_name = fields.String(load_default=None, allow_none=True)
    # Added in v2 (readers ignore what they do not know): the candidate's phone
    # in E.164, for the SMS that tells them of the file (seed 004).
    phone = personal_field()


class CandidateCreated(CandidateActivationRequested):
    """A school created a candidate file; the candidate must now confirm it."""

    event_type = "CandidateCreated"
    version = 2

    school_email = fields.Email(required=True)
    created_at = fields.AwareDateTime(required=True)


class CandidateActivated(Contract):
    """The candidate confirmed the file: it can be booked (BO-1)."""

    event_type = "CandidateActivated"
    version = 2
    # NEPH stays in clear: booking keys its copy of the file by it.
    personal = ("candidate_name", "birth_date")
    subject_field = "candidate_id"

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    neph = NEPH
    request_number = fields.String(required=True)
    activated_at = fields.AwareDateTime(required=True)
    # The name booking shows on reservations and convocations, and the birth
    # date the convocation prints: sealed (v2); None once the file is erased.
    candidate_name = personal_field()
    birth_date = personal_field()
    sealed = sealed_field()
    # For the convocation (school) and the school's message that its candidate
    # confirmed (its e-mail).
    school_name = fields.String(load_default=None, allow_none=True)
    school_email = fields.Email(load_default=None, allow_none=True)


class CandidateArchived(Contract):
    """The school archived a file: it can no longer be booked."""

    event_type = "CandidateArchived"
    version = 1

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    neph = NEPH
    archived_at = fields.AwareDateTime(required=True)


class EmailValidated(Contract):
    """The candidate proved they own the e-mail address on their file."""

    event_type = "EmailValidated"
    version = 1

    candidate_id = fields.UUID(required=True)
    validated_at = fields.AwareDateTime(required=True)


class CandidateRefused(ToTheSchool):
    """The candidate refused the data: the school must create a new file."""

    event_type = "CandidateRefused"
    version = 2
    personal = ("school_email", "neph")

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    school_email = personal_field(fields.Email)
    neph = personal_field(validate=validate.Regexp(r"^\d{12}$"))
    sealed = sealed_field()
    refused_at = fields.AwareDateTime(required=True)


class CandidateExpired(ToTheSchool):
    """Not confirmed in 7 days: the file is deleted and its personal data erased;
    every service that copied any of it forgets it too."""

    event_type = "CandidateExpired"
    version = 2
    personal = ("school_email", "neph")

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    school_email = personal_field(fields.Email)
    neph = personal_field(validate=validate.Regexp(r"^\d{12}$"))
    sealed = sealed_field()
    expired_at = fields.AwareDateTime(required=True)


class CandidateErased(ToTheSchool):
    """The file was erased, at its school's or its candidate's request, or at
    the end of its retention period: every service forgets what it holds of
    that candidate, keeping only what the law requires (README, « Données
    personnelles »). The NEPH is how booking files its copy (by school and
    NEPH, what schools type): sealed with the school's key, as the candidate's
    is forgotten by then."""

    event_type = "CandidateErased"
    version = 1
    personal = ("neph",)

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    neph = personal_field(validate=validate.Regexp(r"^\d{12}$"))
    sealed = sealed_field()
    erased_at = fields.AwareDateTime(required=True)
