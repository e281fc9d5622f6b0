"""Booking keeps nothing of a candidate in clear while their reservation
lives: its events, snapshots and read models hold who it is for sealed with
the candidate's key, and the school still reads and finds its reservations
by name and NEPH (BO-5, issue 11), on the real stack."""

from __future__ import annotations

from uuid import uuid4

import requests

from services.booking.seats import BookableCandidate
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import centre, hold, next_weekday
from tests.e2e.test_checkout_api import _pay, _statuses
from tests.e2e.test_erasure import (
    _birth_date,
    _confirm,
    _create,
    _file,
    _marker,
    _neph,
    _traces,
    where_found,
)
from tests.helpers import one_line, pdf_text, wait_for


def _reservations(gateway: str, school: dict, **params: str) -> list[dict]:
    answer = requests.get(
        f"{gateway}/api/reservations", params=params, headers=school["headers"]
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _in_clear_in_booking(settings, traces: list[str]) -> set[str]:
    return {t for s, t in where_found(settings, traces) if s == "booking"}


def _booked(gateway, school, scheduling, candidates, code: str, weeks: int):
    """A candidate with a marked name and birth date, activated, and a seat
    held for them: (marker, birth date, NEPH, the hold's answer)."""
    marker, born, neph = _marker(), _birth_date(), _neph()
    candidate_id = _create(gateway, school, _file(neph, marker, born))
    _confirm(candidates, candidate_id)
    site = centre(scheduling, code, "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(1, weeks), 18, COLLECTIVE)
    held = hold(gateway, school, neph, session["id"])
    assert held.status_code == 201, held.text
    return marker, born, neph, held.json()


def test_booking_keeps_no_candidate_in_clear_while_the_seat_is_held_and_paid(
    gateway, settings, new_school, scheduling, candidates
):
    school, other = new_school(), new_school()
    marker, born, neph, line = _booked(
        gateway, school, scheduling, candidates, "TEST-SCELLE", weeks=2
    )
    name = f"Alix {marker} {marker}"
    # The school reads who it booked, in the answer, the cart and the list.
    assert (line["candidate_name"], line["neph"]) == (name, neph)
    cart = requests.get(f"{gateway}/api/panier", headers=school["headers"])
    assert [(i["candidate_name"], i["neph"]) for i in cart.json()["items"]] == [
        (name, neph)
    ]
    wait_for(lambda: [r["id"] for r in _reservations(gateway, school)] == [line["id"]])
    traces = [*_traces(marker, born), neph]
    assert _in_clear_in_booking(settings, traces) == set()

    # Found by a piece of the name (any case, no accents needed), by the
    # beginning of the NEPH, by the day; not by what it is not.
    for search in (marker.lower(), f"alix {marker.upper()}", neph, neph[:6]):
        found = _reservations(gateway, school, recherche=search)
        assert [(r["id"], r["candidate_name"]) for r in found] == [
            (line["id"], name)
        ], search
    day = line["exam_starts_at"][:10]
    assert [r["id"] for r in _reservations(gateway, school, date=day)] == [line["id"]]
    assert _reservations(gateway, school, recherche="Dupuis-Morizeau") == []
    assert _reservations(gateway, school, recherche=neph[1:]) == []
    # Another school finds nothing of it.
    for search in (marker, neph, ""):
        assert _reservations(gateway, other, recherche=search) == [], search

    # Paid: the confirmation and the convocation, sealed in the store too.
    assert _pay(gateway, school, str(uuid4())).status_code == 201
    wait_for(lambda: _statuses(gateway, school).get(line["id"]) == "confirmée", 30)
    convocation = requests.get(
        f"{gateway}/api/reservations/{line['id']}/convocation",
        headers=school["headers"],
    )
    assert convocation.status_code == 200, convocation.text
    text = one_line(pdf_text(convocation.content))
    assert f"Candidat : {name}" in text and neph in text
    assert born.strftime("%d/%m/%Y") in text
    assert _in_clear_in_booking(settings, traces) == set()


def test_another_schools_reservation_answers_404_and_shows_nothing(
    gateway, new_school, scheduling, candidates
):
    school, other = new_school(), new_school()
    marker, _, neph, line = _booked(
        gateway, school, scheduling, candidates, "TEST-SCELLE-2", weeks=3
    )
    session_id = line["session_id"]
    for hostile in (
        line["id"],  # another school's
        str(uuid4()),  # nobody's
        line["candidate_id"],  # a candidate, not a reservation
        str(BookableCandidate.create_id(school["account"]["account_id"], neph)),
        session_id,  # a session, not a reservation
    ):
        for answer in (
            requests.delete(
                f"{gateway}/api/panier/{hostile}", headers=other["headers"]
            ),
            requests.put(
                f"{gateway}/api/panier/{hostile}",
                json={"session": session_id},
                headers=other["headers"],
            ),
            requests.get(
                f"{gateway}/api/reservations/{hostile}/convocation",
                headers=other["headers"],
            ),
        ):
            assert answer.status_code == 404, (hostile, answer.text)
            assert answer.json()["code"] == "reservation_introuvable", answer.text
            assert marker.lower() not in answer.text.lower()
            assert neph not in answer.text
    # The line is still the school's, as it was.
    cart = requests.get(f"{gateway}/api/panier", headers=school["headers"])
    assert [(i["id"], i["neph"]) for i in cart.json()["items"]] == [(line["id"], neph)]
