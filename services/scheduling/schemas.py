"""RPC payloads of the scheduling service."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class NewCentre(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1))
    address = fields.String(required=True)
    postal_code = fields.String(required=True, validate=validate.Regexp(r"^\d{5}$"))
    city = fields.String(required=True)
    departement = fields.String(required=True)
    latitude = fields.Float(required=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    pmr = fields.Boolean(load_default=False)
    opening_hours = fields.String(load_default="")


class SearchQuery(Schema):
    query = fields.String(required=True, validate=validate.Length(min=1))
    after = fields.Date(load_default=None, allow_none=True)
    before = fields.Date(load_default=None, allow_none=True)
    individual_only = fields.Boolean(load_default=False)
    pmr_only = fields.Boolean(load_default=False)
    # Which of the towns sharing a name (INSEE code), and how far to look.
    commune = fields.String(load_default=None, allow_none=True)
    radius_km = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(1, 1000)
    )
