"""Cancelling a card-paid reservation against the real stack (BO-6, BO-7,
BI-4, EX-4): before the deadline the seat is freed, the payment refunded once
with a credit note, school and candidate told; after it, for another school,
or twice, nothing changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import requests
from eventsourcing.utils import get_topic

from services.billing.application import BillingApplication
from services.billing.domain import Refund
from services.booking.application import BookingApplication
from services.booking.deadlines import changes_allowed_until
from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.booking.rules import PARIS
from services.common import contracts
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_checkout_api import _pay, payments_of
from tests.e2e.test_erasure import _signed_in_again
from tests.helpers import mails_to, one_line, pdf_text, publish_event, wait_for

CANDIDATE_TOLD = "Votre inscription à l'examen du code de la route est annulée"


@pytest.fixture(scope="module")
def booking(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


@pytest.fixture(scope="module")
def billing(settings):
    app = BillingApplication(settings=settings)
    yield app
    app.close()


def _paid_session(gateway, school, scheduling, candidates, first: int) -> dict:
    """Two seats of a Monday session two weeks ahead, paid by card."""
    site = centre(scheduling, "TEST-ANNUL", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(0, 2), 18, COLLECTIVE)
    nephs = activated_files(candidates, school, 2, first=first)
    lines = [hold(gateway, school, n, session["id"]).json()["id"] for n in nephs]
    paid = _pay(gateway, school, f"cle-{uuid4()}")
    assert paid.status_code == 201, paid.text
    wait_for(
        lambda: {r["status"] for r in _rows(gateway, school).values()} == {"confirmée"}
    )
    return {"session": session, "lines": lines}


def _cancelled_event(booking, reservation_id: UUID) -> tuple[int, object]:
    """The stored `Reservation.Cancelled` and its position in booking's log
    (what the relay published it under)."""
    topic = get_topic(Reservation.Cancelled)
    for notification in booking.recorder.select_notifications(
        start=1, limit=100_000, topics=[topic]
    ):
        if notification.originator_id == reservation_id:
            return notification.id, booking.mapper.to_domain_event(notification)
    raise AssertionError("no cancellation stored")


def _rows(gateway, school) -> dict[str, dict]:
    items = requests.get(f"{gateway}/api/reservations", headers=school["headers"])
    return {r["id"]: r for r in items.json()["items"]}


def _cancel(gateway, school, reservation_id: str, key: str | None = None):
    headers = dict(school["headers"])
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(
        f"{gateway}/api/reservations/{reservation_id}/annulation", headers=headers
    )


def _refunds(billing, reservation_id: str) -> list[dict]:
    return [
        r
        for r in billing.provider.ledger.all_refunds()
        if r["refund_key"] == f"refund:{reservation_id}"
    ]


def _invoice_number(gateway, school) -> str:
    (row,) = wait_for(
        lambda: [p for p in payments_of(gateway, school) if p["status"] == "payé"]
    )
    pdf = requests.get(
        f"{gateway}/api/paiements/{row['id']}/facture", headers=school["headers"]
    )
    return re.search(r"Facture n° (F\d{4}-\d{6})", pdf_text(pdf.content)).group(1)


def test_a_cancellation_frees_the_seat_and_refunds_once_with_a_credit_note(
    gateway, new_school, scheduling, candidates, mail_folder, billing, booking, settings
):
    school = new_school()
    paid = _paid_session(gateway, school, scheduling, candidates, first=7100)
    session_id = UUID(paid["session"]["id"])
    cancelled_line, kept_line = paid["lines"]
    row = _rows(gateway, school)[cancelled_line]
    exam = datetime.fromisoformat(row["exam_starts_at"])
    until = changes_allowed_until(exam, "69")
    # A Monday exam: the Tuesday before, 23:59:59 Paris time.
    assert until.astimezone(PARIS).weekday() == 1
    assert row["changes_allowed_until"] == until.isoformat()
    wait_for(lambda: scheduling.session(session_id)["free_seats"] == 16)

    key = str(uuid4())
    first = _cancel(gateway, school, cancelled_line, key)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "annulée"
    assert first.json()["changes_allowed_until"] is None
    # The same click again: the first answer, nothing more.
    again = _cancel(gateway, school, cancelled_line, key)
    assert again.status_code == 200 and again.json() == first.json()
    twice = _cancel(gateway, school, cancelled_line)
    assert twice.status_code == 409
    assert twice.json()["message"] == "Cette réservation est déjà annulée."
    # The seat is free again in the search; the other one is still taken.
    wait_for(lambda: scheduling.session(session_id)["free_seats"] == 17)
    rows = _rows(gateway, school)
    assert rows[cancelled_line]["status"] == "annulée"
    assert rows[kept_line]["status"] == "confirmée"

    # BO-8: its history, every step in order, under one id.
    detail = requests.get(
        f"{gateway}/api/reservations/{cancelled_line}", headers=school["headers"]
    )
    assert detail.status_code == 200, detail.text
    assert detail.json()["id"] == cancelled_line
    # The school's own steps (the convocation sent and the refund, reported
    # by the platform as they happen: tests/e2e/test_reservation_history.py).
    own = [
        s
        for s in detail.json()["history"]
        if not s["step"].startswith(("Convocation envoyée", "Remboursée"))
    ]
    assert [s["step"] for s in own] == [
        "Place réservée, dans le panier",
        "Payée : réservation confirmée",
        "Annulée, place libérée",
    ]
    assert {s["by"] for s in own} == {"auto-école"}

    # One refund through the provider, one credit note the school downloads.
    refund_id = Refund.create_id(cancelled_line)
    wait_for(lambda: _refunds(billing, cancelled_line), 30)
    note = wait_for(
        lambda: (
            (
                r := requests.get(
                    f"{gateway}/api/reservations/{cancelled_line}/avoir",
                    headers=school["headers"],
                )
            ).status_code
            == 200
            and r
        )
    )
    assert note.headers["Content-Type"] == "application/pdf"
    text = one_line(pdf_text(note.content))
    refund = billing.repository.get(refund_id)
    number = (
        f"A{refund.refunded_at.astimezone(PARIS):%Y}-{refund.credit_note_number:06d}"
    )
    assert f"Facture d'avoir n° {number}" in text
    assert f"Avoir sur la facture n° {_invoice_number(gateway, school)}" in text
    assert "Montant remboursé le" in text and "30,00 €" in text
    assert "Test Siège0" in text and "200000007100" in text, text

    # The same cancellation delivered three more times (as after a lost
    # acknowledgement): still one refund, one message each.
    position, event = _cancelled_event(booking, UUID(cancelled_line))
    publish_event(
        settings.amqp_uri,
        "booking",
        contracts.ReservationCancelled,
        dict(PUBLISHED[Reservation.Cancelled].translate(event, booking)),
        position=position,
        times=3,
    )
    # The school and the candidate are told, once.
    school_mail = wait_for(
        lambda: [
            m
            for m in mails_to(mail_folder, school["email"])
            if m["Subject"] == f"Réservation annulée : avoir n° {number}"
        ],
        30,
    )
    (attached,) = list(school_mail[0].iter_attachments())
    assert attached.get_filename() == "avoir.pdf"
    body = school_mail[0].get_body(preferencelist=("plain",)).get_content()
    assert "Nous vous remboursons 30,00 €" in one_line(body)
    wait_for(
        lambda: [
            m
            for m in mails_to(mail_folder, "siege7100@example.fr")
            if m["Subject"] == CANDIDATE_TOLD
        ],
        30,
    )
    assert not [
        m
        for m in mails_to(mail_folder, "siege7101@example.fr")
        if m["Subject"] == CANDIDATE_TOLD
    ]
    assert len(_refunds(billing, cancelled_line)) == 1
    assert billing.repository.get(refund_id).version == 1
    assert (
        len(
            [
                m
                for m in mails_to(mail_folder, school["email"])
                if m["Subject"] == f"Réservation annulée : avoir n° {number}"
            ]
        )
        == 1
    )


def test_another_schools_reservation_is_not_found_and_nothing_changes(
    gateway, new_school, scheduling, candidates, billing
):
    owner, intruder = new_school(), new_school()
    paid = _paid_session(gateway, owner, scheduling, candidates, first=7200)
    line = paid["lines"][0]
    refused = _cancel(gateway, intruder, line)
    assert refused.status_code == 404
    assert refused.json()["message"] == "Cette réservation est introuvable."
    note = requests.get(
        f"{gateway}/api/reservations/{line}/avoir", headers=intruder["headers"]
    )
    assert note.status_code == 404
    seen = requests.get(
        f"{gateway}/api/reservations/{line}", headers=intruder["headers"]
    )
    assert seen.status_code == 404
    assert _rows(gateway, owner)[line]["status"] == "confirmée"
    assert _refunds(billing, line) == []


def test_the_monday_rule_allowed_tuesday_23_59_refused_wednesday_midnight(
    gateway, new_school, scheduling, candidates, billing, travel
):
    school = new_school()
    paid = _paid_session(gateway, school, scheduling, candidates, first=7300)
    session_id = UUID(paid["session"]["id"])
    early, late = paid["lines"]
    row = _rows(gateway, school)[late]
    until = changes_allowed_until(datetime.fromisoformat(row["exam_starts_at"]), "69")
    wait_for(lambda: scheduling.session(session_id)["free_seats"] == 16)

    # Tuesday 23:59 Paris: still allowed.
    travel(until - timedelta(seconds=59) - datetime.now(UTC))
    school = _signed_in_again(gateway, school)
    assert _rows(gateway, school)[early]["changes_allowed_until"] == until.isoformat()
    allowed = _cancel(gateway, school, early)
    assert allowed.status_code == 200, allowed.text

    # Wednesday 00:00 Paris: refused, and nothing changes.
    travel(timedelta(seconds=61))
    assert _rows(gateway, school)[late]["changes_allowed_until"] is None
    refused = _cancel(gateway, school, late)
    assert refused.status_code == 409
    assert refused.json()["message"].startswith("Le délai est dépassé")
    assert "3 jours ouvrés" in refused.json()["message"]
    wait_for(lambda: scheduling.session(session_id)["free_seats"] == 17)
    assert _rows(gateway, school)[late]["status"] == "confirmée"
    wait_for(lambda: _refunds(billing, early), 30)
    assert _refunds(billing, late) == []
