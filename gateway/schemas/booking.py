"""Search and booking (SC-3, BO-1…BO-5)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, pre_load, validate

from gateway.fields import (
    FR,
    Day,
    QueryBoolean,
    WholeNumber,
    text,
)
from gateway.schemas.base import ApiSchema
from services.common import inputs


class NephQuery(ApiSchema):
    neph = text(inputs.NEPH)


INSEE_CODE = inputs.Rule(5, r"^[0-9][0-9AB][0-9]{3}$", "Cette commune n'existe pas.")


class SessionSearch(ApiSchema):
    query = text(
        inputs.SEARCH, data_key="lieu", metadata={"description": "Ville ou code postal"}
    )
    after = Day(
        data_key="a_partir_du", load_default=None, allow_none=True, error_messages=FR
    )
    before = Day(
        data_key="avant_le", load_default=None, allow_none=True, error_messages=FR
    )
    individual_only = QueryBoolean(
        data_key="individuelle", load_default=False, error_messages=FR
    )
    pmr_only = QueryBoolean(data_key="pmr", load_default=False, error_messages=FR)
    commune = text(
        INSEE_CODE,
        required=False,
        load_default=None,
        metadata={"description": "Code INSEE de la commune choisie (homonymes)"},
    )
    radius_km = WholeNumber(
        data_key="rayon",
        load_default=None,
        allow_none=True,
        validate=validate.Range(
            1, 1000, error="Le rayon de recherche va de 1 à 1 000 km."
        ),
        error_messages=FR,
        metadata={"description": "Distance maximale, en km (par défaut 100)"},
    )


class Slot(ApiSchema):
    id = fields.String()
    starts_at = fields.String()
    duration_minutes = fields.Integer()
    kind = fields.String()
    seats = fields.Integer()
    free_seats = fields.Integer()


class Centre(ApiSchema):
    id = fields.String()
    name = fields.String()
    address = fields.String()
    postal_code = fields.String()
    city = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    pmr = fields.Boolean()
    opening_hours = fields.String()
    distance_km = fields.Float()
    free_seats = fields.Integer()
    sessions = fields.List(fields.Nested(Slot))


class Place(ApiSchema):
    name = fields.String()
    commune = fields.String()
    departement = fields.String()
    departement_name = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()


class PlaceChoice(ApiSchema):
    commune = fields.String()
    name = fields.String()
    departement = fields.String()
    departement_name = fields.String()
    postal_code = fields.String()


class SearchResult(ApiSchema):
    # None while `choices` lists the towns sharing the name typed.
    place = fields.Nested(Place, allow_none=True)
    choices = fields.List(fields.Nested(PlaceChoice))
    radius_km = fields.Float()
    notice = fields.String(allow_none=True)
    centres = fields.List(fields.Nested(Centre))


class HoldRequest(ApiSchema):
    neph = text(inputs.NEPH)
    session_id = text(inputs.TOKEN, data_key="session")


class SlotChange(ApiSchema):
    session_id = text(inputs.TOKEN, data_key="session")


class ReservationChange(ApiSchema):
    """BO-6: the session to move a paid reservation to, as `session_id` (or
    `session`, the name a hold uses)."""

    session_id = text(inputs.TOKEN)

    @pre_load
    def _either_name(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and "session_id" not in data and "session" in data:
            return {**data, "session_id": data["session"]}
        return data


class CartLine(ApiSchema):
    id = fields.String()
    candidate_id = fields.String()
    neph = fields.String()
    candidate_name = fields.String()
    session_id = fields.String()
    centre_name = fields.String()
    centre_city = fields.String()
    exam_starts_at = fields.String()
    expires_at = fields.String()
    status = fields.String()
    # BO-6, BO-7: until when a change or a cancellation is allowed (ISO 8601),
    # null once past or while not confirmed.
    changes_allowed_until = fields.String(allow_none=True)
    # The day it was paid (Paris, ISO 8601 date), null unless paid.
    paid_on = fields.String(allow_none=True)
    # How it was paid, « carte » or « sepa » (a SEPA refund is made by a
    # later transfer, once the debit is collected), null unless paid.
    payment_method = fields.String(allow_none=True)


class HistoryStep(ApiSchema):
    at = fields.String()
    step = fields.String()
    by = fields.String()


class ReservationDetail(CartLine):
    """A reservation and every step of its history, oldest first (BO-8)."""

    history = fields.List(fields.Nested(HistoryStep))


class Cart(ApiSchema):
    items = fields.List(fields.Nested(CartLine))


class PricedCart(Cart):
    """The cart with what paying it costs now (BI-5: one price per seat, TTC)."""

    seat_price_cents = fields.Integer()
    total_cents = fields.Integer()


class ReservationSearch(ApiSchema):
    search = text(inputs.SEARCH, required=False, data_key="recherche")
    exam_date = Day(
        data_key="date", load_default=None, allow_none=True, error_messages=FR
    )
