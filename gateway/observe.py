"""What the gateway notes of each request (OP-3): its correlation id, its
count and latency by route template, one log line."""

from __future__ import annotations

import logging
import time
from typing import Any

from werkzeug.wrappers import Request

from services.common import logs, metrics

log = logging.getLogger(__name__)

# The route label of a request that matched no route.
UNMATCHED = "(aucune)"
# Where the request's correlation id waits for the worker's context.
CORRELATION_ENVIRON = "pmc.correlation_id"
# Probes come every few seconds: counted, not logged.
QUIET_PREFIX = "/health/"


def correlation_id_of(environ: dict[str, Any]) -> str:
    """The client's request id if well formed, else a new one; kept in environ."""
    given = environ.get("HTTP_X_REQUEST_ID") or environ.get("HTTP_X_CORRELATION_ID")
    correlation_id = logs.from_client(given)
    environ[CORRELATION_ENVIRON] = correlation_id
    return correlation_id


def observe(request: Request, route: str, status: int, started: float) -> None:
    """Count, time and log one answer by its route template: never the raw
    path, which holds ids, nor its query string, which may hold a token."""
    seconds = time.perf_counter() - started
    method = request.method
    metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
    metrics.HTTP_DURATION.labels(route, method).observe(seconds)
    if not route.startswith(QUIET_PREFIX):
        log.info(
            "http request",
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
