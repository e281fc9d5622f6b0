"""A payment that came after its line had left the cart is given back by the
platform: the school is told why, once; the candidate, who never had that
seat, is told nothing."""

from __future__ import annotations

import pytest

from services.common.errors import AlreadyProcessed
from services.notifier.application import NotifierApplication
from tests.helpers import one_line
from tests.notifier.test_documents import delivered, messages
from tests.notifier.test_session_cancellation_notices import CONTACT, _cancelled


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def test_the_school_alone_is_told_its_late_payment_is_given_back(app):
    payload = _cancelled(
        cancelled_by="plateforme",
        reason="payée après la libération de la place",
        refund_cents=3000,
    )
    event = delivered("ReservationCancelled", payload)
    app.on_reservation_cancelled(event, CONTACT)
    with pytest.raises(AlreadyProcessed):  # redelivered: told once
        app.on_reservation_cancelled(event, CONTACT)
    ((message, content),) = messages(app)
    assert message.audience == "auto-ecole"
    assert content["recipient"] == "ecole@example.fr"
    assert content["subject"].startswith("Place non réservée, paiement remboursé")
    body = one_line(content["body"])
    assert "après la libération de la place" in body
    assert "remboursé en totalité (30,00 €)" in body
    # How, the credit note's e-mail says: a SEPA debit only once collected.
    assert "par virement une fois le prélèvement SEPA encaissé" in body
    assert str(payload["reservation_id"]) in body
    assert "Centre Lyon Gerland (Lyon)" in body


def test_without_the_schools_address_nobody_is_told(app):
    event = delivered("ReservationCancelled", _cancelled(cancelled_by="plateforme"))
    app.on_reservation_cancelled(event, {**CONTACT, "school_email": None})
    assert messages(app) == []
