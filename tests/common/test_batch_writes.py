"""A batch's writes, held and folded (services/common/batch_writes.py), leave
the real PostgreSQL as the same writes sent one by one would."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from psycopg import sql

from services.candidates.application import CandidatesApplication
from services.common.batch_writes import COPY_FROM
from services.common.view import ReadModelView


class NotesView(ReadModelView):
    """A table of its own per test: notes keyed by id, with a status."""

    def __init__(self, datastore: Any, name: str) -> None:
        self.tables = (name,)
        self.name = name
        super().__init__(datastore, name)

    def create_statements(self) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, owner text,"
                " status text NOT NULL, tags text[], note text)"
            ).format(self.table(self.name))
        ]

    def rows(self) -> dict[UUID, tuple]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL("SELECT id, owner, status, tags, note FROM {}").format(
                    self.table(self.name)
                )
            )
            return {r["id"]: tuple(r.values())[1:] for r in curs.fetchall()}


@pytest.fixture(scope="module")
def app(settings):
    application = CandidatesApplication(settings=settings)
    yield application
    application.close()


def _view(app: Any) -> NotesView:
    view = NotesView(app.datastore, f"notes_{secrets.token_hex(4)}")
    view.create_table()
    return view


def _story(
    view: NotesView, old: UUID, a: UUID, b: UUID, c: UUID, others: list[UUID]
) -> None:
    """Inserts, updates and deletes of rows new and old, and a statement of
    the view's own (by owner, not by key) between them, in one order."""
    t = iter(range(1, 1000))
    name = view.name

    def tracking() -> Tracking:
        return Tracking("notes", next(t))

    for other in others:
        view.insert_row(name, {"id": other, "status": "held"}, tracking())
    view.insert_row(name, {"id": a, "owner": "x", "status": "held"}, tracking())
    view.update_row(name, ("id", a), {"status": "paid"}, tracking())
    view.insert_row(name, {"id": b, "owner": "y", "status": "held"}, tracking())
    view.update_row(name, ("id", b), {"tags": ["é", "a,b", "{}"]}, tracking())
    view.delete_row(name, ("id", b), tracking())
    view.update_row(name, ("id", old), {"status": "moved"}, tracking())
    view.insert_tracking(tracking())  # an event that changes nothing here
    view.insert_row(name, {"id": c, "owner": "x", "status": "held"}, tracking())
    view.write(
        sql.SQL("UPDATE {} SET status = 'seen', note = 'raw' WHERE owner = 'x'").format(
            view.table(name)
        ),
        {},
        tracking(),
    )
    # After the view's own statement: applied after it, not folded before.
    view.update_row(name, ("id", a), {"status": "cancelled"}, tracking())
    view.update_row(name, ("id", old), {"note": None}, tracking())
    view.insert_row(name, {"id": b, "owner": "y", "status": "again"}, tracking())


def _seed(view: NotesView, old: UUID) -> None:
    row = {"id": old, "owner": "z", "status": "held", "note": "old"}
    view.insert_row(view.name, row, Tracking("notes", 0))


# A few rows are inserted by statement, many by COPY.
@pytest.mark.parametrize("others", [0, COPY_FROM])
def test_a_batch_leaves_what_one_write_at_a_time_leaves(app, others):
    old, a, b, c = (uuid4() for _ in range(4))
    more = [uuid4() for _ in range(others)]
    one_by_one, batched = _view(app), _view(app)
    for view in (one_by_one, batched):
        _seed(view, old)
    _story(one_by_one, old, a, b, c, more)
    with batched.batch():
        _story(batched, old, a, b, c, more)

    assert batched.rows() == one_by_one.rows()
    assert batched.rows()[a] == ("x", "cancelled", None, "raw")
    assert batched.rows()[b] == ("y", "again", None, None)
    # The batch's position, read back as the highest.
    assert batched.max_tracking_id("notes") == one_by_one.max_tracking_id("notes")


@pytest.mark.parametrize("others", [0, COPY_FROM])
def test_a_row_inserted_twice_in_a_batch_fails_it_whole(app, others):
    view = _view(app)
    row = {"id": uuid4(), "status": "held"}  # as the others: by COPY with them
    with pytest.raises(IntegrityError), view.batch():
        view.insert_row(view.name, row, Tracking("notes", 1))
        for n in range(others):
            view.insert_row(
                view.name, {"id": uuid4(), "status": "held"}, Tracking("notes", n + 2)
            )
        view.insert_row(view.name, {**row, "status": "other"}, Tracking("notes", 99))
    # Nothing of it written: the follower applies it one event at a time then.
    assert view.rows() == {}
    assert view.max_tracking_id("notes") is None
