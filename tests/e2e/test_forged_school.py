"""Services trust no caller's word (issue 12), against the real stack: called
straight over RabbitMQ, as anything on the bus could, a service acts only for
the school of a context the gateway signed. No context, another key, a
tampered school, an expired context: refused. A valid context for one school
reaches nothing of another's, whatever ids it names; nor does a payment event
naming another school's reservation. Nothing changes, and the school's own
path through the gateway still works."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.billing.provider import APPROVED_TOKEN
from services.common import acting, contracts
from services.common.errors import PlatformError
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import sign_up_school
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_hostile_inputs import _event_counts, _quiet
from tests.helpers import publish_event, wait_for

TIMEOUT = 30


def _get(gateway: str, school: dict, path: str) -> Any:
    answer = requests.get(
        f"{gateway}{path}", headers=school["headers"], timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _pay(gateway: str, school: dict, key: str) -> requests.Response:
    return requests.post(
        f"{gateway}/api/paiement/carte",
        json={"cgv": True, "jeton": APPROVED_TOKEN, "cle": key},
        headers=school["headers"],
        timeout=TIMEOUT,
    )


def _statuses(gateway: str, school: dict) -> dict[str, str]:
    items = _get(gateway, school, "/api/reservations")["items"]
    return {r["id"]: r["status"] for r in items}


@pytest.fixture(scope="module")
def world(gateway, settings, scheduling, candidates) -> dict:
    """A victim school with a paid reservation (its invoice), a line in its
    cart and candidate files; an attacker school with a file of its own."""
    mails = Path(settings.mail_folder)
    victim = sign_up_school(gateway, mails)
    attacker = sign_up_school(gateway, mails)
    site = centre(scheduling, "TEST-FORGE", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(3, 2), 18, COLLECTIVE)
    paid_neph, held_neph = activated_files(candidates, victim, 2, first=41000)
    (own_neph,) = activated_files(candidates, attacker, 1, first=41100)
    paid_line = hold(gateway, victim, paid_neph, session["id"])
    assert paid_line.status_code == 201, paid_line.text
    paid = _pay(gateway, victim, "forge-1")
    assert paid.status_code == 201, paid.text
    wait_for(
        lambda: _statuses(gateway, victim) == {paid_line.json()["id"]: "confirmée"}
    )
    held_line = hold(gateway, victim, held_neph, session["id"])
    assert held_line.status_code == 201, held_line.text
    files = _get(gateway, victim, "/api/candidats")["items"]
    payments = wait_for(
        lambda: [
            p
            for p in _get(gateway, victim, "/api/paiements")["items"]
            if p["status"] == "payé"
        ]
    )
    return {
        "victim": victim,
        "attacker": attacker,
        "session": session["id"],
        "victim_id": victim["account"]["account_id"],
        "attacker_id": attacker["account"]["account_id"],
        "paid_line": paid_line.json()["id"],
        "held_line": held_line.json()["id"],
        "held_neph": held_neph,
        "own_neph": own_neph,
        "files": [f["candidate_id"] for f in files],
        "checkout": payments[0]["id"],
    }


def _seen_by(gateway: str, school: dict) -> dict[str, Any]:
    """What the school sees of its own data through the gateway."""
    return {
        "cart": _get(gateway, school, "/api/panier")["items"],
        "reservations": _statuses(gateway, school),
        "files": sorted(
            (f["candidate_id"], f["status"])
            for f in _get(gateway, school, "/api/candidats")["items"]
        ),
        "payments": _get(gateway, school, "/api/paiements")["items"],
        "profile": _get(gateway, school, "/api/compte"),
    }


def _bus(settings, context: str | None) -> ClusterRpcProxy:
    """Anything on the bus, sending `context` (or none) with each call."""
    data = {} if context is None else {acting.ACTING_SCHOOL: context}
    return ClusterRpcProxy(settings.nameko_config(), context_data=data, timeout=20)


def _refusal(call) -> PlatformError:
    with pytest.raises(PlatformError) as raised:
        call()
    return raised.value


def _school_bound_calls(world: dict) -> dict[str, Any]:
    """Every kind of school-bound call, aimed at the victim's data."""
    file = world["files"][0]
    return {
        "cart": lambda bus: bus.booking.cart(),
        "hold": lambda bus: bus.booking.hold(world["held_neph"], world["session"]),
        "remove": lambda bus: bus.booking.remove(world["held_line"]),
        "change_slot": lambda bus: bus.booking.change_slot(
            world["held_line"], world["session"]
        ),
        "reservations": lambda bus: bus.booking.reservations(),
        "convocation": lambda bus: bus.booking.convocation_pdf(world["paid_line"]),
        "cancel": lambda bus: bus.booking.cancel(world["paid_line"]),
        "credit_note": lambda bus: bus.billing.credit_note_pdf(world["paid_line"]),
        "files": lambda bus: bus.candidates.list_files(),
        "file": lambda bus: bus.candidates.get_file(file),
        "archive": lambda bus: bus.candidates.archive(file),
        "erase": lambda bus: bus.candidates.erase(file),
        "resend": lambda bus: bus.candidates.resend_link(file),
        "export": lambda bus: bus.candidates.export_csv(),
        "receipt": lambda bus: bus.candidates.receipt_pdf(file),
        "booking_view": lambda bus: bus.candidates.booking_view(world["held_neph"]),
        "payments": lambda bus: bus.billing.payments(),
        "invoice": lambda bus: bus.billing.invoice_pdf(world["checkout"]),
        "pay": lambda bus: bus.billing.pay_by_card(f"k-{uuid4()}", APPROVED_TOKEN),
        "profile": lambda bus: bus.identity.profile(),
        "update_profile": lambda bus: bus.identity.update_profile(
            {"company_name": "Usurpée"}
        ),
    }


