"""The digital identity (ID-7): the candidate's request and the agents' desks.
Identity checks every value in full; these schemas bound their sizes."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.fields import FR, checked, text
from gateway.schemas.base import ApiSchema, Part
from services.common import inputs

# ASCII digits only: « ١٢٣٤٥٦ » or full-width digits are refused, not read.
SIX_DIGITS = inputs.Rule(6, r"^[0-9]{6}$", "Le code comporte 6 chiffres.")
FOUR_DIGITS = inputs.Rule(4, r"^[0-9]{4}$", "Le code secret compte 4 chiffres.")
DOCUMENT_NUMBER = inputs.Rule(
    12,
    r"^[A-Za-z0-9]{8,12}$",
    "Le numéro de la pièce compte de 8 à 12 lettres ou chiffres.",
)
MODE = inputs.Rule(
    15, r"^(bureau_de_poste|facteur|en_ligne)$", "Mode de vérification inconnu."
)
SHORT = inputs.Rule(60)
DAY = inputs.Rule(10)
# The base64 of a file: a photo of 2 Mo, a video of 8 Mo (identity checks
# their real type and size once decoded).
PHOTO = inputs.Rule(3 * 1024 * 1024, r"^[A-Za-z0-9+/=]*$", "Fichier illisible.")
VIDEO = inputs.Rule(11 * 1024 * 1024, r"^[A-Za-z0-9+/=]*$", "Fichier illisible.")
REASON = inputs.Rule(300)


class Document(Part):
    type = checked(SHORT)
    numero = checked(SHORT)
    date_expiration = checked(DAY)
    date_delivrance = checked(DAY, required=False)


class IdentityRequest(ApiSchema):
    civilite = checked(inputs.CIVILITY)
    prenoms = fields.List(
        checked(SHORT),
        required=True,
        validate=validate.Length(max=10, error="Pas plus de 10 prénoms."),
        error_messages=FR,
    )
    nom_naissance = checked(SHORT)
    nom_usage = checked(SHORT, required=False)
    date_naissance = checked(DAY)
    commune_naissance = checked(SHORT)
    pays_naissance = checked(SHORT)
    nationalite = checked(SHORT)
    document = fields.Nested(Document, required=True, error_messages=FR)


class CheckChoice(ApiSchema):
    mode = text(MODE)
    creneau = checked(DAY, required=False)


class OnlineFiles(ApiSchema):
    """The photos and the video, base64; their type is read from their bytes."""

    recto = checked(PHOTO)
    verso = checked(PHOTO, required=False)
    video = checked(VIDEO)


class Activation(ApiSchema):
    code = text(SIX_DIGITS)
    code_secret = text(FOUR_DIGITS)


class StrongCredentials(ApiSchema):
    telephone = text(inputs.PHONE)
    code_secret = text(FOUR_DIGITS)


class AgentCredentials(ApiSchema):
    email = text(inputs.EMAIL_LOOKUP, metadata={"format": "email"})
    password = checked(inputs.PASSWORD, load_only=True, data_key="mot_de_passe")


class CounterSearch(ApiSchema):
    numero = text(DOCUMENT_NUMBER)


class CounterCheck(ApiSchema):
    code = text(SIX_DIGITS)


class Decision(ApiSchema):
    accepte = fields.Boolean(
        required=True, truthy={True}, falsy={False}, error_messages=FR
    )
    motif = checked(REASON, required=False)


class Refusal(ApiSchema):
    motif = checked(REASON)
