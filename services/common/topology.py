"""Names and declarations on RabbitMQ, in one place so every declarer agrees.

- `<source>.events`: topic exchange a service's relay publishes to (routing key =
  event type). Its alternate exchange catches what no queue is bound for, so an
  event nobody subscribes to yet lands in `<source>.events.unrouted` instead of
  vanishing.
- `evt-<source>-<EventType>--<consumer>.<method>`: one durable queue per handler.
- `<queue>.retry.<ms>ms`: holds a failed message for a delay, then dead-letters
  it back to its queue (one queue per delay, since RabbitMQ only expires
  messages at the head of a queue).
- `<queue>.dead`: where a message lands after its last attempt; operators list
  and replay it with `pmc dead-letters`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kombu import Exchange, Queue


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


def declare_source(channel, source: str) -> None:
    """Declare a source's exchanges and its unrouted queue."""
    unrouted_queue(source).bind(channel).declare()
    events_exchange(source).bind(channel).declare()


def declare_subscription(channel, subscription: Subscription) -> None:
    declare_source(channel, subscription.source)
    subscription.queue().bind(channel).declare()
