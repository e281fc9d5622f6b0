"""Cancelling a SEPA-paid reservation against the real stack (BO-7, BI-4):
credited once with a credit note whatever the redeliveries, and paid back
once, by a transfer in the pain.001 file `pmc sepa-transfers` writes once
the debit is collected; bad days are refused and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import requests
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from services.billing.application import BillingApplication
from services.billing.credit_notes import credit_note_number
from services.billing.debit_returns import PUBLISHED as RETURNS_PUBLISHED
from services.billing.domain import Refund
from services.billing.invoices import invoice_number
from services.billing.sepa import REFUND_AFTER_DAYS
from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.booking.rules import PARIS
from services.common import contracts
from tests.e2e.test_cancellation_api import _cancel, _cancelled_event, _rows
from tests.e2e.test_checkout_api import _cart_of_two
from tests.e2e.test_sepa_returns import _debit_in_bank_file, _import, _payments
from tests.helpers import mails_to, one_line, pdf_text, publish_event, wait_for
from tests.sepa_files import Return, camt054, transfers

IBAN = "FR1420041010050500013M02606"


@pytest.fixture(scope="module")
def billing(settings):
    app = BillingApplication(settings=settings)
    yield app
    app.close()


def _paid_by_sepa(gateway, school, scheduling, candidates, first: int) -> list[str]:
    """Two seats of a session two weeks ahead, paid by SEPA debit."""
    lines = _cart_of_two(gateway, school, scheduling, candidates, first)
    paid = requests.post(
        f"{gateway}/api/paiement/sepa",
        json={
            "cgv": True,
            "iban": "FR14 2004 1010 0505 0001 3M02 606",
            "bic": "PSSTFRPPLIL",
            "titulaire": "Auto-école du Centre",
            "cle": f"sepa-{uuid4()}",
        },
        headers=school["headers"],
    )
    assert paid.status_code == 201, paid.text
    wait_for(
        lambda: {r["status"] for r in _rows(gateway, school).values()} == {"confirmée"}
    )
    return lines


def _refund(billing, reservation_id: str) -> Refund | None:
    try:
        return billing.repository.get(Refund.create_id(reservation_id))
    except AggregateNotFoundError:
        return None


def _today(travelled: timedelta = timedelta(0)) -> str:
    """Today in Paris for the platform, whose clock was moved by `travelled`."""
    return (datetime.now(UTC) + travelled).astimezone(PARIS).date().isoformat()


def test_a_sepa_paid_seat_is_credited_once_and_transferred_back_in_one_file(
    gateway,
    new_school,
    scheduling,
    candidates,
    mail_folder,
    billing,
    booking,
    settings,
    pmc,
    travel,
):
    school = new_school()
    cancelled_line, kept_line = _paid_by_sepa(
        gateway, school, scheduling, candidates, first=7750
    )
    done = _cancel(gateway, school, cancelled_line)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "annulée"
    assert _rows(gateway, school)[kept_line]["status"] == "confirmée"

    # The credit note, as for a card payment.
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
        ),
        30,
    )
    refund = billing.repository.get(Refund.create_id(cancelled_line))
    number = credit_note_number(refund.credit_note_number, refund.refunded_at)
    text = one_line(pdf_text(note.content))
    assert f"Facture d'avoir n° {number}" in text and "30,00 €" in text

    # The cancellation delivered three more times: still one refund, one mail.
    position, event = _cancelled_event(booking, UUID(cancelled_line))
    publish_event(
        settings.amqp_uri,
        "booking",
        contracts.ReservationCancelled,
        dict(PUBLISHED[Reservation.Cancelled].translate(event, booking)),
        position=position,
        times=3,
    )
    subject = f"Réservation annulée : avoir n° {number}"
    told = wait_for(
        lambda: [
            m for m in mails_to(mail_folder, school["email"]) if m["Subject"] == subject
        ],
        30,
    )
    body = one_line(told[0].get_body(preferencelist=("plain",)).get_content())
    # Not « remboursé »: the transfer comes once the debit is collected.
    due = (datetime.now(UTC).astimezone(PARIS) + timedelta(REFUND_AFTER_DAYS)).date()
    assert (
        "Nous vous rembourserons 30,00 € par virement sur le compte prélevé, "
        f"à partir du {due:%d/%m/%Y}, une fois le prélèvement SEPA encaissé. Si "
        "votre banque rejette ce prélèvement, aucun virement ne sera fait"
    ) in body
    assert "Nous vous remboursons" not in body

    # Not before the debit is collected: nothing is written, nothing filed.
    # (Other tests' refunds may be due on this platform: only ours is looked at.)
    end_to_end = number.replace("-", "")
    early = pmc("sepa-transfers", _today())
    assert early.returncode in (0, 1), early.stderr
    assert end_to_end not in early.stdout

    travelled = timedelta(days=REFUND_AFTER_DAYS)
    travel(travelled)
    day = _today(travelled)
    written = wait_for(
        lambda: (r := pmc("sepa-transfers", day)).returncode == 0 and r, 30
    )
    mine = [t for t in transfers(written.stdout) if t[0] == end_to_end]
    checkout = billing.repository.get(refund.checkout_id)
    invoice = invoice_number(checkout.invoice_number, checkout.paid_at)
    remittance = f"Passer mon code, avoir {number} (facture {invoice})"
    assert mine == [(end_to_end, "30.00", IBAN, remittance)]
    assert "remboursement(s) à virer." in written.stderr
    # The same day again: the same file; the next day: not again.
    assert pmc("sepa-transfers", day).stdout == written.stdout
    travel(timedelta(days=1))
    after = pmc("sepa-transfers", _today(travelled + timedelta(days=1)))
    assert after.returncode in (0, 1) and end_to_end not in after.stdout
    assert billing.repository.get(refund.id).version == 1
    assert (
        len(
            [
                m
                for m in mails_to(mail_folder, school["email"])
                if m["Subject"] == subject
            ]
        )
        == 1
    )


def _withheld_event(billing, refund_id: UUID) -> tuple[int, object]:
    """The stored `Refund.Withheld` and its position in billing's log."""
    topic = get_topic(Refund.Withheld)
    for notification in billing.recorder.select_notifications(
        start=1, limit=100_000, topics=[topic]
    ):
        if notification.originator_id == refund_id:
            return notification.id, billing.mapper.to_domain_event(notification)
    raise AssertionError("no withheld refund stored")


