"""`pmc replay` on several processes (services/common/replay.py), against the
real PostgreSQL: the model it builds is the one a single process builds, every
event applied once; a bad event in a worker's chunk is named and parked, and
nothing is swapped in.

The command runs as an operator runs it (a process of its own: the tests run
under eventlet, which multiprocessing cannot live with), on a log of its own
(a schema prefix of its own, dropped after).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from psycopg import sql

from services.booking.application import BookingApplication
from services.booking.domain import Reservation
from services.booking.rules import BY_OPERATOR
from services.common.db import drop_schemas_with_prefix
from services.common.settings import Settings
from tests.helpers import wait_for

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture
def own(platform_env):
    """(environment, booking application) on a log nobody else writes."""
    env = {**platform_env, "PMC_SCHEMA_PREFIX": f"rp{secrets.token_hex(3)}_"}
    settings = Settings.from_env(env)
    app = BookingApplication(settings=settings)
    yield env, app
    app.close()
    drop_schemas_with_prefix(settings, settings.schema_prefix)


def _reservation(i: int, centre: str = "Centre Lyon Gerland") -> Reservation:
    return Reservation(
        reservation_id=uuid4(),
        school_id=f"ecole-{i % 7}",
        candidate_id=uuid4(),
        bookable_id=uuid4(),
        personal="v1.scelle",
        session_id=uuid4(),
        centre_name=centre,
        centre_city="Lyon",
        centre_address="12 rue de Gerland",
        exam_starts_at=NOW + timedelta(days=10 + i % 20),
        expires_at=NOW + timedelta(minutes=30),
        school_name="Auto-école du Parc",
        departement="69",
    )


def _write(app: BookingApplication, count: int) -> None:
    """Holds, most paid (some then cancelled), the rest expired: their events
    interleaved in the log as a day's would be."""
    for start in range(0, count, 20):
        held = [_reservation(i) for i in range(start, start + 20)]
        app.save(*held)
        for i, reservation in enumerate(held):
            if i % 5 == 4:
                reservation.release("expirée", NOW)
            else:
                reservation.confirm(uuid4(), NOW, 3000, "card")
                if i % 7 == 0:
                    reservation.cancel(NOW, BY_OPERATOR, "session annulée")
        app.save(*held)


REPLAY = ["-m", "pmc.cli", "replay", "booking", "reservation_list"]


def _pmc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *REPLAY, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _a_worker_of(pid: int) -> int | None:
    """A replay worker the command started (multiprocessing's spawned child)."""
    found = subprocess.run(
        ["pgrep", "-P", str(pid), "-f", "spawn_main"], capture_output=True, text=True
    )
    pids = found.stdout.split()
    return int(pids[0]) if pids else None


def _rows(app: BookingApplication) -> dict[Any, tuple]:
    with app.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL("SELECT * FROM {}").format(
                sql.Identifier(app.schema, "reservation_list")
            )
        )
        return {r["reservation_id"]: tuple(r.values()) for r in curs.fetchall()}


def _position(app: BookingApplication) -> int:
    with app.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL("SELECT max(notification_id) AS at FROM {}").format(
                sql.Identifier(app.schema, "reservation_list_tracking")
            )
        )
        return curs.fetchone()["at"]


def _head(app: BookingApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_several_processes_build_what_one_builds(own):
    env, app = own
    _write(app, 400)

    alone = _pmc(env, "--workers", "1")
    assert alone.returncode == 0, alone.stderr
    assert "on 1 process" in alone.stderr
    expected = _rows(app)
    assert len(expected) == 400

    shared = _pmc(env, "--workers", "2", "--batch", "25")
    assert shared.returncode == 0, shared.stderr
    assert "on 2 processes" in shared.stderr
    assert "reservation_list rebuilt and swapped in" in shared.stdout
    assert _rows(app) == expected
    assert _position(app) == _head(app)
    statuses = {row[10] for row in expected.values()}
    assert statuses == {"confirmée", "expirée", "annulée"}


def test_a_bad_event_in_a_workers_share_is_named_and_nothing_swapped(own):
    env, app = own
    _write(app, 200)
    assert _pmc(env, "--workers", "1").returncode == 0
    before = _rows(app)
    # PostgreSQL refuses a NUL in text: this hold can never be listed.
    bad = _reservation(0, centre="Centre\x00Lyon")
    app.save(bad)
    _write(app, 200)
    position = app.recorder.max_notification_id()

    shared = _pmc(env, "--workers", "2", "--batch", "25")

    assert shared.returncode == 1
    assert "on 2 processes" in shared.stderr
    assert "could not be applied" in shared.stderr
    assert "reservation_list not rebuilt: 1 event(s)" in shared.stderr
    assert _rows(app) == before  # the live model untouched
    assert position > _position(app)


def test_a_worker_killed_stops_the_replay_and_nothing_is_swapped(own):
    env, app = own
    _write(app, 200)
    assert _pmc(env, "--workers", "1").returncode == 0
    before = _rows(app)
    _write(app, 400)
    command = subprocess.Popen(
        [sys.executable, *REPLAY, "--workers", "2", "--batch", "5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        worker = wait_for(lambda: _a_worker_of(command.pid), timeout=30)
        os.kill(worker, signal.SIGKILL)
        _, err = command.communicate(timeout=120)
    finally:
        command.kill()

    assert command.returncode == 1
    assert "stopped (exit code -9)" in err
    assert "reservation_list not rebuilt" in err
    assert _rows(app) == before  # the live model untouched
    with app.datastore.transaction(commit=False) as curs:
        curs.execute(
            "SELECT count(*) AS n FROM pg_namespace WHERE nspname = %s",
            (f"{app.schema}__rebuild_reservation_list",),
        )
        assert curs.fetchone()["n"] == 0  # the half-built model dropped


@pytest.mark.parametrize(
    "args",
    [("--workers", "0"), ("--workers", "1000"), ("--batch", "0"), ("--batch", "-5")],
)
def test_a_number_of_workers_or_a_batch_out_of_bounds_is_refused(own, args):
    env, app = own
    _write(app, 20)

    refused = _pmc(env, *args)

    assert refused.returncode == 2
    assert "from 1 to" in refused.stderr
    with app.datastore.transaction(commit=False) as curs:
        curs.execute(
            "SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE %s",
            (f"{app.schema}__rebuild%",),
        )
        assert curs.fetchone()["n"] == 0  # nothing started
