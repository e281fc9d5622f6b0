"""Billing keeps nobody's data in clear (issue 11), on the real PostgreSQL:
names, NEPHs, the buyer, IBANs and holders are sealed in its events; the
invoice, the bank's file and the bus still say what they must; checkouts
written in clear before this still load."""

from __future__ import annotations

import json
import random
import secrets
import string
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from schwifty import IBAN

from services.billing.application import BillingApplication
from services.billing.domain import CAPTURED, CARD, DECLINED, SEPA, Checkout
from services.billing.invoices import PARIS, invoice
from services.billing.projections import READ_MODELS
from services.billing.provider import (
    APPROVED_TOKEN,
    DECLINED_TOKEN,
    SimulatedCardProvider,
)
from services.billing.sealed import Opened, SealedDataLost, open_checkout
from services.common import contracts
from services.common.sealing import open_message
from tests.billing.test_invoice import BUYER
from tests.e2e.test_erasure import where_found
from tests.helpers import one_line, pdf_text

# Stored before sealing: the new fields absent from the stored state.
SEALED_FIELDS = ("school_sealed", "lines_sealed", "invoice_sealed")


@pytest.fixture
def billing(settings):
    app = BillingApplication(settings=settings, provider=SimulatedCardProvider())
    yield app
    app.close()


def marker() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=12)).capitalize()


def unique_iban() -> str:
    account = f"{random.randrange(10**11):011d}"
    return IBAN.generate("FR", bank_code="2004101005", account_code=account).compact


def marked_cart(name: str, size: int = 2) -> list[dict]:
    return [
        {
            "id": str(uuid4()),
            "candidate_name": f"Alix {name}{n}",
            "neph": f"{random.randrange(10**12):012d}",
            "exam_starts_at": "2026-12-01T09:00:00+01:00",
            "centre_name": "Centre d'examen de Lyon",
        }
        for n in range(size)
    ]


def billing_tables_with(settings, traces: list[str]) -> set[str]:
    return {t for s, t in where_found(settings, traces) if s == "billing"}


def caught_up(billing: BillingApplication) -> None:
    # The read model follows the log in the service; here, project it directly.
    follower = READ_MODELS["payment_list"].follower(billing)
    billing.views["payment_list"] = follower.view
    follower.run_until_caught_up()
    follower.release()


def test_checkouts_keep_no_name_nephs_buyer_nor_iban_in_clear(billing, settings):
    name, holder, iban = marker(), marker(), unique_iban()
    school = f"ecole-{secrets.token_hex(3)}"
    buyer = {**BUYER, "company_name": f"Auto-école {name}", "email": f"{name}@ex.fr"}
    card_cart, sepa_cart = marked_cart(name), marked_cart(name, 1)
    neph = card_cart[0]["neph"]
    by_card = billing.pay_by_card(school, "carte", card_cart, APPROVED_TOKEN, buyer)
    bank = {"iban": iban, "bic": "PSSTFRPPLIL", "holder": f"Mme {holder}"}
    by_sepa = billing.pay_by_sepa(school, "sepa", sepa_cart, bank, buyer)
    assert by_card["status"] == by_sepa["status"] == CAPTURED
    caught_up(billing)

    # Nothing of it in clear in any table of billing's schema.
    assert billing_tables_with(settings, [name, holder, iban, neph]) == set()
    # The invoice still names the candidates it was issued for (name and NEPH
    # checked apart: a wide random name wraps in its table cell).
    text = one_line(pdf_text(billing.invoice_pdf(school, by_card["id"])))
    assert f"{name}0" in text and neph in text
    assert f"Auto-école {name}" in text
    # The bank's file still has the account to debit, and its holder.
    paid_on = billing.repository.get(Checkout.create_id(school, "sepa")).paid_at
    xml = billing.sepa_file(paid_on.astimezone(PARIS).date()).decode()
    assert f"<IBAN>{iban}</IBAN>" in xml and f"Mme {holder}" in xml
    # The school's list of payments.
    listed = {p["id"]: p["status"] for p in billing.payments(school)}
    assert listed == {by_card["id"]: CAPTURED, by_sepa["id"]: CAPTURED}


