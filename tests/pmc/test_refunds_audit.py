"""The refunds audit's comparison (OP-1): each kind of difference, and none
when the logs agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pmc.refunds_audit import (
    DOUBLED,
    MISSING,
    NOT_DUE,
    WRONG_AMOUNT,
    Due,
    Payment,
    compare,
)

AT = datetime(2026, 11, 2, 10, tzinfo=UTC)


def _due(reservation: str, checkout: str = "c1", asked: int | None = 3000) -> Due:
    return Due(reservation, "ecole", checkout, AT, "auto-école", asked)


def test_logs_that_agree_have_no_difference():
    payments = {"c1": Payment(3000, captured=True)}
    dues = [_due("r1"), _due("r2", asked=None), _due("r3", asked=1500)]
    refunds = {
        "r1": [("ecole", 3000)],
        "r2": [("ecole", 3000)],  # no snapshot: the invoice's unit price
        "r3": [("ecole", 1500)],
    }
    assert compare(dues, payments, refunds) == ([], 3, 3)


def test_each_difference_is_named():
    payments = {
        "c1": Payment(3000, captured=True),
        "returned": Payment(3000, captured=True, returned_at=AT - timedelta(days=1)),
        "never": Payment(3000),
    }
    dues = [
        _due("missing"),
        _due("doubled"),
        _due("wrong"),
        _due("returned-first", checkout="returned"),
        _due("not-captured", checkout="never"),
        _due("more-than-paid", asked=9000),
    ]
    refunds = {
        "doubled": [("ecole", 3000), ("ecole", 3000)],
        "wrong": [("ecole", 2000)],
        "returned-first": [("ecole", 3000)],
        "more-than-paid": [("ecole", 3000)],  # never more than the unit price
        "stray": [("ecole", 3000)],
    }
    findings, due_count, paid_count = compare(dues, payments, refunds)
    assert {f.reservation_id: f.kind for f in findings} == {
        "missing": MISSING,
        "doubled": DOUBLED,
        "wrong": WRONG_AMOUNT,
        "returned-first": NOT_DUE,
        "stray": NOT_DUE,
    }
    assert (due_count, paid_count) == (4, 6)
