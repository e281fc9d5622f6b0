"""Rebuilding a read model aside while its service runs, on the real PostgreSQL.

The session board of a scheduling application of its own (a schema per test):
sessions are scheduled and cancelled (rows inserted and deleted) while a
leader follows the log, and `pmc replay`'s aside rebuild is swapped in.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg import sql

from pmc.replay import aside
from services.common import rebuild
from services.common.projection import ProjectionFollower, ReadModel
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE, PARIS, ExamCentre
from services.scheduling.projections import READ_MODELS, SessionBoard
from tests.helpers import wait_for

MODEL = READ_MODELS["session_board"]
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=PARIS)  # a week without holidays


@pytest.fixture
def app(settings) -> Iterator[SchedulingApplication]:
    prefix = f"{settings.schema_prefix}rb{secrets.token_hex(3)}_"
    application = SchedulingApplication(
        settings=settings.model_copy(update={"schema_prefix": prefix})
    )
    yield application
    application.close()


class Catalogue:
    """Sessions written to the log, and what the board must show of them."""

    def __init__(self, app: SchedulingApplication) -> None:
        self.app = app
        self.expected: dict[UUID, tuple[Any, ...]] = {}
        self.written = 0
        self.centre = self._centre()

    def _centre(self) -> UUID:
        code = f"RB-{secrets.token_hex(4)}"
        self.app.register_centre(
            {
                "code": code,
                "name": "Centre de test",
                "address": "1 rue de la Gare",
                "postal_code": "69003",
                "city": "Lyon",
                "departement": "69",
                "latitude": 45.76,
                "longitude": 4.85,
                "pmr": True,
                "opening_hours": "",
            }
        )
        return ExamCentre.create_id(code)

    def add(self) -> None:
        """One session more (48 a week per centre); every third one cancelled."""
        if self.written and self.written % 48 == 0:
            self.centre = self._centre()
        slot = self.written % 48
        starts = MONDAY + timedelta(days=slot // 8, hours=slot % 8)
        seats = 1 + self.written % 18
        view = self.app.schedule_session(self.centre, starts, seats, COLLECTIVE)
        session_id = UUID(view["id"])
        self.expected[session_id] = (self.centre, starts, seats)
        if self.written % 3 == 2:
            self.app.cancel_session(session_id)
            del self.expected[session_id]
        self.written += 1


def _rows(follower: ProjectionFollower) -> dict[UUID, tuple[Any, ...]]:
    """Every row of the live board's sessions."""
    with follower.view.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL(
                "SELECT session_id, centre_id, starts_at, seats, free_seats FROM {}"
            ).format(follower.view.table("board_sessions"))
        )
        rows = curs.fetchall()
    # Free seats start as the seats (booking's word lives in board_seats).
    assert all(r["free_seats"] == r["seats"] for r in rows)
    return {r["session_id"]: (r["centre_id"], r["starts_at"], r["seats"]) for r in rows}


def _tracked(follower: ProjectionFollower) -> list[int]:
    """The positions recorded: one per batch applied, its last."""
    with follower.view.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL("SELECT notification_id FROM {} ORDER BY 1").format(
                sql.Identifier(follower.app.schema, follower.view.tracking_table_name)
            )
        )
        return [r["notification_id"] for r in curs.fetchall()]


def _logged(app: SchedulingApplication) -> list[int]:
    """The positions of every event the board follows: each applied once."""
    with app.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL(
                "SELECT notification_id FROM {} WHERE topic = ANY(%s) ORDER BY 1"
            ).format(sql.Identifier(app.schema, app.recorder.events_table_name)),
            (list(SessionBoard.topics),),
        )
        return [r["notification_id"] for r in curs.fetchall()]


def _exact(follower: ProjectionFollower, catalogue: Catalogue) -> None:
    """The live board is what a replay from scratch gives, every event once
    (its free seats count each hold and release once), up to the last."""
    last = _logged(catalogue.app)[-1]
    wait_for(lambda: _tracked(follower)[-1:] == [last], timeout=30)
    assert _rows(follower) == catalogue.expected
    assert follower.parking.events() == []


def _schema_exists(app: SchedulingApplication) -> bool:
    schema = rebuild.aside_schema(app, "session_board")
    with app.datastore.transaction(commit=False) as curs:
        curs.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        return curs.fetchone() is not None


