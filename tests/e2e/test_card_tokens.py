"""A card payment on the real platform, by token: the page's part (the card
number to the simulator's hosted fields, a token back) and the checkout's (the
token only). The number is nowhere in the platform afterwards: no event, no
RabbitMQ message (events or RPC), no table, no log line."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from uuid import uuid4

import kombu
import pytest
import requests

from pmc import registry
from services.common.db import connect
from services.common.topology import events_exchange
from tests.e2e.test_checkout_api import PAID, _cart_of_two, _statuses
from tests.e2e.test_payment_reconciliation import ledger  # noqa: F401
from tests.helpers import wait_for

TIMEOUT = 30


def _card_number() -> str:
    """A card of its own (approved by the simulator), easy to look for."""
    return "4" + "".join(secrets.choice("0123456789") for _ in range(15))


def _hosted_fields(gateway: str, school: dict) -> str:
    answer = requests.get(
        f"{gateway}/api/paiement/carte/prestataire",
        headers=school["headers"],
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["prestataire"] == "simulator"
    return answer.json()["tokenisation"]


def _tokenise(url: str, number: str) -> requests.Response:
    return requests.post(url, json={"numero": number}, timeout=TIMEOUT)


def _pay(gateway: str, school: dict, token: str) -> requests.Response:
    return requests.post(
        f"{gateway}/api/paiement/carte",
        json={"cgv": True, "jeton": token, "cle": f"jeton-{uuid4()}"},
        headers=school["headers"],
        timeout=TIMEOUT,
    )


@pytest.fixture
def every_message(settings):
    """A queue bound to every events exchange and to the RPC exchange: what
    crosses the broker while the test runs."""
    conn = kombu.Connection(settings.amqp_uri)
    channel = conn.channel()
    name = f"spy-cards-{secrets.token_hex(4)}"
    exchanges = [
        events_exchange(source)
        for source in registry.APPLICATIONS
        if registry.application_class(source).published
    ]
    exchanges.append(kombu.Exchange("nameko-rpc", type="topic", durable=True))
    queue = kombu.Queue(name, exclusive=True, auto_delete=True)
    queue(channel).declare()
    for exchange in exchanges:
        exchange(channel).declare()
        queue(channel).bind_to(exchange, routing_key="#")

    def drained() -> list[str]:
        bodies = []
        while (message := queue(channel).get(no_ack=True)) is not None:
            body = message.body
            bodies.append(body.decode() if isinstance(body, bytes) else body)
        return bodies

    yield drained
    conn.release()


def _every_table(settings) -> str:
    """Every row of every table of this run's schemas, as JSON text."""
    prefix = settings.schema_prefix.replace("_", r"\_") + "%"
    with connect(settings) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema LIKE %s AND table_type = 'BASE TABLE'",
            (prefix,),
        ).fetchall()
        dump = []
        for schema, table in tables:
            rows = conn.execute(
                f'SELECT row_to_json(t)::text FROM "{schema}"."{table}" t'
            ).fetchall()
            dump.extend(row[0] for row in rows)
    return "\n".join(dump)


def _events(settings) -> str:
    """Every stored event's state, decoded, of every service."""
    prefix = settings.schema_prefix.replace("_", r"\_") + "%"
    with connect(settings) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema LIKE %s AND table_name LIKE %s",
            (prefix, r"%\_events"),
        ).fetchall()
        states = []
        for schema, table in tables:
            rows = conn.execute(f'SELECT state FROM "{schema}"."{table}"').fetchall()
            states.extend(bytes(row[0]).decode("utf-8", "replace") for row in rows)
    assert states, "no events table was read"
    return "\n".join(states)


def _log_lines(settings) -> str:
    folder = Path(settings.mail_folder).parent / "logs"
    texts = [path.read_text(errors="replace") for path in folder.glob("*.log")]
    assert any("card-simulator" in path.name for path in folder.glob("*.log"))
    return "\n".join(texts)


