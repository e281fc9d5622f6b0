"""Seats, holds and the cart against the real stack (SC-2…SC-4, BO-1…BO-5)."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta
from uuid import UUID

import requests

from services.candidates.application import CandidatesApplication
from services.candidates.publications import ACTIVATION
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import (
    COLLECTIVE,
    INDIVIDUAL,
    PARIS,
    ExamCentre,
    SchedulingError,
)
from tests.e2e.conftest import sign_up_payload
from tests.helpers import wait_for


def next_weekday(weekday: int, weeks_ahead: int = 1) -> datetime:
    today = datetime.now(PARIS).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)
    return datetime.combine(day, time(9), PARIS)


def centre(
    scheduling: SchedulingApplication,
    code: str,
    city: str,
    lat: float,
    lon: float,
    pmr: bool = True,
) -> UUID:
    with contextlib.suppress(SchedulingError):  # registered by an earlier test
        scheduling.register_centre(
            {
                "code": code,
                "name": f"Centre {city}",
                "address": "1 rue du Test",
                "postal_code": "69001",
                "city": city,
                "departement": "69",
                "latitude": lat,
                "longitude": lon,
                "pmr": pmr,
                "opening_hours": "",
            }
        )
    return ExamCentre.create_id(code)


def activated_files(
    candidates: CandidatesApplication, school: dict, count: int, first: int
) -> list[str]:
    nephs = []
    for i in range(count):
        neph = f"2{first + i:011d}"
        file = candidates.create_file(
            school["account"]["account_id"],
            school["email"],
            {
                "neph": neph,
                "civility": "M",
                "birth_name": f"Siège{i}",
                "given_names": "Test",
                "birth_date": "2004-01-01",
                "email": f"siege{first + i}@example.fr",
            },
            school_name=sign_up_payload(school["email"])["company_name"],
        )
        aggregate = candidates.repository.get(UUID(file["id"]))
        token = candidates.links.token(
            ACTIVATION, aggregate.id, aggregate.activation_nonce
        )
        candidates.confirm(aggregate.id, token)
        nephs.append(neph)
    return nephs


def hold(gateway: str, school: dict, neph: str, session_id: str) -> requests.Response:
    return requests.post(
        f"{gateway}/api/panier",
        json={"neph": neph, "session": session_id},
        headers=school["headers"],
        timeout=120,
    )


def test_a_candidate_holds_one_upcoming_seat_and_the_cart_frees_it(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    site = centre(scheduling, "TEST-VILLEURBANNE", "Villeurbanne", 45.77, 4.88)
    first = scheduling.schedule_session(site, next_weekday(3), 18, COLLECTIVE)
    second = scheduling.schedule_session(site, next_weekday(3, 2), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=1000)

    taken = hold(gateway, school, neph, first["id"])
    assert taken.status_code == 201
    again = hold(gateway, school, neph, second["id"])
    assert again.status_code == 409
    assert again.json()["message"] == (
        "Ce candidat a déjà une place réservée pour un examen à venir."
    )
    removed = requests.delete(
        f"{gateway}/api/panier/{taken.json()['id']}", headers=school["headers"]
    )
    assert removed.json()["status"] == "retirée du panier"
    wait_for(lambda: scheduling.session(UUID(first["id"]))["free_seats"] == 18)
    assert hold(gateway, school, neph, second["id"]).status_code == 201

    found = requests.get(
        f"{gateway}/api/reservations",
        params={"recherche": neph},
        headers=school["headers"],
    ).json()["items"]
    assert [r["status"] for r in found] == ["retirée du panier", "dans le panier"]


def test_an_unpaid_hold_expires_after_30_minutes_and_frees_its_seat(
    gateway, new_school, scheduling, candidates, travel
):
    school = new_school()
    site = centre(scheduling, "TEST-BRON", "Bron", 45.73, 4.91)
    session = scheduling.schedule_session(site, next_weekday(5), 2, INDIVIDUAL)
    (neph,) = activated_files(candidates, school, 1, first=2000)
    assert hold(gateway, school, neph, session["id"]).status_code == 201
    wait_for(lambda: scheduling.session(UUID(session["id"]))["free_seats"] == 1)
    travel(timedelta(minutes=31))
    wait_for(lambda: scheduling.session(UUID(session["id"]))["free_seats"] == 2, 30)


def test_booking_closes_the_day_before_and_opens_3_months_ahead(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    site = centre(scheduling, "TEST-CALUIRE", "Caluire", 45.79, 4.85)
    (neph,) = activated_files(candidates, school, 1, first=3000)
    far = scheduling.schedule_session(site, next_weekday(1, 16), 18, COLLECTIVE)
    refused = hold(gateway, school, neph, far["id"])
    assert refused.status_code == 409
    assert "3 mois" in refused.json()["message"]


def test_search_by_postal_code_or_town_sorts_centres_by_distance(
    gateway, new_school, scheduling
):
    school = new_school()
    lyon = centre(scheduling, "TEST-S-LYON", "Lyon", 45.7485, 4.8467)
    vienne = centre(scheduling, "TEST-S-VIENNE", "Vienne", 45.5255, 4.8749, pmr=False)
    day = next_weekday(2, 3)
    scheduling.schedule_session(lyon, day, 18, COLLECTIVE)
    scheduling.schedule_session(vienne, day, 2, INDIVIDUAL)
    scheduling.schedule_session(vienne, day + timedelta(hours=2), 18, COLLECTIVE)

    def search(**params) -> dict:
        answer = requests.get(
            f"{gateway}/api/examens/recherche",
            params={
                "a_partir_du": day.date().isoformat(),
                "avant_le": (day + timedelta(days=1)).date().isoformat(),
                **params,
            },
            headers=school["headers"],
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    for query in ("69001", "Lyon"):
        result = wait_for(
            lambda q=query: len(search(lieu=q)["centres"]) >= 2 and search(lieu=q)
        )
        names = [c["name"] for c in result["centres"]]
        assert names.index("Centre Lyon") < names.index("Centre Vienne")
        distances = [c["distance_km"] for c in result["centres"]]
        assert distances == sorted(distances)
        vienne_row = next(c for c in result["centres"] if c["name"] == "Centre Vienne")
        assert vienne_row["free_seats"] == 20
        assert len(vienne_row["sessions"]) == 2

    individual = search(lieu="Lyon", individuelle="true")["centres"]
    assert "Centre Lyon" not in [c["name"] for c in individual]
    pmr = search(lieu="Lyon", pmr="true")["centres"]
    assert "Centre Vienne" not in [c["name"] for c in pmr]
    later = search(
        lieu="Lyon",
        a_partir_du=(day + timedelta(days=1)).date().isoformat(),
        avant_le=(day + timedelta(days=2)).date().isoformat(),
    )
    assert "Centre Vienne" not in [c["name"] for c in later["centres"]]
    unknown = requests.get(
        f"{gateway}/api/examens/recherche",
        params={"lieu": "Xyzzy"},
        headers=school["headers"],
    )
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "Aucune commune ne correspond à « Xyzzy »."


def test_changing_the_slot_of_a_cart_line_moves_the_seat(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    site = centre(scheduling, "TEST-OULLINS", "Oullins", 45.71, 4.81)
    first = scheduling.schedule_session(site, next_weekday(4), 18, COLLECTIVE)
    second = scheduling.schedule_session(site, next_weekday(4, 2), 2, INDIVIDUAL)
    full = scheduling.schedule_session(site, next_weekday(4, 3), 1, INDIVIDUAL)
    nephs = activated_files(candidates, school, 2, first=4000)
    line = hold(gateway, school, nephs[0], first["id"]).json()
    assert hold(gateway, school, nephs[1], full["id"]).status_code == 201

    refused = requests.put(
        f"{gateway}/api/panier/{line['id']}",
        json={"session": full["id"]},
        headers=school["headers"],
    )
    assert refused.status_code == 409 and refused.json()["code"] == "complet"

    moved = requests.put(
        f"{gateway}/api/panier/{line['id']}",
        json={"session": second["id"]},
        headers=school["headers"],
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["session_id"] == second["id"]
    wait_for(lambda: scheduling.session(UUID(first["id"]))["free_seats"] == 18)
    wait_for(lambda: scheduling.session(UUID(second["id"]))["free_seats"] == 1)
    cart = requests.get(f"{gateway}/api/panier", headers=school["headers"]).json()
    assert {c["session_id"] for c in cart["items"]} == {second["id"], full["id"]}


def test_an_archived_file_takes_no_new_seat(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    site = centre(scheduling, "TEST-ARCHIVE", "Lyon", 45.75, 4.85)
    first = scheduling.schedule_session(site, next_weekday(3, 1), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=77_000)
    line = hold(gateway, school, neph, first["id"])
    assert line.status_code == 201, line.text
    requests.delete(
        f"{gateway}/api/panier/{line.json()['id']}", headers=school["headers"]
    )
    candidate_id = line.json()["candidate_id"]
    archived = requests.post(
        f"{gateway}/api/candidats/{candidate_id}/archivage", headers=school["headers"]
    )
    assert archived.status_code == 200, archived.text

    def refused() -> bool:
        answer = hold(gateway, school, neph, first["id"])
        return answer.status_code == 404 and answer.json()["message"] == (
            "Aucun dossier activé ne correspond à ce NEPH dans votre auto-école."
        )

    wait_for(refused, timeout=10)  # booking hears of it from candidates' event
