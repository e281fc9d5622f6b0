"""Card checkouts on the real PostgreSQL: charged once, invoices without gaps."""

from __future__ import annotations

import secrets
from datetime import timedelta
from uuid import uuid4

import eventlet
import pytest

from services.billing.application import BillingApplication, EmptyCart
from services.billing.domain import (
    CAPTURED,
    DECLINED,
    STARTED,
    Checkout,
    CheckoutError,
)
from services.billing.invoices import PARIS
from services.billing.projections import READ_MODELS
from services.billing.provider import (
    APPROVED_TOKEN,
    DECLINED_TOKEN,
    PROVIDER_FAILURE_TOKEN,
    ProviderError,
    SimulatedCardProvider,
)
from services.billing.sepa import InvalidBankDetails
from services.common.idempotency import IdempotencyConflict


@pytest.fixture
def provider() -> SimulatedCardProvider:
    return SimulatedCardProvider()


@pytest.fixture
def billing(settings, provider):
    app = BillingApplication(settings=settings, provider=provider)
    yield app
    app.close()


def cart(size: int = 2) -> list[dict]:
    return [
        {
            "id": str(uuid4()),
            "candidate_name": f"Candidat {n}",
            "neph": f"{n:012d}",
            "exam_starts_at": "2026-12-01T09:00:00+01:00",
            "centre_name": "Centre d'examen de Lyon",
        }
        for n in range(size)
    ]


def test_a_retried_checkout_charges_once(billing, provider):
    school, key, lines = f"ecole-{secrets.token_hex(3)}", "cle-1", cart(3)
    first = billing.pay_by_card(school, key, lines, APPROVED_TOKEN)
    again = billing.pay_by_card(school, key, lines, APPROVED_TOKEN)
    assert first["status"] == CAPTURED
    assert first["amount_cents"] == 9000  # 3 seats at 30 €
    assert again == first
    assert provider.captures == 1
    assert provider.captured_cents == 9000


def test_a_declined_card_charges_nothing(billing, provider):
    declined = billing.pay_by_card("ecole-x", f"k-{uuid4()}", cart(), DECLINED_TOKEN)
    assert declined["status"] == DECLINED
    assert declined["reason"] == "carte refusée"
    assert declined["invoice_number"] is None
    assert provider.captures == 0


class OutageOnce(SimulatedCardProvider):
    """The provider's test mode, away for the first authorisation only."""

    def __init__(self) -> None:
        super().__init__()
        self.away = True

    def authorise(self, amount_cents: int, card_token: str, idempotency_key: str):
        if self.away:
            self.away = False
            raise ProviderError("le prestataire de paiement ne répond pas")
        return super().authorise(amount_cents, card_token, idempotency_key)


def test_a_provider_outage_leaves_the_checkout_to_be_finished_by_a_retry(settings):
    provider = OutageOnce()
    billing = BillingApplication(settings=settings, provider=provider)
    school, key, lines = "ecole-y", f"k-{uuid4()}", cart()
    assert billing.pay_by_card(school, key, lines, APPROVED_TOKEN)["status"] == STARTED
    assert billing.repository.get(Checkout.create_id(school, key)).status == STARTED
    assert billing.pay_by_card(school, key, lines, APPROVED_TOKEN)["status"] == CAPTURED
    assert provider.captures == 1
    billing.close()


def test_the_same_key_with_another_card_is_refused(billing, provider):
    school, key, lines = "ecole-cle", f"k-{uuid4()}", cart()
    assert billing.pay_by_card(school, key, lines, PROVIDER_FAILURE_TOKEN)[
        "status"
    ] == (STARTED)
    with pytest.raises(IdempotencyConflict):
        billing.pay_by_card(school, key, lines, APPROVED_TOKEN)
    assert provider.captures == 0


def test_an_empty_cart_is_refused(billing):
    with pytest.raises(EmptyCart):
        billing.pay_by_card("ecole-z", f"k-{uuid4()}", [], APPROVED_TOKEN)


def test_50_concurrent_checkouts_get_one_gapless_sequence_of_invoices(billing):
    pool = eventlet.GreenPool(50)
    results = list(
        pool.imap(
            lambda n: billing.pay_by_card(
                f"ecole-{n}", f"k-{uuid4()}", cart(1), APPROVED_TOKEN
            ),
            range(50),
        )
    )
    numbers = sorted(r["invoice_number"] for r in results)
    assert len(set(numbers)) == 50
    assert numbers == list(range(numbers[0], numbers[0] + 50))


SEPA = {
    "iban": "FR14 2004 1010 0505 0001 3M02 606",
    "bic": "PSSTFRPPLIL",
    "holder": "Auto-école du Centre",
}


