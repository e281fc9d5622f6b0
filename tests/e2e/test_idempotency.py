"""Idempotency keys against the real stack: the same key twice, or twenty
times at once, makes one candidate, one hold, one charge (TR-3, BI-2)."""

from __future__ import annotations

from uuid import UUID, uuid4

import eventlet
import requests

from services.billing.domain import Checkout
from services.billing.provider import APPROVED_TOKEN
from services.common import contracts
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import sign_up_payload
from tests.e2e.test_booking_api import activated_files, centre, next_weekday
from tests.e2e.test_candidates_api import PERSON
from tests.e2e.test_checkout_api import _cart_of_two, _statuses
from tests.e2e.test_payment_reconciliation import charges, ledger  # noqa: F401
from tests.helpers import mails_to, wait_for

KEY_REUSED = (
    "Cette clé d'idempotence a déjà servi pour une autre demande : "
    "utilisez une nouvelle clé pour une nouvelle demande."
)


def keyed(school: dict, key: str) -> dict:
    return {**school["headers"], "Idempotency-Key": key}


def at_once(count: int, call):
    pool = eventlet.GreenPool(count)
    return list(pool.imap(lambda _: call(), range(count)))


def candidates_of(gateway: str, school: dict) -> list[dict]:
    found = requests.get(f"{gateway}/api/candidats", headers=school["headers"])
    return found.json()["items"]


def test_a_candidate_created_twice_and_twenty_times_at_once_is_one_file(
    gateway, new_school
):
    school = new_school()
    body = {**PERSON, "neph": "340000000001", "email": "idem1@example.fr"}
    url = f"{gateway}/api/candidats"
    first = requests.post(url, json=body, headers=keyed(school, "cle-a"))
    again = requests.post(url, json=body, headers=keyed(school, "cle-a"))
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    # Without a key the same retry is refused: the NEPH is taken (by itself).
    assert requests.post(url, json=body, headers=school["headers"]).status_code == 400

    other = {**body, "neph": "340000000002", "email": "idem2@example.fr"}
    answers = at_once(
        20, lambda: requests.post(url, json=other, headers=keyed(school, "cle-b"))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    wait_for(lambda: len(candidates_of(gateway, school)) == 2)

    changed = requests.post(
        url, json={**other, "given_names": "Autre"}, headers=keyed(school, "cle-b")
    )
    assert changed.status_code == 422
    assert changed.json() == {
        "status": 422,
        "code": "cle_deja_utilisee",
        "message": KEY_REUSED,
    }
    # Keys are the school's own: another school's "cle-b" is another request.
    elsewhere = new_school()
    third = {**body, "neph": "340000000003", "email": "idem3@example.fr"}
    mine = requests.post(url, json=third, headers=keyed(elsewhere, "cle-b"))
    assert mine.status_code == 201, mine.text
    assert mine.json()["neph"] == "340000000003"


def test_a_malformed_key_is_refused_in_french(gateway, new_school):
    school = new_school()
    refused = requests.post(
        f"{gateway}/api/candidats",
        json={**PERSON, "neph": "340000000009", "email": "idem9@example.fr"},
        headers=keyed(school, "é" * 3),
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "cle_invalide"
    assert "Idempotency-Key" in refused.json()["message"]


def test_a_hold_sent_twice_and_ten_times_at_once_takes_one_seat(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    site = centre(scheduling, "TEST-IDEM", "Lyon", 45.75, 4.85)
    session = scheduling.schedule_session(site, next_weekday(4, 2), 18, COLLECTIVE)
    first_neph, second_neph = activated_files(candidates, school, 2, first=33000)
    url = f"{gateway}/api/panier"

    def hold(neph: str, key: str) -> requests.Response:
        body = {"neph": neph, "session": session["id"]}
        return requests.post(url, json=body, headers=keyed(school, key))

    first = hold(first_neph, "h-1")
    assert first.status_code == 201, first.text
    assert hold(first_neph, "h-1").json()["id"] == first.json()["id"]
    answers = at_once(10, lambda: hold(second_neph, "h-2"))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    cart = requests.get(url, headers=school["headers"]).json()["items"]
    assert len(cart) == 2
    wait_for(lambda: scheduling.session(session["id"])["free_seats"] == 16)


def test_a_hold_retried_after_its_answer_was_lost_takes_no_second_seat(
    gateway, new_school, scheduling, candidates, booking
):
    """The first request took its seat, then its answer was lost: the retry with
    the same key gets the same line, and no second seat is sold."""
    school = new_school()
    site = centre(scheduling, "TEST-IDEM-STOP", "Lyon", 45.75, 4.85)
    session = scheduling.schedule_session(site, next_weekday(4, 3), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=35000)
    school_id = school["account"]["account_id"]

    class Owners:  # the real applications, asked as booking's service asks them
        def candidate(self, school_id: str, neph: str) -> dict:
            return candidates.booking_view(school_id, neph)

        def session(self, session_id: str) -> dict:
            published = scheduling.published_session(UUID(session_id))
            return contracts.SessionScheduled().load(published)

    request = booking.hold_request(school_id, neph, session["id"], "h-stop")
    line = booking.hold(school_id, neph, UUID(session["id"]), Owners(), request)
    retry = requests.post(
        f"{gateway}/api/panier",
        json={"neph": neph, "session": session["id"]},
        headers=keyed(school, "h-stop"),
    )
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == line["id"]
    wait_for(lambda: scheduling.session(session["id"])["free_seats"] == 17)
    assert booking.repository.get(UUID(session["id"])).free_seats == 17


def test_a_payment_sent_ten_times_at_once_is_charged_once(
    gateway,
    new_school,
    scheduling,
    candidates,
    ledger,  # noqa: F811
):
    school = new_school()
    _cart_of_two(gateway, school, scheduling, candidates, first=34000)
    key = f"paiement-{uuid4()}"

    def pay() -> requests.Response:
        return requests.post(
            f"{gateway}/api/paiement/carte",
            json={"cgv": True, "jeton": APPROVED_TOKEN, "cle": key},
            headers=keyed(school, key),
        )

    answers = at_once(10, pay)
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["invoice_number"] for a in answers}) == 1
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"confirmée"})
    checkout_id = Checkout.create_id(school["account"]["account_id"], key)
    assert charges(ledger, checkout_id) == [("captured", 6000)]
    # The body's key and the header must name the same payment.
    mismatch = requests.post(
        f"{gateway}/api/paiement/carte",
        json={"cgv": True, "jeton": APPROVED_TOKEN, "cle": key},
        headers=keyed(school, "une-autre"),
    )
    assert mismatch.status_code == 400
    assert mismatch.json()["code"] == "cle_invalide"


