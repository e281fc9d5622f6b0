"""The invoice as a school receives it (BI-3): a line table with prices before
tax, VAT and totals, « acquittée », and the seller's legal identity."""

from __future__ import annotations

import json
import re
import secrets

import pytest

from services.billing.application import BillingApplication
from services.billing.domain import Checkout
from services.billing.provider import APPROVED_TOKEN, SimulatedCardProvider
from services.common import contracts
from services.common.company import Company
from services.common.sealing import open_message
from tests.billing.test_checkout import cart
from tests.helpers import one_line, pdf_text

BUYER = {
    "company_name": "Auto-école du Centre",
    "siret": "73282932000074",
    "address": {
        "street": "12 rue de la République",
        "postal_code": "69001",
        "city": "Lyon",
    },
    "email": "ecole@example.fr",
}


@pytest.fixture
def billing(settings):
    app = BillingApplication(settings=settings, provider=SimulatedCardProvider())
    yield app
    app.close()


def _paid(billing: BillingApplication) -> dict:
    school = f"ecole-{secrets.token_hex(3)}"
    return billing.pay_by_card(school, "cle", cart(2), APPROVED_TOKEN, buyer=BUYER) | {
        "school": school
    }


def test_the_invoice_lists_each_seat_before_tax_and_says_it_is_paid(billing):
    paid = _paid(billing)
    text = one_line(pdf_text(billing.invoice_pdf(paid["school"], paid["id"])))
    for heading in ("Désignation", "Qté", "Prix unitaire HT", "TVA", "Montant HT"):
        assert heading in text
    # 30 € all taxes included at 20 %: 25 € before tax, twice.
    assert len(re.findall(r"1 25,00 € 20 % 25,00 €", text)) == 2, text
    assert "Candidat 0 (NEPH 000000000000)" in text
    assert "Candidat 1 (NEPH 000000000001)" in text
    assert "Total HT : 50,00 €" in text
    assert "TVA 20 % : 10,00 €" in text
    assert "Total TTC : 60,00 €" in text
    assert re.search(r"Facture acquittée le \d{2}/\d{2}/\d{4} par carte bancaire", text)
    seller = Company()
    assert f"SA au capital de {seller.capital}" in text
    assert seller.rcs in text and f"SIRET {seller.siret}" in text
    assert seller.street in text
    assert "Auto-école du Centre" in text and "SIRET 73282932000074" in text
    assert "indemnité forfaitaire de 40 €" in text
    assert "Nature de l'opération : prestation de services" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)


def test_the_seller_comes_from_settings(settings):

    company = Company.from_env(
        {"PMC_SELLER_LEGAL_FORM": "SAS", "PMC_SELLER_CAPITAL": "10 000 €"}
    )
    app = BillingApplication(
        settings=settings.replace(company=company), provider=SimulatedCardProvider()
    )
    try:
        paid = _paid(app)
        text = one_line(pdf_text(app.invoice_pdf(paid["school"], paid["id"])))
    finally:
        app.close()
    assert "SAS au capital de 10 000 €" in text


def test_payment_captured_carries_the_invoice_as_issued(billing):
    paid = _paid(billing)
    (captured,) = [
        e
        for e in billing.aggregate_history(paid["id"])
        if isinstance(e, Checkout.Captured)
    ]
    body = billing.published[Checkout.Captured].dump(captured, billing)
    # On the bus the invoice travels sealed with the school's key.
    assert "Candidat 0" not in json.dumps(body)
    opened, erased = open_message(contracts.PaymentCaptured, body, billing.keystore)
    assert not erased
    loaded = contracts.PaymentCaptured().load(opened)
    invoice = loaded["invoice"]
    assert invoice["number"].endswith(f"{paid['invoice_number']:06d}")
    assert [line["candidate_name"] for line in invoice["lines"]] == [
        "Candidat 0",
        "Candidat 1",
    ]
    assert invoice["total_cents"] == 6000 and invoice["vat_cents"] == 1000
