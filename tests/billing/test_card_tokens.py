"""Card tokens: the simulator's hosted fields turn a card number into a token
that keeps how the card behaves, never its number; billing charges tokens
only, and an unknown one is declined in French with nothing charged."""

from __future__ import annotations

import json
import secrets
from uuid import uuid4

import pytest
from werkzeug.test import Client

from services.billing.application import BillingApplication
from services.billing.domain import CAPTURED, DECLINED
from services.billing.hosted_fields import HostedFields
from services.billing.provider import (
    APPROVED,
    INSUFFICIENT_FUNDS,
    PROVIDER_FAILURE,
    InvalidCardNumber,
)
from services.billing.provider import DECLINED as DECLINED_CARD
from services.common.db import connect
from tests.billing.test_checkout import cart


@pytest.fixture
def billing(settings):
    """Billing as it runs: the provider its settings name (the simulator, its
    ledger in PostgreSQL)."""
    app = BillingApplication(settings=settings)
    yield app
    app.close()


@pytest.fixture
def hosted(billing) -> Client:
    return Client(HostedFields(billing.provider))


def _pay(billing, token: str) -> dict:
    school = f"ecole-{secrets.token_hex(3)}"
    return billing.pay_by_card(school, f"k-{uuid4()}", cart(1), token)


@pytest.mark.parametrize(
    ("number", "status", "reason"),
    [
        (APPROVED, CAPTURED, None),
        ("4242 4242 4242 4242", CAPTURED, None),
        (DECLINED_CARD, DECLINED, "carte refusée"),
        (INSUFFICIENT_FUNDS, DECLINED, "provision insuffisante"),
    ],
)
def test_test_cards_keep_their_behaviour_through_their_tokens(
    billing, hosted, number, status, reason
):
    answer = hosted.post("/jetons", json={"numero": number})
    assert answer.status_code == 201
    token = answer.json["jeton"]
    assert token.startswith("tok_") and number.replace(" ", "") not in token
    paid = _pay(billing, token)
    assert paid["status"] == status
    if reason:
        assert paid["reason"] == reason


def test_the_outage_card_leaves_its_payment_pending(billing):
    token = billing.provider.tokenise(PROVIDER_FAILURE)
    assert _pay(billing, token)["status"] == "en cours"


def test_an_unknown_token_is_declined_in_french_and_nothing_is_charged(billing):
    before = billing.provider.captures
    paid = _pay(billing, f"tok_{secrets.token_urlsafe(18)}")
    assert paid["status"] == DECLINED
    assert paid["reason"] == "carte inconnue, saisissez à nouveau son numéro"
    assert billing.provider.captures == before


def test_the_simulator_keeps_no_card_number(billing, settings):
    number = "4000 0012 3456 7899"
    token = billing.provider.tokenise(number)
    assert _pay(billing, token)["status"] == CAPTURED
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT row_to_json(t)::text FROM "
            f'"{settings.schema("card_simulator")}".tokens t'
        ).fetchall()
    dump = " ".join(row[0] for row in rows)
    assert token in dump
    assert number.replace(" ", "") not in dump and "0012 3456" not in dump


@pytest.mark.parametrize(
    "body",
    [
        {"numero": ""},
        {"numero": "   "},
        {"numero": "4242"},  # too short
        {"numero": "4" * 20},  # too long for a card
        {"numero": "4242 4242 4242 4242" + " " * 20},
        {"numero": "４２４２４２４２４２４２４２４２"},  # full-width digits
        {"numero": "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"},  # Arabic-Indic digits
        {"numero": "4242424242424242\n"},
        {"numero": "4242\x004242424242424242"},
        {"numero": "4242\u202e424242424242"},
        {"numero": 4242424242424242},
        {"numero": None},
        {"numero": ["4242424242424242"]},
        {"autre": "4242424242424242"},
        [],
        "4242424242424242",
    ],
)
def test_the_hosted_fields_refuse_what_is_no_card_number(hosted, body):
    answer = hosted.post("/jetons", json=body)
    assert answer.status_code == 400
    assert answer.json["message"] == "Le numéro de carte n'est pas valide."
    assert "jeton" not in answer.json


def test_the_hosted_fields_refuse_malformed_and_huge_bodies(hosted):
    broken = hosted.post("/jetons", data=b"{numero", content_type="application/json")
    assert broken.status_code == 400
    binary = hosted.post("/jetons", data=b"\xff\xfe", content_type="application/json")
    assert binary.status_code == 400
    huge = hosted.post(
        "/jetons",
        data=json.dumps({"numero": "4" * 1_000_000}),
        content_type="application/json",
    )
    assert huge.status_code == 413
    assert hosted.get("/jetons").status_code == 405
    assert hosted.post("/ailleurs", json={"numero": APPROVED}).status_code == 404


def test_the_hosted_fields_answer_a_browsers_preflight(hosted):
    answer = hosted.options("/jetons")
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in answer.headers["Access-Control-Allow-Headers"]


def test_tokenising_checks_the_number_in_process_too(billing):
    with pytest.raises(InvalidCardNumber):
        billing.provider.tokenise("1234")
