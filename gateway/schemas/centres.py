"""The exam centres' results files (RE-1, issue 14)."""

from __future__ import annotations

from marshmallow import fields

from gateway.schemas.base import ApiSchema


class RefusedResultLine(ApiSchema):
    # The line's number in the file (1 is the header).
    line = fields.Integer()
    reason = fields.String(metadata={"example": "Note invalide : un nombre de 0 à 40."})


class CentreResultsReport(ApiSchema):
    # Results recorded: every valid line, together (all or none).
    imported = fields.Integer()
    refused = fields.List(fields.Nested(RefusedResultLine))
