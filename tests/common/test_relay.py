"""The outbox relay against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import json
import threading
from uuid import UUID

import kombu
import pytest

from services.candidates.application import CandidatesApplication
from services.candidates.publications import ACTIVATION
from services.common import contracts
from services.common.envelope import Envelope
from services.common.publisher import PublishNotConfirmed
from services.common.relay import Relay
from services.common.sealing import open_message
from services.common.topology import Subscription, events_exchange, unrouted_queue
from tests.helpers import wait_for

SCHOOL = ("ecole-relay", "secretariat@ecole-relay.fr")
NEW_FILE = {
    "civility": "M",
    "birth_name": "Durand",
    "given_names": "Paul",
    "birth_date": "2005-03-14",
    "email": "paul.durand@example.fr",
}


@pytest.fixture
def app(settings):
    application = CandidatesApplication(settings=settings)
    yield application
    application.close()


@pytest.fixture
def listener(settings):
    """An exclusive queue bound to every candidates event, gone after the test."""
    conn = kombu.Connection(settings.amqp_uri)
    channel = conn.channel()
    queue = kombu.Queue(
        exclusive=True, exchange=events_exchange("candidates"), routing_key="#"
    )(channel)
    queue.declare()
    received: list[kombu.Message] = []

    def drain() -> list[kombu.Message]:
        while (message := queue.get(no_ack=True)) is not None:
            received.append(message)
        return received

    yield drain
    conn.close()


def _create(app: CandidatesApplication, neph: str) -> dict:
    return app.create_file(*SCHOOL, {**NEW_FILE, "neph": neph})


def _nonce(app: CandidatesApplication, file: dict) -> str:
    return app.repository.get(UUID(file["id"])).activation_nonce


def _fresh_relay(app, settings, **kwargs) -> Relay:
    return Relay(app, settings.amqp_uri, **kwargs)


def test_committed_events_are_published_once_with_their_contract(
    app, settings, listener
):
    relay = _fresh_relay(app, settings)
    relay.run_until_caught_up()  # whatever earlier tests left
    listener()
    listener().clear()
    created = [_create(app, f"31000000000{i}") for i in range(3)]

    assert relay.run_until_caught_up() == 3
    # Its health (and the lag metric) reads the same position from the pool.
    health = relay.health()
    assert health["position"] == relay.position and health["lag"] == 0
    messages = wait_for(lambda: len(listener()) >= 3 and listener())
    assert [m.delivery_info["routing_key"] for m in messages] == [
        "CandidateCreated"
    ] * 3
    loaded = [contracts.CandidateCreated().load(json.loads(m.body)) for m in messages]
    assert [str(p["candidate_id"]) for p in loaded] == [c["id"] for c in created]
    envelopes = [Envelope.from_headers(m.headers) for m in messages]
    assert len({e.event_id for e in envelopes}) == 3
    assert all(e.source == "candidates" for e in envelopes)
    relay.release()

    # A new relay process resumes from the confirmed position: nothing again.
    again = _fresh_relay(app, settings)
    assert again.run_until_caught_up() == 0
    again.release()
    assert len(listener()) == 3


def test_only_one_relay_leads_a_service(app, settings):
    first = _fresh_relay(app, settings)
    second = _fresh_relay(app, settings)
    assert first.try_lead()
    assert not second.try_lead()
    first.release()
    assert second.try_lead()
    second.release()


def test_an_event_no_queue_is_bound_for_lands_in_the_unrouted_queue(app, settings):
    relay = _fresh_relay(app, settings)
    relay.run_until_caught_up()
    file = app.create_file(*SCHOOL, {**NEW_FILE, "neph": "310000000099"})
    token = app.links.token(ACTIVATION, UUID(file["id"]), _nonce(app, file))
    app.confirm(UUID(file["id"]), token)  # CandidateActivated: no subscriber yet
    relay.run_until_caught_up()
    relay.release()
    with kombu.Connection(settings.amqp_uri) as conn:
        queue = unrouted_queue("candidates")(conn.channel())
        found = []
        while (message := queue.get(no_ack=True)) is not None:
            found.append(message)
    validated = [
        m for m in found if m.headers["pmc-event-type"] == "CandidateActivated"
    ]
    assert [json.loads(m.body)["candidate_id"] for m in validated][-1] == file["id"]


def test_subscriber_queues_exist_before_their_consumer_ever_started(app, settings):
    subscription = Subscription("candidates", "CandidateCreated", "later", "handle")
    relay = _fresh_relay(app, settings, subscriptions=[subscription])
    relay.run_until_caught_up()
    file = _create(app, "310000000077")
    relay.run_until_caught_up()
    relay.release()
    with kombu.Connection(settings.amqp_uri) as conn:
        queue = subscription.queue()(conn.channel())
        bodies = []
        while (message := queue.get(no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
        queue.delete()
    assert file["id"] in [b["candidate_id"] for b in bodies]


def test_a_running_relay_publishes_new_commits_without_polling_delay(
    app, settings, listener
):
    relay = _fresh_relay(app, settings, idle_wait=30.0)
    stop = threading.Event()
    relay.run_until_caught_up()
    listener()
    listener().clear()
    thread = threading.Thread(target=relay.run, args=(stop,))
    thread.start()
    try:
        file = _create(app, "310000000055")
        # LISTEN/NOTIFY wakes the relay long before its 30 s idle wait.
        messages = wait_for(lambda: listener(), timeout=5)
        assert json.loads(messages[0].body)["candidate_id"] == file["id"]
    finally:
        stop.set()
        thread.join()


def test_a_relay_stopped_with_a_batch_unconfirmed_loses_nothing(
    app, settings, listener
):
    relay = _fresh_relay(app, settings)
    relay.run_until_caught_up()
    relay.release()
    listener()
    listener().clear()
    created = [_create(app, f"3100000002{i:02d}")["id"] for i in range(7)]

    first = _fresh_relay(app, settings, batch_size=3)
    assert first.try_lead()
    first.publisher.await_confirms = _broker_went_silent
    first.pump()  # events 1-3 published, awaiting their confirms
    first.pump()  # events 4-6 too, while the broker confirms 1-3
    with pytest.raises(PublishNotConfirmed):
        first.pump()  # event 7 is read, but 1-3 are never confirmed
    first.release()

    second = _fresh_relay(app, settings, batch_size=3)
    assert second.run_until_caught_up() == 7  # from the recorded position: 0
    second.release()
    third = _fresh_relay(app, settings, batch_size=3)
    assert third.run_until_caught_up() == 0  # every confirmed batch is recorded
    third.release()

    messages = wait_for(lambda: len(listener()) >= 13 and listener())
    received = [json.loads(m.body)["candidate_id"] for m in messages]
    # Published at least once and in order; only the unconfirmed batches twice.
    assert received == created[:6] + created
    positions = [Envelope.from_headers(m.headers).position for m in messages]
    assert positions[6:] == sorted(positions[6:])


def _broker_went_silent(upto: int | None = None) -> None:
    raise PublishNotConfirmed("3 unconfirmed")


def test_personal_data_erased_before_publication_is_not_published(
    app, settings, listener
):
    relay = _fresh_relay(app, settings)
    relay.run_until_caught_up()
    listener()
    listener().clear()
    kept = _create(app, "310000000301")
    erased = _create(app, "310000000302")
    app.vault.forget(UUID(erased["id"]))  # what the file's expiry does

    relay.run_until_caught_up()
    relay.release()
    messages = wait_for(lambda: len(listener()) >= 2 and listener())
    sealed = {
        p["candidate_id"]: p
        for p in (json.loads(m.body) for m in messages)
        if "sealed" in p
    }
    # On the bus, only ids: the personal fields and secrets travel sealed.
    for body in sealed.values():
        assert not {"given_names", "email", "neph", "link_token", "code"} & set(body)
    bodies = {
        i: open_message(contracts.CandidateCreated, p, app.keystore)[0]
        for i, p in sealed.items()
    }
    assert bodies[kept["id"]]["given_names"] == "Paul"
    assert bodies[kept["id"]]["email"] == "paul.durand@example.fr"
    assert bodies[kept["id"]]["link_token"]
    gone = sealed[erased["id"]]
    # Nothing left to seal, and no key made again for the erased file.
    assert gone["sealed"] is None
    assert app.keystore.key(UUID(erased["id"])) is None