def test_a_refund_whose_debit_came_back_is_withheld_and_the_school_told_once(
    gateway,
    new_school,
    scheduling,
    candidates,
    mail_folder,
    billing,
    settings,
    pmc,
    travel,
    tmp_path,
):
    school = new_school()
    cancelled_line, _ = _paid_by_sepa(
        gateway, school, scheduling, candidates, first=7790
    )
    # What the reservations page reads to say how a cancellation is refunded.
    assert _rows(gateway, school)[cancelled_line]["payment_method"] == "sepa"
    done = _cancel(gateway, school, cancelled_line)
    assert done.status_code == 200, done.text
    refund = wait_for(lambda: _refund(billing, cancelled_line), 30)
    number = credit_note_number(refund.credit_note_number, refund.refunded_at)
    # Its history says the money is to come, not that it came.
    steps = wait_for(
        lambda: [
            s["step"]
            for s in requests.get(
                f"{gateway}/api/reservations/{cancelled_line}",
                headers=school["headers"],
            ).json()["history"]
            if "avoir" in s["step"]
        ],
        30,
    )
    assert steps == [
        "Remboursement de 30,00 € à virer sur le compte prélevé une fois le "
        f"prélèvement encaissé, facture d'avoir n° {number}"
    ]

    # The bank returns the debit before the refund's transfer file.
    (payment,) = wait_for(
        lambda: [p for p in _payments(gateway, school) if p["status"] == "payé"], 30
    )
    end_to_end, mandate = _debit_in_bank_file(pmc, payment["invoice_number"])
    returned = camt054([Return(end_to_end, "AM04", mandate, "60.00")])
    imported = _import(pmc, tmp_path, "camt054.xml", returned)
    assert imported.returncode == 0, imported.stderr

    subject = f"Remboursement non versé : avoir n° {number}"

    def withheld_mails() -> list:
        return [
            m for m in mails_to(mail_folder, school["email"]) if m["Subject"] == subject
        ]

    told = wait_for(withheld_mails, 30)
    body = one_line(told[0].get_body(preferencelist=("plain",)).get_content())
    invoice = f"F{end_to_end[1:5]}-{end_to_end[5:]}"
    assert (
        "Aucun virement ne sera fait : votre banque a rejeté le prélèvement de la "
        f"facture n° {invoice}, motif : provision insuffisante (code AM04)."
    ) in body
    assert "30,00 €" in body

    # The same return file again, and the event delivered three more times:
    # nothing withheld again, nothing sent again.
    again = _import(pmc, tmp_path, "camt054-bis.xml", returned)
    assert "déjà enregistré" in again.stdout, again.stdout
    position, event = _withheld_event(billing, refund.id)
    payload = RETURNS_PUBLISHED[Refund.Withheld].translate(event, billing)
    publish_event(
        settings.amqp_uri,
        "billing",
        contracts.RefundWithheld,
        dict(payload),
        position=position,
        times=3,
        keystore=billing.keystore,
    )

    # The day it would have been due, it is not transferred, and said why.
    travelled = timedelta(days=REFUND_AFTER_DAYS + 3)
    travel(travelled)
    transfers_day = pmc("sepa-transfers", _today(travelled))
    assert transfers_day.returncode in (0, 1), transfers_day.stderr
    assert number.replace("-", "") not in transfers_day.stdout
    assert number in transfers_day.stderr and "impayé" in transfers_day.stderr
    assert billing.repository.get(refund.id).version == 2  # issued, withheld
    assert len(withheld_mails()) == 1


def test_a_day_to_come_or_without_refunds_writes_nothing(pmc):
    """(Malformed days are refused before anything is read: test_inputs.py.)"""
    tomorrow = (datetime.now(UTC).astimezone(PARIS) + timedelta(days=1)).date()
    refused = pmc("sepa-transfers", tomorrow.isoformat())
    assert refused.returncode == 2 and not refused.stdout
    assert f"Le {tomorrow:%d/%m/%Y} est à venir" in refused.stderr
    empty = pmc("sepa-transfers", "2024-02-29")
    assert empty.returncode == 1 and not empty.stdout
    assert "Aucun remboursement SEPA à virer au 29/02/2024." in empty.stderr
