"""Walking skeleton: gateway → candidates → relay → notifier → SMTP, for real."""

from __future__ import annotations

import time

import psycopg
import requests

from tests.helpers import mails_to, wait_for


def _new_candidate(neph: str, email: str) -> dict:
    return {
        "neph": neph,
        "civility": "MME",
        "birth_name": "Lefèvre",
        "given_names": "Chloé Anne",
        "birth_date": "12/04/2006",
        "email": email,
    }


def test_a_created_candidate_gets_exactly_one_email(gateway, mail_folder, new_school):
    school = new_school()
    email = "chloe.lefevre@example.fr"
    answer = requests.post(
        f"{gateway}/api/candidats",
        json=_new_candidate("130000000001", email),
        headers=school["headers"],
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["status"] == "en attente de la validation de l'adresse e-mail"

    received = wait_for(lambda: mails_to(mail_folder, email), timeout=30)
    time.sleep(2)  # a duplicate would arrive within this time
    received = mails_to(mail_folder, email)
    assert len(received) == 1
    body = received[0].get_content()
    assert "Bonjour Madame Chloé Anne Lefèvre" in body
    assert "NEPH 130000000001" in body
    # The token rides in the fragment, which no server receives or logs.
    assert f"/candidat/activation#dossier={created['id']}&jeton=" in body


def test_bad_input_gets_one_error_format_with_field_messages(gateway, new_school):
    school = new_school()
    answer = requests.post(
        f"{gateway}/api/candidats",
        json={**_new_candidate("12AB", "pas-un-email"), "civility": "X"},
        headers=school["headers"],
    )
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "dossier_invalide"
    assert error["message"] == "Certaines informations saisies sont incorrectes."
    assert error["fields"]["neph"] == ["Le NEPH doit comporter exactement 12 chiffres."]
    assert set(error["fields"]) == {"neph", "email", "civility"}

    broken = requests.post(
        f"{gateway}/api/candidats",
        data="{not json",
        headers={"Content-Type": "application/json", **school["headers"]},
    )
    assert broken.status_code == 400
    assert broken.json()["code"] == "json_invalide"
    assert "Traceback" not in broken.text


def test_a_school_never_reads_another_schools_file(gateway, new_school):
    school_a, school_b = new_school(), new_school()
    created = requests.post(
        f"{gateway}/api/candidats",
        json=_new_candidate("130000000002", "a@example.fr"),
        headers=school_a["headers"],
    ).json()
    url = f"{gateway}/api/candidats/{created['id']}"
    assert requests.get(url, headers=school_a["headers"]).status_code == 200
    other = requests.get(url, headers=school_b["headers"])
    assert other.status_code == 404
    assert other.json()["code"] == "dossier_introuvable"
    listed = requests.get(f"{gateway}/api/candidats", headers=school_b["headers"])
    assert created["id"] not in [c["candidate_id"] for c in listed.json()["items"]]
    unknown = requests.get(
        f"{gateway}/api/candidats/not-an-id", headers=school_a["headers"]
    )
    assert unknown.status_code == 404
    anonymous = requests.get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "non_authentifie"


def test_history_prints_an_aggregates_events_in_order(gateway, pmc, new_school):
    school = new_school()
    created = requests.post(
        f"{gateway}/api/candidats",
        json=_new_candidate("130000000003", "h@example.fr"),
        headers=school["headers"],
    ).json()
    result = pmc("history", created["id"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"candidates · CandidateFile {created['id']}"
    assert "v1" in lines[1] and "CandidateFile.Created" in lines[1]
    assert "130000000003" in lines[1]

    missing = pmc("history", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1
    assert "no events" in missing.stderr


def test_replay_rebuilds_a_lost_read_model_from_the_log(
    gateway, stack, pmc, settings, new_school
):
    school = new_school()
    for i in range(3):
        requests.post(
            f"{gateway}/api/candidats",
            json=_new_candidate(f"14000000000{i}", f"r{i}@example.fr"),
            headers=school["headers"],
        ).raise_for_status()

    def listed() -> list[dict]:
        return requests.get(
            f"{gateway}/api/candidats", headers=school["headers"]
        ).json()["items"]

    wait_for(lambda: len(listed()) == 3)

    # While the service runs, the model is rebuilt aside and swapped in.
    table = f'"{settings.schema("candidates")}".candidate_list'
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        conn.execute(f"DELETE FROM {table}")  # the read model is lost
    result = pmc("replay", "candidates", "candidate_list")
    assert result.returncode == 0, result.stderr
    assert "candidate_list rebuilt and swapped in" in result.stdout
    assert sorted(c["neph"] for c in listed()) == [f"14000000000{i}" for i in range(3)]

    # Emptying the live model in place: only with the service stopped.
    refused = pmc("replay", "candidates", "candidate_list", "--in-place")
    assert refused.returncode == 1
    assert "stop that service" in refused.stderr

    stack.halt("candidates")
    try:
        with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
            conn.execute(f"DELETE FROM {table}")
        result = pmc("replay", "candidates", "candidate_list", "--in-place")
        assert result.returncode == 0, result.stderr
        assert "candidate_list rebuilt from" in result.stdout
        with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
            # The rows keep the NEPH sealed: the school's page shows them below.
            (count,) = conn.execute(
                f"SELECT count(*) FROM {table} WHERE school_id = %s",
                (school["account"]["account_id"],),
            ).fetchone()
        assert count == 3
    finally:
        stack.resume("candidates")
    stack.wait_ready(timeout=60)
    assert sorted(c["neph"] for c in listed()) == [f"14000000000{i}" for i in range(3)]


def test_a_service_that_does_not_answer_gets_a_clear_503(gateway, stack, new_school):
    school = new_school()
    stack.halt("scheduling")
    try:
        answer = requests.get(
            f"{gateway}/api/examens/recherche",
            params={"lieu": "Lyon"},
            headers=school["headers"],
            timeout=60,
        )
    finally:
        stack.resume("scheduling")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": 503,
        "code": "service_indisponible",
        "message": "Le service est momentanément indisponible. "
        "Veuillez réessayer dans quelques instants.",
    }
    stack.wait_ready(timeout=60)
