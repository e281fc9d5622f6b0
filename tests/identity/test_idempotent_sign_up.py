"""Sign-up with an idempotency key: a retry gets the same answer (TR-3)."""

from __future__ import annotations

import pytest

from services.common.idempotency import IdempotencyConflict
from services.identity.application import IdentityApplication
from tests.identity.test_accounts import SIGN_UP


@pytest.fixture
def app() -> IdentityApplication:
    return IdentityApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_a_retried_sign_up_answers_the_same_and_creates_one_account(app):
    first = app.sign_up(SIGN_UP, "cle-inscription")
    assert app.sign_up(SIGN_UP, "cle-inscription") == first
    # Without the key: the same answer, and still one account.
    assert app.sign_up(SIGN_UP) == first
    with pytest.raises(IdempotencyConflict):
        app.sign_up({**SIGN_UP, "password": "Autre2026x"}, "cle-inscription")
