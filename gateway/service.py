"""The gateway nameko service: JSON API (GW-1), pages (GW-2), health.

The routes live in `gateway.routes`, one mixin per area; this class adds the
services they call and the health endpoints. Every HTTP entrypoint uses
`gateway.server.http` and every proxy `gateway.rpc.RpcProxy` (GW-3, TR-3)."""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from nameko.exceptions import MethodNotFound, RemoteError
from werkzeug.wrappers import Request, Response

from gateway.http import json_response
from gateway.limits import RateLimits
from gateway.openapi import openapi_document
from gateway.routes.accounts import AccountRoutes
from gateway.routes.booking import BookingRoutes
from gateway.routes.candidate_space import CandidateSpaceRoutes
from gateway.routes.candidates import CandidateRoutes
from gateway.routes.centres import CentreRoutes
from gateway.routes.checkout import CheckoutRoutes
from gateway.routes.digital_identity import DigitalIdentityRoutes
from gateway.routes.exports import ExportRoutes
from gateway.routes.pages import PageRoutes
from gateway.routes.results import ResultRoutes
from gateway.routes.waiting_list import WaitingListRoutes
from gateway.rpc import RpcProxy
from gateway.server import http
from gateway.sessions import Sessions

log = logging.getLogger(__name__)

# Services the gateway needs answering before it calls itself ready.
READY_SERVICES = (
    "identity",
    "candidates",
    "scheduling",
    "booking",
    "billing",
    "notifier",
    "results",
)
# All services are asked at once; readiness answers within this, whatever is
# down (a probe's own timeout is 1 s by default in Kubernetes).
READY_TIMEOUT = 0.8
OK, DEGRADED, DOWN = "ok", "degradé", "indisponible"


def _summary(health: Any) -> dict[str, Any]:
    """What readiness says of one service's health report."""
    if not isinstance(health, dict):
        return {"status": DOWN}
    summary: dict[str, Any] = {"status": health.get("status", DEGRADED)}
    followers = health.get("followers", [])
    for key, label in (("parked", "parked"), ("lag", "behind")):
        found = {f["name"]: f[key] for f in followers if f.get(key)}
        if key == "lag":
            found = {n: v for n, v in found.items() if v > 0}
        if found:
            summary[label] = found
    # Readiness answers anyone: the kind of error only (its text may name a
    # recipient or a database user); `pmc parked list` and the logs say more.
    paused = {
        f["name"]: str(f.get("last_error") or "").split(":", 1)[0]
        for f in followers
        if f.get("paused")
    }
    if paused:
        summary["paused"] = paused
    if health.get("error"):
        summary["error"] = health["error"]
    return summary


class GatewayService(
    AccountRoutes,
    CandidateRoutes,
    CandidateSpaceRoutes,
    DigitalIdentityRoutes,
    BookingRoutes,
    WaitingListRoutes,
    CheckoutRoutes,
    ExportRoutes,
    ResultRoutes,
    CentreRoutes,
    PageRoutes,
):
    """JSON API and web pages for schools and candidates."""

    name = "gateway"
    # Bearer tokens, checked here: no call to identity on an ordinary request.
    sessions = Sessions()
    limits = RateLimits()
    identity = RpcProxy("identity")
    candidates = RpcProxy("candidates")
    scheduling = RpcProxy("scheduling")
    booking = RpcProxy("booking")
    billing = RpcProxy("billing")
    notifier = RpcProxy("notifier")
    results = RpcProxy("results")

    @http("GET", "/health/live")
    def live(self, request: Request) -> Response:
        """Liveness: the process answers."""
        return json_response({"status": "ok"})

    @http("GET", "/health/ready")
    def ready(self, request: Request) -> Response:
        """Readiness: which service answers, and which of their read models or
        senders is degraded (parked events, behind, paused) and by how much.

        200 while every service answers, `status: "degradé"` when some part is
        degraded: one parked event must not take a gateway that serves
        everything else out of rotation. 503 when a service does not answer.
        """
        reports: dict[str, Any] = {}

        def ask(name: str) -> None:
            proxy = getattr(self, name)
            try:
                try:
                    reports[name] = proxy.health()
                except (MethodNotFound, RemoteError) as exc:
                    kind = getattr(exc, "exc_type", type(exc).__name__)
                    if kind != "MethodNotFound":
                        raise
                    # A replica of the previous release, during a rollout: it
                    # answers, its followers are not reported.
                    proxy.ping()
                    reports[name] = {"status": OK, "followers": []}
            except Exception:
                log.warning("%s did not answer the readiness probe", name)

        threads = [eventlet.spawn(ask, name) for name in READY_SERVICES]
        # A broker that is down blocks the proxies' connect: bound every call.
        with eventlet.Timeout(READY_TIMEOUT, False):
            for thread in threads:
                thread.wait()
        for thread in threads:
            thread.kill()
        services = {name: _summary(reports.get(name)) for name in READY_SERVICES}
        # Until this replica knows the revoked sessions, it trusts no token.
        sessions = OK if self.sessions.view.loaded else DOWN
        states = {summary["status"] for summary in services.values()} | {sessions}
        status = DOWN if DOWN in states else DEGRADED if DEGRADED in states else OK
        body: dict[str, Any] = {
            "status": status,
            "services": services,
            "sessions": sessions,
        }
        for key, state in (("down", DOWN), ("degraded", DEGRADED)):
            names = [n for n, s in services.items() if s["status"] == state]
            if names:
                body[key] = names
        return json_response(body, 503 if status == DOWN else 200)

    @http("GET", "/api/openapi.json")
    def openapi(self, request: Request) -> Response:
        """The OpenAPI 3 document of this API."""
        return json_response(openapi_document())
