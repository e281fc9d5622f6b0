"""RPC from the gateway that knows whether a call left (TR-3).

A request that times out may or may not have been done by the service; one that
could not even be handed to RabbitMQ certainly was not. The endpoints tell the
two apart (`gateway.api`), so this proxy records, per worker, whether a call
was handed over, and turns a failure to hand it over into `NotSent`. A call
also expires in its queue when its caller stops waiting, so that a service
that was down never does, long after, what the client was told may have failed.
Every call of a signed-in school's request carries its signed acting-school
context (services/common/acting.py): the services believe nothing else.
"""

from __future__ import annotations

import time
from typing import Any

import amqp.exceptions
import kombu.exceptions
from eventlet import corolocal
from nameko import rpc
from nameko.exceptions import UnknownService

from services.common import acting
from services.common import rpc as common_rpc

# Failures raised before the broker took the message: connection refused or
# lost and not re-established, vhost closed, no queue bound for the service.
NOT_SENT = (
    UnknownService,
    kombu.exceptions.OperationalError,
    amqp.exceptions.ConnectionError,
    ConnectionRefusedError,
)


class NotSent(Exception):
    """The call never reached RabbitMQ: the service did nothing."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


class Calls(corolocal.local):
    """What the calls of the request in this worker did so far."""

    deadline: float | None = None
    handed: bool = False
    # The signed context of the school this request acts for, if signed in.
    acting: str | None = None

    def begin(self, seconds: float) -> None:
        """A new request in this worker: it waits `seconds` at most."""
        self.deadline = time.monotonic() + seconds
        self.handed = False
        self.acting = None

    def act_for(self, school_id: str, secret: str) -> None:
        """The request's calls act for `school_id` until its deadline."""
        seconds = (self.deadline or time.monotonic()) - time.monotonic()
        self.acting = acting.sign(school_id, time.time() + seconds, secret)

    def handed_over(self) -> bool:
        """Whether a call of this request may have reached its service."""
        return self.handed


calls = Calls()


class _MethodProxy(rpc.MethodProxy):
    def get_message_headers(self, worker_ctx: Any) -> dict[str, Any]:
        headers = super().get_message_headers(worker_ctx)
        if calls.acting is not None:
            headers[self._get_header_name(acting.ACTING_SCHOOL)] = calls.acting
        return headers

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        if calls.deadline is not None:
            self.publisher.expiration = max(calls.deadline - time.monotonic(), 0.001)
        before = calls.handed
        # From here on the message may reach the broker, even if publishing
        # times out while waiting for its confirmation.
        calls.handed = True
        try:
            return super()._call(*args, **kwargs)
        except NOT_SENT as exc:
            calls.handed = before
            raise NotSent(self.service_name) from exc


class _ServiceProxy(rpc.ServiceProxy):
    def __getattr__(self, name: str) -> _MethodProxy:
        return _MethodProxy(
            self.worker_ctx,
            self.service_name,
            name,
            self.reply_listener,
            **self.options,
        )


class RpcProxy(common_rpc.RpcProxy):
    """nameko's RpcProxy, with calls that say whether they left (and replies
    that a lost ack does not turn into a dead gateway)."""

    def get_dependency(self, worker_ctx: Any) -> _ServiceProxy:
        return _ServiceProxy(
            worker_ctx, self.target_service, self.rpc_reply_listener, **self.options
        )
