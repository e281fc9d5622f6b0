"""Every producer's output loads in every consumer (DESIGN.md: contracts).

Producers are exercised on the in-memory store through their real application
commands; every event they publish is dumped as the relay dumps it and loaded
with the schema of each consumer that subscribes to it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from pmc import registry
from services.billing.application import BillingApplication
from services.billing.domain import Refund
from services.billing.provider import APPROVED_TOKEN
from services.booking.application import BookingApplication
from services.candidates.application import CandidatesApplication
from services.candidates.publications import ACTIVATION
from services.common import contracts
from services.common.envelope import Delivered, Envelope
from services.common.sealing import open_message
from services.common.store import ServiceApplication
from services.identity.application import IdentityApplication
from services.identity.candidate_accounts import CandidateAccounts
from services.identity.digital_identities import DigitalIdentities
from services.identity.secrets import ACTIVATION as ACCOUNT_ACTIVATION
from services.identity.secrets import RESET
from services.notifier.application import NotifierApplication
from services.results.application import ResultsApplication
from services.results.domain import ExamResult, published_fields, recorded_fields
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE, PARIS, ExamCentre

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
    app.archive("ecole", ids[0])
    app.resend_link("ecole", ids[1])
    app.refuse(ids[2], link(ids[2]))
    overdue = app.repository.get(ids[3])
    overdue.expire(overdue.expires_at + timedelta(seconds=1))
    app.save(overdue)
    app.erase(ids[2], "ecole", seat_upcoming=False)  # CandidateErased


IDENTITY_REQUEST = {
    "civilite": "M.",
    "prenoms": ["Paul"],
    "nom_naissance": "Blanc",
    "date_naissance": "1990-01-01",
    "commune_naissance": "Lyon",
    "pays_naissance": "France",
    "nationalite": "française",
    "document": {
        "type": "passeport",
        "numero": "19AB12345",
        "date_expiration": "2099-01-01",
    },
}


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
    account_id = app._find(email).id
    nonce = app.repository.get(account_id).activation_nonce
    app.activate(account_id, app.links.token(ACCOUNT_ACTIVATION, account_id, nonce))
    app.end_session(app.sign_in(email, "Contrat2026")["token"])  # SessionEnded
    app.report_failed_sign_ins(email, 10, datetime.now(PARIS))
    app.change_password(account_id, "Contrat2026", "Contrat2027")  # SessionsRevoked
    app.request_password_reset(email)
    nonce = app.repository.get(account_id).reset_nonce
    app.reset_password(
        account_id, app.links.token(RESET, account_id, nonce), "Contrat2028"
    )
    # A candidate's account: codes by e-mail and by SMS.
    opened = CandidateAccounts(app).open(
        uuid4(), "candidat@example.fr", "+33612345678", "Contrat2026"
    )
    # Their digital identity: the code to bring to the post office (ID-7).
    identities = DigitalIdentities(app)
    identities.request(UUID(opened["account_id"]), IDENTITY_REQUEST)
    identities.choose_post_office(UUID(opened["account_id"]))


def booking_scenario(app: BookingApplication) -> None:
    session_id = uuid4()
    app.session_scheduled(
        {
            "session_id": session_id,
            "centre_id": uuid4(),
            "centre_name": "Centre de Lyon",
            "centre_address": "1 rue, 69003",
            "centre_city": "Lyon",
            "departement": "69",
            "kind": "collective",
            "starts_at": app.clock.now() + timedelta(days=10),
            "duration_minutes": 60,
            "seats": 18,
        }
    )
    app.candidate_activated("ecole", "123456789012", uuid4(), "Emma Garcia")
    held = app.hold("ecole", "123456789012", session_id, catalogue=None)
    app.release("ecole", UUID(held["id"]), "retirée du panier")
    paid = app.hold("ecole", "123456789012", session_id, catalogue=None)
    reservation = app.repository.get(UUID(paid["id"]))
    reservation.confirm(uuid4(), app.clock.now(), 3000, "carte")
    app.save(reservation)
    other = uuid4()
    app.session_scheduled(
        {
            "session_id": other,
            "centre_id": uuid4(),
            "centre_name": "Centre de Villeurbanne",
            "centre_address": "2 rue, 69100",
            "centre_city": "Villeurbanne",
            "departement": "69",
            "kind": "collective",
            "starts_at": app.clock.now() + timedelta(days=12),
            "duration_minutes": 60,
            "seats": 1,
        }
    )
    app.change("ecole", reservation.id, other, catalogue=None)  # ReservationChanged
    # Two days before its new exam date, its reminder (EX-3).
    moved = app.repository.get(reservation.id)
    moved.remind(app.clock.now() + timedelta(days=11), timedelta(days=2))
    app.save(moved)  # ReminderDue
    # Another school waits for a seat of the full session (EX-2).
    app.candidate_activated("ecole-b", "123456789013", uuid4(), "Léa Martin")
    app.join_waiting_list("ecole-b", "123456789013", other, catalogue=None)
    app.cancel("ecole", reservation.id)  # ReservationCancelled, SeatOffered
    # A third school waits for it too; its file is archived meanwhile.
    archived = uuid4()
    app.candidate_activated("ecole-c", "123456789014", archived, "Noé Petit")
    app.join_waiting_list("ecole-c", "123456789014", other, catalogue=None)
    app.candidate_withdrawn("ecole-c", "123456789014", archived, None)
    # The operator cancels the session: the offered seat, unpaid, ends with it.
    cancelled = SimpleNamespace(
        payload={"session_id": other, "reason": "Salle inondée"},
        tracking=Tracking(application_name="scheduling", notification_id=1),
    )
    app.on_session_cancelled(cancelled)  # HoldCancelled


def scheduling_scenario(app: SchedulingApplication) -> None:
    app.import_centres(
        "code;nom;adresse;code_postal;ville;latitude;longitude;pmr;horaires\n"
        "LYO-1;Centre Lyon;10 rue Garibaldi;69003;Lyon;45.76;4.85;oui;\n"
    )
    day = app.clock.now().date() + timedelta(days=10)
    while day.weekday() == 6:
        day += timedelta(days=1)
    session = app.schedule_session(
        ExamCentre.create_id("LYO-1"),
        datetime.combine(day, time(9), PARIS),
        18,
        COLLECTIVE,
    )
    app.cancel_session(UUID(session["id"]))


def billing_scenario(app: BillingApplication) -> None:
    lines = [{"id": str(uuid4()), "candidate_name": "Emma Garcia"} for _ in range(2)]
    card = app.pay_by_card("ecole", "cle", lines, APPROVED_TOKEN)
    cancelled = SimpleNamespace(
        payload={
            "reservation_id": UUID(card["reservation_ids"][0]),
            "school_id": "ecole",
            "checkout_id": UUID(card["id"]),
            "refund_cents": 3000,
        },
        tracking=Tracking(application_name="booking", notification_id=1),
    )
    app.on_reservation_cancelled(cancelled)  # RefundIssued
    bank = {"iban": "FR1420041010050500013M02606", "bic": "PSSTFRPP", "holder": "E"}
    debited = [{"id": str(uuid4()), "candidate_name": "Léa Martin"}]
    paid = app.pay_by_sepa("ecole", "cle-sepa", debited, bank)
    seat = debited[0]["id"]
    cancelled.payload = {
        **cancelled.payload,
        "reservation_id": UUID(seat),
        "checkout_id": UUID(paid["id"]),
    }
    cancelled.tracking = Tracking(application_name="booking", notification_id=2)
    app.on_reservation_cancelled(cancelled)  # RefundIssued, to be transferred
    # The return file is found through the read model (tests/billing); here,
    # the payment records its return, and withholds its refund, directly.
    checkout = app.repository.get(UUID(paid["id"]))
    checkout.debit_returned("AM04", "provision insuffisante", app.clock.now())
    refund = app.repository.get(Refund.create_id(seat))
    refund.withhold("AM04", "provision insuffisante", app.clock.now())
    app.save(checkout, refund)  # DebitReturned, RefundWithheld


def notifier_scenario(app: NotifierApplication) -> None:
    confirmed = {
        "reservation_id": uuid4(),
        "school_id": "ecole",
        "candidate_id": uuid4(),
        "candidate_name": "Emma Garcia",
        "neph": "123456789012",
        "session_id": uuid4(),
        "centre_name": "Centre de Lyon",
        "centre_address": "1 rue, 69003",
        "centre_city": "Lyon",
        "exam_starts_at": "2026-12-07T09:00:00+01:00",
        "checkout_id": uuid4(),
        "confirmed_at": datetime.now(PARIS),
    }
    envelope = Envelope("booking", "ReservationConfirmed", 2, 1, "2026-11-24T09:00Z")
    delivered = Delivered(envelope=envelope, payload=confirmed, attempt=1)
    app.on_reservation_confirmed(delivered, {"email": "emma@example.fr"})
    (queued,) = app.recorder.select_notifications(start=None, limit=10)
    message = app.get_message(queued.originator_id)
    app.mark_sent(message, Tracking("notifier.mailer", queued.id))  # ConvocationSent


def results_scenario(app: ResultsApplication) -> None:
    exam = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
    candidate = uuid4()
    person = {
        "candidate_name": "Emma Martin",
        "neph": "123456789012",
        "birth_date": "2005-03-14",
    }
    result = ExamResult(
        reservation_id=uuid4(),
        school_id="ecole",
        candidate_id=candidate,
        session_id=uuid4(),
        centre_name="Centre de Lyon",
        centre_city="Lyon",
        exam_starts_at=exam,
        personal=app.seals.seal_person(candidate, person),
    )
    result.record(
        36, exam + timedelta(hours=2), app.seals.seal(candidate, recorded_fields(36))
    )
    released = app.seals.seal(candidate, published_fields(person, exam, 36))
    result.publish(exam + timedelta(days=1), released)  # ResultPublished
    app.save(result)


# One scenario per producing service: it must produce every event it publishes.
SCENARIOS: dict[str, Callable[[ServiceApplication], None]] = {
    "candidates": candidates_scenario,
    "identity": identity_scenario,
    "booking": booking_scenario,
    "scheduling": scheduling_scenario,
    "billing": billing_scenario,
    "notifier": notifier_scenario,
    "results": results_scenario,
}


def _produced(service: str) -> list[tuple[str, dict]]:
    return _produced_with_keys(service)[0]


def _produced_with_keys(service: str) -> tuple[list[tuple[str, dict]], Any]:
    """What `service`'s scenario publishes, and the key store it sealed with."""
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
    return produced, app.keystore


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
            assert publication._dump(fields) == expected, type(event)
            assert list(publication._dump(fields)) == list(expected)


