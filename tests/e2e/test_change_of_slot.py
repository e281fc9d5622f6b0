"""Changing the slot of a card-paid reservation against the real stack (BO-6):
the seat moves in the search, the reservation keeps its id and its price, the
candidate gets a new convocation for the new date and the school is told, the
history lists the change; every refusal changes nothing; two changes at once:
one is applied."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from uuid import UUID, uuid4

import pytest
import requests

from services.booking.application import BookingApplication
from services.booking.rules import PARIS
from services.common.documents import when
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_cancellation_api import _cancel, _paid_session, _rows
from tests.e2e.test_checkout_api import _pay
from tests.helpers import mails_to, one_line, wait_for

NEW_CONVOCATION = "Votre nouvelle convocation à l'examen du code de la route"


@pytest.fixture(scope="module")
def booking(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


def _change(gateway, school, reservation_id: str, session_id: str, key=None):
    headers = dict(school["headers"])
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(
        f"{gateway}/api/reservations/{reservation_id}/modification",
        json={"session_id": session_id},
        headers=headers,
        timeout=120,
    )


def _other_session(scheduling, seats: int = 18, weeks_ahead: int = 3) -> dict:
    """A Thursday session in another centre."""
    site = centre(scheduling, "TEST-MODIF", "Villeurbanne", 45.77, 4.88)
    return scheduling.schedule_session(
        site, next_weekday(3, weeks_ahead), seats, COLLECTIVE
    )


def _free(scheduling, session: dict) -> int:
    return scheduling.session(UUID(session["id"]))["free_seats"]


def test_a_change_moves_the_seat_and_sends_a_new_convocation(
    gateway, new_school, scheduling, candidates, mail_folder, booking
):
    school = new_school()
    paid = _paid_session(gateway, school, scheduling, candidates, first=7600)
    old, (line, _) = paid["session"], paid["lines"]
    new = _other_session(scheduling)
    wait_for(lambda: _free(scheduling, old) == 16 and _free(scheduling, new) == 18)

    key = str(uuid4())
    changed = _change(gateway, school, line, new["id"], key)
    assert changed.status_code == 200, changed.text
    answer = changed.json()
    assert answer["id"] == line and answer["session_id"] == new["id"]
    assert answer["status"] == "confirmée" and answer["centre_city"] == "Villeurbanne"
    assert answer["changes_allowed_until"] is not None
    # The same click again: the first answer, nothing more.
    again = _change(gateway, school, line, new["id"], key)
    assert again.status_code == 200 and again.json() == answer
    # The search shows the seats: one more in the old session, one less in the new.
    wait_for(lambda: _free(scheduling, old) == 17 and _free(scheduling, new) == 17)
    # The same reservation, its price as paid.
    reservation = booking.repository.get(UUID(line))
    assert reservation.price_cents == 3000 and reservation.session_id == UUID(new["id"])
    # The school's list follows.
    wait_for(lambda: _rows(gateway, school)[line]["session_id"] == new["id"])

    # The candidate's new convocation, for the new date, the PDF attached.
    exam = when(answer["exam_starts_at"])
    (mail,) = wait_for(
        lambda: [
            m
            for m in mails_to(mail_folder, "siege7600@example.fr")
            if m["Subject"] == NEW_CONVOCATION
        ],
        30,
    )
    body = one_line(mail.get_body(preferencelist=("plain",)).get_content())
    assert exam in body and "Centre Villeurbanne" in body
    assert "n'est plus valable" in body
    (attached,) = list(mail.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    # The school is told.
    told = wait_for(
        lambda: [
            m
            for m in mails_to(mail_folder, school["email"])
            if m["Subject"] == f"Réservation modifiée : examen du {exam}"
        ],
        30,
    )
    assert len(told) == 1
    # The other candidate, not moved, is told nothing.
    assert not [
        m
        for m in mails_to(mail_folder, "siege7601@example.fr")
        if m["Subject"] == NEW_CONVOCATION
    ]

    # BO-8: the history lists the change, with who made it.
    detail = requests.get(
        f"{gateway}/api/reservations/{line}", headers=school["headers"]
    )
    assert detail.status_code == 200, detail.text
    steps = [
        s
        for s in detail.json()["history"]
        if not s["step"].startswith("Convocation envoyée")  # as they are sent
    ]
    assert [s["step"] for s in steps][:2] == [
        "Place réservée, dans le panier",
        "Payée : réservation confirmée",
    ]
    assert steps[2]["step"].startswith("Créneau modifié : du ")
    assert "Centre Villeurbanne" in steps[2]["step"]
    assert steps[2]["by"] == "auto-école"


def test_refusals_say_why_and_change_nothing(
    gateway, new_school, scheduling, candidates
):
    owner, intruder = new_school(), new_school()
    paid = _paid_session(gateway, owner, scheduling, candidates, first=7610)
    old, (line, other_line) = paid["session"], paid["lines"]
    new = _other_session(scheduling)
    full = _other_session(scheduling, seats=1, weeks_ahead=4)
    (neph,) = activated_files(candidates, intruder, 1, first=7615)
    assert hold(gateway, intruder, neph, full["id"]).status_code == 201
    cancelled = _other_session(scheduling, weeks_ahead=5)
    scheduling.cancel_session(UUID(cancelled["id"]))
    wait_for(lambda: _free(scheduling, old) == 16 and _free(scheduling, full) == 0)

    def refused(school, session_id, status=409, reservation=line) -> str:
        answer = _change(gateway, school, reservation, session_id)
        assert answer.status_code == status, answer.text
        return answer.json()["message"]

    assert refused(intruder, new["id"], 404) == "Cette réservation est introuvable."
    # The same change by the route, `PUT` with `{"session": …}`.
    put = requests.put(
        f"{gateway}/api/reservations/{line}",
        json={"session": old["id"]},
        headers=owner["headers"],
        timeout=120,
    )
    assert put.status_code == 409 and "déjà sur ce créneau" in put.json()["message"]
    assert refused(owner, old["id"]) == (
        "La réservation est déjà sur ce créneau : choisissez une autre session."
    )
    assert refused(owner, full["id"]) == (
        "Cette session est complète : choisissez un autre créneau."
    )
    assert "annulée" in refused(owner, cancelled["id"])
    assert refused(owner, str(uuid4()), 404)  # no such session
    # A cancelled reservation is not moved.
    assert _cancel(gateway, owner, other_line).status_code == 200
    assert "seule une réservation payée" in refused(
        owner, new["id"], reservation=other_line
    )
    # Nothing changed: the reservation on its session, the seats as they were.
    assert _rows(gateway, owner)[line]["session_id"] == old["id"]
    wait_for(lambda: _free(scheduling, old) == 17)
    assert _free(scheduling, new) == 18 and _free(scheduling, full) == 0


def test_an_unpaid_line_or_an_exam_too_close_cannot_be_changed(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    new = _other_session(scheduling)
    # An exam in two days: paid, but its deadline already past.
    day = datetime.now(PARIS).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime.combine(day, time(9), PARIS)
    site = centre(scheduling, "TEST-MODIF-PROCHE", "Lyon", 45.76, 4.84)
    soon = scheduling.schedule_session(site, start, 18, COLLECTIVE)
    nephs = activated_files(candidates, school, 2, first=7620)
    line = hold(gateway, school, nephs[0], soon["id"]).json()["id"]
    assert _pay(gateway, school, f"cle-{uuid4()}").status_code == 201
    wait_for(lambda: _rows(gateway, school)[line]["status"] == "confirmée")
    assert _rows(gateway, school)[line]["changes_allowed_until"] is None
    late = _change(gateway, school, line, new["id"])
    assert late.status_code == 409
    assert late.json()["message"].startswith("Le délai est dépassé")
    assert "ne peut plus être modifiée" in late.json()["message"]
    # A line still in the cart: not paid, not changed here.
    unpaid = hold(gateway, school, nephs[1], soon["id"]).json()["id"]
    refused = _change(gateway, school, unpaid, new["id"])
    assert refused.status_code == 409
    assert "seule une réservation payée" in refused.json()["message"]
    rows = _rows(gateway, school)
    assert rows[line]["session_id"] == rows[unpaid]["session_id"] == soon["id"]
    wait_for(lambda: _free(scheduling, soon) == 16)
    assert _free(scheduling, new) == 18


def test_two_changes_at_once_one_is_applied(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    paid = _paid_session(gateway, school, scheduling, candidates, first=7630)
    old, line = paid["session"], paid["lines"][0]
    targets = [_other_session(scheduling, weeks_ahead=w) for w in (6, 7)]
    wait_for(lambda: _free(scheduling, old) == 16)
    answers: list[requests.Response] = []
    start = threading.Barrier(len(targets))

    def change(session: dict) -> None:
        start.wait()
        answers.append(_change(gateway, school, line, session["id"]))

    threads = [threading.Thread(target=change, args=(s,)) for s in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a.status_code for a in answers)
    # Met in the middle, the second is refused; one after the other (the
    # barrier does not force an overlap), both apply in turn. Either way the
    # reservation ends on one session and no seat is lost or taken twice.
    assert codes in ([200, 409], [200, 200]), [a.text for a in answers]
    for lost in (a.json() for a in answers if a.status_code == 409):
        assert "vient d'être modifiée" in lost["message"]
    final = _rows(gateway, school)[line]["session_id"]
    winner = next(s for s in targets if s["id"] == final)
    loser = next(s for s in targets if s is not winner)
    wait_for(lambda: _free(scheduling, old) == 17 and _free(scheduling, winner) == 17)
    wait_for(lambda: _free(scheduling, loser) == 18)
