"""Checkout (BO-4, BI-1, BI-2)."""

from __future__ import annotations

from marshmallow import fields

from gateway.fields import (
    boolean,
    checked,
    text,
)
from gateway.schemas.base import ApiSchema
from services.common import inputs


class CardPayment(ApiSchema):
    cgv = boolean(
        metadata={"description": "Les conditions générales de vente sont acceptées"},
    )
    # The provider's token for the card (its hosted fields give it to the
    # page): the number never comes to the platform.
    card_token = text(
        inputs.CARD_TOKEN,
        data_key="jeton",
        load_only=True,
        metadata={
            "description": "Jeton de la carte, délivré au navigateur par le "
            "prestataire de paiement (GET /api/paiement/carte/prestataire)"
        },
    )
    idempotency_key = text(
        inputs.IDEMPOTENCY_KEY,
        data_key="cle",
        metadata={
            "description": "Une clé par paiement : la même clé ne paie qu'une fois"
        },
    )


class SepaPayment(ApiSchema):
    cgv = boolean()
    iban = checked(
        inputs.IBAN, metadata={"example": "FR14 2004 1010 0505 0001 3M02 606"}
    )
    bic = checked(inputs.BIC, metadata={"example": "PSSTFRPPLIL"})
    # Checked here in full: billing names this field "holder", the page "titulaire".
    holder = text(
        inputs.SEPA_HOLDER,
        data_key="titulaire",
        metadata={"description": "Titulaire du compte"},
    )
    idempotency_key = text(inputs.IDEMPOTENCY_KEY, data_key="cle")


class CardProvider(ApiSchema):
    provider = fields.String(
        data_key="prestataire",
        metadata={"description": "Le prestataire qui débite les cartes"},
    )
    tokenisation_url = fields.String(
        data_key="tokenisation",
        metadata={
            "description": "Où la page envoie le numéro de carte (POST "
            '{"numero": …}) pour recevoir son jeton ; la plateforme ne le voit pas'
        },
    )


class Payment(ApiSchema):
    id = fields.String()
    status = fields.String()
    message = fields.String()
    amount_cents = fields.Integer()
    invoice_number = fields.Integer(allow_none=True)
    reservation_ids = fields.List(fields.String())


class PaymentRow(ApiSchema):
    id = fields.String()
    method = fields.String()
    status = fields.String()
    # Why it is « impayé » (a returned SEPA debit: the bank's reason), or "".
    reason = fields.String()
    amount_cents = fields.Integer()
    seats = fields.Integer()
    invoice_number = fields.Integer(allow_none=True)
    created_at = fields.String()


class PaymentList(ApiSchema):
    items = fields.List(fields.Nested(PaymentRow))
