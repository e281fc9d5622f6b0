"""A released result told (RE-2): the school by e-mail (name, outcome), the
candidate by e-mail with the result's PDF or, without e-mail, by a letter
enclosing it; the document says the score, the outcome and, for a pass, the
last day it counts (RE-1)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.common.company import Company
from services.common.documents import render_result
from services.notifier import result_notices
from services.notifier.application import NotifierApplication
from services.notifier.domain import LETTER
from services.notifier.letters import render_letter
from tests.helpers import one_line, pdf_text
from tests.notifier.test_documents import ADDRESS, delivered, messages

AT = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
PUBLISHED = {
    "reservation_id": uuid4(),
    "school_id": "ecole-a",
    "candidate_id": uuid4(),
    "session_id": uuid4(),
    "candidate_name": "Linh Nguyen",
    "neph": "123456789012",
    "birth_date": "2005-03-14",
    "centre_name": "Centre de Lyon",
    "centre_city": "Lyon",
    "exam_starts_at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
    "score": 37,
    "outcome": "admis",
    "valid_until": "2031-12-07",
    "published_at": AT,
}


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def _told(app, payload, contact) -> list[tuple]:
    event = delivered("ResultPublished", payload)
    app._queue_all(event, result_notices.messages(app, event, contact))
    return messages(app)


@pytest.mark.parametrize(
    ("score", "outcome", "until", "said", "not_said"),
    [
        (37, "admis", "2031-12-07", "Note : 37/40 Résultat : admis", None),
        (20, "ajourné", None, "Note : 20/40 Résultat : ajourné", "Valable"),
        (None, "absent", None, "Résultat : absent", "/40"),
    ],
)
def test_the_result_document(score, outcome, until, said, not_said):
    data = result_notices.result_document(
        {**PUBLISHED, "score": score, "outcome": outcome, "valid_until": until}
    )
    text = one_line(pdf_text(render_result(data)))
    assert "Résultat de l'examen du code de la route" in text
    assert "Candidat : Linh Nguyen" in text
    assert "Date de naissance : 14/03/2005" in text
    assert "NEPH : 123456789012" in text
    assert "lundi 7 décembre 2026 à 09 h 00" in text
    assert "Centre d'examen : Centre de Lyon, Lyon" in text
    assert said in text
    if until:
        assert "Valable jusqu'au 07/12/2031" in text
    if not_said:
        assert not_said not in text


def test_the_school_and_the_candidate_by_e_mail(app):
    contact = {"email": "linh@example.fr", "school_email": "ecole@example.fr"}
    told = {m.audience: c for m, c in _told(app, PUBLISHED, contact)}
    school, candidate = told["auto-ecole"], told["candidat"]
    assert school["recipient"] == "ecole@example.fr"
    assert "Linh Nguyen" in school["subject"]
    assert "admis (37/40), valable jusqu'au 07/12/2031" in school["body"]
    assert "result" not in school
    assert candidate["recipient"] == "linh@example.fr"
    assert "joint à ce message" in candidate["body"]
    # Reached from the e-mail: the candidate's space, on the public site.
    space = f"{app.settings.public_url}/candidat/espace"
    assert f"dans votre espace candidat, si vous avez créé un compte : {space}" in (
        one_line(candidate["body"])
    )
    assert "/candidat/espace" not in school["body"]
    assert candidate["result"]["outcome"] == "admis"


def test_without_e_mail_a_letter_enclosing_the_result(app):
    contact = {"email": None, "address": ADDRESS, "school_email": None}
    ((message, content),) = _told(app, PUBLISHED, contact)
    assert (message.channel, message.audience) == (LETTER, "candidat")
    pages = pdf_text(render_letter(content, AT, Company())).split("\f")[:-1]
    assert len(pages) == 2
    assert "joint à ce courrier" in one_line(pages[0])
    assert "votre espace candidat" in one_line(pages[0])
    assert "/candidat/espace" in one_line(pages[0])
    assert "Résultat : admis" in one_line(pages[1])


def test_a_result_with_nothing_readable_is_told_to_nobody(app):
    erased = {**PUBLISHED, "candidate_name": None, "outcome": None, "score": None}
    contact = {"email": "linh@example.fr", "school_email": "ecole@example.fr"}
    assert _told(app, erased, contact) == []
