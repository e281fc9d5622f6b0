"""The gateway's HTTP server: nameko's, made to answer every request (GW-3).

nameko's `WebServer` answers unknown paths and wrong methods with werkzeug's
English HTML pages, eventlet answers a URL over 8 KB with an empty 414, and a
burst of connections beyond the listen backlog (50) and the worker pool (10) is
reset. Here every answer, down to the ones written before a request is even
parsed, is in the one error format, in French; the listen backlog is sized, and
requests beyond what the workers can take wait in a bounded queue, then get a
503 with Retry-After: refused before any worker ran, so nothing was done.

Every HTTP entrypoint of the gateway must use this module's `http`: nameko
shares one server per class, and two classes would bind the same port.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterator
from functools import partial
from http import HTTPStatus
from typing import Any

import eventlet
from eventlet import wsgi
from eventlet.semaphore import Semaphore
from nameko.exceptions import ContainerBeingKilled
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from gateway.http import RETRY_AFTER, UNEXPECTED, json_response, refusal, too_large
from gateway.observe import CORRELATION_ENVIRON, UNMATCHED, correlation_id_of, observe
from gateway.security import SecurityHeaders
from services.common import logs
from services.common.container import CONTEXT_KEY
from services.common.settings import Settings

log = logging.getLogger(__name__)

# nameko config keys (see pmc.registry.nameko_config) and their defaults.
BACKLOG_KEY = "WEB_SERVER_BACKLOG"
QUEUE_KEY = "WEB_SERVER_QUEUE"
QUEUE_SECONDS_KEY = "WEB_SERVER_QUEUE_SECONDS"
DEFAULT_BACKLOG = 1024  # the kernel caps it at net.core.somaxconn
DEFAULT_QUEUE = 1000
# With the services' own timeout (PMC_RPC_TIMEOUT, 10 s), an answer comes
# within a minute, before a reverse proxy's usual 60 s give up.
DEFAULT_QUEUE_SECONDS = 45.0
# Workers kept for the health probes, so that an orchestrator never restarts a
# gateway that is merely busy.
HEALTH_WORKERS = 4
HEALTH_PATHS = ("/health/",)

DEFAULT_MAX_BODY = 64 * 1024
URL_LIMIT = 8192
# A client that sends nothing for this long is let go.
SOCKET_SECONDS = 60.0
IDLE_SECONDS = 60.0
# Reading what a refused client still sends, so that closing the connection
# does not reset it before it has read our answer.
LINGER_SECONDS = 2.0
LINGER_BYTES = 16 * 1024 * 1024

OVERLOADED = (
    "Le service reçoit trop de demandes en ce moment : votre demande n'a pas été "
    "effectuée. Veuillez réessayer dans quelques instants."
)
STOPPING = (
    "Le service redémarre : votre demande n'a pas été effectuée. "
    "Veuillez réessayer dans quelques instants."
)
NOT_FOUND = "Cette adresse n'existe pas."
URL_TOO_LONG = "L'adresse demandée est trop longue (8 000 caractères au maximum)."
HEADERS_TOO_LARGE = "Les en-têtes de la requête sont trop volumineux."
MALFORMED = "La requête HTTP est mal formée."
NOT_FOUND_PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page introuvable — Passer mon code</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<main>
<h1>Page introuvable</h1>
<p>Cette page n'existe pas ou a été déplacée.</p>
<p><a href="/">Retour à l'accueil</a></p>
</main>
</body>
</html>
"""


def wants_json(path: str) -> bool:
    """The API and the probes answer JSON; the site's pages answer HTML."""
    return path.startswith(("/api/", "/health/")) or path in ("/api", "/health")


def not_found(request: Request) -> Response:
    if wants_json(request.path):
        return refusal(404, "introuvable", NOT_FOUND)
    response = Response(NOT_FOUND_PAGE, status=404)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def method_not_allowed(request: Request, allowed: list[str]) -> Response:
    methods = ", ".join(sorted(allowed))
    message = (
        f"La méthode {request.method} n'est pas acceptée à cette adresse "
        f"(méthodes acceptées : {methods})."
    )
    response = refusal(405, "methode_non_autorisee", message)
    response.headers["Allow"] = methods
    return response


def overloaded() -> Response:
    return refusal(503, "surcharge", OVERLOADED, headers={"Retry-After": RETRY_AFTER})


