"""Field rules of exam centres (SC-1): the input policy of services.common.inputs,
whether a centre comes from a CSV file, the demo data or an RPC call, so that
no event of this service carries what the gateway would refuse."""

from __future__ import annotations

import math
from typing import Any

from services.common import inputs
from services.scheduling.domain import SchedulingError

CENTRE_TEXT = {
    "code": (inputs.CENTRE_CODE, True),
    "name": (inputs.PLACE_NAME, True),
    "address": (inputs.PLACE_NAME, True),
    "postal_code": (inputs.POSTAL_CODE, True),
    "city": (inputs.CITY, True),
    "departement": (inputs.Rule(3, r"^(?:[0-9]{2,3}|2A|2B)$"), True),
    "opening_hours": (inputs.OPENING_HOURS, False),
}


def check_centre(data: dict[str, Any]) -> dict[str, Any]:
    """The centre's fields in their stored form, or SchedulingError naming each."""
    clean, errors = inputs.check_fields(data, CENTRE_TEXT)
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = data.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not -limit <= value <= limit
        ):
            errors[name] = [f"Entre -{limit} et {limit} degrés."]
    if not isinstance(data.get("pmr"), bool):
        errors["pmr"] = ["Cette valeur doit être true ou false."]
    if errors:
        raise SchedulingError("Certaines informations sont incorrectes.", errors)
    return {**data, **clean}
