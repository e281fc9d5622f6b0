"""Digital identities (ID-7) through the identity application, on an
in-memory store: each mode to an active identity, agents' roles, erasure."""

from __future__ import annotations

import base64
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from services.common.clock import FrozenClock
from services.identity.agent_desk import AgentDesk
from services.identity.agents import MissingRole
from services.identity.application import IdentityApplication
from services.identity.candidate_accounts import CandidateAccounts
from services.identity.digital_identities import DigitalIdentities
from services.identity.digital_identity import DigitalIdentity
from services.identity.errors import BadCredentials, IdentityError
from services.identity.identity_codes import (
    ACTIVATION_PURPOSE,
    identity_code,
    video_digits,
)
from tests.e2e.test_digital_identity import JPEG, MP4, _request


@pytest.fixture
def app() -> IdentityApplication:
    return IdentityApplication(
        clock=FrozenClock(), env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def _account(app: IdentityApplication, phone: str = "+33698765432") -> UUID:
    opened = CandidateAccounts(app).open(
        uuid4(), f"{uuid4().hex[:8]}@example.fr", phone, "Candidat2026"
    )
    account = app.repository.get(UUID(opened["account_id"]))
    account._verified(channel="telephone", verified_at=app.clock.now())
    app.save(account)
    return account.id


def _agent(app: IdentityApplication, role: str) -> UUID:
    made = AgentDesk(app).create_agent(
        f"{uuid4().hex[:8]}@laposte.fr", "Guichet2026", [role]
    )
    return UUID(made["agent_id"])


def _activation_code(app, account_id: UUID) -> str:
    identity = app.repository.get(DigitalIdentity.create_id(account_id))
    return identity_code(app.links, ACTIVATION_PURPOSE, identity.id, identity.nonce)


def test_the_mail_carrier_and_online_modes_run_to_active(app):
    identities, desk = DigitalIdentities(app), AgentDesk(app)
    by_carrier = _account(app)
    slot = identities.request(by_carrier, _request())["creneaux"][0]
    chosen = identities.choose_carrier(by_carrier, slot)
    with pytest.raises(MissingRole):
        desk.confirm_visit(_agent(app, "guichet"), UUID(chosen["identity_id"]))
    desk.confirm_visit(_agent(app, "facteur"), UUID(chosen["identity_id"]))
    code = _activation_code(app, by_carrier)
    assert identities.activate(by_carrier, code, "2468")["statut"] == "active"

    online = _account(app, "+33698765433")
    identities.request(online, _request())
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    chosen = identities.choose_online(online)
    assert chosen["statut"] == "en_attente_fichiers"
    sent = identities.submit_online(online, {"recto": b64(JPEG), "video": b64(MP4)})
    reviewer = _agent(app, "revue_en_ligne")
    case = desk.review_files(reviewer, UUID(sent["identity_id"]))
    assert {f["part"] for f in case["fichiers"]} == {"recto", "video"}
    identity = app.repository.get(UUID(sent["identity_id"]))
    digits = video_digits(app.links, identity.id, identity.nonce)
    assert case["chiffres"] == digits and len(digits) == 3 and digits.isdigit()
    desk.review(reviewer, UUID(sent["identity_id"]), True, None)
    code = _activation_code(app, online)
    assert identities.activate(online, code, "1357")["statut"] == "active"
    assert identities.strong_sign_in("06 98 76 54 33", "1357")["token"]


def test_the_online_review_deadline_skips_the_weekend(app):
    identities = DigitalIdentities(app)
    account = _account(app)
    identities.request(account, _request())
    identities.choose_online(account)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    sent = identities.submit_online(account, {"recto": b64(JPEG), "video": b64(MP4)})
    assert sent["statut"] == "en_verification"
    app.clock.advance(timedelta(hours=47))
    assert identities.view(account)["statut"] == "en_verification"
    app.clock.advance(timedelta(days=5))
    ended = identities.view(account)
    assert ended["statut"] == "terminee" and "48 heures" in ended["motif"]


def test_erasing_the_account_forgets_the_identity_data(app):
    identities = DigitalIdentities(app)
    account = _account(app)
    identities.request(account, _request())
    app.vault.forget(account)
    identity = app.repository.get(DigitalIdentity.create_id(account))
    assert app.vault.unseal(account, identity.personal) is None


def _active(app, phone: str, data: dict) -> UUID:
    identities, desk = DigitalIdentities(app), AgentDesk(app)
    account = _account(app, phone)
    slot = identities.request(account, data)["creneaux"][0]
    chosen = identities.choose_carrier(account, slot)
    desk.confirm_visit(_agent(app, "facteur"), UUID(chosen["identity_id"]))
    identities.activate(account, _activation_code(app, account), "2468")
    return account


def test_a_document_and_a_phone_serve_one_identity_until_its_account_is_erased(app):
    identities = DigitalIdentities(app)
    data = _request()
    first = _active(app, "+33698765434", data)
    other = _account(app, "+33698765434")
    with pytest.raises(IdentityError, match="pièce d'identité sert déjà"):
        identities.request(other, data)

    # Erased (its last file gone, its key forgotten): it signs nobody in, and
    # its document and phone may serve someone else.
    account = app.repository.get(first)
    account.remove_file(account.files[0])
    app.save(account)
    app.vault.forget(first)
    with pytest.raises(BadCredentials):
        identities.strong_sign_in("+33698765434", "2468")
    identities.request(other, data)
    slot = identities.view(other)["creneaux"][0]
    chosen = identities.choose_carrier(other, slot)
    AgentDesk(app).confirm_visit(_agent(app, "facteur"), UUID(chosen["identity_id"]))
    identities.activate(other, _activation_code(app, other), "1111")
    assert identities.strong_sign_in("+33698765434", "1111")["token"]
