"""Dead letters: list what a handler gave up on, and put it back once fixed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import kombu

from services.common.envelope import H_ATTEMPT, H_ERROR
from services.common.topology import dead_letter_queue, queue_depths

# Marks the letters one replay moved, so that a letter failing again during the
# same replay is left for the next one instead of going round in circles.
H_REPLAY = "x-pmc-replay"


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    headers: dict[str, Any]
    body: Any

    @property
    def error(self) -> str:
        return str(self.headers.get(H_ERROR, "")).strip()


def count(amqp_uri: str, queue_name: str) -> int:
    """Dead letters waiting behind a handler's queue."""
    dead = dead_letter_queue(queue_name).name
    return queue_depths(amqp_uri, [dead])[dead]


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
            found.append(DeadLetter(queue_name, dict(message.headers), _body(message)))
        # Closing without acknowledging gives every message back to the queue.
    return found


def _body(message: Any) -> Any:
    """The decoded body, or what was received when it is not decodable."""
    try:
        return message.decode()
    except Exception:
        return message.body


def replay(amqp_uri: str, queue_name: str) -> int:
    """Move each dead letter back to its handler's queue once, as a first attempt.

    Only the letters there when the replay starts are moved, each at most once:
    one that fails again comes back to the dead letters marked with this
    replay's id, and the replay stops there.
    """
    moved = 0
    run = uuid.uuid4().hex
    with kombu.Connection(
        amqp_uri, transport_options={"confirm_publish": True}
    ) as conn:
        channel = conn.channel()
        dead = dead_letter_queue(queue_name)(channel)
        _, waiting, _ = dead.queue_declare()
        producer = kombu.Producer(channel)
        while moved < waiting and (message := dead.get(no_ack=False)) is not None:
            headers = dict(message.headers or {})
            if headers.get(H_REPLAY) == run:
                message.requeue()
                break
            headers[H_REPLAY] = run
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
