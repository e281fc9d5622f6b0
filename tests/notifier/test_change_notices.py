"""What the notifier writes when a paid seat moves to another slot (BO-6):
the candidate's new convocation (e-mail with the PDF, or a letter) saying the
old one is void, and the school told; all of them from one event, once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL, LETTER
from tests.helpers import one_line
from tests.notifier.test_documents import ADDRESS, SCHOOL, delivered, messages

CHANGED = {
    "reservation_id": uuid4(),
    "school_id": "ecole-a",
    "candidate_id": uuid4(),
    "candidate_name": "Linh Nguyen",
    "neph": "123456789012",
    "birth_date": "2004-05-06",
    "verification_code": "ABCD-EFGH-IJKL",
    "school_name": SCHOOL,
    "session_id": uuid4(),
    "centre_name": "Centre Villeurbanne",
    "centre_address": "1 rue du Test",
    "centre_city": "Villeurbanne",
    "exam_starts_at": "2026-12-17T09:00:00+01:00",
    "change_deadline": "2026-12-11",
    "previous_session_id": uuid4(),
    "previous_centre_name": "Centre Lyon Gerland",
    "previous_exam_starts_at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
    "changed_at": datetime(2026, 11, 24, tzinfo=UTC),
    "changed_by": "auto-école",
}


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def test_the_candidate_gets_the_new_convocation_and_the_school_is_told(app):
    contact = {"email": "linh@example.fr", "school_email": "ecole@example.fr"}
    app.on_reservation_changed(delivered("ReservationChanged", CHANGED), contact)
    sent = {m.audience: (m, c) for m, c in messages(app)}
    assert set(sent) == {"candidat", "auto-ecole"}
    message, content = sent["candidat"]
    assert message.channel == EMAIL and content["recipient"] == "linh@example.fr"
    assert content["subject"] == (
        "Votre nouvelle convocation à l'examen du code de la route"
    )
    body = one_line(content["body"])
    assert body.startswith("Bonjour Linh Nguyen,")
    assert "lundi 7 décembre 2026 à 09 h 00 au Centre Lyon Gerland" in body
    assert "n'est plus valable" in body
    assert "jeudi 17 décembre 2026 à 09 h 00" in body
    assert content["convocation"]["centre_name"] == "Centre Villeurbanne"
    assert content["convocation"]["verification_code"] == "ABCD-EFGH-IJKL"
    message, content = sent["auto-ecole"]
    assert content["recipient"] == "ecole@example.fr"
    assert content["subject"] == (
        "Réservation modifiée : examen du jeudi 17 décembre 2026 à 09 h 00"
    )
    body = one_line(content["body"])
    assert "La réservation de Linh Nguyen (NEPH 123456789012) est modifiée" in body
    assert "le prix payé est inchangé" in body


def test_a_candidate_without_an_address_gets_a_letter(app):
    contact = {"email": None, "address": ADDRESS, "school_email": None}
    app.on_reservation_changed(delivered("ReservationChanged", CHANGED), contact)
    ((message, content),) = messages(app)
    assert message.channel == LETTER and message.audience == "candidat"
    assert content["recipient"]["name"] == "Linh Nguyen"
