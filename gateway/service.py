"""The gateway nameko service: JSON API (GW-1), pages (GW-2), health.

The routes live in `gateway.routes`, one mixin per area; this class adds the
services they call and the health endpoints. Every HTTP entrypoint uses
`gateway.server.http` and every proxy `gateway.rpc.RpcProxy` (GW-3, TR-3)."""

from __future__ import annotations

import eventlet
from werkzeug.wrappers import Request, Response

from gateway.api import openapi_document
from gateway.http import json_response
from gateway.routes.accounts import AccountRoutes
from gateway.routes.booking import BookingRoutes
from gateway.routes.candidates import CandidateRoutes
from gateway.routes.pages import PageRoutes
from gateway.rpc import RpcProxy
from gateway.server import http

# Services the gateway needs answering before it calls itself ready.
READY_SERVICES = (
    "identity",
    "candidates",
    "scheduling",
    "booking",
    "billing",
    "notifier",
)
READY_TIMEOUT = 2.0


class GatewayService(AccountRoutes, CandidateRoutes, BookingRoutes, PageRoutes):
    """JSON API and web pages for schools and candidates."""

    name = "gateway"
    identity = RpcProxy("identity")
    candidates = RpcProxy("candidates")
    scheduling = RpcProxy("scheduling")
    booking = RpcProxy("booking")
    billing = RpcProxy("billing")
    notifier = RpcProxy("notifier")

    @http("GET", "/health/live")
    def live(self, request: Request) -> Response:
        """Liveness: the process answers."""
        return json_response({"status": "ok"})

    @http("GET", "/health/ready")
    def ready(self, request: Request) -> Response:
        """Readiness: every service the gateway calls answers in time."""
        down = []
        for name in READY_SERVICES:
            try:
                with eventlet.Timeout(READY_TIMEOUT):
                    getattr(self, name).ping()
            except (Exception, eventlet.Timeout):
                down.append(name)
        if down:
            return json_response({"status": "indisponible", "down": down}, 503)
        return json_response({"status": "ok"})

    @http("GET", "/api/openapi.json")
    def openapi(self, request: Request) -> Response:
        """The OpenAPI 3 document of this API."""
        return json_response(openapi_document())
