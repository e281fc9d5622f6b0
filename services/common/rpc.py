"""The RPC entrypoint: domain and validation errors become PlatformError answers,
and neither an undeliverable reply nor a lost ack stops a service. A
school-bound method (`school_rpc`) acts for the school of the call's signed
context only (services/common/acting.py)."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import eventlet
from marshmallow import ValidationError
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import MalformedRequest
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

from services.common import acting
from services.common.errors import NOT_DONE, PlatformError
from services.common.inputs import InvalidFields
from services.common.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

# A service class's `errors`: exception class -> (HTTP status, code).
Errors = Mapping[type[Exception], tuple[int, str]]

log = logging.getLogger(__name__)

INVALID_INPUT = "Certaines informations saisies sont incorrectes."

# How long a service waits for another's answer before telling the school to
# try again (nothing done).
LOOKUP_SECONDS = 5


def platform_error(exc: BaseException, errors: Errors) -> PlatformError | None:
    """The answer a caller gets for `exc`, or None for an unexpected error.

    Invalid input (marshmallow or the input policy) is `donnees_invalides` with
    per-field messages. An exception listed in `errors` gets its status and
    code; its text is the French message, or per-field messages if it has a
    `fields` dict.
    """
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, ValidationError):
        fields = _field_messages(exc.normalized_messages())
        return PlatformError("donnees_invalides", INVALID_INPUT, fields=fields)
    if isinstance(exc, InvalidFields):
        return PlatformError("donnees_invalides", INVALID_INPUT, fields=exc.fields)
    kind = next((k for k in errors if isinstance(exc, k)), None)
    if kind is None:
        return None
    status, code = errors[kind]
    fields = getattr(exc, "fields", None) or {}
    return PlatformError(
        code,
        INVALID_INPUT if fields else str(exc),
        status=status,
        fields={k: v if isinstance(v, list) else [v] for k, v in fields.items()},
    )


def _field_messages(messages: Any) -> dict[str, list[str]]:
    if isinstance(messages, dict):
        return {
            str(k): v if isinstance(v, list) else [str(v)] for k, v in messages.items()
        }
    return {"_schema": [str(messages)]}


class ResilientRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, except that a reply it cannot deliver is dropped.

    nameko publishes the reply from the worker's thread; when the broker is
    gone (connection refused) that raises, and an error in a worker kills the
    container: the whole service exits over one answer. The work is done (or
    refused) by then; the caller's call times out and the gateway tells the user
    the outcome is uncertain, a retry with the same idempotency key being safe.
    So the reply is logged and dropped, and the service stays up while its
    consumers reconnect.

    The request itself was never acknowledged, so the broker may deliver it
    again once it is back: a call from the gateway has expired by then (its
    message carries the caller's deadline), and the writes a repeat would
    double carry idempotency keys.
    """

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> Any:
        try:
            return self._reply(message, result, exc_info)
        except Exception as exc:
            properties = getattr(message, "properties", {}) or {}
            log.warning(
                "reply to %s not delivered (the caller will time out): %r",
                properties.get("correlation_id", "?"),
                exc,
            )
            return result, exc_info

    def _reply(self, message: Any, result: Any, exc_info: Any) -> Any:
        """nameko's reply, sent as `TransientReply` sends it."""
        config = self.container.config
        responder = TransientReply(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


# An RPC message lives only as long as its caller waits for it (requests
# expire with the caller's deadline): nothing of it is worth writing to the
# broker's disk. Persistent RPC messages cost a disk write per call.
TRANSIENT = 1


class TransientReply(Responder):
    """A reply, transient, published without waiting for the broker's confirm:
    the worker is done once it is written. A reply lost with its connection
    leaves the caller to its timeout, as a lost confirm would."""

    publisher_cls = functools.partial(
        Publisher, use_confirms=False, delivery_mode=TRANSIENT
    )


class ResilientRpc(Rpc):
    """nameko's `rpc` entrypoint on a ResilientRpcConsumer, answering errors
    as PlatformError.

    The service class's `errors` says which of its exceptions are answers to
    the caller (« complet », a wrong field…): they, invalid input and
    PlatformError are expected (logged as answers, not as failures) and the
    reply carries the PlatformError; any other exception travels unchanged.
    """

    rpc_consumer = ResilientRpcConsumer()
    errors: Errors = {}

    def setup(self) -> None:
        super().setup()
        self.errors = getattr(self.container.service_cls, "errors", {})
        self.expected_exceptions = (
            PlatformError,
            ValidationError,
            InvalidFields,
            *self.errors,
        )

    def handle_result(
        self, message: Any, worker_ctx: Any, result: Any, exc_info: Any
    ) -> Any:
        if exc_info is not None:
            answer = platform_error(exc_info[1], self.errors)
            if answer is not None and answer is not exc_info[1]:
                exc_info = (PlatformError, answer, None)
        return super().handle_result(message, worker_ctx, result, exc_info)


def rpc(fn: F) -> F:
    """A nameko RPC entrypoint whose errors listed in the service class's
    `errors` reach the caller as PlatformError; a reply that cannot be
    delivered never stops the service."""
    return ResilientRpc.decorator(fn)


class SchoolRpc(ResilientRpc):
    """A ResilientRpc that acts for a school: the method's first argument is
    the school of the call's signed acting-school context, never a value the
    caller sent. A call without a valid context (none, forged, tampered,
    expired) is refused with a 403 `contexte_invalide` and runs nothing.

    `optional`: a call without any context runs with None as the school (a
    candidate's link proves the right to act instead); a bad one is refused.
    """

    def __init__(self, optional: bool = False, **kwargs: Any) -> None:
        self.optional = optional
        super().__init__(**kwargs)

    def setup(self) -> None:
        super().setup()
        self.secret = Settings.from_env().context_secret.get_secret_value()

    def handle_message(self, body: Any, message: Any) -> None:
        context = self.unpack_message_headers(message).get(acting.ACTING_SCHOOL)
        school = self._school(context, message)
        args = body.get("args") if isinstance(body, dict) else None
        if not isinstance(args, list):
            # Anything else (a mapping…) would let the caller fill the school.
            raise MalformedRequest("Message `args` must be a list")
        super().handle_message({**body, "args": [school, *args]}, message)

    def _school(self, context: Any, message: Any) -> str | None:
        if context is None and self.optional:
            return None
        try:
            return acting.verify(context, self.secret)
        except PlatformError:
            routing_key = (getattr(message, "delivery_info", None) or {}).get(
                "routing_key", "?"
            )
            log.warning("%s refused: no valid acting-school context", routing_key)
            raise


def school_rpc(fn: F | None = None, *, optional: bool = False) -> Any:
    """A school-bound `rpc`: `@school_rpc`, or `@school_rpc(optional=True)`
    (see SchoolRpc). Its first parameter, the school, is not the caller's."""
    if fn is None:
        return SchoolRpc.decorator(optional=optional)
    return SchoolRpc.decorator(fn)


class ResilientReplyListener(nameko_rpc.ReplyListener):
    """nameko's listener for RPC replies, except that a reply whose ack the
    broker can no longer take is still handed to its caller.

    nameko acks a reply first, in the consumer's thread: when the connection
    was just reset that raises, and the container exits, taking a whole service
    down over an answer it had in hand. The reply queue is the caller's own and
    lives with its connection, so nothing is redelivered: the answer goes to the
    caller, the failed ack is logged.
    """

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            self.queue_consumer.ack_message(message)
        except Exception as exc:
            log.warning("could not ack an RPC reply (connection lost): %r", exc)
        correlation_id = message.properties.get("correlation_id")
        waiting = self._reply_events.pop(correlation_id, None)
        if waiting is not None:
            waiting.send(body)


class RpcProxy(nameko_rpc.RpcProxy):
    """nameko's RpcProxy on a reply listener that a broker outage cannot kill,
    sending transient requests (still confirmed by the broker: a call to a
    service with no queue is known as not sent)."""

    rpc_reply_listener = ResilientReplyListener()

    def __init__(self, target_service: str, **options: Any) -> None:
        options.setdefault("delivery_mode", TRANSIENT)
        super().__init__(target_service, **options)


@contextlib.contextmanager
def answer_in_time(seconds: float = LOOKUP_SECONDS) -> Iterator[None]:
    """A service asked by another that does not answer is « réessayez », not
    a worker that waits forever."""
    try:
        with eventlet.Timeout(seconds):
            yield
    except eventlet.Timeout:
        raise PlatformError("service_indisponible", NOT_DONE, status=503) from None
