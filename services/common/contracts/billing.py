"""Billing's events: payments captured, and SEPA debits the bank returned."""

from __future__ import annotations

from marshmallow import fields, validate

from services.common.contracts.base import ToTheSchool, personal_field, sealed_field


class PaymentCaptured(ToTheSchool):
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
    school_email = personal_field(fields.Email)
    # Added in v1: the invoice's figures as issued (services/billing/invoices.py),
    # attached to the school's confirmation; names the candidates it pays for.
    invoice = personal_field(fields.Dict)
    sealed = sealed_field()
    # Added later (readers ignore it; absent from older captures): « carte » or
    # « sepa », so that booking knows how a cancellation would be refunded.
    method = fields.String(load_default=None, allow_none=True)


class RefundIssued(ToTheSchool):
    """A cancelled reservation's payment was refunded (BI-4), once, with its
    credit note (facture d'avoir) numbered in its own gapless sequence."""

    event_type = "RefundIssued"
    version = 1
    personal = ("school_email", "credit_note")

    refund_id = fields.UUID(required=True)
    reservation_id = fields.UUID(required=True)
    checkout_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    amount_cents = fields.Integer(required=True)
    method = fields.String(required=True)
    # As printed: « A2026-000001 », and the invoice it refers to.
    credit_note_number = fields.String(required=True)
    invoice_number = fields.String(required=True)
    refunded_at = fields.AwareDateTime(required=True)
    school_email = personal_field(fields.Email)
    # The credit note's figures, attached to the school's e-mail.
    credit_note = personal_field(fields.Dict)
    sealed = sealed_field()
    # Added later (readers ignore it): a SEPA refund's money goes back by
    # transfer, not before this day (Paris, ISO), once the debit is
    # collected; None for a card refund, paid back there and then.
    transfer_from = fields.String(load_default=None, allow_none=True)


class RefundWithheld(ToTheSchool):
    """A SEPA refund will never be transferred (BI-4): the bank returned the
    debit it would give back before it went into a transfer file (money
    never received is never paid back). Once per refund."""

    event_type = "RefundWithheld"
    version = 1
    personal = ("school_email", "candidate_name")

    refund_id = fields.UUID(required=True)
    reservation_id = fields.UUID(required=True)
    checkout_id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    amount_cents = fields.Integer(required=True)
    # As printed: the credit note withheld, and the invoice debited.
    credit_note_number = fields.String(required=True)
    invoice_number = fields.String(required=True)
    # The bank's ISO 20022 reason code of the return, and its meaning.
    reason_code = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z0-9]{4}$")
    )
    reason = fields.String(required=True)
    withheld_at = fields.AwareDateTime(required=True)
    school_email = personal_field(fields.Email)
    # Whose seat it was, as the credit note names them (None once erased).
    candidate_name = personal_field(fields.String)
    sealed = sealed_field()


class DebitReturned(ToTheSchool):
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
    school_email = personal_field(fields.Email)
    # One per reservation: reservation_id, candidate_name, neph, centre_name,
    # exam_starts_at (ISO); names None once the checkout's key is gone.
    candidates = fields.List(fields.Dict(), load_default=None, allow_none=True)
    sealed = sealed_field()
