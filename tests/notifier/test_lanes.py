"""Account messages have a sender of their own: a school's bulk mail never
delays another's activation link, reset link or code."""

from __future__ import annotations

import secrets
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller

from pmc.mailcatcher import FolderHandler, duplicates
from services.common.envelope import Delivered, Envelope
from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL, SMS
from services.notifier.mailer import AccountMailer, Mailer
from tests.conftest import free_port
from tests.helpers import mails, mails_to, sms_to

BULK = 30


@pytest.fixture
def notifier(settings, tmp_path):
    """The notifier's application, sending to a mail server and SMS folder of
    this test's own."""
    port = free_port()
    controller = Controller(
        FolderHandler(tmp_path / "mail"), hostname="127.0.0.1", port=port
    )
    controller.start()
    app = NotifierApplication(
        settings=settings.replace(smtp_port=port, sms_folder=str(tmp_path / "sms"))
    )
    yield app
    app.close()
    controller.stop()


def _queue(app: NotifierApplication, channel: str, audience: str, to: str) -> None:
    envelope = Envelope("probe", "Probe", 1, secrets.randbelow(10**12), "2026-11-24")
    app.queue(Delivered(envelope, {}, 1), channel, audience, uuid4(), to, "Objet", "…")


def test_account_mail_goes_out_while_a_bulk_backlog_waits(notifier, tmp_path):
    bulk = [f"rafale-{i}-{secrets.token_hex(3)}@example.fr" for i in range(BULK)]
    for recipient in bulk:
        _queue(notifier, EMAIL, "candidat", recipient)
    account = f"compte-{secrets.token_hex(3)}@example.fr"
    _queue(notifier, EMAIL, "compte", account)
    _queue(notifier, SMS, "compte", "+33612345678")
    folder = tmp_path / "mail"

    # The account sender alone: it sends the account's mail and SMS, queued
    # after the whole backlog, and none of the backlog.
    account_mailer = AccountMailer(notifier)
    bulk_mailer = Mailer(notifier)
    try:
        account_mailer.run_until_caught_up()
        assert len(mails_to(folder, account)) == 1
        assert sms_to(tmp_path / "sms", "+33612345678") == ["…"]
        assert not [m for m in mails(folder) if m["To"] in bulk]

        # The bulk sender sends the backlog, and not the account's mail again.
        bulk_mailer.run_until_caught_up()
        account_mailer.run_until_caught_up()
    finally:
        account_mailer.release()
        bulk_mailer.release()
    assert sorted(m["To"] for m in mails(folder) if m["To"] in bulk) == sorted(bulk)
    assert len(mails_to(folder, account)) == 1
    assert duplicates(folder) == []


def test_each_lane_has_its_own_leader_lock(notifier):
    account_mailer, bulk_mailer = AccountMailer(notifier), Mailer(notifier)
    standby = AccountMailer(notifier)
    try:
        assert account_mailer.try_lead()
        assert bulk_mailer.try_lead()  # the account lane's lock does not hold it
        assert not standby.try_lead()  # one account sender at a time
    finally:
        for mailer in (account_mailer, bulk_mailer, standby):
            mailer.release()
    assert {account_mailer.lock_key, bulk_mailer.lock_key} == {
        f"{notifier.schema}.account-mailer",
        f"{notifier.schema}.mailer",
    }
