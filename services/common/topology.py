"""Names and declarations on RabbitMQ, in one place so every declarer agrees.

- `<source>.events`: topic exchange a service's relay publishes to (routing key =
  event type). Its alternate exchange catches what no queue is bound for, so an
  event nobody subscribes to yet lands in `<source>.events.unrouted` instead of
  vanishing. That queue keeps the newest UNROUTED_MAX_LENGTH messages (it is
  there to diagnose, not to store) and its depth is watched (`unrouted_depths`).
- `evt-<source>-<EventType>--<consumer>.<method>`: one durable queue per handler.
- `<queue>.retry.<ms>ms`: holds a failed message for a delay, then dead-letters
  it back to its queue (one queue per delay, since RabbitMQ only expires
  messages at the head of a queue).
- `<queue>.dead`: where a message lands after its last attempt; operators list
  and replay it with `pmc dead-letters`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import kombu
from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Exchange, Queue

# Beyond this, the oldest unrouted messages make room for the new ones: a bound
# that drops on the publisher's side would nack the relay and stall every event.
UNROUTED_MAX_LENGTH = 10_000


def events_exchange(source: str) -> Exchange:
    return Exchange(
        f"{source}.events",
        type="topic",
        durable=True,
        arguments={"alternate-exchange": f"{source}.events.unrouted"},
    )


def unrouted_exchange(source: str) -> Exchange:
    return Exchange(f"{source}.events.unrouted", type="fanout", durable=True)


def unrouted_queue(source: str) -> Queue:
    return Queue(
        f"{source}.events.unrouted",
        exchange=unrouted_exchange(source),
        durable=True,
        queue_arguments={
            "x-max-length": UNROUTED_MAX_LENGTH,
            "x-overflow": "drop-head",
        },
    )


@dataclass(frozen=True)
class Subscription:
    """One handler of one consumer service for one event type of one source."""

    source: str
    event_type: str
    consumer: str
    method: str

    @property
    def queue_name(self) -> str:
        return f"evt-{self.source}-{self.event_type}--{self.consumer}.{self.method}"

    def queue(self) -> Queue:
        return Queue(
            self.queue_name,
            exchange=events_exchange(self.source),
            routing_key=self.event_type,
            durable=True,
        )


def retry_queue(queue_name: str, delay_seconds: float) -> Queue:
    delay_ms = max(1, round(delay_seconds * 1000))
    return Queue(
        f"{queue_name}.retry.{delay_ms}ms",
        durable=True,
        queue_arguments={
            "x-message-ttl": delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        },
    )


def dead_letter_queue(queue_name: str) -> Queue:
    return Queue(f"{queue_name}.dead", durable=True)


def declare_source(channel: Any, source: str) -> None:
    """Declare a source's exchanges and its unrouted queue."""
    _declare_unrouted(channel.connection, source)
    events_exchange(source).bind(channel).declare()


def _declare_unrouted(connection: Any, source: str) -> None:
    # On a channel of its own: a broker that still holds the unbounded queue of
    # an earlier version refuses the new arguments and closes the channel. That
    # queue only ever held events nobody subscribed to: it is replaced.
    channel = connection.channel()
    try:
        unrouted_queue(source).bind(channel).declare()
    except PreconditionFailed:
        channel = connection.channel()
        channel.queue_delete(unrouted_queue(source).name)
        unrouted_queue(source).bind(channel).declare()
    finally:
        with contextlib.suppress(Exception):
            channel.close()


def queue_depths(
    amqp_uri: str, queue_names: Iterable[str], timeout: float = 1.0
) -> dict[str, int]:
    """How many messages wait in each queue (0 for one never declared), over
    one connection. Raises OSError (or a kombu/amqp connection error) when the
    broker cannot be reached within `timeout` seconds."""
    depths: dict[str, int] = {}
    with kombu.Connection(amqp_uri, connect_timeout=timeout) as conn:
        conn.connect()
        for name in queue_names:
            channel = conn.channel()
            try:
                _, depths[name], _ = channel.queue_declare(name, passive=True)
            except NotFound:
                depths[name] = 0
            finally:
                with contextlib.suppress(Exception):
                    channel.close()
    return depths


def unrouted_depths(
    amqp_uri: str, sources: Iterable[str], timeout: float = 1.0
) -> dict[str, int]:
    """How many messages wait in each source's unrouted queue."""
    names = {source: unrouted_queue(source).name for source in sources}
    depths = queue_depths(amqp_uri, names.values(), timeout)
    return {source: depths[name] for source, name in names.items()}


def declare_subscription(channel, subscription: Subscription) -> None:
    declare_source(channel, subscription.source)
    subscription.queue().bind(channel).declare()
