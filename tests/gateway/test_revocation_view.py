"""The gateway's view of revoked sessions: events and loads in any order, each
applied any number of times, give the same refusals; what expired is dropped."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from gateway.sessions import NotReady, RevocationView, SessionCheck
from services.common import contracts
from services.common.clock import FrozenClock
from services.common.errors import PlatformError
from services.common.sessions import SessionTokens

LIFETIME = timedelta(hours=8)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def tokens() -> SessionTokens:
    return SessionTokens("cle-de-test", LIFETIME)


def revoked(account_id, generation: int, at) -> dict:
    return contracts.SessionsRevoked().dump(
        {
            "account_id": account_id,
            "generation": generation,
            "revoked_at": at,
            "expires_at": at + LIFETIME,
        }
    )


def ended(account_id, session_id: str, expires_at) -> dict:
    return contracts.SessionEnded().dump(
        {"account_id": account_id, "session_id": session_id, "expires_at": expires_at}
    )


def accepted(check: SessionCheck, token: str) -> bool:
    try:
        check.account(token)
    except PlatformError as error:
        assert error.status == 401
        return False
    return True


def test_no_token_is_trusted_before_the_first_load(tokens, clock):
    check = SessionCheck(tokens, RevocationView(), clock)
    token = tokens.issue(uuid4(), 0, clock.now())["token"]
    with pytest.raises(NotReady):
        check.account(token)
    with pytest.raises(PlatformError):
        check.account("pas-un-jeton")  # a forgery is refused as such


def test_an_older_revocation_loaded_late_never_revives_a_newer_one(tokens, clock):
    view = RevocationView()
    check = SessionCheck(tokens, view, clock)
    account = uuid4()
    first = tokens.issue(account, 0, clock.now())["token"]
    second = tokens.issue(account, 1, clock.now())["token"]
    current = tokens.issue(account, 2, clock.now())["token"]
    signed_out = tokens.issue(account, 2, clock.now(), session_id="s-out")
    # The event of the second new password came before the load, which still
    # holds the first one; an event is delivered twice.
    event = contracts.SessionsRevoked().load(revoked(account, 2, clock.now()))
    view.apply(contracts.SessionsRevoked, event)
    view.load(
        {
            "sessions_revoked": [revoked(account, 1, clock.now())],
            "sessions_ended": [ended(account, "s-out", clock.now() + LIFETIME)],
        }
    )
    view.apply(contracts.SessionsRevoked, event)
    assert not accepted(check, first)
    assert not accepted(check, second)
    assert not accepted(check, signed_out["token"])
    assert accepted(check, current)


def test_what_expired_is_forgotten(tokens, clock):
    view = RevocationView()
    view.load({"sessions_revoked": [revoked(uuid4(), 1, clock.now())]})
    view.session_ended("s-1", clock.now() + timedelta(hours=1))
    check = SessionCheck(tokens, view, clock)
    assert len(view) == 2
    clock.advance(LIFETIME + timedelta(minutes=2))
    accepted(check, tokens.issue(uuid4(), 0, clock.now())["token"])
    assert len(view) == 0
