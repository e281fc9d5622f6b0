"""Identity's events: school accounts' links, warnings and signed-in sessions."""

from __future__ import annotations

from marshmallow import fields, validate

from services.common.contracts.base import Contract, personal_field, sealed_field


class AccountActivationRequested(Contract):
    """A new account (or one asking again) needs its activation link by e-mail."""

    event_type = "AccountActivationRequested"
    version = 2
    # Whoever reads the broker must not be able to use the link (v2).
    personal = ("email", "link_token")
    subject_field = "account_id"

    account_id = fields.UUID(required=True)
    email = personal_field(fields.Email)
    link_token = personal_field()
    sealed = sealed_field()
    expires_at = fields.AwareDateTime(required=True)


class CandidateAccountCodeRequested(Contract):
    """A candidate's account needs a 6-digit code: by e-mail to prove the
    address, by SMS to prove the phone (ID-6). Where it goes and the code
    travel sealed with the account's key; None once it was erased."""

    event_type = "CandidateAccountCodeRequested"
    version = 1
    personal = ("email", "phone", "code")
    subject_field = "account_id"

    account_id = fields.UUID(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(["email", "sms"]))
    email = personal_field(fields.Email)
    phone = personal_field()
    code = personal_field()
    sealed = sealed_field()
    expires_at = fields.AwareDateTime(required=True)


class PasswordResetRequested(Contract):
    """Someone asked for a password reset link for this account's address."""

    event_type = "PasswordResetRequested"
    version = 2
    # Whoever reads the broker must not be able to use the link (v2).
    personal = ("email", "link_token")
    subject_field = "account_id"

    account_id = fields.UUID(required=True)
    email = personal_field(fields.Email)
    link_token = personal_field()
    sealed = sealed_field()
    expires_at = fields.AwareDateTime(required=True)
    # "inscription": not asked for, but sent because someone signed up with
    # the account's address (the e-mail says so); "" otherwise.
    because = fields.String(load_default="", dump_default="")


class SignInFailuresReported(Contract):
    """Many wrong passwords for this account within a window, from any
    address: its owner is told by e-mail, once per window (issue 12)."""

    event_type = "SignInFailuresReported"
    version = 1
    personal = ("email",)
    subject_field = "account_id"

    account_id = fields.UUID(required=True)
    email = personal_field(fields.Email)
    sealed = sealed_field()
    attempts = fields.Integer(required=True, validate=validate.Range(min=1))
    since = fields.AwareDateTime(required=True)
    reported_at = fields.AwareDateTime(required=True)


class SessionsRevoked(Contract):
    """A new password (changed or reset): the account's bearer tokens of a
    generation below `generation` no longer work. None is still valid after
    `expires_at`, when this revocation can be forgotten."""

    event_type = "SessionsRevoked"
    version = 1

    account_id = fields.UUID(required=True)
    generation = fields.Integer(required=True, validate=validate.Range(min=1))
    revoked_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)


class SessionEnded(Contract):
    """Its holder signed out: the bearer tokens of this one session no longer
    work; they expire at `expires_at`, when this can be forgotten."""

    event_type = "SessionEnded"
    version = 1

    account_id = fields.UUID(required=True)
    session_id = fields.String(required=True, validate=validate.Length(1, 64))
    expires_at = fields.AwareDateTime(required=True)


class DigitalIdentityNotice(Contract):
    """A candidate's digital identity tells its owner something (ID-7), by
    e-mail and SMS: the code to bring to the post office, the online check's
    procedure (by registered e-letter, `code` the 3 digits to say in the
    video), the activation code once the identity is checked (`mode`: an
    online check's goes by registered e-letter), a request ended (refused, or
    a deadline missed) with its reason, or an identity locked by wrong secret
    codes. Where it goes and the code travel sealed with the account's key."""

    event_type = "DigitalIdentityNotice"
    # v2: the online procedure, and the mode of the check.
    version = 2
    personal = ("email", "phone", "code")
    subject_field = "account_id"

    account_id = fields.UUID(required=True)
    notice = fields.String(
        required=True,
        validate=validate.OneOf(
            [
                "code_bureau_de_poste",
                "procedure_en_ligne",
                "code_activation",
                "demande_terminee",
                "verrouillee",
            ]
        ),
    )
    email = personal_field(fields.Email)
    phone = personal_field()
    code = personal_field()
    sealed = sealed_field()
    reason = fields.String(load_default=None, allow_none=True)
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True)
    mode = fields.String(load_default=None, allow_none=True)
