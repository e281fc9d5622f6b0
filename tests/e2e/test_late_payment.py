"""A payment that lands after its lines left the cart, against the real
stack: checked while the seats were held, charged once they had expired (the
one moment between the check and the confirmation). No seat is taken, the
payment is refunded in full with a credit note per line, and the school is
told why; the answer to a payment never says « effectives » for a line that
could expire before it is confirmed."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import requests

from services.billing.application import BillingApplication
from services.billing.provider import APPROVED_TOKEN
from tests.e2e.test_checkout_api import _cart_of_two, _pay, _statuses, payments_of
from tests.helpers import mails_to, one_line, pdf_text, wait_for

NOT_BOOKED = "Place non réservée, paiement remboursé"


def test_lines_expired_before_their_payment_are_refunded_and_the_school_told(
    gateway, new_school, scheduling, candidates, settings, travel, mail_folder
):
    school = new_school()
    ids = _cart_of_two(gateway, school, scheduling, candidates, first=47000)
    cart = requests.get(f"{gateway}/api/panier", headers=school["headers"]).json()
    # As billing read them when it checked the cart: still held.
    checked = [
        {k: v for k, v in line.items() if k != "expires_at"} for line in cart["items"]
    ]

    # A few seconds before the end of the holds, the platform refuses to
    # charge them: they could expire before booking confirms them.
    travel(timedelta(minutes=29, seconds=30))
    late = _pay(gateway, school, f"tard-{uuid4()}")
    assert late.status_code == 409, late.text
    assert "moins d'une minute : rien n'a été débité" in late.json()["message"]
    assert "effectives" not in late.text

    travel(timedelta(minutes=1))
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"expirée"})
    billing = BillingApplication(settings=settings)
    try:
        paid = billing.pay_by_card(
            school["account"]["account_id"], f"k-{uuid4()}", checked, APPROVED_TOKEN
        )
    finally:
        billing.close()
    assert paid["status"] == "payé"

    # Booking gives both lines back: no seat, a full refund, a credit note each.
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"annulée"}, 30)
    for reservation_id in ids:
        note = wait_for(
            lambda r=reservation_id: _credit_note(gateway, school, r), timeout=30
        )
        text = one_line(pdf_text(note.content))
        assert "30,00 €" in text, text
        steps = requests.get(
            f"{gateway}/api/reservations/{reservation_id}", headers=school["headers"]
        ).json()["history"]
        assert [s["by"] for s in steps if s["step"].startswith("Annulée")] == [
            "plateforme"
        ]
    wait_for(lambda: len(_not_booked(mail_folder, school)) == 2, timeout=30)
    told = _not_booked(mail_folder, school)
    assert "remboursé en totalité (30,00 €)" in one_line(told[0].get_content())
    assert [p["status"] for p in payments_of(gateway, school)] == ["payé"]
    # The seats went back to the session: another school can take them.
    assert (
        requests.get(f"{gateway}/api/panier", headers=school["headers"]).json()["items"]
        == []
    )


def _credit_note(gateway, school, reservation_id: str) -> requests.Response | None:
    answer = requests.get(
        f"{gateway}/api/reservations/{reservation_id}/avoir", headers=school["headers"]
    )
    return answer if answer.ok else None


def _not_booked(mail_folder, school) -> list:
    return [
        m
        for m in mails_to(mail_folder, school["email"])
        if m["Subject"].startswith(NOT_BOOKED)
    ]
