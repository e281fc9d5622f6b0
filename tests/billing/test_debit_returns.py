"""Returned SEPA debits on the real PostgreSQL: applied once, to the right
payment only; the school pays by card until the back office lifts it."""

from __future__ import annotations

import secrets
from uuid import UUID

import eventlet
import pytest

from services.billing.application import BillingApplication
from services.billing.debit_returns import ALREADY, APPLIED, MISMATCH, UNKNOWN
from services.billing.domain import CAPTURED, UNPAID, Checkout, CheckoutError
from services.billing.invoices import PARIS, invoice_number
from services.billing.projections import READ_MODELS
from services.billing.provider import APPROVED_TOKEN, SimulatedCardProvider
from services.billing.standing import CARD_ONLY
from tests.billing.test_checkout import SEPA, cart
from tests.sepa_files import Return, camt054, pain002


@pytest.fixture
def billing(settings):
    app = BillingApplication(settings=settings, provider=SimulatedCardProvider())
    follower = READ_MODELS["payment_list"].follower(app)
    app.views["payment_list"] = follower.view
    app.follower = follower  # the service's follower, run by hand here
    yield app
    follower.release()
    app.close()


def _paid_by_sepa(billing, school: str, seats: int = 2) -> Checkout:
    paid = billing.pay_by_sepa(school, f"cle-{secrets.token_hex(4)}", cart(seats), SEPA)
    billing.follower.run_until_caught_up()
    return billing.repository.get(UUID(paid["id"]))


def _e2e(checkout: Checkout) -> str:
    return invoice_number(checkout.invoice_number, checkout.paid_at).replace("-", "")


def _outcomes(report: dict) -> list[str]:
    return [line["outcome"] for line in report["lines"]]


def test_a_returned_debit_makes_the_payment_unpaid_once(billing):
    school = f"ecole-{secrets.token_hex(3)}"
    checkout = _paid_by_sepa(billing, school)
    file = camt054(
        [Return(_e2e(checkout), "AM04", checkout.mandate["reference"], "60.00")],
        credits=1,
    )
    report = billing.import_returns(file)
    assert report["kind"] == "camt.054" and report["ignored"] == 1
    assert _outcomes(report) == [APPLIED]
    returned = billing.repository.get(checkout.id)
    assert returned.status == UNPAID
    assert returned.reason == "provision insuffisante (AM04)"
    billing.follower.run_until_caught_up()
    (row,) = billing.payments(school)
    assert row["status"] == "impayé"
    assert row["reason"] == "provision insuffisante (AM04)"

    # The same file, or the same return as a pain.002: nothing more.
    assert _outcomes(billing.import_returns(file)) == [ALREADY]
    again = pain002([Return(_e2e(checkout), "MS02")])
    assert _outcomes(billing.import_returns(again)) == [ALREADY]
    history = billing.repository.get(checkout.id).version
    assert history == returned.version
    # Not exported again in the day's file for the bank.
    day = checkout.paid_at.astimezone(PARIS).date()
    exported = billing.views["payment_list"].sepa_paid_on(day)
    assert str(checkout.id) not in [r["id"] for r in exported]


def test_after_a_return_the_school_pays_by_card_until_the_back_office_lifts_it(
    billing,
):
    school = f"ecole-{secrets.token_hex(3)}"
    checkout = _paid_by_sepa(billing, school)
    billing.import_returns(pain002([Return(_e2e(checkout), "AC04")]))
    with pytest.raises(CheckoutError) as refused:
        billing.pay_by_sepa(school, "cle-apres", cart(1), SEPA)
    assert str(refused.value) == CARD_ONLY
    card = billing.pay_by_card(school, "cle-carte", cart(1), APPROVED_TOKEN)
    assert card["status"] == CAPTURED
    # A card payment does not reopen SEPA by itself; the back office does.
    with pytest.raises(CheckoutError, match="carte bancaire"):
        billing.pay_by_sepa(school, "cle-apres", cart(1), SEPA)
    assert billing.lift_sepa_restriction(school, "réglé par virement") == [
        str(checkout.id)
    ]
    assert billing.lift_sepa_restriction(school, "deux fois") == []
    assert billing.pay_by_sepa(school, "cle-apres", cart(1), SEPA)["status"] == (
        CAPTURED
    )
    # Another school was never limited.
    other = f"ecole-{secrets.token_hex(3)}"
    assert billing.pay_by_sepa(other, "cle", cart(1), SEPA)["status"] == CAPTURED


