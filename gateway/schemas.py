"""Request and response shapes of the JSON API. The same schemas validate the
requests and generate the OpenAPI document (GW-1). Business rules (password,
SIRET, phone…) are checked by the services, which report every field at once."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields

FR = {
    "required": "Ce champ est obligatoire.",
    "null": "Ce champ est obligatoire.",
    "invalid": "Cette valeur n'est pas valide.",
    "type": "Cette valeur n'est pas valide.",
}


def text(required: bool = True, **kwargs: Any) -> fields.String:
    return fields.String(required=required, error_messages=FR, **kwargs)


class ApiSchema(Schema):
    """Unknown fields are ignored; messages are in French."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": "Le corps de la requête doit être un objet JSON."}


# -- errors and messages ----------------------------------------------------------


class Error(ApiSchema):
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"example": "donnees_invalides"})
    message = fields.String(required=True)
    field_messages = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages par champ, pour les saisies incorrectes"},
    )


class Message(ApiSchema):
    message = fields.String(required=True)


# -- accounts -------------------------------------------------------------------------


class Address(ApiSchema):
    street = text(metadata={"example": "12 rue de la République"})
    postal_code = text(metadata={"example": "69001", "pattern": r"^\d{5}$"})
    city = text(metadata={"example": "Lyon"})


class SignUp(ApiSchema):
    email = text(metadata={"format": "email"})
    password = text(
        load_only=True,
        metadata={
            "description": "Au moins 8 caractères, une minuscule, une majuscule "
            "et un chiffre"
        },
    )
    civility = text(metadata={"enum": ["M", "MME"]})
    last_name = text()
    first_name = text()
    phone = text(metadata={"example": "06 12 34 56 78"})
    company_name = text(metadata={"description": "Raison sociale"})
    siret = text(metadata={"description": "14 chiffres", "example": "73282932000074"})
    address = fields.Nested(Address, required=True, error_messages=FR)


class SignUpAccepted(ApiSchema):
    message = fields.String(required=True)
    email = fields.String(required=True)


class Activation(ApiSchema):
    account_id = text(data_key="compte")
    token = text(data_key="jeton")


class EmailOnly(ApiSchema):
    email = text(metadata={"format": "email"})


class PasswordResetConfirm(ApiSchema):
    account_id = text(data_key="compte")
    token = text(data_key="jeton")
    password = text(load_only=True)


class Credentials(ApiSchema):
    email = text(metadata={"format": "email"})
    password = text(load_only=True)


class Profile(ApiSchema):
    account_id = fields.String()
    kind = fields.String()
    email = fields.String()
    civility = fields.String()
    last_name = fields.String()
    first_name = fields.String()
    phone = fields.String()
    company_name = fields.String()
    siret = fields.String()
    address = fields.Nested(Address)
    active = fields.Boolean()


class ProfileChanges(ApiSchema):
    civility = text(required=False, metadata={"enum": ["M", "MME"]})
    last_name = text(required=False)
    first_name = text(required=False)
    phone = text(required=False)
    company_name = text(required=False)
    siret = text(required=False)


class Session(ApiSchema):
    token = fields.String(required=True)
    expires_at = fields.String(required=True)
    account = fields.Nested(Profile)


class PasswordChange(ApiSchema):
    current_password = text(load_only=True)
    new_password = text(load_only=True)


class NewToken(ApiSchema):
    message = fields.String(required=True)
    token = fields.String(required=True)
    expires_at = fields.String(required=True)


# -- candidates (walking skeleton) -------------------------------------------------


class NewCandidate(ApiSchema):
    neph = text(metadata={"description": "12 chiffres"})
    civility = text(metadata={"enum": ["M", "MME"]})
    birth_name = text()
    given_names = text()
    email = text(required=False, allow_none=True, metadata={"format": "email"})


class Candidate(ApiSchema):
    id = fields.String()
    neph = fields.String()
    civility = fields.String()
    birth_name = fields.String()
    given_names = fields.String()
    email = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.String()


class CandidateRow(ApiSchema):
    candidate_id = fields.String()
    neph = fields.String()
    birth_name = fields.String()
    given_names = fields.String()
    status = fields.String()
    created_at = fields.String()


class CandidateList(ApiSchema):
    items = fields.List(fields.Nested(CandidateRow))
