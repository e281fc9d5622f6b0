"""The digital identity (ID-7): the candidate's request and the agents' desks.
Identity checks every value in full; these schemas bound their sizes."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.fields import text
from gateway.schemas.base import ApiSchema, Part
from services.common import inputs

SHORT = validate.Length(max=100)
# ASCII digits only: « ١٢٣٤٥٦ » or full-width digits are refused, not read.
SIX_DIGITS = inputs.Rule(6, r"^[0-9]{6}$", "Le code comporte 6 chiffres.")
FOUR_DIGITS = inputs.Rule(4, r"^[0-9]{4}$", "Le code secret compte 4 chiffres.")
DOCUMENT_NUMBER = inputs.Rule(
    12,
    r"^[A-Za-z0-9]{8,12}$",
    "Le numéro de la pièce compte de 8 à 12 lettres ou chiffres.",
)
MODE = inputs.Rule(15, r"^(bureau_de_poste|facteur)$", "Mode de vérification inconnu.")


class Document(Part):
    type = fields.String(required=True, validate=SHORT)
    numero = fields.String(required=True, validate=SHORT)
    date_expiration = fields.String(required=True, validate=SHORT)
    date_delivrance = fields.String(load_default=None, allow_none=True, validate=SHORT)


class IdentityRequest(ApiSchema):
    civilite = fields.String(required=True, validate=SHORT)
    prenoms = fields.List(
        fields.String(validate=SHORT), required=True, validate=validate.Length(max=10)
    )
    nom_naissance = fields.String(required=True, validate=SHORT)
    nom_usage = fields.String(load_default=None, allow_none=True, validate=SHORT)
    date_naissance = fields.String(required=True, validate=SHORT)
    commune_naissance = fields.String(required=True, validate=SHORT)
    pays_naissance = fields.String(required=True, validate=SHORT)
    nationalite = fields.String(required=True, validate=SHORT)
    document = fields.Nested(Document, required=True)


class CheckChoice(ApiSchema):
    mode = text(MODE)
    creneau = fields.String(load_default=None, allow_none=True, validate=SHORT)


class OnlineFiles(ApiSchema):
    """The photos and the video, base64; their type is read from their bytes."""

    recto = fields.String(required=True)
    verso = fields.String(load_default=None, allow_none=True)
    video = fields.String(required=True)


class Activation(ApiSchema):
    code = text(SIX_DIGITS)
    code_secret = text(FOUR_DIGITS)


class StrongCredentials(ApiSchema):
    telephone = fields.String(required=True, validate=validate.Length(max=30))
    code_secret = text(FOUR_DIGITS)


class AgentCredentials(ApiSchema):
    email = text(inputs.EMAIL_LOOKUP, metadata={"format": "email"})
    password = fields.String(
        required=True, load_only=True, data_key="mot_de_passe", validate=SHORT
    )


class CounterSearch(ApiSchema):
    numero = text(DOCUMENT_NUMBER)


class CounterCheck(ApiSchema):
    code = text(SIX_DIGITS)


class Decision(ApiSchema):
    accepte = fields.Boolean(required=True)
    motif = fields.String(load_default=None, allow_none=True, validate=SHORT)


class Refusal(ApiSchema):
    motif = fields.String(required=True, validate=validate.Length(min=1, max=300))
