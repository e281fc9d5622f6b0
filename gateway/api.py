"""Declaring JSON endpoints once: HTTP route, validation, authentication, error
format and their OpenAPI description all come from the same `endpoint(...)`."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import eventlet
from marshmallow import Schema, ValidationError, fields
from werkzeug.wrappers import Request, Response

from gateway.http import (
    RETRY_AFTER,
    UNEXPECTED,
    error_response,
    json_body,
    json_response,
)
from gateway.limits import Limit, LimitsUnavailable, RateLimited
from gateway.rpc import NotSent, calls
from gateway.server import DEFAULT_MAX_BODY, http
from gateway.sessions import NOT_AUTHENTICATED, NotReady
from services.common.errors import NOT_DONE, UNCERTAIN, PlatformError
from services.common.sessions import SCHOOL
from services.common.settings import Settings

log = logging.getLogger(__name__)

INVALID = "Certaines informations saisies sont incorrectes."
BUSY = (
    "Le service est momentanément indisponible. "
    "Veuillez réessayer dans quelques instants."
)
SAFE_METHODS = ("GET", "HEAD")
REPEATED = "Ce paramètre ne peut figurer qu'une fois."


@functools.cache
def rpc_timeout() -> float:
    """Seconds an API call may wait for the services (PMC_RPC_TIMEOUT)."""
    return Settings.from_env().rpc_timeout


@functools.cache
def context_secret() -> str:
    """Signs the acting-school context of every call (PMC_CONTEXT_SECRET)."""
    return Settings.from_env().context_secret.get_secret_value()


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    tag: str
    body: type[Schema] | None
    query: type[Schema] | None
    response: type[Schema] | None
    status: int
    auth: bool
    # Accepts the Idempotency-Key header (gateway/idempotency.py).
    idempotent: bool = False
    # Other success statuses, same body as `response` (status → description).
    also: tuple[tuple[int, str], ...] = ()
    # Doing it twice does no more than once (a sign-in): a call left without
    # answer is "not done" (503, try again), never "maybe done" (504).
    repeatable: bool = False
    # Rate limits (gateway/limits.py), counted once the body is read.
    limits: tuple[Limit, ...] = ()
    # Answers no sooner than PMC_STEADY_ANSWER_SECONDS after the request:
    # whether an account has the address (work done, an e-mail sent) or not
    # (nothing to do) does not show in the time taken either.
    steady: bool = False
    # Merged into the route's OpenAPI operation: what `body` and `auth` cannot
    # say (a CSV body, another kind of credentials).
    doc: dict[str, Any] | None = None


ROUTES: list[Route] = []


@functools.cache
def _instance(schema: type[Schema]) -> Schema:
    """One instance per schema: building one costs more than a load or a dump
    (fields bound, hooks resolved), and an instance holds no request's state."""
    return schema()


def _load(schema: type[Schema], data: Any) -> dict[str, Any]:
    try:
        return _instance(schema).load(data)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        raise PlatformError(
            "donnees_invalides", INVALID, fields=_flatten(messages)
        ) from None


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}{key}" if key != "_schema" else prefix.rstrip(".") or key
            if isinstance(value, dict):
                flat.update(_flatten(value, f"{name}."))
            else:
                flat[name] = [str(v) for v in value]
    else:
        flat[prefix.rstrip(".") or "_schema"] = [str(messages)]
    return flat


def query_args(request: Request, schema: type[Schema]) -> dict[str, Any]:
    """The query string as the schema loads it: a list where the schema wants
    one, otherwise one value (a repeated parameter is refused, not guessed)."""
    declared = {
        (field.data_key or name): field
        for name, field in _instance(schema).fields.items()
    }
    args: dict[str, Any] = {}
    repeated: dict[str, list[str]] = {}
    for name, values in request.args.lists():
        field = declared.get(name)
        if field is None:
            continue  # unknown parameters are ignored, as unknown body fields
        if isinstance(field, fields.List):
            args[name] = values
        elif len(values) > 1:
            repeated[name] = [REPEATED]
        else:
            args[name] = values[0]
    if repeated:
        raise PlatformError("parametre_repete", INVALID, fields=repeated)
    return args


