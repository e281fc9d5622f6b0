"""`pmc republish`: its arguments checked before anything is published, and,
on the real PostgreSQL and RabbitMQ, the relay's own messages sent again (same
positions, same contract) while the relay leads; a file erased since goes out
as the relay would send it now: nothing readable, no key made again."""

from __future__ import annotations

import argparse
import json
from uuid import UUID

import kombu
import pytest

from pmc import registry
from pmc.republish import Plan, Refused, plan
from pmc.republisher import republish
from services.candidates.application import CandidatesApplication
from services.common import contracts
from services.common.envelope import Envelope
from services.common.relay import Relay
from services.common.sealing import open_message
from services.common.topology import Subscription, events_exchange
from tests.helpers import wait_for

CONFIRMED = Subscription(
    "booking", "ReservationConfirmed", "notifier", "on_reservation_confirmed"
)
SCHOOL = ("ecole-republier", "secretariat@ecole-republier.fr")
NEW_FILE = {
    "civility": "M",
    "birth_name": "Durand",
    "given_names": "Paul",
    "birth_date": "2005-03-14",
    "email": "paul.durand@example.fr",
}


def _args(service: str = "booking", **given: object) -> argparse.Namespace:
    values = {"first": 1, "last": None, "event_types": None, "queue": None}
    return argparse.Namespace(service=service, **{**values, **given})


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (_args("nulle-part"), "unknown service: nulle-part"),
        (_args("gateway"), "unknown service"),
        (_args(first=-1), "never negative"),
        (_args(first=1, last=-2), "never negative"),
        (_args(first=9, last=3), "--from 9 is after --to 3"),
        (_args(event_types=["Inconnu"]), "booking publishes no Inconnu"),
        (_args(queue="evt-booking-X--y.z"), "not a queue subscribed to booking"),
        (_args("billing", queue=CONFIRMED.queue_name), "not a queue subscribed"),
        (
            _args(event_types=["SlotReserved"], queue=CONFIRMED.queue_name),
            "only takes ReservationConfirmed, not SlotReserved",
        ),
    ],
)
def test_bad_arguments_are_refused_saying_why(args, says):
    with pytest.raises(Refused, match=says):
        plan(args, registry.subscriptions())


def test_a_queue_narrows_the_events_to_its_own_type():
    checked = plan(_args(first=0, last=0, queue=CONFIRMED.queue_name), [CONFIRMED])
    assert checked == Plan(
        "booking", 0, 0, frozenset({"ReservationConfirmed"}), CONFIRMED.queue_name
    )
    everything = plan(_args(first=5), [CONFIRMED])
    assert everything.event_types is None and everything.queue is None


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

    def drain() -> list[kombu.Message]:
        received = []
        while (message := queue.get(no_ack=True)) is not None:
            received.append(message)
        return received

    yield drain
    conn.close()


def _created(messages: list[kombu.Message]) -> dict[int, dict]:
    """The CandidateCreated bodies, by log position."""
    return {
        Envelope.from_headers(m.headers).position: json.loads(m.body)
        for m in messages
        if m.headers["pmc-event-type"] == "CandidateCreated"
    }


def _arrived(listener, count: int) -> dict[int, dict]:
    """The next `count` CandidateCreated bodies to arrive, by position."""
    received: list[kombu.Message] = []

    def enough() -> dict[int, dict] | None:
        received.extend(listener())
        created = _created(received)
        return created if len(created) >= count else None

    return wait_for(enough)


def test_the_relays_messages_go_out_again_as_it_sends_them_now(app, settings, listener):
    relay = Relay(app, settings.amqp_uri)
    relay.run_until_caught_up()  # whatever earlier tests left, and the lead
    try:
        listener()
        kept = app.create_file(*SCHOOL, {**NEW_FILE, "neph": "310000000501"})
        erased = app.create_file(*SCHOOL, {**NEW_FILE, "neph": "310000000502"})
        relay.run_until_caught_up()
        first = _arrived(listener, 2)
        positions = sorted(first)
        app.vault.forget(UUID(erased["id"]))  # the file expired since
        recorded = relay.load_position(relay.leader_connection)

        # The relay still leads: the command never waits for it.
        read, published = republish(
            settings, Plan("candidates", positions[0], positions[-1], None, None)
        )
        # ... and leaves the relay's position as it was.
        relay.still_leading()
        assert relay.load_position(relay.leader_connection) == recorded
    finally:
        relay.release()
    again = _arrived(listener, 2)
    assert sorted(again) == positions and published >= 2 and read >= published
    by_file = {body["candidate_id"]: body for body in again.values()}
    opened, _ = open_message(
        contracts.CandidateCreated, by_file[kept["id"]], app.keystore
    )
    assert opened["given_names"] == "Paul"
    # Erased: nothing to open, and no key made again for it.
    assert by_file[erased["id"]]["sealed"] is None
    assert app.keystore.key(UUID(erased["id"])) is None


def test_a_subscribed_queue_the_broker_does_not_have_is_refused(settings):
    missing = "evt-candidates-CandidateCreated--nobody.never_started"
    plan_ = Plan("candidates", 1, None, frozenset({"CandidateCreated"}), missing)
    with pytest.raises(Refused, match="does not exist on the broker"):
        republish(settings, plan_)