def test_a_card_payment_by_token_leaves_no_card_number_anywhere(
    gateway, new_school, scheduling, candidates, settings, every_message
):
    school = new_school()
    lines = _cart_of_two(gateway, school, scheduling, candidates, first=38000)
    number = _card_number()
    grouped = " ".join(number[i : i + 4] for i in range(0, 16, 4))

    token = _tokenise(_hosted_fields(gateway, school), grouped)
    assert token.status_code == 201, token.text
    token = token.json()["jeton"]
    assert number not in token

    # A client still sending the number itself is refused, and the number
    # is not kept or logged on the way (checked below with the rest).
    old_style = requests.post(
        f"{gateway}/api/paiement/carte",
        json={"cgv": True, "carte": grouped, "cle": f"ancien-{uuid4()}"},
        headers=school["headers"],
        timeout=TIMEOUT,
    )
    assert old_style.status_code == 400, old_style.text
    assert number not in old_style.text and grouped not in old_style.text

    paid = _pay(gateway, school, token)
    assert paid.status_code == 201, paid.text
    assert paid.json()["message"] == PAID
    wait_for(
        lambda: all(_statuses(gateway, school).get(r) == "confirmée" for r in lines),
        timeout=TIMEOUT,
    )

    messages = every_message()
    assert any(token in body for body in messages)  # the spy saw the RPC
    for body in messages:
        assert number not in body and grouped not in body
    stored = _events(settings) + _every_table(settings)
    assert number not in stored and grouped not in stored
    logged = _log_lines(settings)
    assert number not in logged and grouped not in logged


def test_an_unknown_token_is_refused_in_french_and_nothing_is_charged(
    gateway,
    new_school,
    scheduling,
    candidates,
    ledger,  # noqa: F811
):
    school = new_school()
    lines = _cart_of_two(gateway, school, scheduling, candidates, first=39000)
    captured = sum(p["status"] == "captured" for p in ledger.all_payments())
    refused = _pay(gateway, school, f"tok_{secrets.token_urlsafe(18)}")
    assert refused.status_code == 402, refused.text
    assert refused.json()["message"].startswith(
        "Paiement refusé : carte inconnue, saisissez à nouveau son numéro."
    )
    assert sum(p["status"] == "captured" for p in ledger.all_payments()) == captured
    payments = requests.get(
        f"{gateway}/api/paiements", headers=school["headers"], timeout=TIMEOUT
    ).json()["items"]
    assert [p["status"] for p in payments] == ["refusé"]
    assert all(_statuses(gateway, school)[r] != "confirmée" for r in lines)


@pytest.mark.parametrize(
    "payload",
    [
        {"numero": ""},
        {"numero": "４２４２４２４２４２４２４２４２"},
        {"numero": "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"},
        {"numero": "4242\x1b[31m4242424242424242"},
        {"numero": "4242424242424242\r\n"},
        {"numero": None},
    ],
)
def test_the_running_hosted_fields_refuse_what_is_no_card_number(
    gateway, new_school, payload
):
    url = _hosted_fields(gateway, new_school())
    answer = requests.post(url, json=payload, timeout=TIMEOUT)
    assert answer.status_code == 400
    assert answer.json() == {
        "message": "Le numéro de carte n'est pas valide.",
        "champs": ["numero"],
    }


def test_the_running_hosted_fields_refuse_a_huge_body(gateway, new_school):
    url = _hosted_fields(gateway, new_school())
    body = json.dumps({"numero": "4" * 2_000_000}).encode()
    try:
        answer = requests.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
    except requests.ConnectionError:
        return  # closed before reading it all: refused too
    assert answer.status_code == 413


def test_a_card_token_is_asked_for_by_a_signed_in_school_only(gateway):
    answer = requests.get(f"{gateway}/api/paiement/carte/prestataire", timeout=30)
    assert answer.status_code == 401
