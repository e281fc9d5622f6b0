"""Integration events: the versioned contracts between services.

A producer dumps with the contract, a consumer loads with it; the routing key on
the bus is `event_type`, the version travels in a header. Consumers read
tolerantly (unknown fields are ignored), so adding a field is compatible; any
other change is a new version. tests/contracts proves every producer's output
loads in every consumer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from uuid import UUID

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.personal import school_subject

# The field that carries a message's personal fields, sealed with the key of
# its data subject (services/common/sealing.py).
SEALED = "sealed"


class Contract(Schema):
    """Base of every integration event schema."""

    event_type: ClassVar[str]
    version: ClassVar[int]
    # Fields never on the bus in clear: sealed with the key of the subject
    # named by `subject_field` (a person, an account), opened by the consumer;
    # None once that key is forgotten.
    personal: ClassVar[tuple[str, ...]] = ()
    subject_field: ClassVar[str] = ""

    class Meta:
        unknown = EXCLUDE
        ordered = True

    @classmethod
    def subject_of(cls, data: Mapping[str, Any]) -> UUID:
        """Whose key seals this message's personal fields."""
        value = data[cls.subject_field]
        return value if isinstance(value, UUID) else UUID(str(value))


def _sealed() -> fields.Field:
    return fields.String(load_default=None, allow_none=True)


def _personal(field: type[fields.Field] = fields.String, **kw: Any) -> fields.Field:
    """A personal field: absent in clear on the bus, None once erased."""
    return field(load_default=None, allow_none=True, **kw)


NEPH = fields.String(required=True, validate=validate.Regexp(r"^\d{12}$"))


class _Address(Schema):
    class Meta:
        unknown = EXCLUDE

    street = fields.String(required=True)
    postal_code = fields.String(required=True)
    city = fields.String(required=True)


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
    )
    subject_field = "candidate_id"

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    neph = _personal(validate=validate.Regexp(r"^\d{12}$"))
    contact = fields.String(
        required=True, validate=validate.OneOf(["email", "courrier"])
    )
    civility = _personal()
    given_names = _personal()
    birth_name = _personal()
    email = _personal(fields.Email)
    address = _personal(fields.Nested, nested=_Address)
    link_token = _personal()
    code = _personal()
    sealed = _sealed()
    expires_at = fields.AwareDateTime(required=True)
    # Added in v1 (readers ignore what they do not know): the school that filed,
    # named to the candidate; None for files created before it was kept.
    school_name = fields.String(load_default=None, allow_none=True)


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
    candidate_name = _personal()
    birth_date = _personal()
    sealed = _sealed()
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


class _ToTheSchool(Contract):
    """A message whose personal fields are for the school (its address, which
    of its files): sealed with the school's key, not the candidate's, which
    may be forgotten by then."""

    @classmethod
    def subject_of(cls, data: Mapping[str, Any]) -> UUID:
        return school_subject(str(data["school_id"]))


class CandidateRefused(_ToTheSchool):
    """The candidate refused the data: the school must create a new file."""

    event_type = "CandidateRefused"
    version = 2
    personal = ("school_email", "neph")

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    school_email = _personal(fields.Email)
    neph = _personal(validate=validate.Regexp(r"^\d{12}$"))
    sealed = _sealed()
    refused_at = fields.AwareDateTime(required=True)


class CandidateExpired(_ToTheSchool):
    """Not confirmed in 7 days: the file is deleted and its personal data erased;
    every service that copied any of it forgets it too."""

    event_type = "CandidateExpired"
    version = 2
    personal = ("school_email", "neph")

    candidate_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    school_email = _personal(fields.Email)
    neph = _personal(validate=validate.Regexp(r"^\d{12}$"))
    sealed = _sealed()
    expired_at = fields.AwareDateTime(required=True)


class CandidateErased(_ToTheSchool):
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
    neph = _personal(validate=validate.Regexp(r"^\d{12}$"))
    sealed = _sealed()
    erased_at = fields.AwareDateTime(required=True)


class AccountActivationRequested(Contract):
    """A new account (or one asking again) needs its activation link by e-mail."""

    event_type = "AccountActivationRequested"
    version = 2
    # Whoever reads the broker must not be able to use the link (v2).
    personal = ("email", "link_token")
    subject_field = "account_id"

    account_id = fields.UUID(required=True)
    email = _personal(fields.Email)
    link_token = _personal()
    sealed = _sealed()
    expires_at = fields.AwareDateTime(required=True)


class PasswordResetRequested(Contract):
    """Someone asked for a password reset link for this account's address."""

    event_type = "PasswordResetRequested"
    version = 2
    # Whoever reads the broker must not be able to use the link (v2).
    personal = ("email", "link_token")
    subject_field = "account_id"

    account_id = fields.UUID(required=True)
    email = _personal(fields.Email)
    link_token = _personal()
    sealed = _sealed()
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
    email = _personal(fields.Email)
    sealed = _sealed()
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
    """Scheduling cancelled an exam session: no new seat is taken in it."""

    event_type = "SessionCancelled"
    version = 1

    session_id = fields.UUID(required=True)
    cancelled_at = fields.AwareDateTime(required=True)


class _SeatsChanged(Contract):
    """A session's free seats after a change; `seats_version` orders changes
    (a reader keeps the highest), so redeliveries and reordering are harmless."""

    session_id = fields.UUID(required=True)
    reservation_id = fields.UUID(required=True)
    free_seats = fields.Integer(required=True)
    seats_version = fields.Integer(required=True)
    occurred_at = fields.AwareDateTime(required=True)


class SlotReserved(_SeatsChanged):
    """Booking gave a seat of a session to a reservation (BO-2, SC-4)."""

    event_type = "SlotReserved"
    version = 1