def raw_refusal(status: int, code: str, message: str) -> bytes:
    """A whole HTTP response, for refusals written before WSGI takes over."""
    body = json.dumps(
        {"status": status, "code": code, "message": message}, ensure_ascii=False
    ).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class GatewayProtocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol, with its own refusals in the one format."""

    def _read_request_line(self) -> Any:
        line = super()._read_request_line()
        if len(line) >= self.server.url_length_limit:
            self._refuse(414, "adresse_trop_longue", URL_TOO_LONG)
            return ""  # eventlet then closes the connection, writing nothing
        return line

    def parse_request(self) -> bool:
        try:
            parsed = super().parse_request()
        except (wsgi.HeaderLineTooLong, wsgi.HeadersTooLarge):
            self._refuse(431, "entetes_trop_volumineux", HEADERS_TOO_LARGE)
            return False
        if not parsed:
            return False
        # eventlet's own checks of these answer empty or English 400s.
        length = self.headers.get("Content-Length")
        if length is not None and (
            not (length.isascii() and length.isdigit())
            or "Transfer-Encoding" in self.headers
        ):
            self._refuse(400, "requete_invalide", MALFORMED)
            return False
        return True

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """http.server's refusals (bad request line, version…), in French JSON."""
        if code == 431:
            self._refuse(431, "entetes_trop_volumineux", HEADERS_TOO_LARGE)
        else:
            self._refuse(code if code >= 400 else 400, "requete_invalide", MALFORMED)

    def handle_one_response(self) -> None:
        super().handle_one_response()
        body = self.environ["eventlet.input"]
        unread = body.chunked_input or body.position < (body.content_length or 0)
        if self.close_connection and unread:
            self._linger()

    def _refuse(self, status: int, code: str, message: str) -> None:
        self.close_connection = True
        try:
            self.wfile.write(raw_refusal(status, code, message))
            self.wfile.flush()
        except OSError:
            return
        self._linger()

    def _linger(self) -> None:
        """Let the client finish sending before we close, or it sees a reset."""
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS)
            budget = LINGER_BYTES
            while budget > 0:
                chunk = self.connection.recv(min(65536, budget))
                if not chunk:
                    break
                budget -= len(chunk)


class GatewayApp(WsgiApp):
    """Routing whose misses answer in French, and never an exception; every
    answer with the security headers (gateway/security.py)."""

    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.security = SecurityHeaders(Settings.from_env().card_simulator_url)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        started = time.perf_counter()
        correlation_id = correlation_id_of(environ)
        token = logs.bind(correlation_id)
        try:
            request = Request(environ, shallow=True)
            route, response = self._respond(request)
            response.headers[logs.RESPONSE_HEADER] = correlation_id
            self.security.add_to(response, request)
            observe(request, route, response.status_code, started)
            return response(environ, start_response)
        finally:
            logs.unbind(token)

    def _respond(self, request: Request) -> tuple[str, Response]:
        """The route template that matched (UNMATCHED if none) and the answer."""
        route = UNMATCHED
        try:
            adapter = self.url_map.bind_to_environ(request.environ)
            provider, values = adapter.match()
            route = provider.url
            request.path_values = values
            response = provider.handle_request(request)
        except NotFound:
            response = not_found(request)
        except MethodNotAllowed as exc:
            response = method_not_allowed(request, list(exc.valid_methods or ()))
        except RequestRedirect as exc:
            response = Response(status=exc.code, headers={"Location": exc.new_url})
        except HTTPException as exc:
            code = exc.code or 400
            response = refusal(code, "requete_invalide", MALFORMED)
        except Exception:
            # The route template, never the path or its query: they may hold
            # what a client typed.
            log.exception("unexpected error on %s %s", request.method, route)
            response = refusal(500, "erreur_interne", UNEXPECTED)
        return route, response


class Admission:
    """At most `slots` requests at work; up to `queue` more wait `seconds` for
    a slot, and any other is refused at once."""

    def __init__(self, slots: int, queue: int, seconds: float) -> None:
        self._slots = Semaphore(max(1, slots))
        self.queue = queue
        self.seconds = seconds
        self.waiting = 0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[bool]:
        admitted = self._slots.acquire(blocking=False)
        if not admitted and self.waiting < self.queue:
            self.waiting += 1
            try:
                admitted = self._slots.acquire(timeout=self.seconds)
            finally:
                self.waiting -= 1
        try:
            yield admitted
        finally:
            if admitted:
                self._slots.release()