def test_a_checkout_ended_unpaid_forgets_who_its_lines_were_for(billing):
    school, name = f"ecole-{secrets.token_hex(3)}", marker()
    lines = marked_cart(name)
    declined = billing.pay_by_card(school, "k", lines, DECLINED_TOKEN)
    assert declined["status"] == DECLINED
    checkout = billing.repository.get(Checkout.create_id(school, "k"))
    with pytest.raises(SealedDataLost):
        open_checkout(billing.vault, checkout)
    # The same seats can be paid for under another key: named again there.
    paid = billing.pay_by_card(school, "k2", lines, APPROVED_TOKEN, BUYER)
    text = one_line(pdf_text(billing.invoice_pdf(school, paid["id"])))
    assert f"Alix {name}1" in text


def _stored_in_clear(
    billing: BillingApplication,
    school: str,
    lines: list[dict],
    mandate: dict | None = None,
    with_invoice: bool = True,
) -> Checkout:
    """A paid checkout as billing stored it before sealing: in clear."""
    now = datetime.now(UTC)
    checkout = Checkout(
        school_id=school,
        idempotency_key=f"avant-{uuid4()}",
        method=SEPA if mandate else CARD,
        reservation_ids=sorted(line["id"] for line in lines),
        unit_price_cents=3000,
        amount_cents=3000 * len(lines),
        vat_rate_percent=20.0,
        buyer=BUYER,
        lines=lines,
        mandate=mandate,
        started_at=now,
    )
    number = random.randrange(10**5, 10**6)
    issued = invoice(
        checkout, Opened(BUYER, lines, mandate), number, now, billing.settings.company
    )
    checkout.trigger_event(
        Checkout.Captured,
        capture_id=f"cap-{uuid4()}",
        invoice_number=number,
        captured_at=now,
        school_id=school,
        reservation_ids=checkout.reservation_ids,
        amount_cents=checkout.amount_cents,
        school_email=BUYER["email"],
        invoice=issued if with_invoice else None,
    )
    events = checkout.collect_events()
    for e in events:
        for field in SEALED_FIELDS:
            e.__dict__.pop(field, None)
        if not with_invoice:
            e.__dict__.pop("invoice", None)
    billing.recorder.insert_events([billing.mapper.to_stored_event(e) for e in events])
    return checkout


def test_checkouts_stored_in_clear_before_sealing_still_load(billing, settings):
    school, name, iban = f"ecole-{secrets.token_hex(3)}", marker(), unique_iban()
    card = _stored_in_clear(billing, school, marked_cart(name))
    mandate = {
        "iban": iban,
        "bic": "PSSTFRPP",
        "holder": f"M {name}",
        "reference": f"PMC-{secrets.token_hex(8).upper()}",
        "signed_on": datetime.now(PARIS).date().isoformat(),
    }
    # Paid before invoices were kept: issued again from its figures.
    sepa = _stored_in_clear(billing, school, marked_cart(name, 1), mandate, False)
    # The dump does see data in clear where there is some.
    assert billing_tables_with(settings, [name]) == {"billing_events"}

    text = one_line(pdf_text(billing.invoice_pdf(school, card.id)))
    assert f"Alix {name}0" in text and f"Alix {name}1" in text
    text = one_line(pdf_text(billing.invoice_pdf(school, sepa.id)))
    assert f"Alix {name}0" in text
    caught_up(billing)
    xml = billing.sepa_file(datetime.now(PARIS).date()).decode()
    assert f"<IBAN>{iban}</IBAN>" in xml and f"M {name}" in xml
    (captured,) = [
        e
        for e in billing.aggregate_history(card.id)
        if isinstance(e, Checkout.Captured)
    ]
    body = billing.published[Checkout.Captured].dump(captured, billing)
    assert name not in json.dumps(body)  # sealed for the bus all the same
    opened, _ = open_message(contracts.PaymentCaptured, body, billing.keystore)
    loaded = contracts.PaymentCaptured().load(opened)
    assert loaded["school_email"] == BUYER["email"]
    assert loaded["invoice"]["lines"][0]["candidate_name"] == f"Alix {name}0"
