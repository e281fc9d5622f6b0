"""Parking events a read model cannot apply (TR-2), on the real PostgreSQL."""

from __future__ import annotations

import secrets
import smtplib
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing import persistence
from psycopg import sql

from pmc.parking import _ask_leader
from services.candidates.application import CandidatesApplication
from services.candidates.projections import CandidateList, CandidateListView
from services.common.dependencies import service_health
from services.common.envelope import Delivered, Envelope
from services.common.follower_parking import RETRY_SIGNAL
from services.common.parking import is_event_error
from services.common.projection import ProjectionFollower, ReadModel
from services.common.relay import Relay
from services.common.search_hashes import neph_hash
from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL
from services.notifier.mailer import AccountMailer, Mailer
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE, PARIS, ExamCentre
from services.scheduling.projections import SessionBoard, SessionBoardView
from tests.conftest import free_port
from tests.containers import port_open
from tests.helpers import mails_to, wait_for, write_unchecked_file

SCHOOL = "ecole-parking"


@pytest.fixture(scope="module")
def app(settings):
    application = CandidatesApplication(settings=settings)
    yield application
    application.close()


def _fresh(app: Any, projection: type, view: type, **kwargs: Any) -> ProjectionFollower:
    """A projection of its own (position, parked rows) for one test."""
    own = type("Probe", (projection,), {"name": f"probe_{secrets.token_hex(4)}"})
    follower = ReadModel(own, view).follower(app, **kwargs)
    # Up to date with what earlier tests wrote (and parked) in the shared log.
    follower.run_until_caught_up()
    for earlier in follower.parking.events(follower.role):
        follower.parking.discard(follower.role, earlier.notification_id)
    return follower


def _twin(app: Any, follower: ProjectionFollower) -> ProjectionFollower:
    """The same projection, as another process (or a restart) builds it."""
    return ReadModel(type(follower.projection), type(follower.view)).follower(app)


@pytest.fixture
def candidate_list(app):
    follower = _fresh(app, CandidateList, CandidateListView)
    yield follower
    follower.release()


def _file(app: CandidatesApplication, neph: str, school: str = SCHOOL) -> UUID:
    return write_unchecked_file(app, school, "secretariat@ecole-parking.fr", neph)


def _listed(follower: ProjectionFollower) -> set[str]:
    return {row["neph"] for row in follower.view.search(SCHOOL)}


def _neph() -> str:
    return "9" + "".join(secrets.choice("0123456789") for _ in range(11))


def _refuse_neph(follower: ProjectionFollower, neph: str) -> sql.Composable:
    """A rule of the read model's table that this event breaks, removable."""
    name = sql.Identifier(f"refuse_{neph}")
    table = follower.view.table("candidate_list")
    # The list keeps the NEPH sealed: its row is recognised by its keyed hash.
    hashed = neph_hash(follower.view.search_keys.of(SCHOOL), neph)
    with follower.view.datastore.transaction(commit=True) as curs:
        curs.execute(
            sql.SQL(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK (neph_hash <> {}) NOT VALID"
            ).format(table, name, sql.Literal(hashed))
        )
    return sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, name)


def test_an_event_with_a_nul_is_parked_and_the_next_ones_applied(app, candidate_list):
    bad, good = _neph(), _neph()
    # Names are sealed in the list (a NUL there is stored like any other
    # byte): the school's id is among what it keeps as text.
    _file(app, bad, school=f"{SCHOOL}\x00-rand")
    _file(app, good)

    candidate_list.run_until_caught_up()

    assert good in _listed(candidate_list)
    assert bad not in _listed(candidate_list)
    (parked,) = candidate_list.parking.events(candidate_list.role)
    assert parked.event_type == "CandidateFile.Created"
    # What failed, never the event's data: the error's text is not kept.
    assert parked.error.startswith("DataError") and "rand" not in parked.error
    assert parked.attempts == 1
    health = candidate_list.health()
    assert health["status"] == "degradé"
    assert (health["parked"], health["lag"]) == (1, 0)

    # A restart starts after it: it is neither skipped silently nor redone.
    candidate_list.release()
    restarted = _twin(app, candidate_list)
    assert restarted.try_lead()
    try:
        assert restarted.position == candidate_list.position
        assert restarted.run_until_caught_up() == 0
    finally:
        restarted.release()


