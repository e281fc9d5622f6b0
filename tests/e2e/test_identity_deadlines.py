"""Digital identity requests past their deadline end by themselves (ID-7):
nobody looks, the clock moves past the online review's 48 working hours and
the post office's 15 days, and each candidate is told once, by e-mail and by
SMS, why. And the online reviewer's queue: online requests only, the most
urgent first, to reviewers only, and what hostile requests get from it."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta

import requests

from tests.e2e.test_digital_identity import (  # noqa: F401
    JPEG,
    MP4,
    _agent_headers,
    _ask,
    _candidate,
    _choose_online,
    _request,
    _signed_in_again,
    _sms_with,
    agents,
)
from tests.helpers import mails_to, sms_to, wait_for

ENDED = "est terminée"
QUEUE = "/api/agents/revue"


def _post_office(gateway, sms_folder, candidate) -> None:
    chosen = requests.post(
        f"{gateway}/api/candidat/identite/verification",
        json={"mode": "bureau_de_poste"},
        headers=candidate["headers"],
    )
    assert chosen.status_code == 200, chosen.text
    _sms_with(sms_folder, candidate["phone"], "bureau de poste")


def _online(gateway, candidate) -> str:
    assert _choose_online(gateway, candidate).status_code == 200
    sent = requests.post(
        f"{gateway}/api/candidat/identite/en-ligne",
        json={
            "recto": base64.b64encode(JPEG).decode(),
            "video": base64.b64encode(MP4).decode(),
        },
        headers=candidate["headers"],
    )
    assert sent.status_code == 200, sent.text
    return sent.json()["identity_id"]


def _ended_sms(sms_folder, candidate) -> list[str]:
    return [t for t in sms_to(sms_folder, candidate["phone"]) if ENDED in t]


def _ended_mails(mail_folder, candidate) -> list:
    return [
        m for m in mails_to(mail_folder, candidate["email"]) if ENDED in m["Subject"]
    ]


def _told_once(mail_folder, sms_folder, candidate, reason: str) -> None:
    """One e-mail and one SMS saying why, and no second one however many
    sweeps pass (the sweep runs every second here)."""
    wait_for(lambda: _ended_sms(sms_folder, candidate), timeout=30)
    wait_for(lambda: _ended_mails(mail_folder, candidate), timeout=30)
    time.sleep(4)
    sms = _ended_sms(sms_folder, candidate)
    mails = _ended_mails(mail_folder, candidate)
    assert len(sms) == 1, sms
    assert len(mails) == 1, [m["Subject"] for m in mails]
    assert reason in sms[0]
    assert reason in mails[0].get_content()


def test_missed_deadlines_end_requests_nobody_looks_at_and_tell_once(
    gateway, mail_folder, sms_folder, new_school, travel
):
    at_post_office = _candidate(gateway, mail_folder, sms_folder, new_school)
    online = _candidate(gateway, mail_folder, sms_folder, new_school)
    no_files = _candidate(gateway, mail_folder, sms_folder, new_school)
    for candidate in (at_post_office, online, no_files):
        assert _ask(gateway, candidate, _request()).status_code == 201
    _post_office(gateway, sms_folder, at_post_office)
    _online(gateway, online)
    # Online chosen, the registered e-letter sent, the files never sent.
    assert _choose_online(gateway, no_files).status_code == 200
    time.sleep(2)  # sweeps pass: nothing is due yet
    assert not _ended_sms(sms_folder, online)

    # Five days later (a weekend at most in between), the 48 working hours
    # have passed; nobody opens anything.
    travel(timedelta(days=5))
    _told_once(mail_folder, sms_folder, online, "48 heures ouvrées")
    assert not _ended_sms(sms_folder, at_post_office)  # 15 days not yet

    travel(timedelta(days=11))
    _told_once(mail_folder, sms_folder, at_post_office, "15 jours")
    _told_once(mail_folder, sms_folder, no_files, "15 jours")

    # What the candidates see when they come back.
    for candidate, reason in ((online, "48 heures"), (at_post_office, "15 jours")):
        candidate = _signed_in_again(gateway, candidate)
        seen = requests.get(
            f"{gateway}/api/candidat/identite", headers=candidate["headers"]
        ).json()
        assert seen["statut"] == "terminee"
        assert reason in seen["motif"]
    # Looking does not end it a second time.
    time.sleep(2)
    assert len(_ended_sms(sms_folder, online)) == 1
    assert len(_ended_sms(sms_folder, at_post_office)) == 1


def test_the_reviewers_queue_lists_online_requests_to_reviewers_only(
    gateway,
    mail_folder,
    sms_folder,
    new_school,
    agents,  # noqa: F811
):
    first = _candidate(gateway, mail_folder, sms_folder, new_school)
    second = _candidate(gateway, mail_folder, sms_folder, new_school)
    at_post_office = _candidate(gateway, mail_folder, sms_folder, new_school)
    for candidate in (first, second, at_post_office):
        assert _ask(gateway, candidate, _request()).status_code == 201
    first_id = _online(gateway, first)
    second_id = _online(gateway, second)
    _post_office(gateway, sms_folder, at_post_office)
    post_office_id = requests.get(
        f"{gateway}/api/candidat/identite", headers=at_post_office["headers"]
    ).json()["identity_id"]

    reviewer = _agent_headers(gateway, agents("revue_en_ligne"))
    answer = requests.get(f"{gateway}{QUEUE}", headers=reviewer)
    assert answer.status_code == 200, answer.text
    queue = answer.json()["demandes"]
    ids = [r["identity_id"] for r in queue]
    assert first_id in ids and second_id in ids
    assert ids.index(first_id) < ids.index(second_id)  # the older deadline first
    assert post_office_id not in ids
    deadlines = [datetime.fromisoformat(r["echeance"]) for r in queue]
    assert deadlines == sorted(deadlines)
    mine = next(r for r in queue if r["identity_id"] == first_id)
    assert mine["mode"] == "en_ligne"
    assert 0 < mine["reste_secondes"] <= 4 * 24 * 3600
    assert mine["reste"]
    assert "Benali" not in answer.text  # ids and times only

    # Only reviewers see it.
    counter = _agent_headers(gateway, agents("guichet"))
    refused = requests.get(f"{gateway}{QUEUE}", headers=counter)
    assert refused.status_code == 403
    assert refused.json()["code"] == "role_requis"
    for headers in (first["headers"], new_school()["headers"], {}):
        assert requests.get(f"{gateway}{QUEUE}", headers=headers).status_code == 401

    # Decided, it leaves the queue.
    decided = requests.post(
        f"{gateway}{QUEUE}/{first_id}/decision",
        json={"accepte": False, "motif": "La vidéo ne montre pas le visage."},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    ids = [
        r["identity_id"]
        for r in requests.get(f"{gateway}{QUEUE}", headers=reviewer).json()["demandes"]
    ]
    assert first_id not in ids and second_id in ids
    _sms_with(sms_folder, first["phone"], "La vidéo ne montre pas le visage.")


def test_hostile_requests_to_the_review_desk_change_nothing(
    gateway,
    mail_folder,
    sms_folder,
    new_school,
    agents,  # noqa: F811
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    assert _ask(gateway, candidate, _request()).status_code == 201
    identity_id = _online(gateway, candidate)
    reviewer = _agent_headers(gateway, agents("revue_en_ligne"))
    queue = f"{gateway}{QUEUE}"

    assert requests.get(queue, headers={"Authorization": "Bearer x"}).status_code == 401
    assert requests.get(f"{queue}?limit=-1&ordre=';--", headers=reviewer).ok
    assert requests.post(queue, json={}, headers=reviewer).status_code in (404, 405)
    for bad in ("pas-un-id", "0" * 5000, "..%2F..%2Fetc", candidate["id"]):
        opened = requests.get(f"{queue}/{bad}", headers=reviewer)
        assert opened.status_code in (400, 404), (bad, opened.status_code)
        assert "message" in opened.json()
    decision = f"{queue}/{identity_id}/decision"
    for body in (
        {"accepte": False, "motif": "\x00"},
        {"accepte": False, "motif": "x" * 5000},
        {"accepte": False},
        {"accepte": "oui"},
        {"accepte": None},
        [],
    ):
        answer = requests.post(decision, json=body, headers=reviewer)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["message"]
    still = requests.get(queue, headers=reviewer).json()["demandes"]
    assert identity_id in [r["identity_id"] for r in still]
    own = requests.get(f"{gateway}/api/candidat/identite", headers=candidate["headers"])
    assert own.json()["statut"] == "en_verification"
