"""Correlation ids stored beside events (services/common/store.py), kept by
group commits for each writer, and put on the relay's messages; events saved
without one (before there were any) load as before."""

from __future__ import annotations

import json
from typing import ClassVar

import eventlet
import kombu
import pytest
from eventsourcing.domain import Aggregate, event

from services.candidates.application import CandidatesApplication
from services.common import logs
from services.common.envelope import Envelope
from services.common.group_commit import GroupCommit
from services.common.relay import Relay
from services.common.store import CORRELATION_KEY, ServiceApplication
from services.common.topology import events_exchange
from tests.helpers import apart, wait_for


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Changed")
    def change(self, text: str) -> None:
        self.text = text


class Notes(ServiceApplication):
    name: ClassVar[str] = "correlation"
    env: ClassVar = {"AGGREGATE_CACHE_MAXSIZE": ""}


@pytest.fixture(scope="module")
def app(settings):
    app = Notes(settings=settings)
    yield app
    app.close()


def correlations(app: Notes, note: Note) -> list[str | None]:
    """The correlation id each stored event of `note` carries."""
    stored = app.recorder.select_events(note.id)
    return [app.mapper.read(s)[1] for s in stored]


def saved_as(app: Notes, correlation_id: str | None, note: Note) -> None:
    token = logs.bind(correlation_id)
    try:
        app.save(note)
    finally:
        logs.unbind(token)


def test_events_keep_the_correlation_id_of_the_request_that_saved_them(app):
    note = Note(text="v1")
    saved_as(app, "request-0001", note)
    note.change("v2")
    saved_as(app, "request-0002", note)

    assert correlations(app, note) == ["request-0001", "request-0002"]
    loaded = app.repository.get(note.id)
    assert loaded.text == "v2"
    events = app.aggregate_history(note.id)
    assert all(CORRELATION_KEY not in vars(e) for e in events)


def test_events_saved_without_one_load_as_before(app):
    note = Note(text="ancien")
    saved_as(app, None, note)
    stored = app.recorder.select_events(note.id)
    assert CORRELATION_KEY.encode() not in stored[0].state
    assert correlations(app, note) == [None]
    assert app.repository.get(note.id).text == "ancien"


def test_a_group_commit_saves_each_writers_events_with_its_own_id(app):
    group = GroupCommit(app)
    notes = [Note(text=f"note {i}") for i in range(20)]

    def write(i: int) -> None:
        logs.bind(f"writer-{i:04d}")
        group.save(notes[i])

    pool = eventlet.GreenPool(len(notes))
    for i in range(len(notes)):
        pool.spawn(write, i)
    pool.waitall()
    assert [correlations(app, n) for n in notes] == [
        [f"writer-{i:04d}"] for i in range(len(notes))
    ]


def test_the_relay_puts_the_correlation_id_on_the_message(settings):
    app = CandidatesApplication(settings=apart(settings))
    relay = Relay(app, settings.amqp_uri)
    conn = kombu.Connection(settings.amqp_uri)
    try:
        relay.run_until_caught_up()
        queue = kombu.Queue(
            exclusive=True, exchange=events_exchange("candidates"), routing_key="#"
        )(conn.channel())
        queue.declare()
        token = logs.bind("request-relay-01")
        try:
            created = app.create_file(
                "ecole-correlation",
                "secretariat@ecole-correlation.fr",
                {
                    "neph": "320000000001",
                    "civility": "M",
                    "birth_name": "Durand",
                    "given_names": "Paul",
                    "birth_date": "2005-03-14",
                    "email": "paul.durand@example.fr",
                },
            )
        finally:
            logs.unbind(token)
        relay.run_until_caught_up()

        def ours() -> kombu.Message | None:
            # A running platform's candidates may publish here too.
            while (message := queue.get(no_ack=True)) is not None:
                if json.loads(message.body).get("candidate_id") == created["id"]:
                    return message
            return None

        message = wait_for(ours)
        assert Envelope.from_headers(message.headers).correlation_id == (
            "request-relay-01"
        )
    finally:
        relay.release()
        conn.close()
        app.close()
