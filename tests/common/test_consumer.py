"""Idempotent, retrying consumers, on the real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid5

import eventlet
import kombu
import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from nameko.containers import ServiceContainer

from services.common import contracts, deadletters
from services.common.consumer import consume, subscriptions_of
from services.common.dependencies import ApplicationProvider
from services.common.envelope import Delivered
from services.common.keystore import keystore_from_settings
from services.common.sealing import seal_message
from services.common.store import ServiceApplication
from services.common.topology import events_exchange
from tests.helpers import publish_event, wait_for

FAULT = threading.Event()


class Sighting(Aggregate):
    """One per candidate the probe has seen: its version counts the effects."""

    @staticmethod
    def create_id(candidate_id: str) -> UUID:
        return uuid5(uuid.NAMESPACE_URL, f"sighting:{candidate_id}")

    @event("Seen")
    def __init__(self, candidate_id: str) -> None:
        self.candidate_id = candidate_id
        self.times = 1

    @event("SeenAgain")
    def seen_again(self) -> None:
        self.times += 1


class ProbeApplication(ServiceApplication):
    name: ClassVar[str] = "probe"

    def note(self, candidate_id: str, tracking: Tracking) -> None:
        sighting_id = Sighting.create_id(candidate_id)
        try:
            sighting = self.repository.get(sighting_id)
            sighting.seen_again()
        except AggregateNotFoundError:
            sighting = Sighting(candidate_id)
        self.save(sighting, tracking=tracking)

    def times_seen(self, candidate_id: str) -> int:
        try:
            return self.repository.get(Sighting.create_id(candidate_id)).times
        except AggregateNotFoundError:
            return 0


class ProbeService:
    """A consumer whose handler fails while FAULT is set."""

    name = "probe"
    app = ApplicationProvider(ProbeApplication)

    @consume("candidates", contracts.CandidateCreated)
    def on_created(self, delivered: Delivered) -> None:
        if FAULT.is_set():
            raise RuntimeError("panne simulée du service")
        self.app.note(str(delivered.payload["candidate_id"]), delivered.tracking)


QUEUE = subscriptions_of(ProbeService)[0].queue_name


@pytest.fixture
def probe(settings) -> Any:
    container = ServiceContainer(ProbeService, settings.nameko_config())
    container.start()
    app = ProbeApplication(settings=settings)
    yield app
    FAULT.clear()
    container.stop()
    app.close()


_positions = iter(range(10_000_000, 20_000_000))


def candidate_created(neph: str = "120000000001") -> dict[str, Any]:
    return {
        "candidate_id": uuid.uuid4(),
        "school_id": "ecole-probe",
        "school_email": "ecole-probe@example.fr",
        "neph": neph,
        "contact": "email",
        "civility": "MME",
        "birth_name": "Petit",
        "given_names": "Inès",
        "email": "ines.petit@example.fr",
        "address": None,
        "link_token": "jeton",
        "code": "CODE123456",
        "expires_at": datetime.now(UTC),
        "created_at": datetime.now(UTC),
    }


def publish_created(settings, payload: dict[str, Any], times: int = 1) -> None:
    """Publish a CandidateCreated at a new log position, `times` times over."""
    publish_event(
        settings.amqp_uri,
        "candidates",
        contracts.CandidateCreated,
        payload,
        position=next(_positions),
        times=times,
    )


def test_a_message_delivered_three_times_has_one_effect(settings, probe):
    payload = candidate_created()
    publish_created(settings, payload, times=3)
    candidate = str(payload["candidate_id"])
    wait_for(lambda: probe.times_seen(candidate) >= 1)
    # Give the two duplicates every chance to show a second effect.
    other = candidate_created()
    publish_created(settings, other)
    wait_for(lambda: probe.times_seen(str(other["candidate_id"])) >= 1)
    assert probe.times_seen(candidate) == 1


def test_two_events_of_one_candidate_both_take_effect(settings, probe):
    # Same candidate, two different log positions: two real events.
    payload = candidate_created()
    for _ in range(2):
        publish_created(settings, payload)
    candidate = str(payload["candidate_id"])
    wait_for(lambda: probe.times_seen(candidate) == 2)


def test_a_failing_handler_is_dead_lettered_then_replayed_once_fixed(settings, probe):
    FAULT.set()
    payload = candidate_created()
    candidate = str(payload["candidate_id"])
    publish_created(settings, payload)
    # First try and two delayed retries (0.2 s, 0.4 s), then the dead letters.
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) == 1)
    assert probe.times_seen(candidate) == 0
    letters = deadletters.inspect(settings.amqp_uri, QUEUE)
    assert len(letters) == 1
    # What failed and where, never the error's text (it may echo the payload).
    assert letters[0].error.startswith("RuntimeError at tests/common/test_consumer.py")
    assert "panne simulée" not in letters[0].error
    assert letters[0].headers["pmc-attempt"] == 3
    # Inspecting took nothing away.
    assert deadletters.count(settings.amqp_uri, QUEUE) == 1

    FAULT.clear()
    assert deadletters.replay(settings.amqp_uri, QUEUE) == 1
    wait_for(lambda: probe.times_seen(candidate) == 1)
    assert deadletters.count(settings.amqp_uri, QUEUE) == 0


def test_a_message_that_does_not_fit_its_contract_goes_straight_to_dead_letters(
    settings, probe
):
    before = deadletters.count(settings.amqp_uri, QUEUE)
    # A buggy producer: a NEPH of 3 digits, which the contract refuses.
    broken = {**contracts.CandidateCreated().dump(candidate_created()), "neph": "123"}
    with kombu.Connection(settings.amqp_uri) as conn:
        producer = kombu.Producer(
            conn.channel(), exchange=events_exchange("candidates")
        )
        producer.publish(
            broken,
            routing_key="CandidateCreated",
            headers={
                "pmc-source": "candidates",
                "pmc-event-type": "CandidateCreated",
                "pmc-contract-version": 1,
                "pmc-notification-id": next(_positions),
            },
            serializer="json",
        )
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) == before + 1)
    letters = deadletters.inspect(settings.amqp_uri, QUEUE)
    assert "message illisible" in letters[-1].error
    # Never retried: it could not succeed.
    assert letters[-1].headers["pmc-attempt"] == 1
    assert probe.times_seen(broken["candidate_id"]) == 0


def _publish_body(settings, body: dict[str, Any]) -> None:
    with kombu.Connection(settings.amqp_uri) as conn:
        producer = kombu.Producer(
            conn.channel(), exchange=events_exchange("candidates")
        )
        producer.publish(
            body,
            routing_key="CandidateCreated",
            headers={
                "pmc-source": "candidates",
                "pmc-event-type": "CandidateCreated",
                "pmc-contract-version": 2,
                "pmc-notification-id": next(_positions),
            },
            serializer="json",
        )


def test_a_seal_that_does_not_open_is_dead_lettered_and_an_erased_one_delivered(
    settings, probe
):
    keystore = keystore_from_settings(settings)
    contract = contracts.CandidateCreated
    sealed = seal_message(contract, contract().dump(candidate_created()), keystore)
    assert "given_names" not in sealed and sealed["sealed"]
    # Moved to another candidate's message: it must not open as theirs.
    other = seal_message(contract, contract().dump(candidate_created()), keystore)
    moved = {**other, "sealed": sealed["sealed"]}
    before = deadletters.count(settings.amqp_uri, QUEUE)
    _publish_body(settings, moved)
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) == before + 1)
    letter = deadletters.inspect(settings.amqp_uri, QUEUE)[-1]
    assert "message illisible" in letter.error
    assert letter.headers["pmc-attempt"] == 1  # never retried
    assert probe.times_seen(moved["candidate_id"]) == 0
    # Erased (its key forgotten): delivered once, its personal data gone.
    keystore.forget(UUID(sealed["candidate_id"]))
    _publish_body(settings, sealed)
    wait_for(lambda: probe.times_seen(sealed["candidate_id"]) == 1)
    assert deadletters.count(settings.amqp_uri, QUEUE) == before + 1


def _publish_raw(settings, body: bytes, content_type: str = "application/json"):
    """Publish bytes on the events exchange as a broken producer would."""
    with kombu.Connection(settings.amqp_uri) as conn:
        producer = kombu.Producer(
            conn.channel(), exchange=events_exchange("candidates")
        )
        producer.publish(
            body,
            routing_key="CandidateCreated",
            headers={
                "pmc-source": "candidates",
                "pmc-event-type": "CandidateCreated",
                "pmc-contract-version": 1,
                "pmc-notification-id": next(_positions),
            },
            content_type=content_type,
            content_encoding="utf-8",
        )


def test_a_message_that_is_not_json_is_dead_lettered_as_received(settings, probe):
    before = deadletters.count(settings.amqp_uri, QUEUE)
    _publish_raw(settings, b'{"candidate_id": "pas du json')
    _publish_raw(settings, b"texte brut", content_type="text/plain")
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) == before + 2)
    assert deadletters.count(settings.amqp_uri, QUEUE) == before + 2
    assert deadletters.count(settings.amqp_uri, "evt-nobody") == 0
    letters = deadletters.inspect(settings.amqp_uri, QUEUE)[-2:]
    bodies = [
        b.decode() if isinstance(b, bytes) else b for b in (x.body for x in letters)
    ]
    assert bodies == ['{"candidate_id": "pas du json', "texte brut"]
    assert all("message illisible" in letter.error for letter in letters)
    # The consumer goes on with the next messages.
    payload = candidate_created()
    publish_created(settings, payload)
    wait_for(lambda: probe.times_seen(str(payload["candidate_id"])) == 1)


def test_a_replay_moves_each_letter_at_most_once(settings, probe):
    # Letters that fail again at once (they never fit the contract) came back
    # to the dead letters during the replay and were moved round and round.
    _publish_raw(settings, b"[1, 2")
    broken = {**contracts.CandidateCreated().dump(candidate_created()), "neph": "1"}
    for _ in range(3):
        _publish_raw(settings, json.dumps(broken).encode())
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) >= 4)
    # Letters of the tests before may still be on their way there: count
    # once the queue has stopped growing.
    counts = [-1]

    def settled() -> bool:
        eventlet.sleep(0.5)
        counts.append(deadletters.count(settings.amqp_uri, QUEUE))
        return counts[-1] == counts[-2]

    wait_for(settled)
    waiting = counts[-1]
    assert deadletters.replay(settings.amqp_uri, QUEUE) == waiting
    # They fail again and are all back, for a later replay.
    wait_for(lambda: deadletters.count(settings.amqp_uri, QUEUE) == waiting)
    assert deadletters.replay(settings.amqp_uri, QUEUE) == waiting