def not_done(request: Request) -> Response:
    """503: the services could not be reached, nothing was done."""
    message = BUSY if request.method in SAFE_METHODS else NOT_DONE
    response = error_response(
        PlatformError("service_indisponible", message, status=503)
    )
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def outcome_unknown(request: Request, repeatable: bool = False) -> Response:
    """No answer from the services: 503 if none of this request's calls can
    have acted (or it only reads, or repeating it is harmless), else 504
    « résultat incertain »."""
    if request.method in SAFE_METHODS or repeatable or not calls.handed_over():
        return not_done(request)
    return error_response(PlatformError("resultat_incertain", UNCERTAIN, status=504))


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PlatformError("non_authentifie", NOT_AUTHENTICATED, status=401)
    return token.strip()


def profile_of(service: Any) -> dict[str, Any]:
    """The signed-in school's whole profile (e-mail, company, address…), for
    the few routes that need more than its id: one call to identity, which
    only reads, so a later timeout of this request still means "not done"
    unless another call may have acted."""
    before = calls.handed_over()
    profile = service.identity.profile()
    calls.handed = before
    return profile


def endpoint(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    max_body: int = DEFAULT_MAX_BODY,
    auth: bool = True,
    timeout: float | None = None,
    idempotent: bool = False,
    also: tuple[tuple[int, str], ...] = (),
    repeatable: bool = False,
    limits: tuple[Limit, ...] = (),
    steady: bool = False,
    audience: str = SCHOOL,
    doc: dict[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    """A JSON endpoint of the gateway.

    The decorated method receives the request, the path arguments, and as
    keywords `data` (the loaded body), `query` (the loaded query string) and
    `account` (`account_id` and `session_id` of the bearer token, checked in
    this process) when declared; it returns plain data, dumped with
    `response`. A body is JSON of `max_body` bytes at most. `audience`: whose
    tokens the route takes (a school's, or a candidate's).
    """
    route = Route(
        method,
        path,
        summary,
        tag,
        body,
        query,
        response,
        status,
        auth,
        idempotent=idempotent,
        also=also,
        repeatable=repeatable,
        limits=limits,
        steady=steady,
        doc=doc,
    )
    ROUTES.append(route)

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def handler(self: Any, request: Request, **path_args: Any) -> Response:
            started = time.monotonic()
            # A service that does not answer must not hold the client forever.
            seconds = timeout or rpc_timeout()
            deadline = eventlet.Timeout(seconds)
            calls.begin(seconds)
            try:
                kwargs: dict[str, Any] = {}
                # Who asks comes first: a stranger learns nothing about the
                # body's rules, and no body is read for them.
                if auth:
                    kwargs["account"] = self.sessions.account(
                        bearer_token(request), audience
                    )
                    if audience == SCHOOL:  # a candidate acts for no school
                        calls.act_for(
                            str(kwargs["account"]["account_id"]), context_secret()
                        )
                if body is not None:
                    kwargs["data"] = _load(body, json_body(request, max_body))
                if query is not None:
                    kwargs["query"] = _load(query, query_args(request, query))
                if limits:
                    self.limits.check(
                        limits,
                        Settings.from_env(),
                        request,
                        kwargs.get("data"),
                        kwargs.get("account"),
                    )
                result = fn(self, request, **path_args, **kwargs)
                if isinstance(result, Response):
                    return result
                dumped = _instance(response).dump(result) if response else result
                return json_response(dumped, status=status)
            except PlatformError as error:
                return error_response(error)
            except RateLimited as limited:
                return limited.response()
            except LimitsUnavailable:
                log.error("rate limit counters unreachable on %s %s", method, path)
                return not_done(request)
            except NotReady:
                log.warning("revocations not loaded yet on %s", path)
                return not_done(request)
            except NotSent as error:
                log.error("%s unreachable on %s %s", error.service, method, path)
                return outcome_unknown(request, repeatable)
            except eventlet.Timeout as expired:
                if expired is not deadline:
                    raise
                log.error("no answer in time on %s %s", method, path)
                return outcome_unknown(request, repeatable)
            except Exception:
                log.exception("unexpected error on %s %s", method, path)
                return error_response(
                    PlatformError("erreur_interne", UNEXPECTED, status=500)
                )
            finally:
                deadline.cancel()
                if steady:
                    floor = Settings.from_env().steady_answer_seconds
                    eventlet.sleep(max(0.0, started + floor - time.monotonic()))

        # The body is checked here, after authentication, not by the server.
        return http(method, path, max_body=None)(handler)

    return decorate
