"""Accounts on the in-memory store, with a clock the tests move."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from gateway.sessions import RevocationView, SessionCheck
from services.common.clock import FrozenClock
from services.common.errors import PlatformError
from services.identity.application import IdentityApplication
from services.identity.errors import (
    AccountNotActive,
    BadCredentials,
    InvalidFields,
    LinkExpired,
    LinkInvalid,
    NotAuthenticated,
)
from services.identity.secrets import ACTIVATION, RESET

PASSWORD = "Permis2026"
SIGN_UP = {
    "email": " Contact@Ecole-Centre.FR ",
    "password": PASSWORD,
    "civility": "M",
    "last_name": "Girard",
    "first_name": "Marc",
    "phone": "04 78 12 34 56",
    "company_name": "Auto-école du Centre",
    "siret": "732 829 320 00074",
    "address": {"street": "3 rue Mercière", "postal_code": "69002", "city": "Lyon"},
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(clock) -> IdentityApplication:
    return IdentityApplication(
        clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def activation_token(app: IdentityApplication, account_id: str) -> str:
    account = app.repository.get(UUID(account_id))
    return app.links.token(ACTIVATION, account.id, account.activation_nonce)


def gateway(app: IdentityApplication) -> SessionCheck:
    """What a gateway concludes from the events identity published so far."""
    view = RevocationView()
    view.loaded = True
    for notification in app.recorder.select_notifications(start=None, limit=10_000):
        event = app.mapper.to_domain_event(notification)
        publication = app.published.get(type(event))
        body = publication and publication.dump(event, app)
        if body:
            view.apply(publication.contract, publication.contract().load(body))
    return SessionCheck(app.sessions, view, app.clock)


def refused(app: IdentityApplication, token: str) -> bool:
    try:
        gateway(app).account(token)
    except PlatformError as error:
        assert error.status == 401
        return True
    return False


def active_account(app: IdentityApplication) -> str:
    created = app.sign_up(SIGN_UP)
    app.activate(
        UUID(created["account_id"]), activation_token(app, created["account_id"])
    )
    return created["account_id"]


def test_sign_up_cleans_email_phone_and_siret(app):
    created = app.sign_up(SIGN_UP)
    profile = app.profile(UUID(created["account_id"]))
    assert profile["email"] == "contact@ecole-centre.fr"
    assert profile["phone"] == "+33478123456"
    assert profile["siret"] == "73282932000074"
    assert profile["active"] is False


def test_every_wrong_field_is_named_at_once(app):
    with pytest.raises(InvalidFields) as error:
        app.sign_up(
            {
                **SIGN_UP,
                "email": "pas-une-adresse",
                "password": "court",
                "siret": "73282932000075",
                "phone": "12",
                "address": {"street": "", "postal_code": "6900", "city": "Lyon"},
            }
        )
    fields = error.value.fields
    assert set(fields) == {
        "email",
        "password",
        "siret",
        "phone",
        "address.street",
        "address.postal_code",
    }
    assert fields["password"] == [
        "Le mot de passe doit contenir au moins 8 caractères.",
        "Le mot de passe doit contenir au moins une lettre majuscule.",
        "Le mot de passe doit contenir au moins un chiffre.",
    ]


def test_la_postes_own_siret_rule_is_accepted(app):
    created = app.sign_up({**SIGN_UP, "siret": "35600000000048"})
    assert app.profile(UUID(created["account_id"]))["siret"] == "35600000000048"


def test_one_account_per_email_and_a_second_sign_up_tells_only_the_owner(app):
    first = app.sign_up(SIGN_UP)
    # Not yet active: the owner gets a new activation link.
    again = app.sign_up({**SIGN_UP, "email": "contact@ecole-centre.fr"})
    assert again == first
    account_id = UUID(first["account_id"])
    app.activate(account_id, activation_token(app, first["account_id"]))
    # Active: the answer is still that of any sign-up; the owner is sent a
    # reset link saying why, and the account is left as it was.
    assert app.sign_up({**SIGN_UP, "password": "Autre2026x"}) == first
    assert app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
    kinds = [type(e).__name__ for e in app.aggregate_history(account_id)]
    assert kinds[-1] == "PasswordResetRequested"
    assert app.aggregate_history(account_id)[-1].because == "inscription"


def test_no_sign_in_before_activation(app):
    app.sign_up(SIGN_UP)
    with pytest.raises(AccountNotActive):
        app.sign_in(SIGN_UP["email"], PASSWORD)


def test_the_activation_link_expires_after_48_hours_and_a_new_one_works(app, clock):
    created = app.sign_up(SIGN_UP)
    account_id = UUID(created["account_id"])
    old = activation_token(app, created["account_id"])
    clock.advance(timedelta(hours=48, minutes=1))
    with pytest.raises(LinkExpired):
        app.activate(account_id, old)
    app.resend_activation(SIGN_UP["email"])
    with pytest.raises(LinkInvalid):
        app.activate(account_id, old)  # the old link stopped working
    app.activate(account_id, activation_token(app, created["account_id"]))
    assert app.sign_in(SIGN_UP["email"], PASSWORD)["token"]


def test_wrong_passwords_lock_nobody_out_and_write_nothing(app):
    """A stranger knowing the address could lock the school out: failures are
    slowed at the gateway, per address (gateway/limits.py), not here."""
    account_id = UUID(active_account(app))
    before = len(list(app.aggregate_history(account_id)))
    for _ in range(20):
        with pytest.raises(BadCredentials):
            app.sign_in(SIGN_UP["email"], "Mauvais1")
    assert len(list(app.aggregate_history(account_id))) == before
    assert app.sign_in(SIGN_UP["email"], PASSWORD)["token"]


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(app):
    active_account(app)
    with pytest.raises(BadCredentials) as unknown:
        app.sign_in("personne@example.fr", PASSWORD)
    with pytest.raises(BadCredentials) as wrong:
        app.sign_in(SIGN_UP["email"], "Mauvais1")
    assert str(unknown.value) == str(wrong.value)


def test_the_reset_link_works_once_within_two_hours(app, clock):
    account_id = UUID(active_account(app))
    # No account has this address: the same answer, and nothing written.
    assert app.request_password_reset(" Inconnu@Example.fr") == {
        "email": "inconnu@example.fr"
    }
    app.request_password_reset(SIGN_UP["email"])
    account = app.repository.get(account_id)
    token = app.links.token(RESET, account_id, account.reset_nonce)
    clock.advance(timedelta(hours=1, minutes=59))
    app.reset_password(account_id, token, "Nouveau2027")
    with pytest.raises(LinkInvalid):
        app.reset_password(account_id, token, "Encore2028")
    assert app.sign_in(SIGN_UP["email"], "Nouveau2027")["token"]

    app.request_password_reset(SIGN_UP["email"])
    account = app.repository.get(account_id)
    late = app.links.token(RESET, account_id, account.reset_nonce)
    clock.advance(timedelta(hours=2, seconds=1))
    with pytest.raises(LinkExpired):
        app.reset_password(account_id, late, "Tardif2029")


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app):
    account_id = active_account(app)
    other = app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
    this = app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
    assert gateway(app).account(this)["account_id"] == account_id
    with pytest.raises(InvalidFields) as wrong_current:
        app.change_password(UUID(account_id), "Mauvais1", "Nouveau2027")
    assert "current_password" in wrong_current.value.fields
    this_session = gateway(app).account(this)["session_id"]
    renewed = app.change_password(
        UUID(account_id), PASSWORD, "Nouveau2027", this_session
    )
    assert refused(app, other)
    assert refused(app, this)
    assert gateway(app).account(renewed["token"]) == {
        **gateway(app).account(renewed["token"]),
        "account_id": account_id,
        "session_id": this_session,
    }


def test_signing_out_ends_that_session_only_and_twice_is_once(app):
    active_account(app)
    leaving = app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
    staying = app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
    app.end_session(leaving)
    app.end_session(leaving)
    assert refused(app, leaving)
    assert not refused(app, staying)
    with pytest.raises(NotAuthenticated):
        app.end_session("pas.un.jeton")


def test_a_password_reset_ends_every_session(app, clock):
    account_id = UUID(active_account(app))
    token = app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
    app.request_password_reset(SIGN_UP["email"])
    nonce = app.repository.get(account_id).reset_nonce
    app.reset_password(
        account_id, app.links.token(RESET, account_id, nonce), "Neuf2027"
    )
    assert refused(app, token)
    assert not refused(app, app.sign_in(SIGN_UP["email"], "Neuf2027")["token"])


def test_a_session_expires(app, clock):
    active_account(app)
    token = app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
    clock.advance(timedelta(hours=8, seconds=1))
    assert refused(app, token)
    assert refused(app, "pas.un.jeton")


def test_a_sign_in_with_nothing_to_reset_writes_nothing(app):
    account_id = UUID(active_account(app))
    before = len(app.aggregate_history(account_id))
    for _ in range(3):
        app.sign_in(SIGN_UP["email"], PASSWORD)
    assert len(app.aggregate_history(account_id)) == before


def test_profile_changes_are_checked_and_kept(app):
    account_id = UUID(active_account(app))
    with pytest.raises(InvalidFields) as error:
        app.update_profile(account_id, {"siret": "123", "last_name": " "})
    assert set(error.value.fields) == {"siret", "last_name"}
    updated = app.update_profile(
        account_id, {"company_name": "Auto-école Bellecour", "phone": "0612345678"}
    )
    assert updated["company_name"] == "Auto-école Bellecour"
    assert updated["phone"] == "+33612345678"
    assert app.profile(account_id)["last_name"] == "Girard"


def test_sessions_follow_the_platforms_clock_not_the_wall(app, clock):
    active_account(app)
    clock.advance(timedelta(days=7))  # tokens issued "in the future" still work
    token = app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
    assert not refused(app, token)


def test_a_long_lived_account_loads_from_a_snapshot(app):
    account_id = UUID(active_account(app))
    for n in range(120):
        app.update_profile(account_id, {"phone": f"06123456{n % 100:02d}"})
    snapshots = list(app.snapshots.get(account_id))
    assert snapshots, "no snapshot taken"
    assert app.profile(account_id)["phone"] == "+33612345619"
    assert app.sign_in(SIGN_UP["email"], PASSWORD)["token"]