class SlotReleased(_SeatsChanged):
    """A reservation gave its seat back: removed from the cart, expired, moved."""

    event_type = "SlotReleased"
    version = 1

    reason = fields.String(required=True)


class ReservationConfirmed(Contract):
    """A reservation is paid: the candidate gets the convocation (BO-4, NO-4)."""

    event_type = "ReservationConfirmed"
    version = 2
    personal = ("candidate_name", "neph", "birth_date", "verification_code")
    subject_field = "candidate_id"

    reservation_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    candidate_id = fields.UUID(required=True)
    candidate_name = _personal()
    neph = _personal(validate=validate.Regexp(r"^\d{12}$"))
    sealed = _sealed()
    session_id = fields.UUID(required=True)
    centre_name = fields.String(required=True)
    centre_address = fields.String(required=True)
    centre_city = fields.String(required=True)
    exam_starts_at = fields.String(required=True)
    checkout_id = fields.UUID(required=True)
    confirmed_at = fields.AwareDateTime(required=True)
    # Added in v1 (readers ignore what they do not know), for the convocation:
    # None when the reservation was held before booking kept them.
    birth_date = _personal()
    school_name = fields.String(load_default=None, allow_none=True)
    change_deadline = fields.String(load_default=None, allow_none=True)
    verification_code = _personal()


class PaymentCaptured(_ToTheSchool):
    """A cart is paid: its reservations become confirmed (BO-4, BI-2)."""

    event_type = "PaymentCaptured"
    version = 2
    # The invoice names the candidates it pays for: sealed with the school's
    # key (v2), as is the school's address.
    personal = ("school_email", "invoice")

    checkout_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    reservation_ids = fields.List(fields.UUID(), required=True)
    amount_cents = fields.Integer(required=True)
    invoice_number = fields.Integer(required=True)
    captured_at = fields.AwareDateTime(required=True)
    # Added in v1 (readers ignore what they do not know): who to thank.
    school_email = _personal(fields.Email)
    # Added in v1: the invoice's figures as issued (services/billing/invoices.py),
    # attached to the school's confirmation; names the candidates it pays for.
    invoice = _personal(fields.Dict)
    sealed = _sealed()


class DebitReturned(_ToTheSchool):
    """The bank gave a SEPA debit back (returned or refused, BI-1): the
    payment is unpaid; booking cancels the reservations it paid for whose exam
    is to come, and the school is told which, and why."""

    event_type = "DebitReturned"
    version = 1
    # The school's address and the candidates the payment was for: sealed
    # with the school's key.
    personal = ("school_email", "candidates")

    checkout_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    reservation_ids = fields.List(fields.UUID(), required=True)
    amount_cents = fields.Integer(required=True)
    # As the invoice prints it (« F2026-000012 »).
    invoice_number = fields.String(required=True)
    # The ISO 20022 reason code, and its meaning in French.
    reason_code = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z0-9]{4}$")
    )
    reason = fields.String(required=True)
    returned_at = fields.AwareDateTime(required=True)
    school_email = _personal(fields.Email)
    # One per reservation: reservation_id, candidate_name, neph, centre_name,
    # exam_starts_at (ISO); names None once the checkout's key is gone.
    candidates = fields.List(fields.Dict(), load_default=None, allow_none=True)
    sealed = _sealed()


ALL: tuple[type[Contract], ...] = (
    CandidateCreated,
    CandidateActivationRequested,
    CandidateActivated,
    CandidateArchived,
    EmailValidated,
    CandidateRefused,
    CandidateExpired,
    CandidateErased,
    AccountActivationRequested,
    PasswordResetRequested,
    SignInFailuresReported,
    SessionsRevoked,
    SessionEnded,
    SessionScheduled,
    SessionCancelled,
    SlotReserved,
    SlotReleased,
    PaymentCaptured,
    DebitReturned,
    ReservationConfirmed,
)


Dumper = Callable[[Mapping[str, Any]], dict[str, Any]]


def _value_dumper(field: fields.Field) -> Callable[[Any], Any]:
    """What `field` turns a value into, as its schema's `dump` would."""
    if isinstance(field, fields.Nested):
        dump = dumper(field.nested)  # type: ignore[arg-type]
    elif isinstance(field, fields.List):
        one = _value_dumper(field.inner)
        dump = lambda values: [one(v) for v in values]  # noqa: E731
    elif isinstance(field, fields.DateTime):
        dump = _isoformat
    elif isinstance(field, fields.String | fields.UUID):
        dump = str
    elif isinstance(field, fields.Integer):
        dump = int
    elif isinstance(field, fields.Dict):
        dump = dict  # plain JSON values, as stored in the event
    else:
        raise TypeError(f"no fast dump for {type(field).__name__}")
    return lambda value: None if value is None else dump(value)


def _isoformat(value: Any) -> str:
    return value.isoformat()


def dumper(schema: type[Schema]) -> Dumper:
    """`schema().dump`, compiled once: the relay dumps thousands of events a
    second, and a marshmallow schema costs more to build than the rest of the
    work. Only the field kinds contracts use are known; tests/contracts checks
    both give the same output for every producer."""
    declared = schema._declared_fields.items()
    if any(f.data_key or f.attribute for _, f in declared):
        raise TypeError(f"{schema.__name__}: renamed fields are not compiled")
    steps = [(name, _value_dumper(f)) for name, f in declared if not f.load_only]

    def dump(data: Mapping[str, Any]) -> dict[str, Any]:
        # Like marshmallow, a field absent from the data is absent from the dump.
        return {name: step(data[name]) for name, step in steps if name in data}

    return dump


def by_event_type(event_type: str) -> type[Contract]:
    for contract in ALL:
        if contract.event_type == event_type:
            return contract
    raise KeyError(event_type)
