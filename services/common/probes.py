"""Liveness, readiness and metrics of one process, over HTTP (OP-2, OP-3).

Every process (each `pmc serve NAME`, `pmc relay`) serves on
`PMC_PROBE_ADDRESS` (host:port; `0.0.0.0:9000` in containers, a free port per
process under `pmc up`):

- `GET /health/live`: 200 while the process runs its loop;
- `GET /health/ready`: 200 when it reaches RabbitMQ and PostgreSQL and none of
  its followers is stopped on a failure, else 503 with the reason (short JSON);
- `GET /metrics`: Prometheus' text format.

The server is a small threaded WSGI server apart from the process's own work:
under eventlet (nameko services) its threads are green threads.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

log = logging.getLogger(__name__)

ADDRESS_ENV = "PMC_PROBE_ADDRESS"

# A check returns None when all is well, the short reason when it is not
# (503), or what is degraded while the process still serves (200, « degradé »:
# parked events must not take every replica out of service).
Check = Callable[[], str | dict[str, Any] | None]


def _json(start_response: Any, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


class ProbeApp:
    """The WSGI application of the three endpoints."""

    def __init__(self, live: Check, ready: Check) -> None:
        self.live = live
        self.ready = ready

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _json(start_response, "405 Method Not Allowed", {"status": 405})
        if path == "/metrics":
            data = generate_latest(REGISTRY)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [data]
        if path in ("/health/live", "/health/ready"):
            check = self.live if path.endswith("live") else self.ready
            try:
                reason = check()
            except Exception as exc:  # a check that fails says not ready
                reason = type(exc).__name__
            if reason is None:
                return _json(start_response, "200 OK", {"status": "ok"})
            if isinstance(reason, dict):
                body = {"status": "degradé", **reason}
                return _json(start_response, "200 OK", body)
            body = {"status": "indisponible", "reason": reason}
            return _json(start_response, "503 Service Unavailable", body)
        return _json(start_response, "404 Not Found", {"status": 404})


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes come every few seconds: no line each."""


def address_from_env() -> tuple[str, int] | None:
    """The (host, port) of `PMC_PROBE_ADDRESS`, or None when it is not set."""
    raw = os.environ.get(ADDRESS_ENV, "").strip()
    if not raw:
        return None
    host, _, port = raw.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def serve(live: Check, ready: Check) -> _Server | None:
    """Serve the probes on `PMC_PROBE_ADDRESS`, in the background (nothing
    when it is not set)."""
    address = address_from_env()
    if address is None:
        return None
    server_class = _Server6 if ":" in address[0] else _Server
    server = make_server(
        *address, ProbeApp(live, ready), server_class=server_class, handler_class=_Quiet
    )
    thread = threading.Thread(
        target=server.serve_forever, name="pmc-probes", daemon=True
    )
    thread.start()
    host, port = address
    log.info("probes and metrics served", extra={"address": f"{host}:{port}"})
    return server


def serve_relay(
    relays: Sequence[Any], threads: Sequence[threading.Thread], stop: threading.Event
) -> None:
    """Probes and metrics of `pmc relay` (its relays run in `threads`)."""
    from services.common import metrics

    REGISTRY.register(metrics.RelayCollector(relays))
    depths = metrics.QueueDepths(relays[0].publisher.amqp_uri) if relays else None

    def live() -> str | None:
        # Threads not started yet are starting: only one that ended is dead.
        ended = any(t.ident is not None and not t.is_alive() for t in threads)
        return "arrêté" if stop.is_set() or ended else None

    def ready() -> str | None:
        if (reason := live()) is not None:
            return reason
        paused = [relay.source for relay in relays if relay.paused_since is not None]
        if paused:
            return f"arrêté sur une erreur : {', '.join(paused)}"
        try:
            if depths is not None:
                depths.reachable()
        except Exception as exc:
            return f"RabbitMQ injoignable ({type(exc).__name__})"
        try:
            for relay in relays[:1]:  # one database for all
                with relay.app.datastore.get_connection() as conn:
                    conn.execute("SELECT 1")
        except Exception as exc:
            return f"PostgreSQL injoignable ({type(exc).__name__})"
        return None

    serve(live, ready)
