"""What the school reads when a seat freed on a full session is held in its
cart for its candidate in line (EX-2): which exam, until when, once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.notifier import seat_offers
from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL
from tests.helpers import one_line
from tests.notifier.test_documents import delivered, messages

OFFERED = {
    "entry_id": uuid4(),
    "reservation_id": uuid4(),
    "school_id": "ecole-a",
    "candidate_id": uuid4(),
    "session_id": uuid4(),
    "centre_name": "Centre Lyon Gerland",
    "centre_city": "Lyon",
    "exam_starts_at": datetime(2026, 12, 17, 8, tzinfo=UTC),
    "expires_at": datetime(2026, 11, 24, 14, 30, tzinfo=UTC),
    "offered_at": datetime(2026, 11, 24, 12, 30, tzinfo=UTC),
}


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def test_the_school_is_told_which_exam_and_until_when_to_pay(app):
    contact = {
        "given_names": "Linh",
        "birth_name": "Nguyen",
        "school_email": "ecole@example.fr",
    }
    seat_offers.tell_the_school(app, delivered("SeatOffered", OFFERED), contact)
    ((message, content),) = messages(app)
    assert message.channel == EMAIL and message.audience == "auto-ecole"
    assert content["recipient"] == "ecole@example.fr"
    assert content["subject"] == (
        "Une place s'est libérée : examen du jeudi 17 décembre 2026 à 09 h 00"
    )
    body = one_line(content["body"])
    assert "Linh Nguyen était en liste d'attente" in body
    assert "au Centre Lyon Gerland (Lyon)" in body
    assert "jusqu'au mardi 24 novembre 2026 à 15 h 30" in body
    assert "proposée à l'auto-école suivante" in body


def test_no_school_address_no_message(app):
    event = delivered("SeatOffered", OFFERED)
    seat_offers.tell_the_school(app, event, {"school_email": None})
    assert messages(app) == []
