"""A school moves a paid reservation to another slot on the real PostgreSQL
(BO-6): the new seat taken and the old one freed in one commit, the same
reservation with its price and its rule, the exam and the deadline of the new
session; every refusal changes nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from uuid import UUID

import pytest

from services.booking.application import BookingApplication, ReservationNotFound
from services.booking.deadlines import CONFIRMED, changes_allowed_until
from services.booking.domain import Reservation
from services.booking.projections import READ_MODELS
from services.booking.publications import PUBLISHED
from services.booking.rules import BookingError, SessionFull
from services.booking.seats import BookableCandidate
from services.common import contracts
from services.common.clock import FrozenClock
from tests.booking.test_cancellation import _free_seats, _paid
from tests.booking.test_seats import NOBODY, activated, open_session, school


@pytest.fixture
def app(settings):
    app = BookingApplication(settings=settings)
    app.clock = FrozenClock()
    yield app
    app.close()


def _unchanged(app, reservation_id: UUID, old: UUID) -> None:
    """Still on its session, which it still holds a seat of."""
    assert app.repository.get(reservation_id).session_id == old
    assert not any(
        isinstance(e, Reservation.Changed)
        for e in app.aggregate_history(reservation_id)
    )
    assert _free_seats(app, old) == 1


def test_a_change_moves_the_seat_and_keeps_the_reservation(app):
    ecole, neph, reservation_id, old = _paid(app)
    new = open_session(app, seats=5, days=30)
    answer = app.change(ecole, reservation_id, new, NOBODY)
    assert answer["id"] == str(reservation_id)
    assert answer["session_id"] == str(new) and answer["status"] == CONFIRMED
    assert _free_seats(app, old) == 2 and _free_seats(app, new) == 4
    reservation = app.repository.get(reservation_id)
    assert reservation.price_cents == 3000 and reservation.refund_percent == 100
    # The deadline follows the new exam.
    until = changes_allowed_until(reservation.exam_starts_at, "69")
    assert answer["changes_allowed_until"] == until.isoformat()
    assert answer["exam_starts_at"] == reservation.exam_starts_at.isoformat()
    # The candidate's one upcoming seat follows it.
    bookable = app.repository.get(BookableCandidate.create_id(ecole, neph))
    assert bookable.reservation_id == reservation_id
    assert bookable.exam_starts_at == reservation.exam_starts_at
    # The list the school searches shows the new slot (its follower run by hand).
    follower = READ_MODELS["reservation_list"].follower(app)
    try:
        follower.run_until_caught_up()
        (row,) = follower.view.search(ecole, now=app.now)
        assert row["session_id"] == str(new)
        assert row["exam_starts_at"] == answer["exam_starts_at"]
        assert row["changes_allowed_until"] == until.isoformat()
    finally:
        follower.release()


def test_the_published_change_carries_the_new_convocation(app):
    ecole, _, reservation_id, old = _paid(app)
    new = open_session(app, seats=5, days=30)
    app.change(ecole, reservation_id, new, NOBODY)
    (changed,) = [
        e
        for e in app.aggregate_history(reservation_id)
        if isinstance(e, Reservation.Changed)
    ]
    # Who it is for, in clear only before the relay seals it.
    body = PUBLISHED[Reservation.Changed].body(changed, app)
    assert body["candidate_name"] == "Léa Martin"
    assert body["change_deadline"] and body["verification_code"]
    sealed = PUBLISHED[Reservation.Changed].dump(changed, app)
    assert "Léa Martin" not in str(sealed)
    loaded = contracts.ReservationChanged().load(sealed)
    assert loaded["session_id"] == new and loaded["previous_session_id"] == old
    assert body["changed_by"] == "auto-école"


def test_the_history_shows_the_change_and_who_made_it(app):
    ecole, _, reservation_id, _ = _paid(app)
    new = open_session(app, seats=5, days=30)
    app.clock.advance(timedelta(minutes=5))
    app.change(ecole, reservation_id, new, NOBODY)
    steps = [
        (s["step"], s["by"]) for s in app.reservation(ecole, reservation_id)["history"]
    ]
    assert steps[-1][1] == "auto-école"
    assert steps[-1][0].startswith("Créneau modifié : du ")
    assert len(steps) == 3


def test_past_the_deadline_nothing_changes(app):
    ecole, _, reservation_id, old = _paid(app)
    new = open_session(app, seats=5, days=30)
    until = changes_allowed_until(
        app.repository.get(reservation_id).exam_starts_at, "69"
    )
    app.clock.set(until + timedelta(seconds=1))
    with pytest.raises(BookingError, match="ne peut plus être modifiée"):
        app.change(ecole, reservation_id, new, NOBODY)
    _unchanged(app, reservation_id, old)
    assert _free_seats(app, new) == 5


def test_the_same_session_is_refused(app):
    ecole, _, reservation_id, old = _paid(app)
    with pytest.raises(BookingError, match="déjà sur ce créneau"):
        app.change(ecole, reservation_id, old, NOBODY)
    _unchanged(app, reservation_id, old)


def test_a_full_session_is_refused(app):
    ecole, _, reservation_id, old = _paid(app)
    full = open_session(app, seats=1, days=30)
    other = school()
    app.hold(other, activated(app, other), full, NOBODY)
    with pytest.raises(SessionFull, match="complète"):
        app.change(ecole, reservation_id, full, NOBODY)
    _unchanged(app, reservation_id, old)


def test_a_cancelled_or_past_session_is_refused(app):
    ecole, _, reservation_id, old = _paid(app)
    cancelled = open_session(app, seats=5, days=30)
    app.session_cancelled(cancelled, None)
    with pytest.raises(BookingError, match="annulée"):
        app.change(ecole, reservation_id, cancelled, NOBODY)
    past = open_session(app, seats=5, days=-2)
    with pytest.raises(BookingError, match="ferment à minuit"):
        app.change(ecole, reservation_id, past, NOBODY)
    _unchanged(app, reservation_id, old)


def test_another_schools_reservation_is_not_found(app):
    _, _, reservation_id, old = _paid(app)
    new = open_session(app, seats=5, days=30)
    with pytest.raises(ReservationNotFound):
        app.change(school(), reservation_id, new, NOBODY)
    _unchanged(app, reservation_id, old)
    assert _free_seats(app, new) == 5


def test_an_unpaid_or_cancelled_reservation_cannot_be_changed(app):
    ecole = school()
    new = open_session(app, seats=5, days=30)
    line = app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)
    with pytest.raises(BookingError, match="seule une réservation payée"):
        app.change(ecole, UUID(line["id"]), new, NOBODY)
    ecole, _, reservation_id, _ = _paid(app)
    app.cancel(ecole, reservation_id)
    with pytest.raises(BookingError, match="« annulée »"):
        app.change(ecole, reservation_id, new, NOBODY)
    assert _free_seats(app, new) == 5


def test_the_same_key_changes_once(app):
    ecole, _, reservation_id, _ = _paid(app)
    new = open_session(app, seats=5, days=30)
    request = app.change_request(ecole, str(reservation_id), str(new), "cle")
    first = app.change(ecole, reservation_id, new, NOBODY, request)
    again = app.change(ecole, reservation_id, new, NOBODY, request)
    assert first == again and _free_seats(app, new) == 4


def test_two_changes_at_once_one_wins_the_other_is_told(app):
    ecole, _, reservation_id, old = _paid(app)
    targets = [open_session(app, seats=5, days=30 + i) for i in range(2)]
    answers: list = []

    def change(session_id: UUID) -> None:
        try:
            answers.append(app.change(ecole, reservation_id, session_id, NOBODY))
        except BookingError as exc:
            answers.append(exc)

    threads = [threading.Thread(target=change, args=(s,)) for s in targets]
    # Both read the reservation as it is, then wait on its session's lock:
    # the second to get it finds the reservation moved by the first.
    with app.locks.held(old):
        for t in threads:
            t.start()
        time.sleep(0.5)
    for t in threads:
        t.join()
    applied = [a for a in answers if isinstance(a, dict)]
    refused = [a for a in answers if isinstance(a, BookingError)]
    assert len(applied) == 1 and len(refused) == 1, answers
    assert "vient d'être modifiée" in str(refused[0])
    winner = UUID(applied[0]["session_id"])
    loser = next(s for s in targets if s != winner)
    assert _free_seats(app, winner) == 4 and _free_seats(app, loser) == 5
    assert _free_seats(app, old) == 2
