"""The candidate's own results (RE-2), through the gateway against the real
stack: nothing in their space before the release, 24 hours after the exam;
then their result (score, outcome, validity) and its PDF, the same document
as the school's; the result e-mail points to the space; another candidate's
result answers 404 and says nothing of it; a school's token opens nothing
of the route."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import requests

from services.common.documents import short_date
from services.results.application import ResultsApplication
from services.results.domain import valid_until
from tests.e2e.test_candidate_account import PASSWORD, _bearer
from tests.e2e.test_candidate_space import _own_files, _signed_in_candidate
from tests.e2e.test_erasure import _signed_in_again
from tests.e2e.test_result_notices import TO_THE_CANDIDATE, _booked, _imported, _told
from tests.helpers import one_line, pdf_text, wait_for

NOT_FOUND = "Ce résultat est introuvable ou n'est pas encore publié."


@pytest.fixture(scope="module")
def results(settings):
    app = ResultsApplication(settings=settings)
    yield app
    app.close()


def _again(gateway: str, candidate: dict) -> dict:
    """Signed in anew: days later, the token has expired."""
    session = requests.post(
        f"{gateway}/api/candidat/sessions",
        json={"email": candidate["email"], "mot_de_passe": PASSWORD},
    )
    assert session.status_code == 201, session.text
    return {**candidate, "headers": _bearer(session.json()["jeton"])}


def _results(gateway: str, candidate: dict) -> list[dict]:
    [file] = _own_files(gateway, candidate)
    return file["results"]


def _pdf(gateway, candidate, file_id, reservation_id) -> requests.Response:
    return requests.get(
        f"{gateway}/api/candidat/dossiers/{file_id}/resultats/{reservation_id}/pdf",
        headers=candidate["headers"],
    )


def test_the_candidate_sees_their_result_after_release_and_no_one_elses(
    gateway,
    new_school,
    scheduling,
    candidates,
    results,
    pmc,
    travel,
    tmp_path,
    settings,
    mail_folder,
):
    school = new_school()
    mine = _signed_in_candidate(gateway, mail_folder, school)
    theirs = _signed_in_candidate(gateway, mail_folder, school)
    nephs = [_own_files(gateway, c)[0]["neph"] for c in (mine, theirs)]
    session, (passed, failed) = _booked(
        gateway, school, candidates, scheduling, results, nephs, "TEST-RESULTAT-CAND"
    )
    exam = datetime.fromisoformat(session["starts_at"])
    travel(exam - datetime.now(UTC) + timedelta(hours=1))
    _imported(pmc, tmp_path, {passed: "38", failed: "21"})

    # Recorded, not released: nothing in the space, nothing to download.
    travel(timedelta(hours=22, minutes=58))
    mine, theirs = _again(gateway, mine), _again(gateway, theirs)
    time.sleep(3)
    assert _results(gateway, mine) == []
    early = _pdf(gateway, mine, mine["id"], passed)
    assert early.status_code == 404
    assert early.json()["message"] == NOT_FOUND

    travel(timedelta(minutes=2))
    mine, theirs = _again(gateway, mine), _again(gateway, theirs)
    [shown] = wait_for(lambda: _results(gateway, mine), 30)
    valid = valid_until(exam, 38)
    assert shown == {
        "reservation_id": passed,
        "centre_name": "Centre Lyon",
        "centre_city": "Lyon",
        "exam_starts_at": shown["exam_starts_at"],
        "score": 38,
        "outcome": "admis",
        "valid_until": valid.isoformat(),
    }
    assert datetime.fromisoformat(shown["exam_starts_at"]) == exam
    [other] = wait_for(lambda: _results(gateway, theirs), 30)
    assert (other["reservation_id"], other["score"]) == (failed, 21)
    assert (other["outcome"], other["valid_until"]) == ("ajourné", None)

    # The same document as the school's.
    pdf = _pdf(gateway, mine, mine["id"], passed)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = one_line(pdf_text(pdf.content))
    for words in (
        "Résultat de l'examen du code de la route",
        f"NEPH : {nephs[0]}",
        "Note : 38/40",
        "Résultat : admis",
        f"Valable jusqu'au {short_date(valid)}",
    ):
        assert words in text, (words, text)
    school = _signed_in_again(gateway, school)
    schools = requests.get(
        f"{gateway}/api/resultats/{passed}/pdf", headers=school["headers"]
    )
    assert pdf_text(schools.content) == pdf_text(pdf.content)

    # Another candidate's result, by their reservation or their file, or
    # made-up ids: 404, the same words, nothing of theirs.
    for file_id, reservation in (
        (mine["id"], failed),
        (theirs["id"], failed),
        (mine["id"], uuid4()),
        (mine["id"], "pas-un-id"),
    ):
        refused = _pdf(gateway, mine, file_id, reservation)
        assert refused.status_code == 404, (file_id, reservation, refused.text)
        assert "21" not in refused.text and nephs[1] not in refused.text
    assert _pdf(gateway, mine, mine["id"], failed).json()["message"] == NOT_FOUND
    assert [r["reservation_id"] for r in _results(gateway, mine)] == [passed]

    # A school's token opens nothing of the candidate's route, even its own
    # candidate's.
    assert _pdf(gateway, school, mine["id"], passed).status_code == 401

    # The result e-mail points to the space.
    (mail,) = wait_for(lambda: _told(mail_folder, mine["email"], TO_THE_CANDIDATE), 60)
    body = one_line(mail.get_body(("plain",)).get_content())
    assert f"{settings.public_url}/candidat/espace" in body
