"""The exam centres' own API against the real stack (RE-1, issue 14): a
centre sends its results file with the key an operator issued it; it records
results for its own exams only, never twice, and a stranger, a revoked key or
a school's token records nothing."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import requests
from eventsourcing.utils import get_topic

from services.results.application import ResultsApplication
from services.results.domain import ExamResult
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_cancellation_api import _rows
from tests.e2e.test_checkout_api import _pay
from tests.e2e.test_erasure import _signed_in_again
from tests.helpers import wait_for

URL = "/api/centres/resultats"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
REFUSED_KEY = "Clé d'accès du centre d'examen absente, invalide ou révoquée"


@pytest.fixture(scope="module")
def results(settings):
    app = ResultsApplication(settings=settings)
    yield app
    app.close()


def _known(results: ResultsApplication, reservation_id: str) -> bool:
    try:
        results.repository.get(UUID(reservation_id))
    except Exception:
        return False
    return True


def _recorded(results: ResultsApplication) -> dict[str, int]:
    """How many times each reservation's result was recorded."""
    topic = get_topic(ExamResult.Recorded)
    counts: dict[str, int] = {}
    for n in results.recorder.select_notifications(
        start=1, limit=100_000, topics=[topic]
    ):
        counts[str(n.originator_id)] = counts.get(str(n.originator_id), 0) + 1
    return counts


def _score(results: ResultsApplication, reservation_id: str) -> dict | None:
    """What results recorded, opened with its key for the candidate."""
    result = results.repository.get(UUID(reservation_id))
    return results.seals.open(result.candidate_id, result.sealed_result)


def _issued_key(pmc, centre_code: str) -> tuple[str, str]:
    """A new key for the centre: its id and its text, as pmc prints them."""
    issued = pmc("centre-key", "issue", centre_code)
    assert issued.returncode == 0, issued.stderr
    first, key = issued.stdout.strip().splitlines()
    assert key.startswith("pmcc_")
    return first.split()[1], key


def _post(gateway: str, body: bytes | str, key: str | None, **headers: str):
    sent = {**CSV, **headers}
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    if isinstance(body, str):
        body = body.encode("utf-8")
    return requests.post(f"{gateway}{URL}", data=body, headers=sent, timeout=120)


def _file(*lines: str) -> str:
    return "reservation;note\r\n" + "".join(f"{line}\r\n" for line in lines)


def _reasons(answer) -> dict[int, str]:
    return {r["line"]: r["reason"] for r in answer.json()["refused"]}


