"""A candidate's confirmation comes from a mailbox the school does not control,
as far as can be checked (issue 12): through the gateway, a file, a CSV line
or a contact change giving the school's own address (any case, any « +tag »)
is refused in French and writes nothing; another school may give it."""

from __future__ import annotations

import requests
from eventsourcing.application import AggregateNotFoundError

from services.candidates.mailboxes import SCHOOLS_OWN_ADDRESS, SchoolMailbox
from tests.e2e.test_candidates_api import PERSON
from tests.helpers import wait_for


def _tagged(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local.upper()}+candidats@{domain}"


def _create(gateway: str, school: dict, neph: str, email: str) -> requests.Response:
    return requests.post(
        f"{gateway}/api/candidats",
        json={**PERSON, "neph": neph, "email": email},
        headers=school["headers"],
    )


def _files(gateway: str, school: dict) -> list[dict]:
    found = requests.get(f"{gateway}/api/candidats", headers=school["headers"])
    return found.json()["items"]


def test_a_file_with_the_school_s_own_address_is_refused(gateway, new_school):
    school, other = new_school(), new_school()
    refused = _create(gateway, school, "300000000001", _tagged(school["email"]))
    assert refused.status_code == 400, refused.text
    assert refused.json()["fields"]["email"] == [SCHOOLS_OWN_ADDRESS]
    assert _files(gateway, school) == []
    # Another school's candidate may well use that address.
    elsewhere = _create(gateway, other, "300000000001", school["email"])
    assert elsewhere.status_code == 201, elsewhere.text


def test_a_csv_line_with_the_school_s_own_address_is_reported(gateway, new_school):
    school = new_school()
    header = "neph;civilite;nom_naissance;nom_usage;prenoms;date_naissance;email"
    lines = [
        header,
        "300000000011;M;Martin;;Jean;01/02/2004;jean.martin@example.fr",
        f"300000000012;M;Martin;;Paul;01/02/2004;{_tagged(school['email'])}",
    ]
    answer = requests.post(
        f"{gateway}/api/candidats/import",
        json={"csv": "\n".join(lines)},
        headers=school["headers"],
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["created"] == 1
    assert report["failed"] == [
        {"line": 3, "neph": "300000000012", "errors": {"email": [SCHOOLS_OWN_ADDRESS]}}
    ]


def test_a_contact_change_to_the_school_s_own_address_is_refused(
    gateway, new_school, candidates
):
    """The gateway does not even say the school's address here: the candidates
    service knows it from identity's events."""
    school = new_school()
    heard = SchoolMailbox.create_id(school["account"]["account_id"])

    def known() -> bool:
        try:
            return bool(candidates.repository.get(heard))
        except AggregateNotFoundError:
            return False

    wait_for(known, timeout=10)
    created = _create(gateway, school, "300000000021", "lea.durand@example.fr")
    assert created.status_code == 201, created.text
    refused = requests.patch(
        f"{gateway}/api/candidats/{created.json()['id']}/contact",
        json={"email": _tagged(school["email"])},
        headers=school["headers"],
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["fields"]["email"] == [SCHOOLS_OWN_ADDRESS]
    (file,) = _files(gateway, school)
    assert file["email"] == "lea.durand@example.fr"
