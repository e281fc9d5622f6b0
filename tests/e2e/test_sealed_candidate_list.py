"""The school's list of candidates keeps nothing of them in clear, and the
school still finds them by name or NEPH (CA-5, issue 11), on the real stack."""

from __future__ import annotations

from uuid import UUID

import requests

from tests.e2e.test_erasure import (
    _birth_date,
    _create,
    _marker,
    _neph,
    _traces,
    where_found,
)
from tests.helpers import wait_for


def _person(neph: str, marker: str, born) -> dict:
    return {
        "neph": neph,
        "civility": "MME",
        "birth_name": marker,
        "usage_name": f"Lefèvre-{marker}",
        "given_names": f"Zoé Hélène {marker}",
        "birth_date": born.isoformat(),
        "email": f"{marker.lower()}@example.fr",
        "address": {
            "street": f"3 rue {marker}",
            "postal_code": "69001",
            "city": "Lyon",
        },
    }


def _found(gateway: str, school: dict, search: str) -> list[dict]:
    answer = requests.get(
        f"{gateway}/api/candidats",
        params={"recherche": search},
        headers=school["headers"],
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _ids(rows: list[dict]) -> list[str]:
    return [row["candidate_id"] for row in rows]


def test_the_list_keeps_no_name_in_clear_and_still_finds_them(
    gateway, settings, new_school, candidates
):
    school, other = new_school(), new_school()
    marker, born = _marker(), _birth_date()
    neph = _neph()
    sealed = _create(gateway, school, _person(neph, marker, born))
    neighbour = _create(gateway, school, _person(_neph(), _marker(), _birth_date()))
    wait_for(lambda: len(_found(gateway, school, "")) == 2)

    # No table of the service but its event log holds the candidate in clear.
    traces = _traces(marker, born)
    left = {
        table
        for service, table in where_found(settings, [*traces, neph])
        if service == "candidates"
    }
    assert left <= {"candidates_events"}, left

    # The row shows what the file holds, as before it was sealed.
    (row,) = [r for r in _found(gateway, school, "") if r["candidate_id"] == sealed]
    file = candidates.get_file(UUID(sealed))
    shown = (
        *("neph", "civility", "birth_name", "usage_name", "given_names"),
        *("birth_date", "email", "contact", "status", "expires_at"),
    )
    assert {k: row[k] for k in shown} == {k: file[k] for k in shown}
    assert row["email_to_validate"] is False
    assert sorted(row) == sorted(
        [*shown, "candidate_id", "email_to_validate", "created_at"]
    )

    # By name: any case, any accents, the beginning of any word, in any order.
    for search in (
        marker,
        marker.upper(),
        marker.lower()[:4],
        f"hélène {marker.lower()}",
        f"{marker} ZOE",
        f"LEFEVRE-{marker.lower()}",
    ):
        assert _ids(_found(gateway, school, search)) == [sealed], search
    # By NEPH, whole.
    assert _ids(_found(gateway, school, neph)) == [sealed]
    assert _ids(_found(gateway, school, f" {neph} ")) == [sealed]
    assert _found(gateway, school, "Dupuis-Morizeau") == []
    for shared in ("zoe", "HELENE", "Lefèv"):
        assert set(_ids(_found(gateway, school, shared))) == {sealed, neighbour}

    # Another school finds nothing of it.
    for search in (marker, neph, "zoe", ""):
        assert _found(gateway, other, search) == [], search

    # The export shows the same as the list.
    exported = requests.get(
        f"{gateway}/api/candidats/export", headers=school["headers"]
    ).content.decode("utf-8-sig")
    (line,) = [x for x in exported.splitlines() if x.startswith(neph)]
    assert marker in line and f"{marker.lower()}@example.fr" in line
    assert f"Zoé Hélène {marker}" in line

    # A new e-mail is shown, still sealed.
    new_email = f"{marker.lower()}.nouveau@example.fr"
    changed = requests.patch(
        f"{gateway}/api/candidats/{sealed}/contact",
        json={"email": new_email},
        headers=school["headers"],
    )
    assert changed.status_code == 200, changed.text
    wait_for(lambda: _found(gateway, school, neph)[0]["email"] == new_email)
    left = {
        table
        for service, table in where_found(settings, [new_email, *traces])
        if service == "candidates"
    }
    assert left <= {"candidates_events"}, left
