"""What the notifier writes when a paid seat is cancelled and refunded
(BO-7, BI-4): the school gets the refund and its credit note attached, the
candidate with an e-mail address is told; one message per event."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL
from services.notifier.mailer import ATTACHMENTS, FILE_NAMES
from tests.helpers import one_line, pdf_text
from tests.notifier.test_documents import delivered, messages

NOTE = {
    "kind": "avoir",
    "number": "A2026-000007",
    "date": "2026-11-24",
    "refunded_on": "2026-11-24",
    "invoice_number": "F2026-000042",
    "invoice_date": "2026-11-20",
    "seller": {
        "name": "Passer mon code SAS",
        "legal_form": "SAS",
        "capital": "10 000 €",
        "street": "1 rue de Paris",
        "postal_code": "75001",
        "city": "Paris",
        "rcs": "RCS Paris 123 456 789",
        "siret": "12345678900012",
        "vat_number": "FR12123456789",
    },
    "buyer": {"company_name": "Auto-école du Centre", "siret": "98765432100011"},
    "lines": [
        {
            "candidate_name": "Léa Martin",
            "neph": "123456789012",
            "centre_name": "Centre Lyon Gerland",
            "exam_starts_at": "2026-12-07T09:00:00+01:00",
            "quantity": 1,
            "unit_price_excluding_vat_cents": 2500,
            "vat_rate_percent": 20.0,
        }
    ],
    "vat_rate_percent": 20.0,
    "total_excluding_vat_cents": 2500,
    "vat_cents": 500,
    "total_cents": 3000,
    "method": "carte",
}


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def test_the_school_gets_the_refund_and_its_credit_note(app):
    payload = {
        "school_id": "ecole-a",
        "school_email": "ecole@example.fr",
        "amount_cents": 3000,
        "method": "carte",
        "credit_note_number": "A2026-000007",
        "invoice_number": "F2026-000042",
        "credit_note": NOTE,
    }
    app.on_refund_issued(delivered("RefundIssued", payload))
    ((message, content),) = messages(app)
    assert message.channel == EMAIL
    assert content["recipient"] == "ecole@example.fr"
    assert "A2026-000007" in content["subject"]
    body = one_line(content["body"])
    assert "Léa Martin (NEPH 123456789012)" in body
    assert "30,00 €" in body and "F2026-000042" in body
    # The mailer prints the attachment as PDF when it sends.
    assert FILE_NAMES["credit_note"] == "avoir"
    pdf = one_line(pdf_text(ATTACHMENTS["credit_note"](content["credit_note"])))
    assert "Facture d'avoir n° A2026-000007" in pdf
    assert "Avoir sur la facture n° F2026-000042 du 20/11/2026" in pdf


def test_the_candidate_with_an_address_is_told(app):
    payload = {
        "candidate_id": uuid4(),
        "exam_starts_at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
        "centre_name": "Centre Lyon Gerland",
        "centre_city": "Lyon",
    }
    app.on_reservation_cancelled(
        delivered("ReservationCancelled", payload), {"email": "lea@example.fr"}
    )
    app.on_reservation_cancelled(
        delivered("ReservationCancelled", {**payload, "candidate_id": uuid4()}, 2),
        {"email": None},
    )
    ((message, content),) = messages(app)
    assert message.audience == "candidat"
    assert content["recipient"] == "lea@example.fr"
    body = one_line(content["body"])
    assert "Votre auto-école a annulé votre inscription" in body
    assert "Centre Lyon Gerland (Lyon)" in body
