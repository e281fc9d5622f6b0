"""The unrouted queues: bounded, watched, and replacing an older unbounded one."""

from __future__ import annotations

import kombu

from services.common.topology import (
    UNROUTED_MAX_LENGTH,
    declare_source,
    events_exchange,
    unrouted_depths,
)
from tests.helpers import wait_for


def test_events_nobody_subscribes_to_are_counted(settings):
    source = "sondeinconnue"
    assert unrouted_depths(settings.amqp_uri, [source]) == {source: 0}
    with kombu.Connection(settings.amqp_uri) as conn:
        channel = conn.channel()
        declare_source(channel, source)
        producer = kombu.Producer(channel, exchange=events_exchange(source))
        for _ in range(3):
            producer.publish({"n": 1}, routing_key="Personne", serializer="json")
    # Published without confirms: the broker counts them a moment later.
    wait_for(lambda: unrouted_depths(settings.amqp_uri, [source])[source] == 3)
    assert unrouted_depths(settings.amqp_uri, [source]) == {source: 3}


def test_an_unbounded_unrouted_queue_of_an_earlier_version_is_replaced(settings):
    source = "sondeancienne"
    name = f"{source}.events.unrouted"
    with kombu.Connection(settings.amqp_uri) as conn:
        channel = conn.channel()
        channel.exchange_declare(name, "fanout", durable=True)
        channel.queue_declare(name, durable=True, auto_delete=False)  # no bound
        channel.queue_bind(name, name)
        declare_source(conn.channel(), source)
        # Declared again with the bound: the broker accepts the same arguments.
        bounded = conn.channel()
        bounded.queue_declare(
            name,
            durable=True,
            auto_delete=False,
            arguments={
                "x-max-length": UNROUTED_MAX_LENGTH,
                "x-overflow": "drop-head",
            },
        )


def test_dead_letters_expire_after_their_retention(settings, monkeypatch):
    """A dead letter may hold what its event said: it goes after its retention
    (PMC_DEAD_LETTER_RETENTION_DAYS), whoever reads the queue or not."""
    from services.common import deadletters
    from services.common.topology import dead_letter_queue

    handler = "evt-sonde-Expiree--sonde.on_expiree"
    monkeypatch.setenv("PMC_DEAD_LETTER_RETENTION_DAYS", str(1.5 / 86_400))
    with kombu.Connection(settings.amqp_uri) as conn:
        producer = kombu.Producer(conn.channel())
        dead = dead_letter_queue(handler)
        assert dead.queue_arguments["x-message-ttl"] == 1500
        producer.publish({"n": 1}, exchange="", routing_key=dead.name, declare=[dead])
    wait_for(lambda: deadletters.count(settings.amqp_uri, handler) == 1, 5)
    wait_for(lambda: deadletters.count(settings.amqp_uri, handler) == 0, 10)
