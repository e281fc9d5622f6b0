"""Writes arriving together share one transaction, and one conflicting write
never fails the others (services/common/group_commit.py), on PostgreSQL."""

from __future__ import annotations

from typing import ClassVar

import eventlet
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from psycopg import sql

from services.common.group_commit import GroupCommit
from services.common.store import ServiceApplication


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Changed")
    def change(self, text: str) -> None:
        self.text = text


class Notes(ServiceApplication):
    name: ClassVar[str] = "groupcommit"
    env: ClassVar = {
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",
    }


@pytest.fixture(scope="module")
def app(settings):
    app = Notes(settings=settings)
    yield app
    app.close()


def transactions_of(app: Notes, ids: list) -> int:
    """How many transactions wrote these aggregates' events (their xmin)."""
    query = sql.SQL(
        "SELECT count(DISTINCT xmin::text) AS n FROM {} WHERE originator_id = ANY(%s)"
    ).format(sql.Identifier(app.schema, app.recorder.events_table_name))
    with app.datastore.transaction(commit=False) as curs:
        curs.execute(query, (ids,))
        return curs.fetchone()["n"]


def write_all(group: GroupCommit, notes: list[Note]) -> dict[str, str]:
    outcomes: dict[str, str] = {}

    def write(note: Note) -> None:
        try:
            group.save(note)
            outcomes[note.text] = "saved"
        except IntegrityError:
            outcomes[note.text] = "conflict"

    pool = eventlet.GreenPool(len(notes))
    for note in notes:
        pool.spawn(write, note)
    pool.waitall()
    return outcomes


def test_writes_arriving_together_share_commits(app):
    notes = [Note(text=f"note {i}") for i in range(50)]
    assert set(write_all(GroupCommit(app), notes).values()) == {"saved"}
    assert [app.repository.get(n.id).text for n in notes] == [n.text for n in notes]
    assert transactions_of(app, [n.id for n in notes]) < 10


def test_a_conflicting_write_fails_alone(app):
    old = Note(text="v1")
    app.save(old)
    stale = app.repository.get(old.id)
    fresh = app.repository.get(old.id)
    fresh.change(text="v2")
    app.save(fresh)  # `stale` is now one version behind
    stale.change(text="perdu")
    notes = [Note(text=f"autre {i}") for i in range(20)]
    outcomes = write_all(GroupCommit(app), [*notes[:10], stale, *notes[10:]])
    assert outcomes.pop("perdu") == "conflict"
    assert set(outcomes.values()) == {"saved"} and len(outcomes) == 20
    assert app.repository.get(old.id).text == "v2"
    assert [app.repository.get(n.id).text for n in notes] == [n.text for n in notes]


def test_a_write_alone_is_saved_at_once(app):
    group = GroupCommit(app)
    note = Note(text="seule")
    group.save(note)
    assert app.repository.get(note.id).text == "seule"


def test_one_commits_events_come_back_whole_and_in_their_order(app):
    """Events are inserted one array per column (services/common/recorder.py):
    each keeps its own state, however awkward its bytes, and the log's order
    is the order they were saved in."""
    texts = ['guillemets " et \\ barre', "accents é à ç, emoji 🚗", "\x00 nul", "{,}"]
    notes = [Note(text) for text in texts]
    recordings = app.save_collected([e for n in notes for e in n.collect_events()])
    positions = [r.notification.id for r in recordings]
    assert positions == sorted(positions)
    assert [app.repository.get(n.id).text for n in notes] == texts
    logged = app.recorder.select_notifications(positions[0], len(texts))
    assert [n.originator_id for n in logged] == [n.id for n in notes]


def test_a_conflict_in_a_columnwise_insert_writes_none_of_it(app):
    first = Note("premier")
    app.save(first)
    stale = app.repository.get(first.id)
    first.change("par un autre")
    app.save(first)
    stale.change("trop tard")
    other = Note("ne doit pas être écrit")
    with pytest.raises(IntegrityError):
        app.save_collected([*stale.collect_events(), *other.collect_events()])
    assert app.repository.get(first.id).text == "par un autre"
    assert other.id not in app.repository
