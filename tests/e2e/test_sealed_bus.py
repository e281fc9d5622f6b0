"""No personal data on the bus in clear, and erasure reaches every copy (issue 11).

A candidate whose names, e-mail, postal address and birth date carry a marker
is created, confirms, is booked, paid for and convoked, while a spy queue bound
to every events exchange keeps each message: none holds the marker, in its body
or its headers, nor does any dead-letter, retry or unrouted queue, and the
e-mails still say what they must. Once the candidate's key is forgotten, every
copy kept is unreadable, and the notifier drops one handed back to it.
"""

from __future__ import annotations

import json
import random
import re
import string
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import kombu
import pytest
import requests
from eventsourcing.persistence import Tracking
from kombu import binding

from pmc import registry
from services.candidates.publications import ACTIVATION
from services.common import contracts
from services.common.envelope import H_ATTEMPT, H_POSITION
from services.common.keystore import keystore_from_settings
from services.common.sealing import open_message
from services.common.settings import SERVICES, Settings
from services.common.topology import (
    dead_letter_queue,
    declare_source,
    events_exchange,
    retry_queue,
    unrouted_queue,
)
from services.notifier.application import NotifierApplication
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import sign_up_payload
from tests.e2e.test_booking_api import centre, hold, next_weekday
from tests.e2e.test_checkout_api import _pay
from tests.helpers import mails_to, wait_for

CONVOCATION = "Votre convocation à l'examen du code de la route"
PAID = "Vos inscriptions sont confirmées"
UUID_SHAPE = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
RESET = "Réinitialisation de votre mot de passe Passer mon code"


class Spy:
    """A queue bound to every events exchange: a copy of each message."""

    def __init__(self, amqp_uri: str) -> None:
        self.conn = kombu.Connection(amqp_uri)
        self.channel = self.conn.channel()
        for source in SERVICES:
            declare_source(self.channel, source)
        self.queue = kombu.Queue(
            f"spy-{uuid4().hex}",
            exclusive=True,
            auto_delete=True,
            bindings=[binding(events_exchange(s), routing_key="#") for s in SERVICES],
        ).bind(self.channel)
        self.queue.declare()
        self.seen: list[Any] = []

    def drain(self) -> list[Any]:
        while (message := self.queue.get(no_ack=True)) is not None:
            self.seen.append(message)
        return self.seen

    def close(self) -> None:
        self.conn.close()


def _peek(channel: Any, queue_name: str) -> list[Any]:
    """The messages of a queue, left in it (unacknowledged until the channel
    closes); none if the queue does not exist."""
    try:
        channel.queue_declare(queue_name, passive=True)
    except Exception:
        return []
    found = []
    while (message := channel.basic_get(queue_name, no_ack=False)) is not None:
        found.append(message)
    return found


def _parked_copies(settings: Settings) -> list[Any]:
    """Every message in dead-letter, retry and unrouted queues of the platform."""
    names = [unrouted_queue(s).name for s in SERVICES]
    for subscription in registry.subscriptions():
        queue = subscription.queue_name
        names.append(dead_letter_queue(queue).name)
        names += [retry_queue(queue, d).name for d in settings.retry_delays]
    found = []
    with kombu.Connection(settings.amqp_uri) as conn:
        for name in names:
            channel = conn.channel()  # a failed passive declare closes it
            found += _peek(channel, name)
            channel.close()  # what was peeked goes back to its queue
    return found


def _text(message: Any) -> str:
    body = message.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    headers = getattr(message, "headers", None) or message.properties.get(
        "application_headers", {}
    )
    return (body + json.dumps(headers, default=str)).lower()


def _tokens(mail: Any) -> set[str]:
    """The secrets of an e-mail's links: its long tokens that are not ids."""
    text = mail.get_body(("plain",)).get_content()
    found = set(re.findall(r"[A-Za-z0-9_-]{30,}", text))
    return {t for t in found if not UUID_SHAPE.fullmatch(t)}


def _titled(folder: Any, recipient: str, subject: str) -> list[Any]:
    return [m for m in mails_to(folder, recipient) if m["Subject"] == subject]


@pytest.fixture
def spy(settings):
    spy = Spy(settings.amqp_uri)
    yield spy
    spy.close()


