"""SC-2: a reservation cancelled with its session by the operator: the
candidate and the school are told it was the « centre d'examen », with its
reason and a full refund; once, whatever the redeliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.common.errors import AlreadyProcessed
from services.notifier.application import NotifierApplication
from services.notifier.cancellation_texts import refund_issued
from tests.helpers import one_line
from tests.notifier.test_documents import delivered, messages

CONTACT = {"email": "lea@example.fr", "school_email": "ecole@example.fr"}


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def _cancelled(**overrides) -> dict:
    return {
        "reservation_id": uuid4(),
        "school_id": "ecole-a",
        "candidate_id": uuid4(),
        "exam_starts_at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
        "centre_name": "Centre Lyon Gerland",
        "centre_city": "Lyon",
        "cancelled_by": "centre d'examen",
        "reason": "Salle inondée",
        **overrides,
    }


def test_the_candidate_and_the_school_are_told_with_the_reason(app):
    event = delivered("ReservationCancelled", _cancelled())
    app.on_reservation_cancelled(event, CONTACT)
    with pytest.raises(AlreadyProcessed):  # redelivered: told once
        app.on_reservation_cancelled(event, CONTACT)
    found = {message.audience: content for message, content in messages(app)}
    assert set(found) == {"candidat", "auto-ecole"}
    candidate, school = found["candidat"], found["auto-ecole"]
    assert candidate["recipient"] == "lea@example.fr"
    assert "annulé par le centre d'examen" in candidate["subject"]
    body = one_line(candidate["body"])
    assert "annulée par le centre d'examen" in body
    assert "Motif indiqué par le centre : Salle inondée." in body
    assert "Centre Lyon Gerland (Lyon)" in body
    assert "auto-école a annulé" not in body
    assert school["recipient"] == "ecole@example.fr"
    assert school["subject"].startswith("Réservation annulée par le centre d'examen")
    body = one_line(school["body"])
    assert "est annulée par le centre d'examen" in body
    assert "Salle inondée" in body and "remboursée en totalité" in body
    assert "par virement une fois le prélèvement SEPA encaissé" in body


def test_without_an_address_or_a_reason_the_school_is_still_told(app):
    event = delivered("ReservationCancelled", _cancelled(reason=""))
    app.on_reservation_cancelled(event, {**CONTACT, "email": None})
    ((message, content),) = messages(app)
    assert message.audience == "auto-ecole"
    assert "Motif" not in content["body"]


def test_the_refund_mail_does_not_say_the_school_cancelled():
    _, body = refund_issued(
        {
            "method": "carte",
            "amount_cents": 3000,
            "credit_note_number": "A2026-000007",
            "invoice_number": "F2026-000042",
            "credit_note": {"lines": [{"candidate_name": "Léa Martin"}]},
        }
    )
    assert "Vous avez annulé" not in body
    assert "La réservation de Léa Martin est annulée." in one_line(body)