def test_a_centre_records_its_own_exams_results_with_its_key(
    gateway, new_school, scheduling, candidates, results, pmc, travel
):
    school = new_school()
    lyon = centre(scheduling, "TEST-CENTRE-API-LYON", "Lyon", 45.75, 4.85)
    nice = centre(scheduling, "TEST-CENTRE-API-NICE", "Nice", 43.70, 7.26)
    day = next_weekday(3, 2)
    here = scheduling.schedule_session(lyon, day, 18, COLLECTIVE)
    there = scheduling.schedule_session(nice, day, 18, COLLECTIVE)
    nephs = activated_files(candidates, school, 5, first=62500)
    seats = [hold(gateway, school, n, here["id"]) for n in nephs[:4]]
    seats.append(hold(gateway, school, nephs[4], there["id"]))
    assert all(s.status_code == 201 for s in seats), [s.text for s in seats]
    passed, absent, wrong, spare, elsewhere = (s.json()["id"] for s in seats)
    paid = _pay(gateway, school, f"cle-{uuid4()}")
    assert paid.status_code == 201, paid.text
    mine = [passed, absent, wrong, spare, elsewhere]
    wait_for(lambda: all(_known(results, r) for r in mine), 60)

    key_id, key = _issued_key(pmc, "TEST-CENTRE-API-LYON")
    _, nice_key = _issued_key(pmc, str(nice))
    old_id, old_key = _issued_key(pmc, "TEST-CENTRE-API-LYON")
    revoked = pmc("centre-key", "revoke", old_id)
    assert revoked.returncode == 0, revoked.stderr
    listed = pmc("centre-key", "list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "en vigueur" in rows[key_id] and "Centre Lyon" in rows[key_id]
    assert "révoquée le" in rows[old_id]
    assert key not in listed.stdout  # printed once, when issued

    exam = datetime.fromisoformat(_rows(gateway, school)[passed]["exam_starts_at"])
    travel(exam - datetime.now(UTC) + timedelta(hours=1))
    school = _signed_in_again(gateway, school)
    good = _file(f"{passed};36")

    # No key, a made-up one, a revoked one, a school's token: 401, in French.
    strangers = {
        "aucune clé": None,
        "clé inventée": f"pmcc_{uuid4().hex}_{secrets.token_urlsafe(32)}",
        "clé d'un autre format": secrets.token_urlsafe(32),
        "clé révoquée": old_key,
        "jeton d'auto-école": school["headers"]["Authorization"].split()[1],
    }
    for what, credential in strangers.items():
        refused = _post(gateway, good, credential)
        assert refused.status_code == 401, (what, refused.text)
        assert refused.json()["code"] == "non_authentifie", what
        assert refused.json()["message"].startswith(REFUSED_KEY), what
    # A centre's key opens no route a school's, a candidate's or an agent's
    # token opens: every one the OpenAPI document says takes a bearer token.
    document = requests.get(f"{gateway}/api/openapi.json").json()
    bearer = {"Authorization": f"Bearer {key}"}
    for path, operations in document["paths"].items():
        url = re.sub(r"\{[a-z_]+\}", str(uuid4()), path)
        for method, operation in operations.items():
            if operation.get("security") != [{"bearer": []}]:
                continue
            answer = requests.request(method, f"{gateway}{url}", headers=bearer)
            assert answer.status_code == 401, (method, path, answer.text)
    assert _recorded(results).get(passed) is None

    # Hostile files: a clear French refusal, nothing recorded.
    huge = _post(gateway, good + "x" * (6 * 1024 * 1024), key)
    assert huge.status_code == 413, huge.text
    assert "trop volumineux" in huge.json()["message"]
    latin1 = _post(gateway, good.encode("utf-8") + "é;12\r\n".encode("latin-1"), key)
    assert latin1.status_code == 400, latin1.text
    assert latin1.json()["message"] == "Le fichier doit être encodé en UTF-8."
    empty = _post(gateway, b"", key)
    assert empty.status_code == 400, empty.text
    assert "vide" in empty.json()["message"]
    not_csv = _post(gateway, good, key, **{"Content-Type": "application/json"})
    assert not_csv.status_code == 415, not_csv.text
    assert "CSV" in not_csv.json()["message"]
    for hostile, column in (
        (f"{passed};3\x076", "note"),
        (f"{passed}\u202e;36", "reservation"),
    ):
        answer = _post(gateway, _file(hostile), key)
        assert answer.status_code == 200, answer.text
        assert answer.json()["imported"] == 0
        assert _reasons(answer)[2].startswith(f"Colonne « {column} » : "), answer.text
        assert "caractère invisible ou de contrôle" in _reasons(answer)[2]
    nul = _post(gateway, _file(f"{passed};36\x00"), key)
    assert nul.status_code == 400, nul.text
    assert nul.json()["code"] == "fichier_invalide"
    assert "caractère non autorisé (U+0000) à la ligne 2" in nul.json()["message"]
    arabic = _post(gateway, _file(f"{passed};٣٦"), key)
    assert arabic.status_code == 200, arabic.text
    assert arabic.json()["imported"] == 0
    assert _reasons(arabic)[2].startswith("Note invalide")
    assert _recorded(results).get(passed) is None

    # Good and bad lines: the good ones recorded together, each bad one said.
    sent = _file(
        f"{passed};36",
        f"{absent};Absent",
        f"{wrong};41",
        f"{elsewhere};30",
        f"{uuid4()};30",
        "pas-une-reservation;12",
    )
    report = _post(gateway, sent, key)
    assert report.status_code == 200, report.text
    assert report.json()["imported"] == 2
    reasons = _reasons(report)
    assert sorted(reasons) == [4, 5, 6, 7]
    assert reasons[4] == "La note doit être comprise entre 0 et 40."
    assert "autre centre" in reasons[5]
    assert reasons[6].startswith("Réservation inconnue")
    assert reasons[7] == "Numéro de réservation invalide."
    counts = _recorded(results)
    assert counts.get(passed) == 1 and counts.get(absent) == 1
    assert wrong not in counts and elsewhere not in counts
    assert _score(results, passed) == {"score": 36, "absent": False}
    assert _score(results, absent) == {"score": None, "absent": True}

    # The same file again: nothing doubled, each line said to be done already.
    again = _post(gateway, sent, key)
    assert again.status_code == 200, again.text
    assert again.json()["imported"] == 0
    assert "déjà enregistré" in _reasons(again)[2]
    assert "déjà enregistré" in _reasons(again)[3]
    assert _recorded(results) == counts

    # The other centre records its own exam with its own key, and loses it.
    theirs = _post(gateway, _file(f"{elsewhere};30"), nice_key)
    assert theirs.status_code == 200, theirs.text
    assert theirs.json() == {"imported": 1, "refused": []}
    gone = pmc("centre-key", "revoke", "TEST-CENTRE-API-NICE")
    assert gone.returncode == 0, gone.stderr
    late = _post(gateway, _file(f"{spare};20"), nice_key)
    assert late.status_code == 401, late.text
    assert spare not in _recorded(results)
    # The key in force still works for its own centre's exams.
    last = _post(gateway, _file(f"{spare};20"), key)
    assert last.json() == {"imported": 1, "refused": []}, last.text


def test_the_centres_route_is_described_in_the_openapi_document(gateway):
    document = requests.get(f"{gateway}/api/openapi.json").json()
    operation = document["paths"][URL]["post"]
    assert operation["security"] == [{"cle_centre": []}]
    assert "text/csv" in operation["requestBody"]["content"]
    assert {"200", "401", "413", "415", "429"} <= set(operation["responses"])
    assert "cle_centre" in document["components"]["securitySchemes"]


def test_a_centre_sending_file_after_file_is_slowed_down(
    gateway, scheduling, pmc, settings
):
    centre(scheduling, "TEST-CENTRE-API-DIJON", "Dijon", 47.32, 5.04)
    _, key = _issued_key(pmc, "TEST-CENTRE-API-DIJON")
    allowed = settings.limit_imports_per_school
    answers = []
    # Twice the limit at most: an hour's window may end between two posts.
    for _ in range(2 * allowed + 1):
        answers.append(_post(gateway, _file(f"{uuid4()};30"), key))
        if answers[-1].status_code != 200:
            break
    slowed = answers[-1]
    assert slowed.status_code == 429, slowed.text
    assert len(answers) > allowed
    assert slowed.json()["message"].startswith("Trop de demandes en peu de temps")
    assert int(slowed.headers["Retry-After"]) > 0
    assert all(a.json()["imported"] == 0 for a in answers[:-1])
