"""RPC payloads of the candidates service."""

from __future__ import annotations

from marshmallow import Schema, fields


class NewCandidateFile(Schema):
    """What a school sends to create a candidate file (skeleton fields)."""

    neph = fields.String(required=True)
    civility = fields.String(required=True)
    birth_name = fields.String(required=True)
    given_names = fields.String(required=True)
    email = fields.String(load_default=None, allow_none=True)


class CandidateFileView(Schema):
    id = fields.String()
    school_id = fields.String()
    neph = fields.String()
    civility = fields.String()
    birth_name = fields.String()
    given_names = fields.String()
    email = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.String()
