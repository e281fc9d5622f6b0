"""The gateway nameko service: HTTP entrypoints composing the services."""

from __future__ import annotations

import eventlet
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from gateway.http import api, json_body, json_response, parse_uuid
from services.common.errors import PlatformError

# Services the gateway needs answering before it calls itself ready.
READY_SERVICES = ("candidates", "notifier")
READY_TIMEOUT = 2.0


class GatewayService:
    """JSON API for front-end clients (GW-1)."""

    name = "gateway"
    candidates = RpcProxy("candidates")
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

    # -- candidates (walking skeleton; the identity issue puts the school id in
    #    the bearer token instead of the request) --------------------------------

    @http("POST", "/api/candidates")
    @api
    def create_candidate(self, request: Request) -> Response:
        """Create a candidate file."""
        body = json_body(request)
        school_id = _school(body.pop("school_id", None))
        created = self.candidates.create_file(school_id, body)
        return json_response(created, status=201)

    @http("GET", "/api/candidates")
    @api
    def list_candidates(self, request: Request) -> Response:
        """The school's candidate files."""
        school_id = _school(request.args.get("school_id"))
        return json_response({"items": self.candidates.list_files(school_id)})

    @http("GET", "/api/candidates/<string:candidate_id>")
    @api
    def get_candidate(self, request: Request, candidate_id: str) -> Response:
        """One candidate file of the school."""
        school_id = _school(request.args.get("school_id"))
        candidate_id = parse_uuid(candidate_id, "Dossier")
        return json_response(self.candidates.get_file(school_id, candidate_id))


def _school(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PlatformError(
            "ecole_manquante",
            "L'auto-école n'est pas indiquée.",
            fields={"school_id": ["Champ obligatoire."]},
        )
    return value.strip()
