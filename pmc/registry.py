"""Where each service's code lives, by name. Imported lazily, so that `pmc serve`
can patch eventlet before any service module is loaded."""

from __future__ import annotations

import importlib
from typing import Any

from services.common.settings import SERVICES as PLANNED_SERVICES

# nameko service classes that exist today, in start order.
SERVICE_CLASSES: dict[str, str] = {
    "identity": "services.identity.service:IdentityService",
    "candidates": "services.candidates.service:CandidatesService",
    "scheduling": "services.scheduling.service:SchedulingService",
    "booking": "services.booking.service:BookingService",
    "billing": "services.billing.service:BillingService",
    "notifier": "services.notifier.service:NotifierService",
    "gateway": "gateway.service:GatewayService",
}

APPLICATIONS: dict[str, str] = {
    "identity": "services.identity.application:IdentityApplication",
    "candidates": "services.candidates.application:CandidatesApplication",
    "scheduling": "services.scheduling.application:SchedulingApplication",
    "booking": "services.booking.application:BookingApplication",
    "billing": "services.billing.application:BillingApplication",
    "notifier": "services.notifier.application:NotifierApplication",
}

READ_MODELS: dict[str, str] = {
    "candidates": "services.candidates.projections:READ_MODELS",
    "scheduling": "services.scheduling.projections:READ_MODELS",
    "booking": "services.booking.projections:READ_MODELS",
    "billing": "services.billing.projections:READ_MODELS",
}

NOT_YET_BUILT = tuple(s for s in PLANNED_SERVICES if s not in SERVICE_CLASSES)


def load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def service_class(name: str) -> type:
    return load(SERVICE_CLASSES[name])


def application_class(name: str) -> type:
    return load(APPLICATIONS[name])


def read_models(name: str) -> dict[str, Any]:
    return load(READ_MODELS[name]) if name in READ_MODELS else {}


def subscriptions() -> list[Any]:
    """Every event subscription of every service, for the relays to declare."""
    from services.common.consumer import subscriptions_of

    found = []
    for name in SERVICE_CLASSES:
        found += subscriptions_of(service_class(name))
    return found
