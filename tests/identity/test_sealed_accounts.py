"""The school contact's data is kept sealed with the account's key; accounts
stored before, in clear, still work (on the in-memory store)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from services.common.clock import FrozenClock
from services.identity.application import IdentityApplication
from services.identity.domain import Account, EmailClaim
from services.identity.errors import BadCredentials
from services.identity.secrets import ACTIVATION, RESET
from tests.identity.test_accounts import PASSWORD, SIGN_UP

# What identified the contact in SIGN_UP: never in clear in what is stored.
TRACES = ("ecole-centre", "Girard", "Marc", "478123456", "Mercière")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(clock) -> IdentityApplication:
    return IdentityApplication(
        clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def stored(app: IdentityApplication) -> list[bytes]:
    """Every stored event's state, and every snapshot's, as written."""
    notifications = app.recorder.select_notifications(start=None, limit=100_000)
    states = [n.state for n in notifications]
    snapshots = app.snapshots.recorder if app.snapshots else None
    if snapshots is not None:
        for account_id in {n.originator_id for n in notifications}:
            states += [s.state for s in snapshots.select_events(account_id)]
    return states


def in_clear(app: IdentityApplication, traces: tuple[str, ...]) -> set[str]:
    return {t for s in stored(app) for t in traces if t.encode() in s}


def published(app: IdentityApplication, contract_name: str) -> list[dict[str, Any]]:
    """The bodies identity published of one contract, opened as a consumer would."""
    from services.common.sealing import open_message

    bodies = []
    for notification in app.recorder.select_notifications(start=None, limit=10_000):
        event = app.mapper.to_domain_event(notification)
        publication = app.published.get(type(event))
        if publication is None or publication.contract.__name__ != contract_name:
            continue
        body = publication.dump(event, app)
        if body is not None:
            bodies.append(open_message(publication.contract, body, app.keystore)[0])
    return bodies


def test_nothing_of_the_contact_is_stored_in_clear(app):
    created = app.sign_up(SIGN_UP)
    account_id = UUID(created["account_id"])
    account = app.repository.get(account_id)
    app.activate(
        account_id, app.links.token(ACTIVATION, account_id, account.activation_nonce)
    )
    with pytest.raises(BadCredentials):
        app.sign_in(SIGN_UP["email"], "Mauvais1")  # a write: a failure counted
    app.sign_in(SIGN_UP["email"], PASSWORD)
    app.update_profile(account_id, {"first_name": "Marcel", "phone": "0478123457"})
    app.request_password_reset("CONTACT@ecole-centre.fr")
    for n in range(110):  # enough for a snapshot
        app.update_profile(account_id, {"company_name": f"Auto-école {n}"})
    assert list(app.snapshots.get(account_id)), "no snapshot taken"

    assert in_clear(app, (*TRACES, "Marcel", "478123457")) == set()
    profile = app.profile(account_id)
    assert profile["email"] == "contact@ecole-centre.fr"
    assert (profile["last_name"], profile["first_name"]) == ("Girard", "Marcel")
    assert profile["phone"] == "+33478123457"
    assert profile["address"]["street"] == "3 rue Mercière"
    # The company is a legal person: its name and SIRET stay as they were.
    assert profile["company_name"] == "Auto-école 109"
    assert in_clear(app, ("Auto-école 109", "73282932000074")) == {
        "Auto-école 109",
        "73282932000074",
    }
    assert [m["email"] for m in published(app, "PasswordResetRequested")] == [
        "contact@ecole-centre.fr"
    ]


def test_the_same_address_in_another_case_is_still_taken(app):
    first = app.sign_up(SIGN_UP)
    assert app.sign_up({**SIGN_UP, "email": "CONTACT@Ecole-Centre.fr"}) == first


# -- accounts stored before sealing ------------------------------------------------

LEGACY_EMAIL = "ancienne@ecole-lyon.fr"
LEGACY_PROFILE = {
    "civility": "MME",
    "last_name": "Ancelin",
    "first_name": "Rose",
    "phone": "+33478000001",
    "company_name": "Auto-école d'avant",
    "siret": "73282932000074",
}
LEGACY_ADDRESS = {
    "street": "5 quai Saint-Antoine",
    "postal_code": "69002",
    "city": "Lyon",
}


def _store_as_before(app: IdentityApplication, events: list[tuple[type, dict]]) -> None:
    """Write events in the shapes identity stored before sealing."""
    records = []
    for cls, fields in events:
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", fields)
        records.append(app.mapper.to_stored_event(event))
    app.recorder.insert_events(records)


def _legacy_account(app: IdentityApplication) -> UUID:
    account_id, claim_id = uuid4(), EmailClaim.legacy_id(LEGACY_EMAIL)
    now = app.clock.now()
    first = {"originator_version": 1, "timestamp": now}
    _store_as_before(
        app,
        [
            (
                Account.Registered,
                {
                    **first,
                    "originator_id": account_id,
                    "originator_topic": get_topic(Account),
                    "kind": "auto-ecole",
                    "email": LEGACY_EMAIL,
                    "password_hash": app.passwords.hash(PASSWORD),
                    "profile": dict(LEGACY_PROFILE),
                    "address": dict(LEGACY_ADDRESS),
                    "activation_nonce": "n1",
                    "activation_expires_at": now + timedelta(hours=48),
                },
            ),
            (
                EmailClaim.Claimed,
                {
                    **first,
                    "originator_id": claim_id,
                    "originator_topic": get_topic(EmailClaim),
                    "email": LEGACY_EMAIL,
                    "account_id": account_id,
                },
            ),
            (
                Account.ActivationLinkReissued,
                {
                    "originator_id": account_id,
                    "originator_version": 2,
                    "timestamp": now,
                    "email": LEGACY_EMAIL,
                    "nonce": "n2",
                    "expires_at": now + timedelta(hours=48),
                },
            ),
            (
                Account.ProfileUpdated,
                {
                    "originator_id": account_id,
                    "originator_version": 3,
                    "timestamp": now,
                    "changes": {"first_name": "Rosa"},
                },
            ),
        ],
    )
    return account_id


def test_an_account_stored_in_clear_still_works_and_is_sealed_when_written(app):
    account_id = _legacy_account(app)
    before = app.profile(account_id)
    assert before["email"] == LEGACY_EMAIL
    assert before["first_name"] == "Rosa"
    assert before["address"] == LEGACY_ADDRESS
    assert published(app, "AccountActivationRequested")[-1]["email"] == LEGACY_EMAIL
    taken = app.sign_up({**SIGN_UP, "email": LEGACY_EMAIL.upper()})
    assert taken["account_id"] == str(account_id)

    # That sign-up sent the owner a new activation link.
    nonce = app.repository.get(account_id).activation_nonce
    assert nonce != "n2"
    app.activate(account_id, app.links.token(ACTIVATION, account_id, nonce))
    assert app.sign_in(LEGACY_EMAIL.upper(), PASSWORD)["token"]
    app.request_password_reset(LEGACY_EMAIL)
    nonce = app.repository.get(account_id).reset_nonce
    app.reset_password(
        account_id, app.links.token(RESET, account_id, nonce), "Neuf2027A"
    )
    assert app.sign_in(LEGACY_EMAIL, "Neuf2027A")["token"]

    # The events of before keep what they said; the account's state, and
    # what it stores since, hold its contact's data sealed only.
    account = app.repository.get(account_id)
    assert account.personal is not None
    assert account.legacy_contact() == {}
    assert (account.email, account.address) == (None, {})
    assert "first_name" not in account.profile
    assert app.profile(account_id) == {**before, "active": True}
    assert published(app, "PasswordResetRequested")[-1]["email"] == LEGACY_EMAIL