@pytest.mark.parametrize("service", _publishing_services())
def test_no_personal_field_is_published_in_clear(service):
    produced, keystore = _produced_with_keys(service)
    for event_type, body in produced:
        contract = contracts.by_event_type(event_type)
        assert not set(contract.personal) & set(body), event_type
        opened, erased = open_message(contract, body, keystore)
        assert not erased
        if body.get(contracts.SEALED):
            assert set(opened) - set(body), event_type  # sealed fields come back


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
    produced, keystore = _produced_with_keys(subscription.source)
    outputs = [
        body for event_type, body in produced if event_type == subscription.event_type
    ]
    assert outputs
    for body in outputs:
        # The keys are the producer's: the consumer opens with the same store.
        opened, _ = open_message(consumer_contract, body, keystore)
        consumer_contract().load(opened)  # raises ValidationError on a mismatch


def _consumer_contract(subscription) -> type[contracts.Contract]:
    service_cls = registry.service_class(subscription.consumer)
    method = getattr(service_cls, subscription.method)
    (entrypoint,) = [e for e in method.nameko_entrypoints if hasattr(e, "contract")]
    return entrypoint.contract


def test_contracts_have_distinct_event_types():
    names = [c.event_type for c in contracts.ALL]
    assert len(names) == len(set(names))


def test_the_gateway_loads_the_revocations_identity_dumps():
    from gateway.sessions import CONTRACTS

    produced = _produced("identity")
    for contract in CONTRACTS:
        outputs = [body for kind, body in produced if kind == contract.event_type]
        assert outputs, contract.event_type
        for body in outputs:
            contract().load(body)
