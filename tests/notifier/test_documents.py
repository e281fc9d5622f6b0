"""What the notifier writes (NO-1, NO-2, NO-4): letters with the sender's full
address, messages that name the school that filed, the school told once when
its candidate confirms, and the invoice carried by the payment's e-mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.common.company import Company
from services.common.envelope import Delivered, Envelope
from services.common.errors import AlreadyProcessed
from services.notifier.application import NotifierApplication
from services.notifier.domain import LETTER, Message
from services.notifier.letters import render_letter
from services.notifier.mailer import Mailer
from tests.helpers import one_line, pdf_text

ADDRESS = {"street": "4 rue Garibaldi", "postal_code": "69006", "city": "Lyon"}
SCHOOL = "Auto-école du Centre"


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def delivered(event_type: str, payload: dict, position: int = 1) -> Delivered:
    envelope = Envelope("candidates", event_type, 1, position, "2026-11-24T09:00:00Z")
    return Delivered(envelope=envelope, payload=payload, attempt=1)


def messages(app: NotifierApplication) -> list[tuple[Message, dict]]:
    found = []
    for notification in app.recorder.select_notifications(start=1, limit=100):
        event = app.mapper.to_domain_event(notification)
        if isinstance(event, Message.Queued):
            message = app.get_message(event.originator_id)
            found.append((message, app.content(message)))
    return found


def activation(**overrides) -> dict:
    return {
        "candidate_id": uuid4(),
        "school_id": "ecole-a",
        "neph": "123456789012",
        "contact": "courrier",
        "civility": "MME",
        "given_names": "Linh",
        "birth_name": "Nguyen",
        "email": None,
        "address": ADDRESS,
        "link_token": "jeton",
        "code": "123456",
        "expires_at": datetime(2026, 12, 1, tzinfo=UTC),
        "school_name": SCHOOL,
        **overrides,
    }


def test_a_letter_gives_the_senders_street_and_names_the_school(app):
    app.on_candidate_activation_requested(delivered("CandidateCreated", activation()))
    ((message, content),) = messages(app)
    assert message.channel == LETTER
    sender = Company()
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    text = one_line(pdf_text(render_letter(content, at, sender)))
    assert f"{sender.street} {sender.postal_code} {sender.city}" in text
    assert f"Votre auto-école « {SCHOOL} » a créé votre dossier" in text
    assert "4 rue Garibaldi 69006 Lyon" in text
    assert "Paris, le 24 novembre 2026" in text


def test_the_activation_email_names_the_school(app):
    app.on_candidate_activation_requested(
        delivered(
            "CandidateCreated",
            activation(contact="email", email="linh@example.fr", address=None),
        )
    )
    ((_, content),) = messages(app)
    assert f"Votre auto-école « {SCHOOL} » a créé votre dossier" in content["body"]


def test_the_school_is_told_once_when_its_candidate_confirms(app):
    confirmed = {
        "candidate_id": uuid4(),
        "school_id": "ecole-a",
        "neph": "123456789012",
        "request_number": "D20261124-ABCDEF12",
        "activated_at": datetime(2026, 11, 24, tzinfo=UTC),
        "candidate_name": "Linh Nguyen",
        "school_email": "secretariat@ecole-a.fr",
    }
    app.on_candidate_activated(delivered("CandidateActivated", confirmed, 7))
    # Delivered again: the message of that event exists already, none is added.
    with pytest.raises(AlreadyProcessed):
        app.on_candidate_activated(delivered("CandidateActivated", confirmed, 7))
    ((_, content),) = messages(app)
    assert content["recipient"] == "secretariat@ecole-a.fr"
    assert content["subject"] == "Dossier confirmé par le candidat (NEPH 123456789012)"
    assert "Linh Nguyen (NEPH 123456789012) a confirmé" in content["body"]


def test_the_payment_email_names_the_candidates_and_carries_the_invoice(app):
    line = {
        "candidate_name": "Linh Nguyen",
        "neph": "123456789012",
        "centre_name": "Centre Lyon",
        "exam_starts_at": "2026-12-07T09:00:00+01:00",
        "quantity": 1,
        "unit_price_excluding_vat_cents": 2500,
        "vat_rate_percent": 20.0,
    }
    invoice = {
        "number": "F2026-000042",
        "date": "2026-11-24",
        "paid_on": "2026-11-24",
        "seller": Company().as_dict(),
        "buyer": {"company_name": SCHOOL, "siret": "73282932000074"},
        "lines": [line, {**line, "candidate_name": "Paul Martin"}],
        "vat_rate_percent": 20.0,
        "total_excluding_vat_cents": 5000,
        "vat_cents": 1000,
        "total_cents": 6000,
        "method": "carte",
    }
    captured = {
        "checkout_id": uuid4(),
        "school_id": "ecole-a",
        "reservation_ids": [uuid4(), uuid4()],
        "amount_cents": 6000,
        "invoice_number": 42,
        "captured_at": datetime(2026, 11, 24, tzinfo=UTC),
        "school_email": "secretariat@ecole-a.fr",
        "invoice": invoice,
    }
    app.on_payment_captured(delivered("PaymentCaptured", captured))
    ((message, content),) = messages(app)
    assert "Linh Nguyen (NEPH 123456789012)" in content["body"]
    assert "Paul Martin (NEPH 123456789012)" in content["body"]
    assert "facture n° F2026-000042" in content["body"]
    email = Mailer(app)._email(message, content)
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_filename() == "facture.pdf"
    text = one_line(pdf_text(attachment.get_content()))
    assert "Facture acquittée le 24/11/2026 par carte bancaire" in text
    assert re.search(r"Total TTC : 60,00 €", text)


def test_a_convocation_by_post_names_the_school_and_carries_the_code(app):
    confirmed = {
        "reservation_id": uuid4(),
        "school_id": "ecole-a",
        "candidate_id": uuid4(),
        "candidate_name": "Linh Nguyen",
        "neph": "123456789012",
        "session_id": uuid4(),
        "centre_name": "Centre Lyon Gerland",
        "centre_address": "1 rue du Centre",
        "centre_city": "Lyon",
        "exam_starts_at": "2026-12-07T09:00:00+01:00",
        "checkout_id": uuid4(),
        "confirmed_at": datetime(2026, 11, 24, tzinfo=UTC),
        "birth_date": "2004-05-06",
        "school_name": SCHOOL,
        "change_deadline": "2026-12-01",
        "verification_code": "ABCD-EFGH-IJKL",
    }
    app.on_reservation_confirmed(
        delivered("ReservationConfirmed", confirmed), {"address": ADDRESS}
    )
    ((message, content),) = messages(app)
    assert message.channel == LETTER
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    text = one_line(pdf_text(render_letter(content, at, Company())))
    assert f"Votre auto-école « {SCHOOL} » vous a inscrit(e)" in text
    assert "Épreuve théorique générale (ETG)" in text
    assert "lundi 7 décembre 2026 à 09 h 00" in text
    assert "né(e) le : 06/05/2004" in text
    assert "code de vérification : ABCD-EFGH-IJKL" in text
    assert "jusqu'à trois jours ouvrés avant l'examen" in text
    assert "modifier ou annuler est le 1er décembre 2026" in text
