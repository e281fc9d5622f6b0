"""A candidate account's codes, in the domain alone (ID-6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.links import LinkTokens
from services.identity.candidate_account import (
    CODE_TRIES,
    CODE_VALIDITY,
    EMAIL_CODE,
    PHONE_CODE,
    CandidateAccount,
    CodeExpired,
    CodeInvalid,
    NoCodeToCheck,
    account_code,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _account() -> CandidateAccount:
    account = CandidateAccount(
        digest="d", candidate_id=uuid4(), password_hash="h", personal="s", opened_at=NOW
    )
    account.send_code(EMAIL_CODE, "nonce-1", NOW)
    return account


def test_a_code_is_six_digits_and_differs_by_nonce_and_account():
    links = LinkTokens("secret")
    one = uuid4()
    code = account_code(links, one, "n")
    assert len(code) == 6 and code.isdigit()
    assert code == account_code(links, one, "n")
    # Another nonce or another account: another code (20 tries, 6 digits).
    assert len({account_code(links, one, f"n{i}") for i in range(20)}) > 1
    assert len({account_code(links, uuid4(), "n") for _ in range(20)}) > 1


def test_the_right_code_proves_the_address_and_signing_in_opens():
    account = _account()
    assert not account.active
    account.check_code(EMAIL_CODE, True, NOW + timedelta(minutes=1))
    assert account.active
    with pytest.raises(NoCodeToCheck):
        account.waiting_nonce(EMAIL_CODE)
    with pytest.raises(NoCodeToCheck):
        account.send_code(EMAIL_CODE, "nonce-2", NOW)


def test_five_wrong_guesses_end_a_code():
    account = _account()
    for _ in range(CODE_TRIES):
        with pytest.raises(CodeInvalid):
            account.check_code(EMAIL_CODE, False, NOW)
    with pytest.raises(CodeExpired):
        account.check_code(EMAIL_CODE, True, NOW)
    assert not account.active
    account.send_code(EMAIL_CODE, "nonce-2", NOW)  # a new code starts afresh
    account.check_code(EMAIL_CODE, True, NOW)
    assert account.active


def test_a_late_code_is_refused_and_a_phone_waits_for_its_own():
    account = _account()
    with pytest.raises(CodeExpired):
        account.check_code(EMAIL_CODE, True, NOW + CODE_VALIDITY + timedelta(seconds=1))
    with pytest.raises(NoCodeToCheck):
        account.waiting_nonce(PHONE_CODE)
