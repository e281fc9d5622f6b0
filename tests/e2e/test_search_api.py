"""The session search as a school uses it (SC-3): towns sharing a name, a
distance limit, « Avant le » and periods that cannot be booked, said in words."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import requests

from services.scheduling.domain import COLLECTIVE, ExamCentre, SchedulingError
from tests.e2e.test_booking_api import next_weekday
from tests.helpers import wait_for


def overseas_centre(scheduling, code: str, city: str, postal_code: str, lat, lon):
    with contextlib.suppress(SchedulingError):  # registered by an earlier test
        scheduling.register_centre(
            {
                "code": code,
                "name": f"Centre {city} {postal_code[:3]}",
                "address": "1 rue du Test",
                "postal_code": postal_code,
                "city": city,
                "departement": postal_code[:3]
                if postal_code.startswith("97")
                else postal_code[:2],
                "latitude": lat,
                "longitude": lon,
                "pmr": True,
                "opening_hours": "",
            }
        )
    return ExamCentre.create_id(code)


def search(gateway: str, school: dict, **params) -> requests.Response:
    return requests.get(
        f"{gateway}/api/examens/recherche", params=params, headers=school["headers"]
    )


def test_saint_denis_asks_which_one_and_reunion_lists_reunion_centres_only(
    gateway, new_school, scheduling
):
    school = new_school()
    reunion = overseas_centre(
        scheduling, "TEST-SD-974", "Saint-Denis", "97400", -20.8821, 55.4507
    )
    paris = overseas_centre(
        scheduling, "TEST-SD-93", "Saint-Denis", "93200", 48.9362, 2.3574
    )
    day = next_weekday(1, 2)
    for site in (reunion, paris):
        scheduling.schedule_session(site, day, 10, COLLECTIVE)

    asked = search(gateway, school, lieu="saint denis").json()
    assert asked["place"] is None and asked["centres"] == []
    choices = {(c["departement"], c["departement_name"]) for c in asked["choices"]}
    assert {("974", "La Réunion"), ("93", "Seine-Saint-Denis")} <= choices
    assert asked["choices"][0]["departement"] == "974"  # most populous first

    def reunion_result() -> dict | None:
        found = search(gateway, school, lieu="Saint-Denis", commune="97411").json()
        return found if found["centres"] else None

    result = wait_for(reunion_result)
    assert result["place"]["departement_name"] == "La Réunion"
    assert [c["id"] for c in result["centres"]] == [str(reunion)]
    assert all(c["distance_km"] <= 100 for c in result["centres"])

    # A postal code says which town already.
    by_code = search(gateway, school, lieu="93200").json()
    assert by_code["place"]["name"] == "Saint-Denis" and by_code["choices"] == []
    assert str(reunion) not in [c["id"] for c in by_code["centres"]]
    assert str(paris) in [c["id"] for c in by_code["centres"]]


def test_results_stay_within_the_radius_unless_widened(gateway, new_school, scheduling):
    school = new_school()
    # Chartres is ~80 km from Paris; Orléans ~110 km.
    chartres = overseas_centre(
        scheduling, "TEST-R-CHARTRES", "Chartres", "28000", 48.4469, 1.4892
    )
    orleans = overseas_centre(
        scheduling, "TEST-R-ORLEANS", "Orléans", "45000", 47.9029, 1.9093
    )
    day = next_weekday(2, 2)
    for site in (chartres, orleans):
        scheduling.schedule_session(site, day, 10, COLLECTIVE)

    def ids(**params) -> list[str]:
        answer = search(gateway, school, lieu="Paris", **params)
        assert answer.status_code == 200, answer.text
        assert answer.json()["radius_km"] == float(params.get("rayon", 100))
        return [c["id"] for c in answer.json()["centres"]]

    near = wait_for(lambda: (found := ids()) and str(chartres) in found and found)
    assert str(orleans) not in near
    assert str(orleans) in ids(rayon=150)
    refused = search(gateway, school, lieu="Paris", rayon=0)
    assert refused.status_code == 400
    assert refused.json()["fields"]["rayon"] == [
        "Le rayon de recherche va de 1 à 1 000 km."
    ]


def test_avant_le_excludes_its_day_and_impossible_periods_are_explained(
    gateway, new_school, scheduling
):
    school = new_school()
    site = overseas_centre(
        scheduling, "TEST-P-CHARTRES", "Chartres", "28000", 48.45, 1.49
    )
    day = next_weekday(3, 2)
    scheduling.schedule_session(site, day, 10, COLLECTIVE)
    exam_day = day.date()

    def found(after, before) -> bool:
        answer = search(
            gateway,
            school,
            lieu="Chartres",
            a_partir_du=after.isoformat(),
            avant_le=before.isoformat(),
        )
        assert answer.status_code == 200, answer.text
        return str(site) in [c["id"] for c in answer.json()["centres"]]

    assert wait_for(lambda: found(exam_day, exam_day + timedelta(days=1)))
    assert not found(exam_day - timedelta(days=1), exam_day)

    reversed_period = search(
        gateway,
        school,
        lieu="Chartres",
        a_partir_du=exam_day.isoformat(),
        avant_le=(exam_day - timedelta(days=3)).isoformat(),
    )
    assert reversed_period.status_code == 400
    assert reversed_period.json()["message"] == (
        "La date « Avant le » doit être postérieure à la date « À partir du »."
    )
    too_far = search(
        gateway,
        school,
        lieu="Chartres",
        a_partir_du=(exam_day + timedelta(days=150)).isoformat(),
    )
    assert too_far.status_code == 400
    assert too_far.json()["message"].startswith(
        "Les sessions se réservent au plus 3 mois à l'avance"
    )
    partly = search(
        gateway,
        school,
        lieu="Chartres",
        avant_le=(exam_day + timedelta(days=150)).isoformat(),
    ).json()
    assert partly["notice"].startswith("Les sessions se réservent au plus 3 mois")
    assert str(site) in [c["id"] for c in partly["centres"]]
