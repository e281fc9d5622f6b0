"""A projection applies each batch of events in one transaction, on the real
PostgreSQL; a batch holding a bad event parks that event alone."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg import sql

from services.candidates.application import CandidatesApplication
from services.candidates.projections import CandidateList, CandidateListView
from services.common.projection import ProjectionFollower
from services.common.search_hashes import neph_hash
from tests.common.test_parking import (
    SCHOOL,
    _file,
    _fresh,
    _listed,
    _neph,
    _refuse_neph,
)


@pytest.fixture(scope="module")
def app(settings):
    application = CandidatesApplication(settings=settings)
    yield application
    application.close()


@pytest.fixture
def candidate_list(app):
    follower = _fresh(app, CandidateList, CandidateListView)
    yield follower
    follower.release()


def _transactions(
    follower: ProjectionFollower, nephs: list[str], after: int
) -> set[str]:
    """The transactions that wrote these files' rows and the tracking rows of
    the events applied after `after` (`xmin`: the transaction that wrote a row)."""
    view = follower.view
    # The list keeps the NEPH sealed: rows are found by its keyed hash.
    key = view.search_keys.of(SCHOOL)
    hashes = [neph_hash(key, neph) for neph in nephs]
    query = sql.SQL(
        "SELECT xmin::text AS tx FROM {} WHERE neph_hash = ANY(%s)"
        " UNION SELECT xmin::text FROM {} WHERE notification_id > %s"
        " AND application_name = %s"
    ).format(view.table("candidate_list"), view.table(view.tracking_table_name))
    with view.datastore.transaction(commit=False) as curs:
        curs.execute(query, (hashes, after, follower.app.name))
        return {row["tx"] for row in curs.fetchall()}


def _tracked(follower: ProjectionFollower, after: int) -> list[int]:
    view = follower.view
    query = sql.SQL(
        "SELECT notification_id FROM {} WHERE application_name = %s"
        " AND notification_id > %s ORDER BY notification_id"
    ).format(view.table(view.tracking_table_name))
    with view.datastore.transaction(commit=False) as curs:
        curs.execute(query, (follower.app.name, after))
        return [row["notification_id"] for row in curs.fetchall()]


def _log_after(app: Any, position: int) -> list[int]:
    found = app.recorder.select_notifications(
        start=position, limit=100, topics=CandidateList.topics, inclusive_of_start=False
    )
    return [n.id for n in found]


def test_a_clean_batch_is_applied_in_one_transaction(app, candidate_list):
    nephs = [_neph() for _ in range(4)]
    for neph in nephs:
        _file(app, neph)
    before = candidate_list.position
    events = _log_after(app, before)

    assert candidate_list.run_until_caught_up() == len(events) >= 4

    assert _listed(candidate_list) >= set(nephs)
    # One tracking row for the batch: its last position.
    assert _tracked(candidate_list, before) == events[-1:]
    assert len(_transactions(candidate_list, nephs, before)) == 1


def test_a_bad_event_in_a_batch_is_parked_alone(app, candidate_list):
    first, bad, last = _neph(), _neph(), _neph()
    fix = _refuse_neph(candidate_list, bad)
    try:
        for neph in (first, bad, last):
            _file(app, neph)
        before = candidate_list.position
        events = _log_after(app, before)

        assert candidate_list.run_until_caught_up() == len(events)

        assert _listed(candidate_list) >= {first, last}
        assert bad not in _listed(candidate_list)
        (parked,) = candidate_list.parking.events(candidate_list.role)
        assert parked.attempts == 1 and "refuse_" in parked.error
        # Every other event applied, each once; the bad one only parked.
        assert _tracked(candidate_list, before) == [
            n for n in events if n != parked.notification_id
        ]
    finally:
        with candidate_list.view.datastore.transaction(commit=True) as curs:
            curs.execute(fix)
    assert candidate_list.retry_parked().applied == [parked.notification_id]
    assert bad in _listed(candidate_list)
