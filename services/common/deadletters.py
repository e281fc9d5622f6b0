"""Dead letters: list what a handler gave up on, and put it back once fixed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import kombu
from amqp.exceptions import NotFound

from services.common.envelope import H_ATTEMPT, H_ERROR
from services.common.topology import dead_letter_queue


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    headers: dict[str, Any]
    body: Any

    @property
    def error(self) -> str:
        return str(self.headers.get(H_ERROR, "")).strip()


def _dead_queue_name(queue_name: str) -> str:
    return dead_letter_queue(queue_name).name


def count(amqp_uri: str, queue_name: str) -> int:
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        try:
            _, messages, _ = channel.queue_declare(
                _dead_queue_name(queue_name), passive=True
            )
        except NotFound:
            return 0
        return messages


def inspect(amqp_uri: str, queue_name: str, limit: int = 1000) -> list[DeadLetter]:
    """Read dead letters without taking them: they return to the queue after."""
    found: list[DeadLetter] = []
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        dead = dead_letter_queue(queue_name)(channel)
        dead.declare()
        while len(found) < limit:
            message = dead.get(no_ack=False)
            if message is None:
                break
            found.append(
                DeadLetter(queue_name, dict(message.headers), message.decode())
            )
        # Closing without acknowledging gives every message back to the queue.
    return found


def replay(amqp_uri: str, queue_name: str) -> int:
    """Move every dead letter back to its handler's queue, as a first attempt."""
    moved = 0
    with kombu.Connection(
        amqp_uri, transport_options={"confirm_publish": True}
    ) as conn:
        channel = conn.channel()
        dead = dead_letter_queue(queue_name)(channel)
        dead.declare()
        producer = kombu.Producer(channel)
        while (message := dead.get(no_ack=False)) is not None:
            headers = dict(message.headers)
            headers[H_ATTEMPT] = 0
            headers.pop(H_ERROR, None)
            producer.publish(
                message.body,
                exchange="",
                routing_key=queue_name,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                mandatory=True,
            )
            message.ack()
            moved += 1
    return moved
