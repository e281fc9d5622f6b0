"""Every producer's output loads in every consumer (DESIGN.md: contracts).

Producers are exercised on the in-memory store through their real application
commands; every event they publish is dumped as the relay dumps it and loaded
with the schema of each consumer that subscribes to it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from pmc import registry
from services.billing.application import BillingApplication
from services.billing.provider import APPROVED
from services.booking.application import BookingApplication
from services.candidates.application import ACTIVATION, CandidatesApplication
from services.common import contracts
from services.common.store import ServiceApplication
from services.identity.application import IdentityApplication

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def candidates_scenario(app: CandidatesApplication) -> None:
    school = ("ecole", "ecole@example.fr")
    person = {
        "civility": "MME",
        "birth_name": "Garcia",
        "given_names": "Emma",
        "birth_date": "2004-05-06",
    }
    address = {"street": "1 rue", "postal_code": "75001", "city": "Paris"}
    ids = [
        UUID(app.create_file(*school, {**person, "neph": f"12345678901{i}", **c})["id"])
        for i, c in enumerate(
            [
                {"email": "emma@example.fr"},
                {"address": address},
                {"email": "refus@example.fr"},
                {"email": "expire@example.fr"},
            ]
        )
    ]

    def link(candidate_id: UUID) -> str:
        nonce = app.repository.get(candidate_id).activation_nonce
        return app.links.token(ACTIVATION, candidate_id, nonce)

    app.confirm(ids[0], link(ids[0]))
    app.change_contact("ecole", ids[0], {"email": "emma.garcia@example.fr"})
    app.confirm(ids[0], link(ids[0]))  # EmailValidated
    app.resend_link("ecole", ids[1])
    app.refuse(ids[2], link(ids[2]))
    overdue = app.repository.get(ids[3])
    overdue.expire(overdue.expires_at + timedelta(seconds=1))
    app.save(overdue)


def identity_scenario(app: IdentityApplication) -> None:
    email = "contrat@example.fr"
    app.sign_up(
        {
            "email": email,
            "password": "Contrat2026",
            "civility": "M",
            "last_name": "Blanc",
            "first_name": "Paul",
            "phone": "0612345678",
            "company_name": "Auto-école Contrat",
            "siret": "73282932000074",
            "address": {"street": "1 rue", "postal_code": "75001", "city": "Paris"},
        }
    )
    app.resend_activation(email)
    app.request_password_reset(email)


def booking_scenario(app: BookingApplication) -> None:
    starts = (app.clock.now() + timedelta(days=10)).isoformat()
    file = {
        "id": str(uuid4()),
        "neph": "123456789012",
        "given_names": "Emma",
        "birth_name": "Garcia",
    }
    session = {
        "id": str(uuid4()),
        "starts_at": starts,
        "centre": {"name": "Centre de Lyon", "city": "Lyon"},
    }
    held = app.hold("ecole", file, session)
    app.release("ecole", UUID(held["id"]), "retirée du panier")
    paid = app.hold("ecole", file, session)
    reservation = app.repository.get(UUID(paid["id"]))
    reservation.confirm(uuid4(), app.clock.now())
    app.save(reservation)


def billing_scenario(app: BillingApplication) -> None:
    lines = [{"id": str(uuid4()), "candidate_name": "Emma Garcia"} for _ in range(2)]
    app.pay_by_card("ecole", "cle", lines, APPROVED)


# One scenario per producing service: it must produce every event it publishes.
SCENARIOS: dict[str, Callable[[ServiceApplication], None]] = {
    "candidates": candidates_scenario,
    "identity": identity_scenario,
    "booking": booking_scenario,
    "billing": billing_scenario,
}


def _produced(service: str) -> list[tuple[str, dict]]:
    app = registry.application_class(service)(env=IN_MEMORY)
    SCENARIOS[service](app)
    produced = []
    for notification in app.recorder.select_notifications(start=None, limit=1000):
        event = app.mapper.to_domain_event(notification)
        publication = app.published.get(type(event))
        if publication is not None:
            produced.append(
                (publication.contract.event_type, publication.dump(event, app))
            )
    return produced


def _publishing_services() -> list[str]:
    return [
        name
        for name in registry.APPLICATIONS
        if registry.application_class(name).published
    ]


def test_every_publishing_service_has_a_scenario():
    assert set(_publishing_services()) <= set(SCENARIOS)


@pytest.mark.parametrize("service", _publishing_services())
def test_scenario_produces_every_published_contract(service):
    published = {
        p.contract.event_type
        for p in registry.application_class(service).published.values()
    }
    assert {event_type for event_type, _ in _produced(service)} == published


@pytest.mark.parametrize("service", _publishing_services())
def test_the_relays_compiled_dump_is_marshmallows(service):
    app = registry.application_class(service)(env=IN_MEMORY)
    SCENARIOS[service](app)
    for notification in app.recorder.select_notifications(start=None, limit=1000):
        event = app.mapper.to_domain_event(notification)
        if (publication := app.published.get(type(event))) is None:
            continue
        fields = publication.translate(event, app)
        if fields is not None:
            expected = publication.contract().dump(fields)
            assert publication.dump(event, app) == expected, type(event)
            assert list(publication.dump(event, app)) == list(expected)


def test_every_subscription_has_a_producer():
    for subscription in registry.subscriptions():
        producer = registry.application_class(subscription.source)
        produced = {p.contract.event_type for p in producer.published.values()}
        assert subscription.event_type in produced, subscription


@pytest.mark.parametrize(
    "subscription", registry.subscriptions(), ids=lambda s: s.queue_name
)
def test_each_consumer_loads_what_its_producer_dumps(subscription):
    consumer_contract = _consumer_contract(subscription)
    outputs = [
        body
        for event_type, body in _produced(subscription.source)
        if event_type == subscription.event_type
    ]
    assert outputs
    for body in outputs:
        consumer_contract().load(body)  # raises ValidationError on a mismatch


def _consumer_contract(subscription) -> type[contracts.Contract]:
    service_cls = registry.service_class(subscription.consumer)
    method = getattr(service_cls, subscription.method)
    (entrypoint,) = [e for e in method.nameko_entrypoints if hasattr(e, "contract")]
    return entrypoint.contract


def test_contracts_have_distinct_event_types():
    names = [c.event_type for c in contracts.ALL]
    assert len(names) == len(set(names))