class Running:
    """A follower leading (or standing by) in a thread, as in a service."""

    def __init__(self, app: SchedulingApplication) -> None:
        self.follower = MODEL.follower(app, idle_wait=0.2, retry_wait=0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.follower.run, args=(self.stop,))
        self.thread.start()

    def halt(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def test_a_rebuild_aside_is_swapped_in_while_the_service_runs(app):
    catalogue = Catalogue(app)
    for _ in range(150):
        catalogue.add()
    leader = Running(app)
    wait_for(lambda: leader.follower.health()["leading"])
    standby = Running(app)  # another replica, waiting for the lock
    _exact(leader.follower, catalogue)
    # The live board is damaged: the rebuild will set it right.
    with app.datastore.transaction(commit=True) as curs:
        curs.execute(
            sql.SQL("DELETE FROM {}").format(
                leader.follower.view.table("board_sessions")
            )
        )
    for _ in range(3):
        catalogue.add()
    wait_for(lambda: len(_rows(leader.follower)) >= 2)

    # Writes go on during the rebuild, and pages keep reading the board.
    writing, seen, errors = threading.Event(), [], []

    def write() -> None:
        while not writing.is_set():
            catalogue.add()

    def read() -> None:
        while not writing.is_set():
            try:
                seen.append(len(_rows(leader.follower)))
            except Exception as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    try:
        assert aside(app, MODEL, wait=30) == 0
    finally:
        writing.set()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == [] and min(seen) >= 1  # never an empty or missing table
    assert not _schema_exists(app)
    _exact(leader.follower, catalogue)
    assert catalogue.written > 153  # the writer wrote during the rebuild

    # The leader goes on following; the standby takes over where it stands.
    catalogue.add()
    _exact(leader.follower, catalogue)
    leader.halt()
    wait_for(lambda: standby.follower.health()["leading"])
    for _ in range(4):
        catalogue.add()
    _exact(standby.follower, catalogue)
    standby.halt()


def test_the_command_swaps_itself_when_the_service_is_stopped(app, capsys):
    catalogue = Catalogue(app)
    for _ in range(20):
        catalogue.add()
    live = MODEL.follower(app)
    live.run_until_caught_up()
    live.release()

    assert aside(app, MODEL, wait=5) == 0
    assert "rebuilt and swapped in" in capsys.readouterr().out
    _exact(live, catalogue)
    assert not _schema_exists(app)
    # The rebuilt table's index came along with it.
    with app.datastore.transaction(commit=False) as curs:
        curs.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s"
            " AND tablename = 'board_sessions'",
            (app.schema,),
        )
        indexes = {r["indexname"] for r in curs.fetchall()}
    assert indexes == {"board_sessions_pkey", "board_sessions_start"}
    # A follower leading next starts after the swapped-in position.
    restarted = MODEL.follower(app)
    assert restarted.try_lead()
    try:
        assert restarted.position == _logged(app)[-1]
        assert restarted.run_until_caught_up() == 0
    finally:
        restarted.release()


def test_a_swap_asked_while_nobody_leads_is_served_at_the_next_lead(app):
    catalogue = Catalogue(app)
    for _ in range(10):
        catalogue.add()
    follower = rebuild.start_aside(app, MODEL)
    rebuild.replay_aside(follower)
    follower.close()
    rebuild.request_swap(app, "session_board")
    assert rebuild.swap_outcome(app, "session_board") == "pending"
    for _ in range(5):  # written after the request: applied by the swap
        catalogue.add()

    leader = Running(app)
    try:
        wait_for(lambda: rebuild.swap_outcome(app, "session_board") == "done")
        _exact(leader.follower, catalogue)
        catalogue.add()
        _exact(leader.follower, catalogue)
    finally:
        leader.halt()


class Failing(SessionBoard):
    """The board with an event it cannot apply (a bug of a new version)."""

    refused: UUID | None = None

    def process_event(self, domain_event: Any, tracking: Any) -> None:
        if domain_event.originator_id == Failing.refused:
            raise ValueError("refused")
        super().process_event(domain_event, tracking)


def test_a_rebuild_that_fails_leaves_the_live_board_untouched(app, capsys):
    catalogue = Catalogue(app)
    for _ in range(12):
        catalogue.add()
    Failing.refused = next(iter(catalogue.expected))
    leader = Running(app)
    try:
        _exact(leader.follower, catalogue)
        before = _tracked(leader.follower)

        assert aside(app, ReadModel(Failing, type(leader.follower.view)), 5) == 1
        assert "the live model is untouched" in capsys.readouterr().err
        assert _tracked(leader.follower) == before
        _exact(leader.follower, catalogue)
        assert not _schema_exists(app)
        catalogue.add()
        _exact(leader.follower, catalogue)
    finally:
        leader.halt()


def test_a_swap_that_cannot_lock_the_live_board_changes_nothing(
    app, capsys, monkeypatch
):
    monkeypatch.setattr(rebuild, "SWAP_LOCK_TIMEOUT", "300ms")
    catalogue = Catalogue(app)
    for _ in range(12):
        catalogue.add()
    leader = Running(app)
    try:
        _exact(leader.follower, catalogue)
        before = _tracked(leader.follower)
        # A long read of the live board holds its lock past the swap's patience.
        with leader.follower.view.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL("SELECT count(*) FROM {}").format(
                    leader.follower.view.table("board_sessions")
                )
            )
            assert aside(app, MODEL, wait=10) == 1
        assert "swap failed" in capsys.readouterr().err
        assert _tracked(leader.follower) == before
        _exact(leader.follower, catalogue)
        catalogue.add()  # the leader goes on with the live board
        _exact(leader.follower, catalogue)
        # Run again, with nobody in the way: swapped in.
        assert aside(app, MODEL, wait=10) == 0
        assert not _schema_exists(app)
        _exact(leader.follower, catalogue)
    finally:
        leader.halt()


def test_one_rebuild_of_a_model_at_a_time(app):
    first = rebuild.start_aside(app, MODEL)
    try:
        with pytest.raises(rebuild.RebuildBusy):
            rebuild.start_aside(app, MODEL)
    finally:
        first.close()