def test_a_parked_event_is_applied_once_after_its_cause_is_fixed(app, candidate_list):
    candidate_list.run_until_caught_up()
    neph, later = _neph(), _neph()
    fix = _refuse_neph(candidate_list, neph)
    _file(app, neph)
    _file(app, later)
    candidate_list.run_until_caught_up()
    assert _listed(candidate_list) >= {later}
    (parked,) = candidate_list.parking.events(candidate_list.role)
    assert "refuse_" in parked.error

    # Still broken: it stays parked, one attempt more.
    report = candidate_list.retry_parked()
    assert report.applied == [] and list(report.failed) == [parked.notification_id]
    (again,) = candidate_list.parking.events(candidate_list.role)
    assert again.attempts == 2

    with candidate_list.view.datastore.transaction(commit=True) as curs:
        curs.execute(fix)
    report = candidate_list.retry_parked()
    assert report.applied == [parked.notification_id]
    assert neph in _listed(candidate_list)
    assert candidate_list.parking.events(candidate_list.role) == []
    assert candidate_list.retry_parked().applied == []


def test_a_retried_delta_is_applied_exactly_once(settings):
    """Free seats count down: applying the same event twice would show it."""
    scheduling = SchedulingApplication(settings=settings)
    board = _fresh(scheduling, SessionBoard, SessionBoardView)
    try:
        code = f"PARK-{secrets.token_hex(3)}"
        scheduling.register_centre(
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
        starts = datetime(2027, 3, 2, 10, 0, tzinfo=PARIS)
        session = scheduling.schedule_session(
            ExamCentre.create_id(code), starts, 18, COLLECTIVE
        )
        board.run_until_caught_up()
        table = board.view.table("board_sessions")
        name = sql.Identifier(f"blocked_{code}".lower())
        later = starts + timedelta(hours=2)
        with board.view.datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL(
                    "ALTER TABLE {} ADD CONSTRAINT {} CHECK (starts_at <> {}) NOT VALID"
                ).format(table, name, sql.Literal(later))
            )
        second = scheduling.schedule_session(
            ExamCentre.create_id(code), later, 18, COLLECTIVE
        )
        board.run_until_caught_up()
        (parked,) = board.parking.events(board.role)

        with board.view.datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, name)
            )
        assert board.retry_parked().applied == [parked.notification_id]
        # A crash between applying and unparking would leave its row behind:
        board.parking.park(board.role, parked.notification_id, parked.topic, "x")
        assert board.retry_parked().applied == [parked.notification_id]

        assert board.view.free_seats(UUID(second["id"])) == 18
        assert board.view.free_seats(UUID(session["id"])) == 18
        assert board.parking.events(board.role) == []
    finally:
        board.release()
        scheduling.close()


def test_a_failure_that_is_not_the_events_fault_pauses_without_parking(
    app, candidate_list
):
    candidate_list.run_until_caught_up()
    table = candidate_list.view.table("candidate_list")
    hidden = sql.Identifier("candidate_list_away")
    datastore = candidate_list.view.datastore
    with datastore.transaction(commit=True) as curs:
        curs.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(table, hidden))
    neph = _neph()
    _file(app, neph)
    before = candidate_list.position
    with pytest.raises(persistence.ProgrammingError):
        candidate_list.run_until_caught_up()
    assert candidate_list.position == before
    assert candidate_list.parking.events(candidate_list.role) == []

    with datastore.transaction(commit=True) as curs:
        curs.execute(
            sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                sql.Identifier(datastore.schema, "candidate_list_away"),
                sql.Identifier("candidate_list"),
            )
        )
    candidate_list.run_until_caught_up()
    assert neph in _listed(candidate_list)