REFUSED = (403, "contexte_invalide")
# Without any context, a receipt is the candidate's to ask for with the token
# of their link: none given, no file.
BY_LINK_ONLY = {"receipt": (404, "dossier_introuvable")}


def test_a_call_without_a_valid_context_is_refused_and_changes_nothing(
    gateway, world, settings
):
    victim = world["victim"]
    before, events = _seen_by(gateway, victim), _quiet(settings)
    secret = settings.context_secret.get_secret_value()
    attacker_context = acting.sign(world["attacker_id"], time.time() + 30, secret)
    contexts = {
        "none": None,
        "the school's id alone": world["victim_id"],
        "another key": acting.sign(world["victim_id"], time.time() + 30, "autre"),
        "tampered school": attacker_context.replace(
            world["attacker_id"], world["victim_id"], 1
        ),
        "expired": acting.sign(world["victim_id"], time.time() - 60, secret),
    }
    for label, context in contexts.items():
        with _bus(settings, context) as bus:
            for name, call in _school_bound_calls(world).items():
                error = _refusal(lambda call=call: call(bus))
                expected = REFUSED
                if context is None:
                    expected = BY_LINK_ONLY.get(name, REFUSED)
                assert (error.status, error.code) == expected, (label, name)
            # The old way, the school as an argument, is refused too.
            error = _refusal(lambda: bus.booking.cart(world["victim_id"]))
            assert error.code == "contexte_invalide", label
    time.sleep(1)
    assert _event_counts(settings) == events
    assert _seen_by(gateway, victim) == before


# What each call aimed at the victim's data answers, under the attacker's own
# valid context: the attacker's data, or « introuvable » — never the victim's.
NOT_YOURS = {
    "hold": "dossier_introuvable",
    "remove": "reservation_introuvable",
    "change_slot": "reservation_introuvable",
    "convocation": "reservation_introuvable",
    "file": "dossier_introuvable",
    "archive": "dossier_introuvable",
    "erase": "dossier_introuvable",
    "resend": "dossier_introuvable",
    "receipt": "dossier_introuvable",
    "booking_view": "dossier_introuvable",
    "invoice": "facture_introuvable",
    "pay": "paiement_impossible",  # the attacker's own cart is empty
}


def test_a_valid_context_for_one_school_reaches_nothing_of_another(
    gateway, world, settings
):
    victim, attacker = world["victim"], world["attacker"]
    before, events = _seen_by(gateway, victim), _quiet(settings)
    secret = settings.context_secret.get_secret_value()
    context = acting.sign(world["attacker_id"], time.time() + 60, secret)
    calls = _school_bound_calls(world)
    with _bus(settings, context) as bus:
        for name, code in NOT_YOURS.items():
            error = _refusal(lambda name=name: calls[name](bus))
            assert error.code == code, (name, error.to_dict())
        # What it lists and reads is its own.
        assert calls["cart"](bus) == []
        assert calls["reservations"](bus) == []
        assert calls["payments"](bus) == []
        assert [f["neph"] for f in calls["files"](bus)] == [world["own_neph"]]
        assert world["held_neph"] not in calls["export"](bus)
        assert calls["profile"](bus)["email"] == attacker["email"]
    time.sleep(1)
    assert _event_counts(settings) == events
    assert _seen_by(gateway, victim) == before


def test_a_payment_naming_another_schools_reservation_confirms_nothing_of_it(
    gateway, world, settings
):
    """A PaymentCaptured for the attacker's own seat that also names the
    victim's cart line confirms the attacker's seat alone."""
    attacker = world["attacker"]
    own = hold(gateway, attacker, world["own_neph"], world["session"])
    assert own.status_code == 201, own.text
    publish_event(
        settings.amqp_uri,
        "billing",
        contracts.PaymentCaptured,
        {
            "checkout_id": uuid4(),
            "school_id": world["attacker_id"],
            "reservation_ids": [UUID(own.json()["id"]), UUID(world["held_line"])],
            "amount_cents": 3000,
            "invoice_number": 999_998,
            "captured_at": datetime.now(UTC),
        },
        position=9_100_000,
    )
    wait_for(lambda: _statuses(gateway, attacker) == {own.json()["id"]: "confirmée"})
    assert _statuses(gateway, world["victim"])[world["held_line"]] == "dans le panier"


def test_the_schools_own_path_through_the_gateway_still_works(gateway, world):
    victim = world["victim"]
    cart = _get(gateway, victim, "/api/panier")["items"]
    assert [line["id"] for line in cart] == [world["held_line"]]
    paid = _pay(gateway, victim, "forge-2")
    assert paid.status_code == 201, paid.text
    assert paid.json()["reservation_ids"] == [world["held_line"]]
    wait_for(lambda: set(_statuses(gateway, victim).values()) == {"confirmée"})
    invoice = requests.get(
        f"{gateway}/api/paiements/{world['checkout']}/facture",
        headers=victim["headers"],
        timeout=TIMEOUT,
    )
    assert invoice.status_code == 200
    assert invoice.headers["Content-Type"] == "application/pdf"
