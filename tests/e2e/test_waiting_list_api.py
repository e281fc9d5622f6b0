"""The waiting list against the real stack (EX-2): on a full session school A
then school B queue a candidate; a paid seat cancelled goes to A's candidate,
held in A's cart, A told by e-mail; unpaid past the offer, it goes to B's.
Hostile inputs are refused in French and change nothing."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import requests

from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_checkout_api import _pay
from tests.helpers import mails_to, wait_for

OFFERED = "Une place s'est libérée"


def _queue(gateway, school, neph: str, session_id: str, key: str | None = None):
    headers = dict(school["headers"])
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(
        f"{gateway}/api/liste-attente",
        json={"neph": neph, "session": session_id},
        headers=headers,
        timeout=60,
    )


def _entries(gateway, school) -> list[dict]:
    answer = requests.get(f"{gateway}/api/liste-attente", headers=school["headers"])
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _cart(gateway, school) -> list[dict]:
    answer = requests.get(f"{gateway}/api/panier", headers=school["headers"])
    return answer.json()["items"]


def _offers_to(mail_folder, school) -> list:
    return [
        m
        for m in mails_to(mail_folder, school["email"])
        if m["Subject"].startswith(OFFERED)
    ]


def _full_session(gateway, school, scheduling, candidates, first: int) -> dict:
    """A one-seat session two weeks ahead, its seat paid by card by `school`."""
    site = centre(scheduling, "TEST-ATTENTE", "Vénissieux", 45.70, 4.88)
    session = scheduling.schedule_session(site, next_weekday(1, 2), 1, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=first)
    line = hold(gateway, school, neph, session["id"])
    assert line.status_code == 201, line.text
    paid = _pay(gateway, school, f"cle-{uuid4()}")
    assert paid.status_code == 201, paid.text
    rows = f"{gateway}/api/reservations"
    wait_for(
        lambda: (
            {
                r["status"]
                for r in requests.get(rows, headers=school["headers"]).json()["items"]
            }
            == {"confirmée"}
        )
    )
    return {"session": session, "line": line.json()["id"]}


def _cancel(gateway, school, reservation_id: str):
    return requests.post(
        f"{gateway}/api/reservations/{reservation_id}/annulation",
        headers=school["headers"],
    )


def test_a_cancelled_seat_goes_to_the_first_school_in_line_then_to_the_next(
    gateway, new_school, scheduling, candidates, mail_folder, travel, settings
):
    owner, school_a, school_b = new_school(), new_school(), new_school()
    full = _full_session(gateway, owner, scheduling, candidates, first=43000)
    session_id = full["session"]["id"]
    (neph_a,) = activated_files(candidates, school_a, 1, first=43010)
    (neph_b,) = activated_files(candidates, school_b, 1, first=43020)

    # A first, then B; a double click of A's is one entry.
    key = str(uuid4())
    first = _queue(gateway, school_a, neph_a, session_id, key)
    assert first.status_code == 201, first.text
    assert first.json()["rank"] == 1 and first.json()["neph"] == neph_a
    again = _queue(gateway, school_a, neph_a, session_id, key)
    assert again.status_code == 201 and again.json() == first.json()
    second = _queue(gateway, school_b, neph_b, session_id)
    assert second.status_code == 201, second.text
    assert second.json()["rank"] == 2
    assert [e["rank"] for e in _entries(gateway, school_a)] == [1]
    assert [e["neph"] for e in _entries(gateway, school_b)] == [neph_b]

    # The paid seat is cancelled: A's candidate gets it in A's cart, A is told.
    cancelled = _cancel(gateway, owner, full["line"])
    assert cancelled.status_code == 200, cancelled.text
    (offered,) = wait_for(lambda: _cart(gateway, school_a))
    assert offered["neph"] == neph_a and offered["session_id"] == session_id
    assert _cart(gateway, school_b) == []
    (mail,) = wait_for(lambda: _offers_to(mail_folder, school_a))
    assert "Vénissieux" in mail.get_content()
    assert _entries(gateway, school_a) == []
    assert [e["rank"] for e in _entries(gateway, school_b)] == [1]

    # A does not pay: past the offer, the seat goes to B's candidate.
    travel(timedelta(minutes=settings.waiting_list_offer_minutes, seconds=30))
    (to_b,) = wait_for(lambda: _cart(gateway, school_b), timeout=40)
    assert to_b["neph"] == neph_b and to_b["session_id"] == session_id
    assert _cart(gateway, school_a) == []
    wait_for(lambda: _offers_to(mail_folder, school_b))
    assert len(_offers_to(mail_folder, school_a)) == 1
    assert _entries(gateway, school_b) == []


def test_hostile_queueings_are_refused_in_french_and_change_nothing(
    gateway, new_school, scheduling, candidates
):
    owner, school_a, school_b = new_school(), new_school(), new_school()
    full = _full_session(gateway, owner, scheduling, candidates, first=43100)
    session_id = full["session"]["id"]
    (neph_a, neph_a2) = activated_files(candidates, school_a, 2, first=43110)
    queued = _queue(gateway, school_a, neph_a, session_id)
    assert queued.status_code == 201, queued.text

    # Another school's NEPH: not one of B's files.
    foreign = _queue(gateway, school_b, neph_a, session_id)
    assert foreign.status_code == 404
    assert foreign.json()["message"] == (
        "Aucun dossier activé ne correspond à ce NEPH dans votre auto-école."
    )
    # Queued twice.
    twice = _queue(gateway, school_a, neph_a, session_id)
    assert twice.status_code == 409
    assert twice.json()["message"] == (
        "Ce candidat est déjà en liste d'attente pour cette session."
    )
    # A session with seats left: booked directly.
    site = centre(scheduling, "TEST-ATTENTE", "Vénissieux", 45.70, 4.88)
    open_ = scheduling.schedule_session(site, next_weekday(2, 2), 18, COLLECTIVE)
    not_full = _queue(gateway, school_a, neph_a2, open_["id"])
    assert not_full.status_code == 409
    assert not_full.json()["message"].startswith("Cette session n'est pas complète")
    # A candidate who holds an upcoming seat already.
    assert hold(gateway, school_a, neph_a2, open_["id"]).status_code == 201
    booked = _queue(gateway, school_a, neph_a2, session_id)
    assert booked.status_code == 409
    assert booked.json()["message"] == (
        "Ce candidat a déjà une place réservée pour un examen à venir."
    )
    # An unknown session, and B taking A's entry out of the line.
    unknown = _queue(gateway, school_a, neph_a2, str(uuid4()))
    assert unknown.status_code == 404
    entry_id = queued.json()["id"]
    gone = requests.delete(
        f"{gateway}/api/liste-attente/{entry_id}", headers=school_b["headers"]
    )
    assert gone.status_code == 404
    assert gone.json()["message"] == (
        "Cette inscription en liste d'attente est introuvable."
    )
    # Nothing changed: A's one entry, first in line; B has none.
    assert [(e["id"], e["rank"]) for e in _entries(gateway, school_a)] == [
        (entry_id, 1)
    ]
    assert _entries(gateway, school_b) == []
    # A takes it out itself.
    left = requests.delete(
        f"{gateway}/api/liste-attente/{entry_id}", headers=school_a["headers"]
    )
    assert left.status_code == 200, left.text
    assert left.json()["rank"] is None
    assert _entries(gateway, school_a) == []
