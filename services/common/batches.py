"""Event handlers that take their messages in batches.

For a read model fed by many small messages whose effect is idempotent on its
own (booking's word on a session's free seats, versioned), one worker and one
statement per message cost more than the work itself: at every hold,
scheduling spawned a worker and committed an upsert. Here the messages that
arrive within a few milliseconds are handed to one worker as a list; each is
acknowledged once the handler has returned. If it raised, each message is
handed to it again alone, and what fails alone is retried then dead-lettered
exactly as `EventConsumer` does with a single message.

The handler must be idempotent per message (a batch that failed is retried,
and a redelivery is not skipped by a tracking record: nothing is tracked).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from functools import partial
from typing import Any

import eventlet
from nameko.containers import ContainerBeingKilled

from services.common import logs
from services.common.consumer import EventConsumer
from services.common.envelope import Delivered

# How long the first message of a batch waits for others.
GATHER_SECONDS = 0.01
# At most this many messages in one batch, and unacknowledged at once per
# consumer (the broker's prefetch): enough for hundreds of messages a second.
MOST = 200


@dataclass
class _Received:
    message: Any
    body: Any
    delivered: Delivered


class BatchEventConsumer(EventConsumer):
    """Entrypoint: `@consume_batches("booking", contracts.SlotReserved)`; the
    method receives a `list[Delivered]`, in the order they arrived."""

    prefetch_count = MOST

    def __init__(self, source: str, contract: Any, **kwargs: Any) -> None:
        super().__init__(source, contract, **kwargs)
        self._gathered: list[_Received] = []
        self._gathering = False

    def handle_message(self, body: Any, message: Any) -> None:
        delivered = self.delivered(body, message)
        if delivered is None:
            return
        self._gathered.append(_Received(message, body, delivered))
        if len(self._gathered) >= MOST:
            self._hand_over()
        elif not self._gathering:
            self._gathering = True
            self.container.spawn_managed_thread(
                self._hand_over_soon,
                identifier=f"BatchEventConsumer.gather[{self.queue.name}]",
            )

    def _hand_over_soon(self) -> None:
        eventlet.sleep(GATHER_SECONDS)
        self._hand_over()

    def _hand_over(self) -> None:
        batch, self._gathered = self._gathered, []
        self._gathering = False
        if not batch:
            return
        handle_result = partial(self.handle_batch_result, batch)
        try:
            self.container.spawn_worker(
                self,
                ([received.delivered for received in batch],),
                {},
                context_data={},
                handle_result=handle_result,
            )
        except ContainerBeingKilled:
            for received in batch:
                self._settle(received.message, requeue=True)

    def _hand_over_each(self, batch: list[_Received]) -> None:
        for received in batch:
            # Alone, the message's own request is the worker's.
            correlation_id = received.delivered.envelope.correlation_id
            try:
                self.container.spawn_worker(
                    self,
                    ([received.delivered],),
                    {},
                    context_data={"correlation_id": correlation_id or logs.new_id()},
                    handle_result=partial(self.handle_batch_result, [received]),
                )
            except ContainerBeingKilled:
                self._settle(received.message, requeue=True)

    def handle_batch_result(
        self,
        batch: list[_Received],
        worker_ctx: Any,
        result: Any = None,
        exc_info: Any = None,
    ) -> tuple[Any, Any]:
        if exc_info is None:
            for received in batch:
                self._settle(received.message)
            return result, None
        if len(batch) > 1:
            # One bad message must not take the others with it: each is tried
            # again alone, and only what fails alone is retried or parked.
            # From a thread of its own: this worker still holds its slot.
            self.container.spawn_managed_thread(
                partial(self._hand_over_each, batch),
                identifier=f"BatchEventConsumer.alone[{self.queue.name}]",
            )
            return result, exc_info
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1]))
        for received in batch:
            attempt = received.delivered.attempt
            dead = attempt > len(self.retry_delays)
            self._park(received.message, received.body, attempt, error, dead=dead)
        return result, exc_info


consume_batches = BatchEventConsumer.decorator
