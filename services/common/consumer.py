"""Idempotent, retrying event handlers for nameko.

nameko's own `event_handler` acknowledges a message whose handler raised, and it
is gone. Here a handler that raises is published to a delay queue and tried
again, with back-off; after the last delay it is dead-lettered to a queue an
operator can inspect and replay. Each message carries its source's log position;
the handler passes it to `ServiceApplication.save(..., tracking=...)`, which
stores it in the same transaction as the new events, so a duplicate or a
redelivery raises AlreadyProcessed and is acknowledged with no second effect.
A message that cannot even be decoded (not JSON, a content type nobody accepts)
is dead-lettered like any other, where kombu would log it and drop it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import eventlet
import psycopg
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.containers import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from services.common import logs
from services.common.contracts import Contract
from services.common.envelope import (
    H_ATTEMPT,
    H_ERROR,
    BadEnvelope,
    Delivered,
    Envelope,
)
from services.common.errors import AlreadyProcessed
from services.common.keyring import KeyStoreError
from services.common.keystore import KeyStore, keystore_from_settings
from services.common.sealing import open_message
from services.common.settings import Settings
from services.common.topology import Subscription, dead_letter_queue, retry_queue

log = logging.getLogger(__name__)

# Seconds to wait before handing back a message that could not be parked.
PARK_FAILURE_PAUSE = 1.0


class EventQueueConsumer(QueueConsumer):
    """nameko's queue consumer, handing undecodable messages to their handler.

    kombu acknowledges (drops) a message whose body it cannot decode, with one
    log line, before any entrypoint sees it. Here each event consumer gets it
    instead, to dead-letter it (TR-2).
    """

    @property
    def prefetch_count(self) -> int:
        # Set per consumer, but the broker gives every consumer of the channel
        # the last setting made before it starts: the largest any needs.
        wanted = [getattr(p, "prefetch_count", 0) for p in self._providers]
        return max([self.container.max_workers, *wanted])

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            if isinstance(provider, EventConsumer):
                consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider: EventConsumer, message: Any, exc: Any) -> None:
        # This runs in the consumer's own thread: park from a managed thread, as
        # every other message is handled, so a broker in trouble never stops it.
        self.container.spawn_managed_thread(
            partial(provider.handle_undecodable, message, exc),
            identifier=f"EventConsumer.undecodable[{provider.queue.name}]",
        )


class EventConsumer(Consumer):
    """Entrypoint: `@consume("candidates", contracts.CandidateCreated)`."""

    queue_consumer = EventQueueConsumer()

    def __init__(self, source: str, contract: type[Contract], **kwargs: Any) -> None:
        self.source = source
        self.contract = contract
        self.retry_delays: tuple[float, ...] = ()
        self._publisher: Publisher | None = None
        self._keys: KeyStore | None = None
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    @property
    def subscription(self) -> Subscription:
        return Subscription(
            source=self.source,
            event_type=self.contract.event_type,
            consumer=self.container.service_name,
            method=self.method_name,
        )

    def setup(self) -> None:
        settings = Settings.from_env()
        self.retry_delays = settings.retry_delays
        # One schema for every message: building one costs more than a load.
        self.schema = self.contract()
        self.queue = self.subscription.queue()
        self._publisher = Publisher(
            self.container.config["AMQP_URI"], use_confirms=True, mandatory=True
        )
        super().setup()

    def delivered(self, body: Any, message: Any) -> Delivered | None:
        """The message as its handler receives it; None, and dead-lettered,
        if it does not fit its envelope or its contract."""
        attempt = int((message.headers or {}).get(H_ATTEMPT, 0)) + 1
        try:
            envelope = Envelope.from_headers(message.headers)
            opened, erased = self._open(body)
            payload = self.schema.load(opened)
        except (BadEnvelope, ValidationError) as exc:
            # It will never load, however often it is tried.
            self._park(message, body, attempt, f"message illisible : {exc}", dead=True)
            return None
        except (psycopg.Error, KeyStoreError) as exc:  # the keys: try again later
            error = f"clés inaccessibles : {exc!r}"
            dead = attempt > len(self.retry_delays)
            self._park(message, body, attempt, error, dead=dead)
            return None
        return Delivered(
            envelope=envelope,
            payload=payload,
            attempt=attempt,
            handler=self.method_name,
            erased=erased,
        )

    def _open(self, body: Any) -> tuple[Any, bool]:
        """The body with its sealed personal fields in clear; whether erased."""
        if not self.contract.personal:
            return body, False
        # Built on first use: only contracts with personal fields need it.
        if self._keys is None:
            self._keys = keystore_from_settings(Settings.from_env())
        return open_message(self.contract, body, self._keys)

    def handle_message(self, body: Any, message: Any) -> None:
        delivered = self.delivered(body, message)
        if delivered is None:
            return
        handle_result = partial(self.handle_result, message, body, delivered.attempt)
        # The request that caused the event: the handler's lines, calls and
        # events carry it on (services/common/container.py).
        envelope = delivered.envelope
        context = {"correlation_id": envelope.correlation_id or logs.new_id()}
        try:
            self.container.spawn_worker(
                self,
                (delivered,),
                {},
                context_data=context,
                handle_result=handle_result,
            )
        except ContainerBeingKilled:
            self._settle(message, requeue=True)

    def handle_undecodable(self, message: Any, exc: Any) -> None:
        """A body that is not JSON (or not of an accepted type): dead-lettered."""
        attempt = int((message.headers or {}).get(H_ATTEMPT, 0)) + 1
        error = f"message illisible : {logs.describe_error(exc)}"
        self._park(message, _Raw(message), attempt, error, dead=True)

    def handle_result(
        self,
        message: Any,
        body: Any,
        attempt: int,
        worker_ctx: Any,
        result: Any = None,
        exc_info: Any = None,
    ) -> tuple[Any, Any]:
        if exc_info is not None and isinstance(exc_info[1], AlreadyProcessed):
            log.info("duplicate skipped on %s: %s", self.queue.name, exc_info[1])
            exc_info = None
        if exc_info is None:
            self._settle(message)
            return result, None
        # Kept in the message's headers, in its retry and dead-letter queues,
        # and logged: the error's type and place, never its text.
        error = logs.describe_error(exc_info[1])
        dead = attempt > len(self.retry_delays)
        self._park(message, body, attempt, error, dead=dead)
        return result, exc_info

    def _park(
        self, message: Any, body: Any, attempt: int, error: str, dead: bool
    ) -> None:
        """Move a failed message to its delay queue or its dead letters, then ack.

        If that fails (the broker is in trouble), wait a little and give the
        message back to the broker: never lose it, never spin on it.
        """
        try:
            if dead:
                self._dead_letter(message, body, attempt, error)
            else:
                self._retry_later(message, body, attempt, error)
        except Exception:
            log.exception("could not park failed message on %s", self.queue.name)
            eventlet.sleep(PARK_FAILURE_PAUSE)
            self._settle(message, requeue=True)
            return
        self._settle(message)

    def _settle(self, message: Any, requeue: bool = False) -> None:
        """Ack (or hand back) a message, never raising: an error here, in a
        worker, would kill the container. If the connection is gone, the
        broker redelivers the message, and the tracking makes that harmless."""
        try:
            if requeue:
                self.queue_consumer.requeue_message(message)
            else:
                self.queue_consumer.ack_message(message)
        except Exception as exc:
            log.warning("could not settle a message on %s: %r", self.queue.name, exc)

    def _headers(self, message: Any, attempt: int, error: str) -> dict[str, Any]:
        headers = dict(message.headers or {})
        headers.pop("x-death", None)
        headers[H_ATTEMPT] = attempt
        headers[H_ERROR] = error[-2000:]
        return headers

    def _retry_later(self, message: Any, body: Any, attempt: int, error: str) -> None:
        delay = self.retry_delays[attempt - 1]
        queue = retry_queue(self.queue.name, delay)
        log.warning(
            "handler %s failed (attempt %s), retrying in %ss: %s",
            self.queue.name,
            attempt,
            delay,
            error.strip(),
        )
        self._publish(body, queue, self._headers(message, attempt, error))

    def _dead_letter(self, message: Any, body: Any, attempt: int, error: str) -> None:
        queue = dead_letter_queue(self.queue.name)
        log.error("dead-lettered from %s after %s attempt(s)", self.queue.name, attempt)
        self._publish(body, queue, self._headers(message, attempt, error))

    def _publish(self, body: Any, queue: Any, headers: dict[str, Any]) -> None:
        assert self._publisher is not None  # set in setup()
        raw: dict[str, Any] = {}
        if isinstance(body, _Raw):
            # Kept byte for byte, with its own content type: no serialiser
            # could read it, and an operator must see what was received.
            raw = {
                "content_type": body.content_type,
                "content_encoding": body.content_encoding,
            }
            body = body.body
        self._publisher.publish(
            body,
            exchange=None,
            routing_key=queue.name,
            declare=[queue],
            headers=headers,
            retry=True,
            **raw,
        )


class _Raw:
    """The undecoded body of a message, to dead-letter as it came."""

    def __init__(self, message: Any) -> None:
        self.body: bytes = message.body
        self.content_type: str = message.content_type or "application/octet-stream"
        self.content_encoding: str = message.content_encoding or "binary"


consume = EventConsumer.decorator


def subscriptions_of(service_cls: type) -> list[Subscription]:
    """Every (source, event type) a nameko service class consumes, and where."""
    found: list[Subscription] = []
    for attr in dir(service_cls):
        method = getattr(service_cls, attr, None)
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventConsumer):
                found.append(
                    Subscription(
                        source=entrypoint.source,
                        event_type=entrypoint.contract.event_type,
                        consumer=service_cls.name,
                        method=attr,
                    )
                )
    return found