def test_sepa_checks_bank_details_field_by_field(billing):
    with pytest.raises(InvalidBankDetails) as error:
        billing.pay_by_sepa(
            "ecole-s",
            f"k-{uuid4()}",
            cart(),
            {"iban": "FR14 2004 1010 0505 0001 3M02 607", "bic": "XX", "holder": " "},
        )
    assert set(error.value.fields) == {"iban", "bic", "holder"}
    with pytest.raises(InvalidBankDetails) as error:
        billing.pay_by_sepa(
            "ecole-s", f"k-{uuid4()}", cart(), {**SEPA, "bic": "AGRIFRPP"}
        )
    assert error.value.fields["bic"] == [
        "Ce BIC ne correspond pas à la banque de l'IBAN."
    ]


def test_a_sepa_payment_has_a_mandate_and_goes_into_a_valid_pain008(billing):
    school = f"ecole-{secrets.token_hex(3)}"
    paid = billing.pay_by_sepa(school, "cle-sepa", cart(2), SEPA)
    assert paid["status"] == CAPTURED
    checkout = billing.repository.get(Checkout.create_id(school, "cle-sepa"))
    assert checkout.mandate["reference"].startswith("PMC-")
    # The IBAN and holder are sealed with the school's key, not in the checkout.
    assert "iban" not in checkout.mandate and "holder" not in checkout.mandate
    day = checkout.paid_at.astimezone(PARIS).date()
    # The read model follows the log in the service; here, project it directly.
    follower = READ_MODELS["payment_list"].follower(billing)
    billing.views["payment_list"] = follower.view
    follower.run_until_caught_up()
    follower.release()
    xml = billing.sepa_file(day)  # validated against pain.008.001.02 on export
    assert b"urn:iso:std:iso:20022:tech:xsd:pain.008.001.02" in xml
    assert checkout.mandate["reference"].encode() in xml
    assert b"<IBAN>FR1420041010050500013M02606</IBAN>" in xml
    assert b'<InstdAmt Ccy="EUR">60.00</InstdAmt>' in xml


def test_the_same_lines_are_never_charged_under_two_keys(billing, provider):
    school, lines = "ecole-deux-onglets", cart(2)
    first = billing.pay_by_card(school, f"k-{uuid4()}", lines, DECLINED_TOKEN)
    assert first["status"] == DECLINED  # declined: the lines are free again
    assert billing.pay_by_card(school, f"k-{uuid4()}", lines, APPROVED_TOKEN)[
        "status"
    ] == (CAPTURED)
    with pytest.raises(CheckoutError, match="déjà payées"):
        billing.pay_by_card(school, f"k-{uuid4()}", lines, APPROVED_TOKEN)
    assert provider.captures == 1


def test_a_key_stays_with_its_means_of_payment(billing):
    school, key, lines = "ecole-moyen", f"k-{uuid4()}", cart(1)
    billing.pay_by_card(school, key, lines, APPROVED_TOKEN)
    with pytest.raises(CheckoutError, match="autre moyen de paiement"):
        billing.pay_by_sepa(school, key, lines, SEPA)


def test_expired_lines_are_not_charged(billing, provider):
    line = {**cart(1)[0], "expires_at": "2020-01-01T00:00:00+00:00"}
    with pytest.raises(CheckoutError, match="expiré"):
        billing.pay_by_card("ecole-tard", f"k-{uuid4()}", [line], APPROVED_TOKEN)
    # Nor one that would expire before booking confirms it.
    soon = billing.clock.now() + timedelta(seconds=30)
    line = {**cart(1)[0], "expires_at": soon.isoformat()}
    with pytest.raises(CheckoutError, match="moins d'une minute : rien n'a été"):
        billing.pay_by_card("ecole-tard", f"k-{uuid4()}", [line], APPROVED_TOKEN)
    assert provider.captures == 0
    later = billing.clock.now() + timedelta(minutes=2)
    line = {**cart(1)[0], "expires_at": later.isoformat()}
    paid = billing.pay_by_card("ecole-tard", f"k-{uuid4()}", [line], APPROVED_TOKEN)
    assert paid["status"] == "payé"


@pytest.mark.parametrize(
    ("key", "card", "field"),
    [
        ("cle\x00", APPROVED_TOKEN, "cle"),
        ("k" * 10_000, APPROVED_TOKEN, "cle"),
        # A card number is no token: the platform takes tokens only.
        ("cle-ok", "4242 4242 4242 4242", "jeton"),
        ("cle-ok", "tok_４２４２", "jeton"),
        ("cle-ok", "tok_\u202e4242", "jeton"),
        ("cle-ok", "t" * 256, "jeton"),
        ("cle-ok", "", "jeton"),
    ],
)
def test_a_payment_reached_without_the_gateway_refuses_what_it_would(
    billing, provider, key, card, field
):
    """Defence in depth (TR-1): no event may keep a NUL or an over-long key."""
    from services.common.inputs import InvalidFields

    school = f"ecole-{secrets.token_hex(3)}"
    before = billing.recorder.max_notification_id()
    with pytest.raises(InvalidFields) as refused:
        billing.pay_by_card(school, key, cart(1), card)
    assert field in refused.value.fields
    assert provider.captures == 0
    assert billing.recorder.max_notification_id() == before
