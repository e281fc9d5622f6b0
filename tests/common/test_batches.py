"""Handlers taking their messages in batches, on the real RabbitMQ."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from services.common import contracts, deadletters
from services.common.batches import consume_batches
from services.common.consumer import subscriptions_of
from services.common.envelope import Delivered
from tests.helpers import publish_event, wait_for

SEEN: list[list[str]] = []
FAULTS = threading.Semaphore(0)  # each release: one batch fails
BROKEN = "00000000-0000-0000-0000-00000000dead"


class BatchProbe:
    """Records each batch of free-seat words it is handed."""

    name = "batchprobe"

    @consume_batches("booking", contracts.SlotReserved)
    def on_reserved(self, events: list[Delivered]) -> None:
        sessions = [str(e.payload["session_id"]) for e in events]
        if BROKEN in sessions:
            raise RuntimeError("session illisible")
        if FAULTS.acquire(blocking=False):
            raise RuntimeError("panne simulée de la base")
        SEEN.append(sessions)


QUEUE = subscriptions_of(BatchProbe)[0].queue_name
_positions = iter(range(30_000_000, 40_000_000))


@pytest.fixture
def probe(settings) -> Any:
    SEEN.clear()
    container = ServiceContainer(BatchProbe, settings.nameko_config())
    container.start()
    yield
    while FAULTS.acquire(blocking=False):
        pass
    container.stop()


def reserved(settings, session_id: str, version: int = 1) -> None:
    publish_event(
        settings.amqp_uri,
        "booking",
        contracts.SlotReserved,
        {
            "session_id": session_id,
            "reservation_id": uuid.uuid4(),
            "free_seats": 17,
            "seats_version": version,
            "occurred_at": datetime.now(UTC),
        },
        position=next(_positions),
    )


def handled() -> list[str]:
    return [session for batch in SEEN for session in batch]


def test_messages_arriving_together_are_handled_together_each_once(settings, probe):
    sessions = [str(uuid.uuid4()) for _ in range(60)]
    for session in sessions:
        reserved(settings, session)
    wait_for(lambda: len(handled()) >= 60)
    assert sorted(handled()) == sorted(sessions)
    # Fewer workers and statements than messages.
    assert len(SEEN) < 60
    assert deadletters.count(settings.amqp_uri, QUEUE) == 0


def test_a_failed_batch_is_tried_again_and_nothing_is_lost(settings, probe):
    FAULTS.release()
    sessions = [str(uuid.uuid4()) for _ in range(5)]
    for session in sessions:
        reserved(settings, session)
    wait_for(lambda: sorted(handled()) == sorted(sessions))
    assert deadletters.count(settings.amqp_uri, QUEUE) == 0


def test_a_batch_that_always_fails_ends_in_dead_letters_message_by_message(
    settings, probe
):
    before = deadletters.count(settings.amqp_uri, QUEUE)
    reserved(settings, BROKEN)
    # First try and the two delayed retries of the test settings.
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) == before + 1)
    letters = deadletters.inspect(settings.amqp_uri, QUEUE)
    assert "session illisible" in letters[-1].error
    assert letters[-1].headers["pmc-attempt"] == 3
    # The consumer goes on with the next messages.
    other = str(uuid.uuid4())
    reserved(settings, other)
    wait_for(lambda: other in handled())


def test_one_bad_message_among_good_ones_is_the_only_one_parked(settings, probe):
    before = deadletters.count(settings.amqp_uri, QUEUE)
    good = [str(uuid.uuid4()) for _ in range(20)]
    for session in good[:10]:
        reserved(settings, session)
    reserved(settings, BROKEN)
    for session in good[10:]:
        reserved(settings, session)
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) == before + 1)
    wait_for(lambda: set(good) <= set(handled()))
    assert sorted(s for s in handled() if s in good) == sorted(good)
    letters = deadletters.inspect(settings.amqp_uri, QUEUE)
    assert "session illisible" in letters[-1].error