class GatewayServer(WebServer):
    """nameko's web server with a sized backlog, a bounded queue and French
    answers at every level."""

    admission: Admission

    def start(self) -> None:
        if self._starting:
            return
        self._starting = True
        config = self.container.config
        backlog = int(config.get(BACKLOG_KEY, DEFAULT_BACKLOG))
        self.admission = Admission(
            self.container.max_workers - HEALTH_WORKERS,
            int(config.get(QUEUE_KEY, DEFAULT_QUEUE)),
            float(config.get(QUEUE_SECONDS_KEY, DEFAULT_QUEUE_SECONDS)),
        )
        self._sock = eventlet.listen(self.bind_addr, backlog=backlog)
        self._sock.settimeout(None)  # as nameko does, for kombu issue 838
        self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
        self._gt = self.container.spawn_managed_thread(self.run)

    def get_wsgi_app(self) -> GatewayApp:
        return GatewayApp(self)

    def context_data_from_headers(self, request: Request) -> dict[str, Any]:
        # The worker's RPC calls carry the request's correlation id.
        return {CONTEXT_KEY: request.environ[CORRELATION_ENVIRON]}

    def get_wsgi_server(
        self,
        sock: Any,
        wsgi_app: Any,
        protocol: type = GatewayProtocol,
        debug: bool = False,
    ) -> wsgi.Server:
        return wsgi.Server(
            sock,
            sock.getsockname(),
            wsgi_app,
            protocol=protocol,
            debug=debug,
            log=logging.getLogger("nameko.web.server"),
            # GatewayApp logs each request, without its query string (which
            # may hold a link's token).
            log_output=False,
            url_length_limit=URL_LIMIT,
            socket_timeout=SOCKET_SECONDS,
            keepalive=IDLE_SECONDS,
        )

    def run(self) -> None:
        # nameko's loop ends the whole service on one failed accept (EMFILE…).
        while self._is_accepting:
            try:
                sock, address = self._sock.accept()
            except OSError as exc:
                if not self._is_accepting:
                    return
                log.warning("could not accept a connection: %s", exc)
                eventlet.sleep(0.1)
                continue
            sock.settimeout(self._serv.socket_timeout)
            self.container.spawn_managed_thread(
                partial(self.process_request, sock, address)
            )

    def process_request(self, sock: Any, address: Any) -> None:
        # An error escaping a managed thread would kill the service: one
        # client's broken connection must stay that client's problem.
        try:
            super().process_request(sock, address)
        except Exception:
            log.exception("a connection ended in error")
            with contextlib.suppress(OSError):
                sock.close()


class GatewayHttp(HttpRequestHandler):
    """An HTTP entrypoint of the gateway; `max_body` bytes at most (None: the
    entrypoint checks its body itself, after authentication)."""

    server = GatewayServer()

    def __init__(
        self, method: str, url: str, max_body: int | None = DEFAULT_MAX_BODY, **kw: Any
    ) -> None:
        self.max_body = max_body
        self._checked_shapes: set[tuple[int, frozenset[str]]] = set()
        super().__init__(method, url, **kw)

    def check_signature(self, args: tuple, kwargs: dict[str, Any]) -> None:
        # nameko inspects the method's signature at every request; a call of
        # the same shape (as many arguments, the same path names) gets the
        # same answer, so each shape is checked once.
        shape = (len(args), frozenset(kwargs))
        if shape not in self._checked_shapes:
            super().check_signature(args, kwargs)
            self._checked_shapes.add(shape)

    def handle_request(self, request: Request) -> Response:
        if self.max_body is not None and (request.content_length or 0) > self.max_body:
            return too_large(self.max_body)
        if request.path.startswith(HEALTH_PATHS):
            return super().handle_request(request)
        with self.server.admission() as admitted:
            if not admitted:
                log.warning("overloaded: %s %s refused", request.method, self.url)
                return overloaded()
            return super().handle_request(request)

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ContainerBeingKilled):
            return refusal(
                503,
                "service_indisponible",
                STOPPING,
                headers={"Retry-After": RETRY_AFTER},
            )
        log.error("unexpected error in %s", self, exc_info=exc)
        return json_response(
            {"status": 500, "code": "erreur_interne", "message": UNEXPECTED}, 500
        )


http = GatewayHttp.decorator
