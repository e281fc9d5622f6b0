"""The nameko container of every service, observed (OP-3): each worker runs
with its request's correlation id current (nameko carries it in the context
of RPC calls; consumers take it from the event's message), each RPC entrypoint
counts and times itself, and each handled RPC or event leaves one log line.
That line names the method or queue, the outcome, the time taken and the ids
of the events, never an RPC's arguments or an event's payload: they hold names,
NEPHs, e-mail addresses and tokens.

Also the glue `pmc serve` uses to serve a service's probes and metrics.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from nameko.containers import ServiceContainer
from nameko.rpc import Rpc
from prometheus_client import REGISTRY

from services.common import logs, metrics, probes
from services.common.consumer import EventConsumer, subscriptions_of
from services.common.topology import dead_letter_queue

log = logging.getLogger(__name__)

# The key of the correlation id in a worker's context_data (and so in the
# `nameko.correlation_id` header of the RPC messages it sends).
CONTEXT_KEY = "correlation_id"
# Asked every few seconds by the gateway's readiness: counted, not logged.
QUIET_METHODS = frozenset({"health", "ping"})


class ObservedContainer(ServiceContainer):
    """nameko's container, binding correlation ids and measuring entrypoints."""

    def _worker_setup(self, worker_ctx: Any) -> None:
        # Runs in the worker's own green thread, which has its own context.
        logs.bind(worker_ctx.context_data.get(CONTEXT_KEY))
        worker_ctx.pmc_started = time.perf_counter()
        super()._worker_setup(worker_ctx)

    def _worker_result(self, worker_ctx: Any, result: Any, exc_info: Any) -> None:
        super()._worker_result(worker_ctx, result, exc_info)
        entrypoint = worker_ctx.entrypoint
        if isinstance(entrypoint, Rpc):
            self._observe_rpc(worker_ctx, entrypoint, exc_info)
        elif isinstance(entrypoint, EventConsumer):
            self._log_event(worker_ctx, entrypoint, exc_info)

    def _observe_rpc(self, worker_ctx: Any, entrypoint: Rpc, exc_info: Any) -> None:
        seconds = time.perf_counter() - worker_ctx.pmc_started
        failed = exc_info is not None and not isinstance(
            exc_info[1], entrypoint.expected_exceptions
        )
        outcome = "error" if failed else "ok"
        method = entrypoint.method_name
        metrics.RPC_REQUESTS.labels(self.service_name, method, outcome).inc()
        metrics.RPC_DURATION.labels(self.service_name, method).observe(seconds)
        if method in QUIET_METHODS and not failed:
            return
        log.info(
            "rpc handled",
            extra={
                "method": method,
                "outcome": outcome,
                "duration_ms": round(seconds * 1000, 2),
            },
        )

    def _log_event(self, worker_ctx: Any, entrypoint: EventConsumer, exc_info: Any):
        """One line per message handled, with its request's correlation id; a
        batch consumer's worker, which handles many at once (of as many
        requests), writes one line naming them all."""
        handled = worker_ctx.args[0] if worker_ctx.args else []
        seconds = time.perf_counter() - worker_ctx.pmc_started
        fields: dict[str, Any] = {
            "queue": entrypoint.queue.name,
            "outcome": "ok" if exc_info is None else "error",
            "duration_ms": round(seconds * 1000, 2),
        }
        if isinstance(handled, list):
            envelopes = [delivered.envelope for delivered in handled]
            fields["event_ids"] = [e.event_id for e in envelopes]
            fields["correlation_ids"] = sorted(
                {e.correlation_id for e in envelopes if e.correlation_id}
            )
            log.info("events handled", extra=fields)
            return
        envelope = handled.envelope
        fields["event_id"] = envelope.event_id
        if envelope.correlation_id:
            fields["correlation_id"] = envelope.correlation_id
        log.info("event handled", extra=fields)


# -- probes of a running service --------------------------------------------


def _provider(container: ServiceContainer, kind: type) -> Any:
    return next((d for d in container.dependencies if isinstance(d, kind)), None)


def _followers(container: ServiceContainer) -> list[Any]:
    from services.common.dependencies import ApplicationProvider

    provider = _provider(container, ApplicationProvider)
    return provider.followers if provider is not None else []


def serve_probes(container: ServiceContainer) -> None:
    """Probes and metrics of one service's container (on PMC_PROBE_ADDRESS)."""
    from services.common.dependencies import ApplicationProvider, service_health

    name = container.service_name
    queues = [s.queue().name for s in subscriptions_of(container.service_cls)]
    depths = metrics.QueueDepths(container.config["AMQP_URI"])
    collector = metrics.ServiceCollector(
        name,
        lambda: _followers(container),
        queues,
        depths,
        lambda queue: dead_letter_queue(queue).name,
    )
    REGISTRY.register(collector)

    def live() -> str | None:
        return "arrêté" if container._died.ready() else None

    def ready() -> str | dict[str, Any] | None:
        if container._died.ready():
            return "arrêté"
        try:
            depths.reachable()
        except Exception as exc:
            return f"RabbitMQ injoignable ({type(exc).__name__})"
        # Dependencies with a state of their own say whether they are ready
        # (the gateway's revoked sessions).
        for dependency in container.dependencies:
            reason = getattr(dependency, "not_ready", lambda: None)()
            if reason:
                return reason
        provider = _provider(container, ApplicationProvider)
        if provider is None or provider.application is None:
            return None
        health = service_health(name, provider.application)
        if health.get("error"):
            return "PostgreSQL injoignable"
        followers = health.get("followers", [])
        paused = [f["name"] for f in followers if f.get("paused")]
        if paused:
            return f"arrêté sur une erreur : {', '.join(paused)}"
        parked = {f["name"]: f["parked"] for f in followers if f.get("parked")}
        return {"parked": parked} if parked else None

    probes.serve(live, ready)
