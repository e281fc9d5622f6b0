"""Dead letters: list what a handler gave up on, and put it back once fixed."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

import kombu
from amqp.exceptions import NotFound

from services.common.envelope import H_ATTEMPT, H_ERROR
from services.common.topology import dead_letter_queue

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


def depths(
    amqp_uri: str, queue_names: list[str], timeout: float = 1.0
) -> dict[str, int]:
    """Dead letters waiting behind each handler queue, in one connection (for
    readiness and metrics). Raises OSError or a kombu/amqp connection error when
    the broker cannot be reached within `timeout` seconds."""
    found: dict[str, int] = {}
    with kombu.Connection(amqp_uri, connect_timeout=timeout) as conn:
        conn.connect()
        for queue_name in queue_names:
            channel = conn.channel()
            try:
                _, found[queue_name], _ = channel.queue_declare(
                    _dead_queue_name(queue_name), passive=True
                )
            except NotFound:
                found[queue_name] = 0  # never declared: nothing ever died there
            finally:
                with contextlib.suppress(Exception):
                    channel.close()
    return found


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
