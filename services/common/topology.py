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
  and replay it with `pmc dead-letters` within PMC_DEAD_LETTER_RETENTION_DAYS
  (14 by default), after which RabbitMQ drops it (`x-message-ttl`): what a
  message says must not outlive its retention (README, « Données
  personnelles »). A queue's arguments cannot change once it is declared: a
  `.dead` queue declared before it had a TTL refuses the new declaration
  (PRECONDITION_FAILED). The operator replays or reads what it holds, then
  deletes it (`rabbitmqctl delete_queue <name>`); the next failure declares it
  again with its TTL. Changing the retention later means the same.

With `PMC_QUORUM_QUEUES=1` those three kinds are quorum queues (replicated over
a cluster's nodes). Dead-lettering out of a quorum queue is at most once unless
asked otherwise: the retry queues ask for at least once (which RabbitMQ allows
only with `reject-publish` overflow), so no message is lost between a delay
queue and its handler's queue. The unrouted queue stays classic: it drops its
oldest messages (`drop-head`), which quorum queues cannot.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import kombu
from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Exchange, Queue

from services.common.settings import Settings

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


def _typed(arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """The arguments of a durable event queue, with its type when it is quorum.

    Read from the environment at each declaration, as every process and
    command declaring these queues must agree on their type.
    """
    arguments = dict(arguments or {})
    if Settings.from_env().quorum_queues:
        arguments["x-queue-type"] = "quorum"
        if "x-dead-letter-exchange" in arguments:
            arguments["x-dead-letter-strategy"] = "at-least-once"
            arguments["x-overflow"] = "reject-publish"
    return arguments


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
        arguments = {}
        if Settings.from_env().quorum_queues:
            # A quorum queue drops a message redelivered past its delivery
            # limit (RabbitMQ 4: 20 by default) unless it dead-letters it:
            # then it goes to this handler's dead letters, never away.
            arguments = {
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": dead_letter_queue(self.queue_name).name,
            }
        return Queue(
            self.queue_name,
            exchange=events_exchange(self.source),
            routing_key=self.event_type,
            durable=True,
            queue_arguments=_typed(arguments),
        )


def retry_queue(queue_name: str, delay_seconds: float) -> Queue:
    delay_ms = max(1, round(delay_seconds * 1000))
    return Queue(
        f"{queue_name}.retry.{delay_ms}ms",
        durable=True,
        queue_arguments=_typed(
            {
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": queue_name,
            }
        ),
    )


def dead_letter_queue(queue_name: str) -> Queue:
    days = Settings.from_env().dead_letter_retention_days
    # Quorum queues honour x-message-ttl since RabbitMQ 3.10; retry queues
    # expire theirs after their delay already.
    ttl = {"x-message-ttl": max(1, round(days * 86_400_000))}
    return Queue(f"{queue_name}.dead", durable=True, queue_arguments=_typed(ttl))


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


def queue_exists(amqp_uri: str, name: str, timeout: float = 5.0) -> bool:
    """Whether the broker has the queue `name` (asked passively: nothing is
    declared)."""
    with kombu.Connection(amqp_uri, connect_timeout=timeout) as conn:
        conn.connect()
        channel = conn.channel()
        try:
            channel.queue_declare(name, passive=True)
        except NotFound:
            return False
        finally:
            with contextlib.suppress(Exception):
                channel.close()
    return True


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
