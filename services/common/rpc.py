"""Turning domain and validation errors into PlatformError at the RPC boundary."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from marshmallow import ValidationError
from nameko import rpc as nameko_rpc
from nameko.rpc import Rpc, RpcConsumer

from services.common.errors import PlatformError
from services.common.inputs import InvalidFields

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)

INVALID_INPUT = "Certaines informations saisies sont incorrectes."


def as_platform_errors(mapping: dict[type[Exception], tuple[int, str]]) -> Callable:
    """Decorator for an RPC method: known errors become PlatformError.

    `mapping` maps an exception class to (HTTP status, code). The exception's
    text is the French message; an exception with a `fields` dict reports
    per-field messages.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except ValidationError as exc:
                raise PlatformError(
                    "donnees_invalides",
                    INVALID_INPUT,
                    status=400,
                    fields=_field_messages(exc.normalized_messages()),
                ) from None
            except InvalidFields as exc:
                raise PlatformError(
                    "donnees_invalides", INVALID_INPUT, status=400, fields=exc.fields
                ) from None
            except tuple(mapping) as exc:
                status, code = next(v for k, v in mapping.items() if isinstance(exc, k))
                fields = getattr(exc, "fields", None)
                message = INVALID_INPUT if fields else str(exc)
                raise PlatformError(
                    code,
                    message,
                    status=status,
                    fields={
                        k: v if isinstance(v, list) else [v]
                        for k, v in (fields or {}).items()
                    },
                ) from None

        return wrapper  # type: ignore[return-value]

    return decorate


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
            return super().handle_result(message, result, exc_info)
        except Exception as exc:
            properties = getattr(message, "properties", {}) or {}
            log.warning(
                "reply to %s not delivered (the caller will time out): %r",
                properties.get("correlation_id", "?"),
                exc,
            )
            return result, exc_info


class ResilientRpc(Rpc):
    """nameko's `rpc` entrypoint on a ResilientRpcConsumer."""

    rpc_consumer = ResilientRpcConsumer()


def rpc(fn: F) -> F:
    """A nameko RPC entrypoint whose PlatformErrors are answers to the caller
    (« complet », a wrong field…), logged as expected, not as failures; a reply
    that cannot be delivered never stops the service."""
    return ResilientRpc.decorator(expected_exceptions=(PlatformError,))(fn)


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
    """nameko's RpcProxy on a reply listener that a broker outage cannot kill."""

    rpc_reply_listener = ResilientReplyListener()
