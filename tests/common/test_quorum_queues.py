"""Event queues declared as quorum queues (PMC_QUORUM_QUEUES=1) work the same:
retries through their delay queues, dead letters, replay, one effect."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import pytest
import requests
from nameko.containers import ServiceContainer

from services.common import deadletters
from services.common.consumer import subscriptions_of
from tests.common.test_consumer import (
    FAULT,
    ProbeApplication,
    ProbeService,
    candidate_created,
    publish_created,
)
from tests.helpers import wait_for


class QuorumProbeService(ProbeService):
    """The probe under another name: its queues are new, so quorum from the start
    (a queue declared classic earlier cannot be declared again as quorum)."""

    name = "probequorum"


QUEUE = subscriptions_of(QuorumProbeService)[0].queue_name


def queue_type(name: str) -> str:
    from tests.conftest import VHOST

    base = os.environ.get(
        "PMC_TEST_RABBIT_MANAGEMENT", "http://guest:guest@127.0.0.1:15672"
    )
    url = f"{base}/api/queues/{quote(VHOST, safe='')}/{quote(name, safe='')}"
    answer = requests.get(url, timeout=10)
    answer.raise_for_status()
    return answer.json()["type"]


@pytest.fixture
def probe(settings, monkeypatch) -> Any:
    monkeypatch.setenv("PMC_QUORUM_QUEUES", "1")
    container = ServiceContainer(QuorumProbeService, settings.nameko_config())
    container.start()
    app = ProbeApplication(settings=settings)
    yield app
    FAULT.clear()
    container.stop()
    app.close()


def test_a_failing_handler_retries_through_quorum_queues_then_replays_once(
    settings, probe
):
    FAULT.set()
    payload = candidate_created()
    candidate = str(payload["candidate_id"])
    publish_created(settings, payload)
    # First try, two delayed retries (0.2 s, 0.4 s: the delay queues' TTL, then
    # dead-lettered back to the handler's queue), then the dead letters.
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) == 1)
    assert probe.times_seen(candidate) == 0
    (letter,) = deadletters.inspect(settings.amqp_uri, QUEUE)
    assert letter.headers["pmc-attempt"] == 3
    for name in (QUEUE, f"{QUEUE}.retry.200ms", f"{QUEUE}.retry.400ms"):
        assert queue_type(name) == "quorum"
    assert queue_type(f"{QUEUE}.dead") == "quorum"

    FAULT.clear()
    assert deadletters.replay(settings.amqp_uri, QUEUE) == 1
    wait_for(lambda: probe.times_seen(candidate) == 1)
    assert deadletters.count(settings.amqp_uri, QUEUE) == 0
    publish_created(settings, payload)  # a new event of the same candidate
    wait_for(lambda: probe.times_seen(candidate) == 2)