def test_the_running_leader_retries_when_asked(app, settings):
    leader = _fresh(app, CandidateList, CandidateListView, idle_wait=5.0)
    stop = threading.Event()
    thread = threading.Thread(target=leader.run, args=(stop,))
    thread.start()
    try:
        neph = _neph()
        fix = _refuse_neph(leader, neph)
        _file(app, neph)
        wait_for(lambda: leader.parking.events(leader.role), timeout=10)
        health = leader.health()
        assert health["leading"] and health["parked"] == 1
        with leader.view.datastore.transaction(commit=True) as curs:
            curs.execute(fix)

        # As `pmc parked retry` does while the service runs: it cannot lead.
        operator = _twin(app, leader)
        assert not operator.try_lead()
        (parked,) = operator.parking.events(operator.role)
        report = _ask_leader(operator, [parked.notification_id], wait=10)
        assert report.applied == [parked.notification_id]
        assert neph in _listed(leader)
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_retry_request_is_heard_among_other_notifications(app, settings):
    """The request's NOTIFY can share a packet with commits' notifications."""
    leader = _fresh(app, CandidateList, CandidateListView, idle_wait=30.0)
    stop = threading.Event()
    thread = threading.Thread(target=leader.run, args=(stop,))
    thread.start()
    try:
        neph = _neph()
        fix = _refuse_neph(leader, neph)
        _file(app, neph)
        wait_for(lambda: leader.parking.events(leader.role), timeout=10)
        with leader.view.datastore.transaction(commit=True) as curs:
            curs.execute(fix)
        (parked,) = leader.parking.events(leader.role)
        leader.parking.request_retry(leader.role, [parked.notification_id])
        # Delivered together, the retry signal last: a reader that stops
        # at the first notification of a packet never sees it.
        channel = app.recorder.channel_name
        with app.datastore.transaction(commit=True) as curs:
            for payload in ("a commit", "another commit", RETRY_SIGNAL):
                curs.execute("SELECT pg_notify(%s, %s)", (channel, payload))
        wait_for(lambda: neph in _listed(leader), timeout=10)
        assert leader.parking.events(leader.role) == []
    finally:
        stop.set()
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("error", "parked"),
    [
        (psycopg.DataError("PostgreSQL text fields cannot contain NUL"), True),
        (KeyError("birth_name"), True),
        (ValueError("bad date"), True),
        (smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"), True),
        (psycopg.OperationalError("connection refused"), False),
        (ConnectionRefusedError(), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (RuntimeError("unknown"), False),
    ],
)
def test_what_is_the_events_fault(error, parked):
    assert is_event_error(error) is parked
    # eventsourcing re-raises psycopg's errors as its own: judged the same.
    try:
        try:
            raise error
        except Exception as cause:
            raise persistence.PersistenceError(str(cause)) from cause
    except persistence.PersistenceError as wrapped:
        assert is_event_error(wrapped) is parked


def test_health_reports_lag(app, candidate_list):
    candidate_list.run_until_caught_up()
    for _ in range(3):
        _file(app, _neph())
    health = candidate_list.health()
    assert health["lag"] == 3 and health["status"] == "ok"
    assert health["position"] < app.recorder.max_notification_id()
    candidate_list.run_until_caught_up()
    assert candidate_list.health()["lag"] == 0


def test_service_health_shows_a_relay_behind(app, settings):
    relay = Relay(app, settings.amqp_uri)
    try:
        relay.run_until_caught_up()
        _file(app, _neph())
        health = service_health("candidates", app)
        (published,) = [f for f in health["followers"] if f["name"] == "relay"]
        assert published["lag"] == 1
        relay.run_until_caught_up()
        health = service_health("candidates", app)
        (published,) = [f for f in health["followers"] if f["name"] == "relay"]
        assert published["lag"] == 0 and published["position"] == relay.position
    finally:
        relay.release()


MAILCATCHER = (sys.executable, "-m", "pmc.cli", "mailcatcher")


@pytest.fixture
def mail_server(settings, tmp_path):
    """A real SMTP server on a port of its own, keeping e-mails in a folder."""
    port = free_port()
    server = subprocess.Popen(
        [*MAILCATCHER, "--port", str(port), "--folder", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    wait_for(lambda: port_open("127.0.0.1", port), timeout=20)
    yield settings.replace(smtp_port=port), tmp_path
    server.terminate()
    server.wait()


@pytest.mark.parametrize(
    ("lane", "audience", "event_type"),
    [
        (Mailer, "auto-ecole", "Message.Queued"),
        (AccountMailer, "compte", "AccountMessage.Queued"),
    ],
)
def test_a_message_that_can_never_be_sent_is_parked_the_next_ones_sent(
    mail_server, lane, audience, event_type
):
    settings, folder = mail_server
    notifier = NotifierApplication(settings=settings)
    mailer = lane(notifier)
    try:
        mailer.run_until_caught_up()
        for recipient in ("bad@example.fr\nBcc: all@example.fr", "good@example.fr"):
            position = secrets.randbelow(10**9)
            envelope = Envelope("identity", "Probe", 1, position, "2026-11-23")
            notifier.queue(
                Delivered(envelope, {}, 1),
                EMAIL,
                audience,
                uuid4(),
                recipient,
                "Objet",
                "Texte",
            )
        mailer.run_until_caught_up()

        wait_for(lambda: mails_to(folder, "good@example.fr"), timeout=10)
        (parked,) = mailer.parking.events(mailer.role)
        assert parked.event_type == event_type
        assert parked.error.startswith("ValueError")
        assert mails_to(folder, "bad@example.fr\nBcc: all@example.fr") == []
    finally:
        mailer.release()
        notifier.close()


def test_health_answers_in_time_while_the_database_does_not(
    app, candidate_list, settings
):
    app.followers = [candidate_list]
    blocker = psycopg.connect(settings.postgres_conninfo())
    try:
        blocker.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                candidate_list.parking.table
            )
        )
        readings = []
        for _ in range(2):
            started = time.monotonic()
            health = service_health("candidates", app, timeout=0.3)
            assert time.monotonic() - started < 0.6
            assert health["status"] == "degradé" and "à temps" in health["error"]
            readings.append(app.health_reading)
        # One reading waits for the database; the second probe did not add one.
        assert readings[0] is readings[1] and not readings[0].dead
        blocker.rollback()
        health = service_health("candidates", app)
        assert health["status"] in ("ok", "degradé") and "followers" in health
    finally:
        blocker.close()
        del app.followers