def test_the_restriction_is_a_setting(settings):
    app = BillingApplication(
        settings=settings.model_copy(update={"sepa_card_only_after_return": False}),
        provider=SimulatedCardProvider(),
    )
    follower = READ_MODELS["payment_list"].follower(app)
    app.views["payment_list"] = follower.view
    app.follower = follower
    try:
        school = f"ecole-{secrets.token_hex(3)}"
        checkout = _paid_by_sepa(app, school)
        app.import_returns(pain002([Return(_e2e(checkout), "AC04")]))
        assert app.pay_by_sepa(school, "cle-2", cart(1), SEPA)["status"] == CAPTURED
    finally:
        follower.release()
        app.close()


def test_lines_naming_no_payment_or_another_payment_are_reported_not_applied(
    billing,
):
    school, other = (f"ecole-{secrets.token_hex(3)}" for _ in range(2))
    mine = _paid_by_sepa(billing, school)
    theirs = _paid_by_sepa(billing, other, seats=1)
    card = billing.pay_by_card(school, "cle-c", cart(1), APPROVED_TOKEN)
    billing.follower.run_until_caught_up()
    by_card = billing.repository.get(UUID(card["id"]))
    report = billing.import_returns(
        pain002(
            [
                Return("F2026999999"),  # no such invoice
                Return("NOT-OURS-42"),
                # My invoice with the other school's mandate reference.
                Return(_e2e(mine), mandate_reference=theirs.mandate["reference"]),
                Return(_e2e(mine), amount="30.00"),  # not what was debited
                Return(_e2e(by_card)),  # paid by card: no debit to return
            ]
        )
    )
    assert _outcomes(report) == [UNKNOWN, UNKNOWN, MISMATCH, MISMATCH, MISMATCH]
    details = [line["detail"] for line in report["lines"]]
    assert details[2] == "la référence de mandat est celle d'un autre paiement"
    assert details[3] == "le montant retourné diffère du montant prélevé"
    assert details[4] == "ce paiement n'est pas un prélèvement SEPA"
    for checkout in (mine, theirs, by_card):
        assert billing.repository.get(checkout.id).status == CAPTURED
    # Nobody was limited to card payments.
    billing.pay_by_sepa(school, "cle-s", cart(1), SEPA)
    billing.pay_by_sepa(other, "cle-s", cart(1), SEPA)


def test_a_malformed_file_applies_none_of_its_good_lines(billing):
    from services.billing.returns import ReturnFileRefused

    school = f"ecole-{secrets.token_hex(3)}"
    checkout = _paid_by_sepa(billing, school)
    content = pain002([Return(_e2e(checkout)), Return("F2026000001", "bad")])
    with pytest.raises(ReturnFileRefused):
        billing.import_returns(content)
    assert billing.repository.get(checkout.id).status == CAPTURED


def test_two_imports_of_the_same_file_at_once_apply_it_once(billing, settings):
    school = f"ecole-{secrets.token_hex(3)}"
    checkout = _paid_by_sepa(billing, school)
    file = pain002([Return(_e2e(checkout), "AM04")])
    second = BillingApplication(settings=settings, provider=SimulatedCardProvider())
    second.views["payment_list"] = billing.views["payment_list"]
    try:
        both = [eventlet.spawn(app.import_returns, file) for app in (billing, second)]
        outcomes = sorted(_outcomes(job.wait())[0] for job in both)
    finally:
        second.close()
    assert outcomes == sorted([APPLIED, ALREADY])
    history = [type(e).__qualname__ for e in billing.events.get(checkout.id)]
    assert history.count("Checkout.DebitReturned") == 1
    assert billing.repository.get(checkout.id).status == UNPAID