def test_personal_data_never_travels_in_clear_and_erasure_reaches_every_copy(
    gateway, new_school, scheduling, candidates, settings, mail_folder, spy
):
    mark = "qz" + "".join(random.choices(string.ascii_lowercase, k=8))
    born = date(1950, 1, 1) + timedelta(days=random.randrange(18_000))
    markers = [mark, born.isoformat(), born.strftime("%d/%m/%Y")]
    neph = f"3{random.randrange(10**11):011d}"
    email = f"{mark}@example.fr"
    school = new_school()
    file = candidates.create_file(
        school["account"]["account_id"],
        school["email"],
        {
            "neph": neph,
            "civility": "Mme",
            "birth_name": f"Nom{mark}",
            "given_names": f"Prenom{mark}",
            "birth_date": born.isoformat(),
            "email": email,
            "address": {
                "street": f"12 rue {mark}",
                "postal_code": "69001",
                "city": f"Ville{mark}",
            },
        },
        school_name=sign_up_payload(school["email"])["company_name"],
    )
    candidate_id = UUID(file["id"])
    # The activation e-mail arrives, with its link, though the bus never saw it.
    aggregate = candidates.repository.get(candidate_id)
    token = candidates.links.token(ACTIVATION, candidate_id, aggregate.activation_nonce)
    activation = wait_for(lambda: mails_to(mail_folder, email))[0]
    assert token in activation.get_body(("plain",)).get_content()
    candidates.confirm(candidate_id, token)

    site = centre(scheduling, "TEST-SEAL", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(2, 3), 18, COLLECTIVE)
    held = wait_for(lambda: (r := hold(gateway, school, neph, session["id"])).ok and r)
    assert _pay(gateway, school, f"cle-{mark}").status_code == 201

    # The school forgets its password: the reset link reaches it, not the bus.
    forgot = requests.post(
        f"{gateway}/api/mot-de-passe/oubli", json={"email": school["email"]}
    )
    assert forgot.status_code == 200, forgot.text
    reset = wait_for(lambda: _titled(mail_folder, school["email"], RESET))[0]
    signed_up = mails_to(mail_folder, school["email"])[0]  # its activation link
    secrets = {*_tokens(reset), *_tokens(signed_up)}
    assert secrets

    convocation = wait_for(lambda: _titled(mail_folder, email, CONVOCATION))[0]
    assert f"Prenom{mark}" in convocation.get_body(("plain",)).get_content()
    (pdf,) = list(convocation.iter_attachments())
    assert pdf.get_filename() == "convocation.pdf"
    thanks = wait_for(
        lambda: [
            m for m in mails_to(mail_folder, school["email"]) if m["Subject"] == PAID
        ]
    )[0]
    assert f"Nom{mark}" in thanks.get_body(("plain",)).get_content()

    # Every message of the flow went by, and none said who the candidate is.
    def flow_seen() -> list[Any]:
        types = {m.headers.get("pmc-event-type") for m in spy.drain()}
        wanted = {"CandidateCreated", "CandidateActivated", "ReservationConfirmed"}
        return spy.seen if wanted <= types and "PaymentCaptured" in types else []

    seen = wait_for(flow_seen)
    assert {"AccountActivationRequested", "PasswordResetRequested"} <= {
        m.headers.get("pmc-event-type") for m in seen
    }
    for message in seen + _parked_copies(settings):
        text = _text(message)
        for marker in [*markers, *secrets]:
            assert marker.lower() not in text, message.headers
    ours = [m for m in seen if str(candidate_id) in _text(m)]
    assert {m.headers["pmc-event-type"] for m in ours} >= {
        "CandidateCreated",
        "CandidateActivated",
        "ReservationConfirmed",
    }
    assert held.json()["id"] in json.dumps([json.loads(m.body) for m in ours])

    # The candidate is erased: every copy of their messages is unreadable now.
    keystore = keystore_from_settings(settings)
    keystore.forget(candidate_id)
    for message in ours:
        contract = contracts.by_event_type(message.headers["pmc-event-type"])
        opened, erased = open_message(contract, json.loads(message.body), keystore)
        assert erased, contract.event_type
        assert not {k for k in contract.personal if opened.get(k) is not None}

    # A copy handed back to the notifier (a retry, a replayed dead letter) is
    # dropped: no e-mail, no retry, no dead letter.
    confirmed = next(
        m for m in ours if m.headers["pmc-event-type"] == "ReservationConfirmed"
    )
    subscription = next(
        s
        for s in registry.subscriptions()
        if s.consumer == "notifier" and s.event_type == "ReservationConfirmed"
    )
    queue = subscription.queue_name
    position = 10**12 + random.randrange(10**9)  # never seen: not a duplicate
    headers = {**confirmed.headers, H_POSITION: position, H_ATTEMPT: 1}
    with kombu.Connection(settings.amqp_uri) as conn:
        kombu.Producer(conn.channel()).publish(
            json.loads(confirmed.body),
            exchange="",
            routing_key=queue,
            headers=headers,
            serializer="json",
            delivery_mode=2,
        )
    notifier = NotifierApplication(settings=settings)
    tracking = Tracking(f"booking>{subscription.method}", position)
    try:
        wait_for(lambda: notifier.has_processed(tracking))
    finally:
        notifier.close()
    convocations = [
        m for m in mails_to(mail_folder, email) if m["Subject"] == CONVOCATION
    ]
    assert len(convocations) == 1
    parked = _parked_copies(settings)
    assert not [m for m in parked if str(candidate_id) in _text(m)]
