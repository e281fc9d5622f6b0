"""The owner of an account is told of many wrong passwords (issue 12): the
gateway counts them, identity writes one report per window for an active
account, and nothing for an address no account has."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from services.common import contracts
from services.common.clock import FrozenClock
from services.common.sealing import open_message
from services.identity.application import IdentityApplication
from services.identity.domain import Account
from tests.identity.test_accounts import SIGN_UP, active_account


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(clock) -> IdentityApplication:
    return IdentityApplication(
        clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def _reports(
    app: IdentityApplication, account_id: UUID
) -> list[Account.FailedSignInsReported]:
    return [
        e
        for e in app.aggregate_history(account_id)
        if isinstance(e, Account.FailedSignInsReported)
    ]


def test_one_report_per_window_whoever_asks_and_how_often(app, clock):
    account_id = UUID(active_account(app))
    window = clock.now().replace(minute=0, second=0, microsecond=0)
    for attempts in (10, 10, 11):  # a retry, another gateway
        app.report_failed_sign_ins(" CONTACT@ecole-centre.fr", attempts, window)
    (report,) = _reports(app, account_id)
    assert (report.attempts, report.since) == (10, window)
    app.report_failed_sign_ins(SIGN_UP["email"], 10, window + timedelta(hours=1))
    assert len(_reports(app, account_id)) == 2


def test_the_report_is_published_with_the_address_sealed(app, clock):
    account_id = UUID(active_account(app))
    app.report_failed_sign_ins(SIGN_UP["email"], 10, clock.now())
    (report,) = _reports(app, account_id)
    body = app.published[type(report)].dump(report, app)
    assert "email" not in body
    opened, _ = open_message(contracts.SignInFailuresReported, body, app.keystore)
    loaded = contracts.SignInFailuresReported().load(opened)
    assert loaded["email"] == "contact@ecole-centre.fr"
    assert loaded["attempts"] == 10


def test_an_unknown_or_inactive_address_writes_nothing(app, clock):
    before = app.recorder.max_notification_id()
    app.report_failed_sign_ins("personne@example.fr", 10, clock.now())
    assert app.recorder.max_notification_id() == before
    created = app.sign_up(SIGN_UP)  # not activated
    before = app.recorder.max_notification_id()
    app.report_failed_sign_ins(SIGN_UP["email"], 10, clock.now())
    assert app.recorder.max_notification_id() == before
    assert _reports(app, UUID(created["account_id"])) == []
