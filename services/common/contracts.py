"""Integration events: the versioned contracts between services.

A producer dumps with the contract, a consumer loads with it; the routing key on
the bus is `event_type`, the version travels in a header. Consumers read
tolerantly (unknown fields are ignored), so adding a field is compatible; any
other change is a new version. tests/contracts proves every producer's output
loads in every consumer.
"""

from __future__ import annotations

from typing import ClassVar

from marshmallow import EXCLUDE, Schema, fields, validate


class Contract(Schema):
    """Base of every integration event schema."""

    event_type: ClassVar[str]
    version: ClassVar[int]

    class Meta:
        unknown = EXCLUDE
        ordered = True


NEPH = fields.String(required=True, validate=validate.Regexp(r"^\d{12}$"))


class CandidateCreated(Contract):
    """A school created a candidate file; the candidate must now confirm it."""

    event_type = "CandidateCreated"
    version = 1

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    neph = NEPH
    civility = fields.String(required=True, validate=validate.OneOf(["M", "MME"]))
    birth_name = fields.String(required=True)
    given_names = fields.String(required=True)
    email = fields.Email(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)


class EmailValidated(Contract):
    """The candidate proved they own the e-mail address on their file."""

    event_type = "EmailValidated"
    version = 1

    candidate_id = fields.UUID(required=True)
    validated_at = fields.AwareDateTime(required=True)


class AccountActivationRequested(Contract):
    """A new account (or one asking again) needs its activation link by e-mail."""

    event_type = "AccountActivationRequested"
    version = 1

    account_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    link_token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class PasswordResetRequested(Contract):
    """Someone asked for a password reset link for this account's address."""

    event_type = "PasswordResetRequested"
    version = 1

    account_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    link_token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


ALL: tuple[type[Contract], ...] = (
    CandidateCreated,
    EmailValidated,
    AccountActivationRequested,
    PasswordResetRequested,
)


def by_event_type(event_type: str) -> type[Contract]:
    for contract in ALL:
        if contract.event_type == event_type:
            return contract
    raise KeyError(event_type)
