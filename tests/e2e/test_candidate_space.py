"""The candidate's own space (ID-6, seed 004), through the gateway: their
file, the receipt downloaded again at any time, the convocation once the
school booked and paid; and nothing of another candidate's."""

from __future__ import annotations

from uuid import uuid4

import requests

from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import centre, hold, next_weekday
from tests.e2e.test_candidate_account import (
    PASSWORD,
    _bearer,
    _code_mail,
    _new_file,
    _open,
    _person,
    _verify,
)
from tests.e2e.test_checkout_api import _pay, _statuses
from tests.e2e.test_erasure import where_found
from tests.helpers import one_line, pdf_text, wait_for


def _signed_in_candidate(gateway, mail_folder, school, phone=None) -> dict:
    """A file confirmed with an account (data reuse refused), its e-mail
    proved, signed in."""
    file = _new_file(gateway, mail_folder, school, phone)
    link = {**file["link"], "refus_reutilisation": True}
    token = _open(gateway, link).json()["jeton"]
    code = _code_mail(mail_folder, file["email"])
    assert _verify(gateway, token, "email", code).status_code == 200
    session = requests.post(
        f"{gateway}/api/candidat/sessions",
        json={"email": file["email"], "mot_de_passe": PASSWORD},
    )
    assert session.status_code == 201, session.text
    return {**file, "headers": _bearer(session.json()["jeton"])}


def _own_files(gateway, candidate) -> list[dict]:
    answer = requests.get(
        f"{gateway}/api/candidat/dossiers", headers=candidate["headers"]
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_the_candidate_sees_the_file_the_receipt_twice_and_the_convocation(
    gateway, mail_folder, new_school, scheduling
):
    school = new_school()
    candidate = _signed_in_candidate(gateway, mail_folder, school)
    [file] = _own_files(gateway, candidate)
    assert file["id"] == candidate["id"]
    assert file["status"] == "activé"
    assert file["refus_reutilisation"] is True
    assert file["convocations"] == []

    receipt = f"{gateway}/api/candidat/dossiers/{candidate['id']}/recu"
    for _ in range(2):  # again at any time, not once
        pdf = requests.get(receipt, headers=candidate["headers"])
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["Content-Type"] == "application/pdf"
        text = one_line(pdf_text(pdf.content))
        assert "Ce justificatif doit être enregistré et conservé." in text
        assert "Réutilisation des données à des fins d'information : refusée" in text
        assert file["request_number"] in text

    # The school books and pays: the convocation shows in the space.
    site = centre(scheduling, "TEST-ESPACE", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(2, 2), 18, COLLECTIVE)
    held = hold(gateway, school, file["neph"], session["id"])
    assert held.status_code == 201, held.text
    assert _pay(gateway, school, str(uuid4())).status_code == 201
    reservation = held.json()["id"]
    wait_for(lambda: _statuses(gateway, school).get(reservation) == "confirmée", 30)
    [convocation] = wait_for(
        lambda: _own_files(gateway, candidate)[0]["convocations"], timeout=30
    )
    assert convocation["id"] == reservation
    pdf = requests.get(
        f"{gateway}/api/candidat/dossiers/{candidate['id']}/convocations/{reservation}",
        headers=candidate["headers"],
    )
    assert pdf.status_code == 200, pdf.text
    assert file["neph"] in one_line(pdf_text(pdf.content))


def test_another_candidates_file_or_convocation_answers_404(
    gateway, mail_folder, new_school
):
    school = new_school()
    mine = _signed_in_candidate(gateway, mail_folder, school)
    theirs = _signed_in_candidate(gateway, mail_folder, school)
    for path in (
        f"dossiers/{theirs['id']}/recu",
        f"dossiers/{theirs['id']}/convocations/{uuid4()}",
        f"dossiers/{mine['id']}/convocations/{uuid4()}",
        f"dossiers/{uuid4()}/recu",
    ):
        answer = requests.get(f"{gateway}/api/candidat/{path}", headers=mine["headers"])
        assert answer.status_code == 404, (path, answer.text)
    for bad in ("pas-un-id", "١٢٣", "x" * 5000):
        answer = requests.get(
            f"{gateway}/api/candidat/dossiers/{bad}/recu", headers=mine["headers"]
        )
        assert answer.status_code in (400, 404, 414), (bad, answer.status_code)
    # A school's token opens nothing of the space.
    for path in ("dossiers", f"dossiers/{mine['id']}/recu"):
        answer = requests.get(
            f"{gateway}/api/candidat/{path}", headers=school["headers"]
        )
        assert answer.status_code == 401, path
    # The hostile calls changed nothing of one's own.
    assert [f["id"] for f in _own_files(gateway, mine)] == [mine["id"]]
    # Signed out, the token opens nothing any more; the other's still works.
    out = requests.delete(f"{gateway}/api/candidat/sessions", headers=mine["headers"])
    assert out.status_code == 200, out.text
    gone = requests.get(f"{gateway}/api/candidat/dossiers", headers=mine["headers"])
    assert gone.status_code == 401
    assert _own_files(gateway, theirs)[0]["id"] == theirs["id"]


def test_erasing_the_file_closes_the_account_and_forgets_its_data(
    gateway, mail_folder, new_school, settings
):
    school = new_school()
    candidate = _signed_in_candidate(gateway, mail_folder, school)
    erased = requests.post(
        f"{gateway}/api/candidats/{candidate['id']}/effacement",
        headers=school["headers"],
    )
    assert erased.status_code == 200, erased.text

    def signed_out() -> bool:
        answer = requests.post(
            f"{gateway}/api/candidat/sessions",
            json={"email": candidate["email"], "mot_de_passe": PASSWORD},
        )
        return answer.status_code == 401

    wait_for(signed_out, timeout=30)
    own = requests.get(f"{gateway}/api/candidat/compte", headers=candidate["headers"])
    assert own.status_code == 404, own.text
    # Neither the e-mail nor the phone is left in clear anywhere.
    assert where_found(settings, [candidate["email"], candidate["phone"]]) == set()


def test_a_new_file_for_the_same_address_waits_in_the_space(
    gateway, mail_folder, new_school
):
    first, second = new_school(), new_school()
    candidate = _signed_in_candidate(gateway, mail_folder, first)
    answer = requests.post(
        f"{gateway}/api/candidats",
        json={**_person(candidate["email"]), "phone": None},
        headers=second["headers"],
    )
    assert answer.status_code == 201, answer.text
    waiting = wait_for(
        lambda: [
            f for f in _own_files(gateway, candidate) if f["id"] == answer.json()["id"]
        ],
        timeout=30,
    )[0]
    assert waiting["status"] == "Dossier en attente de validation usager"
    # Not confirmed: no receipt yet.
    receipt = requests.get(
        f"{gateway}/api/candidat/dossiers/{waiting['id']}/recu",
        headers=candidate["headers"],
    )
    assert receipt.status_code in (400, 409), receipt.text
