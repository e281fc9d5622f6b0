"""Schools' accounts: sign-up, activation, sign-in, profile, passwords."""

from __future__ import annotations

from marshmallow import fields

from gateway.fields import (
    FR,
    checked,
    text,
)
from gateway.schemas.base import ApiSchema, Part
from services.common import inputs


class Address(Part):
    street = checked(inputs.STREET, metadata={"example": "12 rue de la République"})
    postal_code = checked(inputs.POSTAL_CODE, metadata={"example": "69001"})
    city = checked(inputs.CITY, metadata={"example": "Lyon"})


class SignUp(ApiSchema):
    email = checked(inputs.EMAIL, metadata={"format": "email"})
    password = checked(
        inputs.PASSWORD,
        load_only=True,
        metadata={
            "description": "Au moins 8 caractères, une minuscule, une majuscule "
            "et un chiffre"
        },
    )
    civility = checked(inputs.CIVILITY, metadata={"enum": ["M", "MME"]})
    last_name = checked(inputs.NAME)
    first_name = checked(inputs.NAME)
    phone = checked(inputs.PHONE, metadata={"example": "06 12 34 56 78"})
    company_name = checked(inputs.COMPANY, metadata={"description": "Raison sociale"})
    siret = checked(inputs.SIRET, metadata={"example": "73282932000074"})
    address = fields.Nested(Address, required=True, error_messages=FR)


class SignUpAccepted(ApiSchema):
    message = fields.String(required=True)
    email = fields.String(required=True)


class Activation(ApiSchema):
    account_id = text(inputs.TOKEN, data_key="compte")
    token = text(inputs.TOKEN, data_key="jeton")


class EmailOnly(ApiSchema):
    email = text(inputs.EMAIL_LOOKUP, metadata={"format": "email"})


class PasswordResetConfirm(ApiSchema):
    account_id = text(inputs.TOKEN, data_key="compte")
    token = text(inputs.TOKEN, data_key="jeton")
    password = checked(inputs.PASSWORD, load_only=True)


class Credentials(ApiSchema):
    email = text(inputs.EMAIL_LOOKUP, metadata={"format": "email"})
    password = checked(inputs.PASSWORD, load_only=True)


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
    civility = checked(inputs.CIVILITY, required=False, metadata={"enum": ["M", "MME"]})
    last_name = checked(inputs.NAME, required=False)
    first_name = checked(inputs.NAME, required=False)
    phone = checked(inputs.PHONE, required=False)
    company_name = checked(inputs.COMPANY, required=False)
    siret = checked(inputs.SIRET, required=False)


class Session(ApiSchema):
    token = fields.String(required=True)
    expires_at = fields.String(required=True)
    account = fields.Nested(Profile)


class PasswordChange(ApiSchema):
    current_password = checked(inputs.PASSWORD, load_only=True)
    new_password = checked(inputs.PASSWORD, load_only=True)


class NewToken(ApiSchema):
    message = fields.String(required=True)
    token = fields.String(required=True)
    expires_at = fields.String(required=True)
