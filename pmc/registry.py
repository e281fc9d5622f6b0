"""Where each service's code lives, by name. Imported lazily, so that `pmc serve`
can patch eventlet before any service module is loaded."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

from services.common.settings import SERVICES as PLANNED_SERVICES
from services.common.settings import Settings

# nameko service classes that exist today, in start order.
SERVICE_CLASSES: dict[str, str] = {
    "identity": "services.identity.service:IdentityService",
    "candidates": "services.candidates.service:CandidatesService",
    "scheduling": "services.scheduling.service:SchedulingService",
    "booking": "services.booking.service:BookingService",
    "billing": "services.billing.service:BillingService",
    "notifier": "services.notifier.service:NotifierService",
    "results": "services.results.service:ResultsService",
    "gateway": "gateway.service:GatewayService",
}

APPLICATIONS: dict[str, str] = {
    "identity": "services.identity.application:IdentityApplication",
    "candidates": "services.candidates.application:CandidatesApplication",
    "scheduling": "services.scheduling.application:SchedulingApplication",
    "booking": "services.booking.application:BookingApplication",
    "billing": "services.billing.application:BillingApplication",
    "notifier": "services.notifier.application:NotifierApplication",
    "results": "services.results.application:ResultsApplication",
}

READ_MODELS: dict[str, str] = {
    "identity": "services.identity.projections:READ_MODELS",
    "candidates": "services.candidates.projections:READ_MODELS",
    "scheduling": "services.scheduling.projections:READ_MODELS",
    "booking": "services.booking.projections:READ_MODELS",
    "billing": "services.billing.projections:READ_MODELS",
    "results": "services.results.projections:READ_MODELS",
}

NOT_YET_BUILT = tuple(s for s in PLANNED_SERVICES if s not in SERVICE_CLASSES)


def nameko_config(
    name: str, settings: Settings, environ: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The nameko config of one service: the shared one, and the gateway's own.

    The gateway's workers mostly wait for other services, so it has more of
    them; requests beyond them queue a while, then get a 503 (gateway.server).
    Its concurrency is about twice what booking, behind its busiest requests,
    takes at once (holds arriving together share a commit there), so that
    beyond that requests queue at the gateway, where a refusal means "not
    done", rather than in RabbitMQ, where a timeout means "maybe done".
    """
    env = os.environ if environ is None else environ
    config = settings.nameko_config()
    # Correlation ids, RPC metrics and log lines (services/common/container.py).
    config["SERVICE_CONTAINER_CLS"] = "services.common.container.ObservedContainer"
    if name == "booking":
        # Concurrent holds of different sessions share commits (group commit):
        # more of them at once, fewer commits per hold.
        config["max_workers"] = int(env.get("PMC_BOOKING_WORKERS", "40"))
    if name == "gateway":
        config.update(
            {
                "max_workers": int(env.get("PMC_GATEWAY_WORKERS", "80")),
                "WEB_SERVER_BACKLOG": int(env.get("PMC_GATEWAY_BACKLOG", "1024")),
                "WEB_SERVER_QUEUE": int(env.get("PMC_GATEWAY_QUEUE", "1000")),
                "WEB_SERVER_QUEUE_SECONDS": float(
                    env.get("PMC_GATEWAY_QUEUE_SECONDS", "45")
                ),
            }
        )
    return config


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