def test_a_sign_up_retried_with_its_key_creates_one_account_and_one_mail(
    gateway, mail_folder
):
    email = f"ecole-{uuid4().hex[:8]}@example.fr"
    url = f"{gateway}/api/comptes"
    headers = {"Idempotency-Key": f"inscription-{uuid4()}"}
    answers = at_once(
        3, lambda: requests.post(url, json=sign_up_payload(email), headers=headers)
    )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["message"] for a in answers}) == 1
    wait_for(lambda: mails_to(mail_folder, email), timeout=30)
    eventlet.sleep(2)  # a second account would have mailed by now
    assert len(mails_to(mail_folder, email)) == 1
    # A new request without the key: the answer of any sign-up (no account
    # oracle), still one account; the owner gets a new activation link.
    plain = requests.post(url, json=sign_up_payload(email))
    assert plain.status_code == 201
    assert plain.json() == answers[0].json()
    wait_for(lambda: len(mails_to(mail_folder, email)) == 2, timeout=30)


def test_an_import_retried_with_its_key_creates_each_line_once(gateway, new_school):
    school = new_school()
    csv = "neph;civilite;nom_naissance;prenoms;date_naissance;email\n" + "\n".join(
        f"35000000000{n};M;Import{n};Test;2004-01-01;import{n}@example.fr"
        for n in range(5)
    )
    url = f"{gateway}/api/candidats/import"
    answers = at_once(
        2, lambda: requests.post(url, json={"csv": csv}, headers=keyed(school, "imp"))
    )
    assert [a.json()["created"] for a in answers] == [5, 5], [a.text for a in answers]
    wait_for(lambda: len(candidates_of(gateway, school)) == 5)
    again = requests.post(url, json={"csv": csv}, headers=keyed(school, "imp"))
    assert again.json() == answers[0].json()
    assert len(candidates_of(gateway, school)) == 5
