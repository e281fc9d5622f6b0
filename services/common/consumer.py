"""Idempotent, retrying event handlers for nameko.

nameko's own `event_handler` acknowledges a message whose handler raised, and it
is gone. Here a handler that raises is published to a delay queue and tried
again, with back-off; after the last delay it is dead-lettered to a queue an
operator can inspect and replay. Each message carries its source's log position;
the handler passes it to `ServiceApplication.save(..., tracking=...)`, which
stores it in the same transaction as the new events, so a duplicate or a
redelivery raises AlreadyProcessed and is acknowledged with no second effect.
"""

from __future__ import annotations

import logging
import traceback
from functools import partial
from typing import Any

import eventlet
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.containers import ContainerBeingKilled
from nameko.messaging import Consumer

from services.common.contracts import Contract
from services.common.envelope import (
    H_ATTEMPT,
    H_ERROR,
    BadEnvelope,
    Delivered,
    Envelope,
)
from services.common.errors import AlreadyProcessed
from services.common.settings import Settings
from services.common.topology import Subscription, dead_letter_queue, retry_queue

log = logging.getLogger(__name__)

# Seconds to wait before handing back a message that could not be parked.
PARK_FAILURE_PAUSE = 1.0


class EventConsumer(Consumer):
    """Entrypoint: `@consume("candidates", contracts.CandidateCreated)`."""

    def __init__(self, source: str, contract: type[Contract], **kwargs: Any) -> None:
        self.source = source
        self.contract = contract
        self.retry_delays: tuple[float, ...] = ()
        self._publisher: Publisher | None = None
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
        self.queue = self.subscription.queue()
        self._publisher = Publisher(
            self.container.config["AMQP_URI"], use_confirms=True, mandatory=True
        )
        super().setup()

    def handle_message(self, body: Any, message: Any) -> None:
        attempt = int((message.headers or {}).get(H_ATTEMPT, 0)) + 1
        try:
            envelope = Envelope.from_headers(message.headers)
            payload = self.contract().load(body)
        except (BadEnvelope, ValidationError) as exc:
            # It will never load, however often it is tried.
            self._park(message, body, attempt, f"message illisible : {exc}", dead=True)
            return
        delivered = Delivered(
            envelope=envelope,
            payload=payload,
            attempt=attempt,
            handler=self.method_name,
        )
        handle_result = partial(self.handle_result, message, body, attempt)
        try:
            self.container.spawn_worker(
                self, (delivered,), {}, context_data={}, handle_result=handle_result
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

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
            self.queue_consumer.ack_message(message)
            return result, None
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1]))
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
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

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
        self._publisher.publish(
            body,
            exchange=None,
            routing_key=queue.name,
            declare=[queue],
            headers=headers,
            retry=True,
        )


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
