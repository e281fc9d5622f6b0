"""The base of every API schema, errors and messages."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields


class ApiSchema(Schema):
    """Unknown fields are ignored; messages are in French."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": "Le corps de la requête doit être un objet JSON."}


class Part(ApiSchema):
    """An object inside a request body (an address)."""

    error_messages = {"type": "Un objet JSON est attendu ici."}


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
