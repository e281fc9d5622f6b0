"""Booking's events: the seats a session has left, and reservations confirmed."""

from __future__ import annotations

from marshmallow import fields, validate

from services.common.contracts.base import Contract, personal_field, sealed_field


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


class _AboutASeat(Contract):
    """What every message about one reservation names: ids, and the centre as
    the school and the candidate read it (no personal data)."""

    reservation_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    candidate_id = fields.UUID(required=True)
    session_id = fields.UUID(required=True)
    centre_name = fields.String(required=True)
    centre_city = fields.String(required=True)


class ReservationConfirmed(_AboutASeat):
    """A reservation is paid: the candidate gets the convocation (BO-4, NO-4)."""

    event_type = "ReservationConfirmed"
    version = 2
    personal = ("candidate_name", "neph", "birth_date", "verification_code")
    subject_field = "candidate_id"

    candidate_name = personal_field()
    neph = personal_field(validate=validate.Regexp(r"^\d{12}$"))
    sealed = sealed_field()
    centre_address = fields.String(required=True)
    exam_starts_at = fields.String(required=True)
    checkout_id = fields.UUID(required=True)
    confirmed_at = fields.AwareDateTime(required=True)
    # Added in v1 (readers ignore what they do not know), for the convocation:
    # None when the reservation was held before booking kept them.
    birth_date = personal_field()
    school_name = fields.String(load_default=None, allow_none=True)
    change_deadline = fields.String(load_default=None, allow_none=True)
    verification_code = personal_field()


class ReservationCancelled(_AboutASeat):
    """The school cancelled a paid reservation before the deadline (BO-7), or
    the operator its session (SC-2): the seat is freed; billing refunds what
    the reservation's snapshot says (EX-4; all of it for the operator's), the
    candidate is told. No personal data: ids and the exam."""

    event_type = "ReservationCancelled"
    version = 1

    checkout_id = fields.UUID(required=True)
    exam_starts_at = fields.AwareDateTime(required=True)
    # The price paid and the share refunded as recorded when it was paid
    # (EX-4); None for a reservation paid before they were recorded: billing
    # refunds the invoice's unit price then.
    price_cents = fields.Integer(load_default=None, allow_none=True)
    refund_cents = fields.Integer(load_default=None, allow_none=True)
    cancelled_at = fields.AwareDateTime(required=True)
    # Who did it: « auto-école » (its id is school_id), or « centre d'examen »
    # when the operator cancelled the whole session (SC-2: refunded in full).
    cancelled_by = fields.String(required=True)
    # The operator's words then; "" otherwise.
    reason = fields.String(load_default="")


class ReservationChanged(_AboutASeat):
    """The school moved a paid reservation to another slot before the deadline
    (BO-6): same reservation, same price; the candidate gets a new convocation
    (its fields as `ReservationConfirmed` carries them, for the new session)
    and the school is told. Who it is for travels sealed with the candidate's
    key."""

    event_type = "ReservationChanged"
    version = 1
    personal = ("candidate_name", "neph", "birth_date", "verification_code")
    subject_field = "candidate_id"

    candidate_name = personal_field()
    neph = personal_field(validate=validate.Regexp(r"^\d{12}$"))
    birth_date = personal_field()
    verification_code = personal_field()
    sealed = sealed_field()
    school_name = fields.String(load_default=None, allow_none=True)
    # The new slot, as the convocation prints it.
    centre_address = fields.String(required=True)
    exam_starts_at = fields.String(required=True)
    change_deadline = fields.String(load_default=None, allow_none=True)
    # The slot it left.
    previous_session_id = fields.UUID(required=True)
    previous_centre_name = fields.String(required=True)
    previous_exam_starts_at = fields.AwareDateTime(required=True)
    changed_at = fields.AwareDateTime(required=True)
    # Who did it: « auto-école » (its id is school_id).
    changed_by = fields.String(required=True)


class SeatOffered(_AboutASeat):
    """EX-2: a seat freed on a full session is held in the cart of the school
    first in its waiting list until `expires_at`; the school is told. No
    personal data: ids and the exam."""

    event_type = "SeatOffered"
    version = 1

    entry_id = fields.UUID(required=True)
    exam_starts_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    offered_at = fields.AwareDateTime(required=True)


class HoldCancelled(_AboutASeat):
    """SC-2: an unpaid seat in a school's cart ended with its session, which
    the operator cancelled; the school is told, with the operator's words
    (`reason`, "" when none). No personal data: ids and the exam."""

    event_type = "HoldCancelled"
    version = 1

    exam_starts_at = fields.AwareDateTime(required=True)
    reason = fields.String(load_default="")
    cancelled_at = fields.AwareDateTime(required=True)


class WaitingEntryDropped(Contract):
    """EX-2: the platform took a school's candidate out of a session's waiting
    list (file no longer bookable, a seat elsewhere, the school's share of
    the session reached, the session cancelled); the school is told why.
    Never sent when the school took it out itself. Who the candidate is
    travels sealed with their key (None when the file is gone)."""

    event_type = "WaitingEntryDropped"
    version = 1
    personal = ("candidate_name", "neph")
    subject_field = "candidate_id"

    candidate_name = personal_field()
    neph = personal_field(validate=validate.Regexp(r"^\d{12}$"))
    sealed = sealed_field()

    entry_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    candidate_id = fields.UUID(required=True)
    session_id = fields.UUID(required=True)
    centre_name = fields.String(required=True)
    centre_city = fields.String(required=True)
    exam_starts_at = fields.AwareDateTime(required=True)
    # Booking's word for why (`services/booking/waiting_list.py`): « dossier
    # plus réservable », « déjà une place réservée », « part de la session
    # atteinte », « dossier introuvable », « session annulée ».
    reason = fields.String(required=True)
    # The operator's words when the session was cancelled; "" otherwise.
    operator_reason = fields.String(load_default="")
    dropped_at = fields.AwareDateTime(required=True)


class ReminderDue(_AboutASeat):
    """EX-3: the exam is two days away; the candidate is reminded of it, once
    per exam date (the notifier writes to them). No personal data: ids, the
    school's name and the exam."""

    event_type = "ReminderDue"
    version = 1

    school_name = fields.String(load_default=None, allow_none=True)
    centre_address = fields.String(required=True)
    exam_starts_at = fields.AwareDateTime(required=True)
    reminded_at = fields.AwareDateTime(required=True)
