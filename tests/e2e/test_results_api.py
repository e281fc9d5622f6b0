"""Results against the real stack (RE-1): a centre's file imported with a
report of its refused lines, the good ones kept; nothing shown before 24 hours
after the exam, then each result released once, whatever restarts or
redeliveries happen."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import requests
from eventsourcing.utils import get_topic

from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.common import contracts
from services.results.application import ResultsApplication
from services.results.domain import ExamResult
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_cancellation_api import _rows
from tests.e2e.test_checkout_api import _pay
from tests.e2e.test_erasure import _signed_in_again
from tests.helpers import publish_event, wait_for


@pytest.fixture(scope="module")
def results(settings):
    app = ResultsApplication(settings=settings)
    yield app
    app.close()


def _released(gateway, school) -> dict[str, dict]:
    answer = requests.get(f"{gateway}/api/resultats", headers=school["headers"])
    assert answer.status_code == 200, answer.text
    return {r["reservation_id"]: r for r in answer.json()["items"]}


def _published_events(results: ResultsApplication, reservations) -> int:
    topic = get_topic(ExamResult.Published)
    wanted = {UUID(r) for r in reservations}
    return sum(
        1
        for n in results.recorder.select_notifications(start=None, limit=100_000)
        if n.topic == topic and n.originator_id in wanted
    )


def _confirmed_event(booking, reservation_id: UUID) -> tuple[int, object]:
    """The stored `Reservation.Confirmed` and its position in booking's log
    (what the relay published it under)."""
    topic = get_topic(Reservation.Confirmed)
    for notification in booking.recorder.select_notifications(
        start=1, limit=100_000, topics=[topic]
    ):
        if notification.originator_id == reservation_id:
            return notification.id, booking.mapper.to_domain_event(notification)
    raise AssertionError("no confirmation stored")


def _known(results: ResultsApplication, reservation_id: str) -> bool:
    results.forget_id(UUID(reservation_id))
    try:
        results.repository.get(UUID(reservation_id))
    except Exception:
        return False
    return True


def test_a_centres_file_then_each_result_released_once_after_24_hours(
    gateway,
    stack,
    new_school,
    scheduling,
    candidates,
    booking,
    results,
    pmc,
    travel,
    tmp_path,
    settings,
):
    school = new_school()
    other = new_school()
    site = centre(scheduling, "TEST-RESULTATS", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(2, 2), 18, COLLECTIVE)
    nephs = activated_files(candidates, school, 3, first=61700)
    lines = [hold(gateway, school, n, session["id"]).json()["id"] for n in nephs]
    paid = _pay(gateway, school, f"cle-{uuid4()}")
    assert paid.status_code == 201, paid.text
    wait_for(
        lambda: (
            [r["status"] for r in _rows(gateway, school).values()] == ["confirmée"] * 3
        ),
        60,
    )
    passed, absent, wrong = lines
    wait_for(lambda: all(_known(results, r) for r in lines), 60)
    exam = datetime.fromisoformat(_rows(gateway, school)[passed]["exam_starts_at"])

    # Before the exam, no result is taken.
    early = tmp_path / "avant.csv"
    early.write_text(f"reservation;note\n{passed};36\n", encoding="utf-8")
    refused = pmc("import-results", str(early))
    assert refused.returncode == 1, refused.stderr
    assert "pas encore commencé" in refused.stdout

    travel(exam - datetime.now(UTC) + timedelta(hours=1))
    file = tmp_path / "resultats.csv"
    file.write_text(
        "\ufeffreservation;note\r\n"
        f"{passed};36\r\n"
        f"{absent};Absent\r\n"
        f"{wrong};41\r\n"
        f"{passed};36\r\n"
        f"{uuid4()};30\r\n"
        f"{wrong};٣٠\r\n",
        encoding="utf-8",
    )
    imported = pmc("import-results", str(file))
    assert imported.returncode == 1, imported.stderr
    assert "2 résultat(s) importé(s), 4 ligne(s) refusée(s)" in imported.stdout
    assert "ligne 4 : La note doit être comprise entre 0 et 40." in imported.stdout
    assert "ligne 5 : Réservation déjà présente dans ce fichier" in imported.stdout
    assert "ligne 6 : Réservation inconnue" in imported.stdout
    assert "ligne 7 : Note invalide" in imported.stdout
    # The same seat cannot get a second, different result.
    again = tmp_path / "encore.csv"
    again.write_text(f"reservation;note\n{passed};12\n", encoding="utf-8")
    twice = pmc("import-results", str(again))
    assert twice.returncode == 1
    assert "déjà enregistré" in twice.stdout

    # Hours after the exam: still nothing to see (the sweep runs every second).
    travel(timedelta(hours=22, minutes=58))
    school, other = (_signed_in_again(gateway, s) for s in (school, other))
    time.sleep(3)
    assert _released(gateway, school) == {}

    travel(timedelta(minutes=2))  # 24 hours after the exam's start
    # Each result is released in a commit of its own: both, a moment apart.
    wait_for(lambda: len(_released(gateway, school)) == 2, 30)
    shown = _released(gateway, school)
    assert set(shown) == {passed, absent}
    assert shown[passed]["score"] == 36
    assert shown[passed]["outcome"] == "admis"
    local_day = exam.date()
    assert (
        shown[passed]["valid_until"]
        == local_day.replace(year=local_day.year + 5).isoformat()
    )
    assert shown[absent]["score"] is None
    assert shown[absent]["outcome"] == "absent"
    assert shown[absent]["valid_until"] is None
    assert _released(gateway, other) == {}  # no school sees another's
    wait_for(lambda: _published_events(results, lines) == 2, 30)

    # Restarted, then left sweeping a day later: nothing released twice.
    stack.halt("results")
    stack.resume("results")
    stack.wait_ready(timeout=60)
    travel(timedelta(days=1))
    school = _signed_in_again(gateway, school)
    time.sleep(3)
    assert _published_events(results, lines) == 2

    # Booking's confirmation of a seat delivered three more times (as after a
    # lost acknowledgement): the result stays as it was released, once.
    position, event = _confirmed_event(booking, UUID(passed))
    publish_event(
        settings.amqp_uri,
        "booking",
        contracts.ReservationConfirmed,
        dict(PUBLISHED[Reservation.Confirmed].translate(event, booking)),
        position=position,
        times=3,
        keystore=booking.keystore,
    )
    time.sleep(3)
    assert _released(gateway, school) == shown
    assert _published_events(results, lines) == 2
