"""Results told and downloaded, against the real stack (RE-1, RE-2): nothing
before 24 hours after the exam; then the school gets one e-mail per result,
each candidate one e-mail with the result's PDF (or, without e-mail, one
letter enclosing it in the print queue), once, even when `ResultPublished`
is delivered three times and results restarted in between; the school
downloads its results as PDF, another school gets 404; an erased
candidate's result is readable nowhere."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import requests
from eventsourcing.utils import get_topic

from services.common import contracts
from services.common.documents import short_date, when
from services.results.application import ResultsApplication
from services.results.domain import ExamResult, valid_until
from services.results.publications import PUBLISHED
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_cancellation_api import _rows
from tests.e2e.test_checkout_api import _pay
from tests.e2e.test_erasure import _erase, _signed_in_again
from tests.e2e.test_letters_and_reminders import _activated_by_post
from tests.e2e.test_results_api import _known, _published_events, _released
from tests.helpers import mails_to, one_line, pdf_text, publish_event, wait_for

TO_THE_SCHOOL = "Résultat à l'examen du code de la route : "
TO_THE_CANDIDATE = "Votre résultat à l'examen du code de la route"
TITLE = "Résultat de l'examen du code de la route"


@pytest.fixture(scope="module")
def results(settings):
    app = ResultsApplication(settings=settings)
    yield app
    app.close()


def _told(mail_folder: Path, email: str, subject: str) -> list:
    return [
        m for m in mails_to(mail_folder, email) if one_line(m["Subject"]) == subject
    ]


def _school_told(mail_folder: Path, school: dict) -> list:
    return [
        m
        for m in mails_to(mail_folder, school["email"])
        if one_line(m["Subject"]).startswith(TO_THE_SCHOOL)
    ]


def _result_letters(settings, candidate_id: str) -> list[str]:
    letters = Path(settings.print_folder).glob(f"{candidate_id}-*.pdf")
    texts = [pdf_text(p.read_bytes()) for p in letters]
    return [t for t in texts if "Objet : Votre résultat" in t]


def _pdf(gateway: str, school: dict, path: str) -> requests.Response:
    return requests.get(f"{gateway}/api/resultats/{path}", headers=school["headers"])


def _booked(gateway, school, candidates, scheduling, results, nephs, name):
    """The candidates' seats in one session, paid and known to results:
    the session and the reservation ids (in the order of `nephs`)."""
    site = centre(scheduling, name, "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(2, 2), 18, COLLECTIVE)
    lines = [hold(gateway, school, n, session["id"]).json()["id"] for n in nephs]
    paid = _pay(gateway, school, f"cle-{uuid4()}")
    assert paid.status_code == 201, paid.text
    wait_for(
        lambda: (
            [r["status"] for r in _rows(gateway, school).values()]
            == ["confirmée"] * len(lines)
        ),
        60,
    )
    wait_for(lambda: all(_known(results, r) for r in lines), 60)
    return session, lines


def _imported(pmc, tmp_path, scores: dict[str, str]) -> None:
    file = tmp_path / f"{uuid4()}.csv"
    rows = "".join(f"{r};{s}\n" for r, s in scores.items())
    file.write_text("reservation;note\n" + rows, encoding="utf-8")
    done = pmc("import-results", str(file))
    assert done.returncode == 0, done.stdout + done.stderr


def _published_position(results: ResultsApplication, reservation_id: str):
    topic = get_topic(ExamResult.Published)
    for n in results.recorder.select_notifications(
        start=1, limit=100_000, topics=[topic]
    ):
        if n.originator_id == UUID(reservation_id):
            return n.id, results.mapper.to_domain_event(n)
    raise AssertionError("not published")


def test_each_result_told_once_and_downloaded_by_its_school_only(
    gateway,
    stack,
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
    school, other = new_school(), new_school()
    nephs = activated_files(candidates, school, 4, first=61800)
    by_post = _activated_by_post(candidates, school, "290000061850")
    session, lines = _booked(
        gateway,
        school,
        candidates,
        scheduling,
        results,
        [*nephs, "290000061850"],
        "TEST-RESULTATS-AVIS",
    )
    passed, failed, absent, unreleased, posted = lines
    emails = {r: f"siege{61800 + i}@example.fr" for i, r in enumerate(lines[:3])}
    exam = datetime.fromisoformat(session["starts_at"])
    travel(exam - datetime.now(UTC) + timedelta(hours=1))
    _imported(
        pmc, tmp_path, {passed: "37", failed: "20", absent: "absent", posted: "36"}
    )

    # Before 24 hours: nothing listed, nothing told, nothing to download.
    travel(timedelta(hours=22, minutes=58))
    school, other = (_signed_in_again(gateway, s) for s in (school, other))
    time.sleep(3)
    assert _released(gateway, school) == {}
    assert _school_told(mail_folder, school) == []
    assert _pdf(gateway, school, f"{passed}/pdf").status_code == 404

    travel(timedelta(minutes=2))
    wait_for(lambda: len(_released(gateway, school)) == 4, 30)
    shown = _released(gateway, school)
    assert shown[passed]["candidate_name"] == "Test Siège0"
    assert shown[passed]["neph"] == nephs[0]
    assert shown[passed]["birth_date"] == "2004-01-01"
    assert shown[posted]["candidate_name"] == "Claire Courrier"
    assert [shown[r]["outcome"] for r in (passed, failed, absent)] == [
        "admis",
        "ajourné",
        "absent",
    ]
    assert _released(gateway, other) == {}

    # The school: one e-mail per result, with the candidate's name and outcome.
    wait_for(lambda: len(_school_told(mail_folder, school)) == 4, 60)
    bodies = {
        one_line(m["Subject"]): one_line(m.get_content())
        for m in _school_told(mail_folder, school)
    }
    about_passed = bodies[TO_THE_SCHOOL + "Test Siège0"]
    assert "admis (37/40)" in about_passed and nephs[0] in about_passed
    assert "absent" in bodies[TO_THE_SCHOOL + "Test Siège2"]

    # Each candidate with an e-mail: one, the result's PDF attached.
    expected = {
        passed: ("Note : 37/40", "Résultat : admis", "Valable jusqu'au "),
        failed: ("Note : 20/40", "Résultat : ajourné"),
        absent: ("Résultat : absent",),
    }
    valid = short_date(valid_until(exam, 37))
    for reservation, said in expected.items():
        (mail,) = wait_for(
            lambda r=reservation: _told(mail_folder, emails[r], TO_THE_CANDIDATE), 60
        )
        (attachment,) = list(mail.iter_attachments())
        assert attachment.get_filename() == "resultat.pdf"
        text = one_line(pdf_text(attachment.get_content()))
        assert TITLE in text and when(session["starts_at"]) in text
        assert "Centre d'examen : Centre Lyon, Lyon" in text
        for words in said:
            assert words in text, (words, text)
        assert ("Valable" in text) == (reservation == passed)
        if reservation == passed:
            assert f"Valable jusqu'au {valid}" in text
            assert f"NEPH : {nephs[0]}" in text
            assert "Date de naissance : 01/01/2004" in text
        if reservation == absent:
            assert "/40" not in text

    # Without e-mail: one PDF in the print queue, the letter then the result.
    (letter,) = wait_for(lambda: _result_letters(settings, by_post), 60)
    pages = [one_line(page) for page in letter.split("\f")[:-1]]
    assert len(pages) == 2
    assert "joint à ce courrier" in pages[0] and TITLE not in pages[0]
    assert TITLE in pages[1] and "Note : 36/40 Résultat : admis" in pages[1]
    assert "Candidat : Claire Courrier" in pages[1]

    # The school downloads one result, and the session's, one page each.
    one = _pdf(gateway, school, f"{passed}/pdf")
    assert one.status_code == 200
    assert one.headers["Content-Type"] == "application/pdf"
    assert "Note : 37/40" in one_line(pdf_text(one.content))
    whole = _pdf(gateway, school, f"sessions/{session['id']}/pdf")
    assert whole.status_code == 200
    sheets = [one_line(p) for p in pdf_text(whole.content).split("\f")[:-1]]
    assert len(sheets) == 4 and all(TITLE in s for s in sheets)
    # Not released, another school's, or no such thing: not found.
    refused = _pdf(gateway, school, f"{unreleased}/pdf")
    assert refused.status_code == 404
    assert refused.json()["message"] == (
        "Ce résultat est introuvable ou n'est pas encore publié."
    )
    for path in (f"{passed}/pdf", f"sessions/{session['id']}/pdf", f"{uuid4()}/pdf"):
        assert _pdf(gateway, other, path).status_code == 404
    assert _pdf(gateway, school, "pas-un-id/pdf").status_code == 404

    # Results restarted, then `ResultPublished` delivered three more times.
    stack.halt("results")
    stack.resume("results")
    stack.wait_ready(timeout=60)
    for reservation in (passed, posted):
        position, event = _published_position(results, reservation)
        publish_event(
            settings.amqp_uri,
            "results",
            contracts.ResultPublished,
            dict(PUBLISHED[ExamResult.Published].translate(event, results)),
            position=position,
            times=3,
            keystore=results.keystore,
        )
    time.sleep(5)
    assert len(_school_told(mail_folder, school)) == 4
    for reservation in expected:
        assert len(_told(mail_folder, emails[reservation], TO_THE_CANDIDATE)) == 1
    assert len(_result_letters(settings, by_post)) == 1


def test_an_erased_candidates_result_is_readable_nowhere(
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
    nephs = activated_files(candidates, school, 3, first=61900)
    session, lines = _booked(
        gateway, school, candidates, scheduling, results, nephs, "TEST-RESULTATS-EFF"
    )
    kept, before, after = lines
    ids = {r: _rows(gateway, school)[r]["candidate_id"] for r in lines}
    exam = datetime.fromisoformat(session["starts_at"])
    travel(exam - datetime.now(UTC) + timedelta(hours=1))
    _imported(pmc, tmp_path, {kept: "38", before: "36", after: "12"})
    school = _signed_in_again(gateway, school)
    # Erased between the import and the release: released with nothing in it.
    assert _erase(gateway, school, ids[before]).status_code == 200

    travel(timedelta(hours=23, minutes=1))
    school = _signed_in_again(gateway, school)
    wait_for(lambda: set(_released(gateway, school)) == {kept, after}, 30)
    wait_for(lambda: _published_events(results, lines) == 3, 30)
    # Erased after the release: its result leaves the list and the downloads.
    assert _erase(gateway, school, ids[after]).status_code == 200
    wait_for(lambda: set(_released(gateway, school)) == {kept}, 30)
    for reservation in (before, after):
        assert _pdf(gateway, school, f"{reservation}/pdf").status_code == 404
    whole = _pdf(gateway, school, f"sessions/{session['id']}/pdf")
    sheets = pdf_text(whole.content).split("\f")[:-1]
    assert len(sheets) == 1 and "Siège0" in sheets[0]
    # Nothing in results' events or board opens any more.
    for reservation in (before, after):
        result = results.repository.get(UUID(reservation))
        for sealed in (result.personal, result.sealed_result, result.published_result):
            assert results.seals.open(result.candidate_id, sealed) is None
    # Nobody was told of the result released with nothing in it.
    time.sleep(3)
    assert _told(mail_folder, "siege61901@example.fr", TO_THE_CANDIDATE) == []
    assert [
        m for m in _school_told(mail_folder, school) if "Siège1" in m["Subject"]
    ] == []
    assert len(_told(mail_folder, "siege61900@example.fr", TO_THE_CANDIDATE)) == 1
