"""Payments by method and outcome (pmc_payments_total, OP-3): each settled
payment counts once, however often its request is retried."""

from __future__ import annotations

from uuid import uuid4

import pytest
from prometheus_client import REGISTRY

from services.billing.application import BillingApplication
from services.billing.provider import (
    APPROVED_TOKEN,
    DECLINED_TOKEN,
    SimulatedCardProvider,
)
from tests.billing.test_checkout import cart


@pytest.fixture
def billing(settings):
    app = BillingApplication(settings=settings, provider=SimulatedCardProvider())
    yield app
    app.close()


def counted(outcome: str) -> float:
    labels = {"method": "carte", "outcome": outcome}
    return REGISTRY.get_sample_value("pmc_payments_total", labels) or 0.0


def test_each_payment_counts_once_by_outcome(billing):
    paid, declined = counted("paid"), counted("declined")
    key = f"k-{uuid4()}"
    lines = cart()
    billing.pay_by_card("ecole-metrics", key, lines, APPROVED_TOKEN)
    billing.pay_by_card("ecole-metrics", key, lines, APPROVED_TOKEN)  # a retry
    billing.pay_by_card("ecole-metrics", f"k-{uuid4()}", cart(), DECLINED_TOKEN)
    assert counted("paid") == paid + 1
    assert counted("declined") == declined + 1
