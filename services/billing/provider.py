"""The card payment provider: an interface, and a local simulator that behaves
like a real provider's test mode, so a real adapter plugs in later (BI-1).

Like real providers, operations take an idempotency key: the same key gives
the same answer and never a second charge (BI-2); and a payment can be looked
up by the key it was authorised under (as Stripe retrieves an idempotent
request's result), which is how a checkout left pending is reconciled.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


class ProviderError(RuntimeError):
    """The provider did not answer usefully; nothing is known to be charged."""


@dataclass(frozen=True)
class Authorisation:
    id: str
    approved: bool
    decline_reason: str = ""


@dataclass(frozen=True)
class Capture:
    id: str
    amount_cents: int


# What the provider knows of a payment, by its authorisation key.
PAYMENT_DECLINED = "declined"
PAYMENT_AUTHORISED = "authorised"
PAYMENT_CAPTURED = "captured"
PAYMENT_VOIDED = "voided"


@dataclass(frozen=True)
class ProviderPayment:
    status: str
    authorisation_id: str
    amount_cents: int
    capture_id: str | None = None
    decline_reason: str = ""


class CardProvider(Protocol):
    def authorise(
        self, amount_cents: int, card_number: str, idempotency_key: str
    ) -> Authorisation: ...

    def capture(self, authorisation_id: str, idempotency_key: str) -> Capture: ...

    def void(self, authorisation_id: str) -> bool:
        """Cancel an uncaptured authorisation; False if it was captured."""
        ...

    def refund(
        self, capture_id: str, amount_cents: int, idempotency_key: str
    ) -> str: ...

    def lookup(self, idempotency_key: str) -> ProviderPayment | None:
        """The payment authorised under this key, or None if it never happened."""
        ...


# The simulator's test cards, as providers publish theirs.
APPROVED = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROVIDER_FAILURE = "4000000000000119"


class MemoryLedger:
    """The simulator's ledger for in-process tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.payments: dict[str, dict[str, Any]] = {}  # by authorisation key
        self.refunds: dict[str, dict[str, Any]] = {}

    @contextmanager
    def transaction(self) -> Iterator[MemoryLedger]:
        with self._lock:
            yield self

    def payment(self, column: str, value: str) -> dict[str, Any] | None:
        found = [row for row in self.payments.values() if row[column] == value]
        return dict(found[0]) if found else None

    def put_payment(self, row: dict[str, Any]) -> None:
        self.payments[row["authorise_key"]] = dict(row)

    def refund(self, key: str) -> dict[str, Any] | None:
        return self.refunds.get(key)

    def put_refund(self, row: dict[str, Any]) -> None:
        self.refunds[row["refund_key"]] = dict(row)

    def all_payments(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.payments.values()]

    def all_refunds(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.refunds.values()]


class SimulatedCardProvider:
    """A provider's test mode. Its ledger lives outside the billing process
    (PostgreSQL, see simulator.py) so that, like a real provider, it remembers
    its payments when billing is restarted; in memory for in-process tests."""

    def __init__(self, ledger: Any = None) -> None:
        self.ledger = ledger if ledger is not None else MemoryLedger()

    # -- what tests count

    @property
    def captures(self) -> int:
        payments = self.ledger.all_payments()
        return sum(1 for p in payments if p["status"] == PAYMENT_CAPTURED)

    @property
    def captured_cents(self) -> int:
        taken = sum(
            p["amount_cents"]
            for p in self.ledger.all_payments()
            if p["status"] == PAYMENT_CAPTURED
        )
        return taken - sum(r["amount_cents"] for r in self.ledger.all_refunds())

    # -- the provider's interface

    def authorise(
        self, amount_cents: int, card_number: str, idempotency_key: str
    ) -> Authorisation:
        number = card_number.replace(" ", "")
        if number == PROVIDER_FAILURE:
            # The test card of an outage: the request never reached a decision.
            raise ProviderError("le prestataire de paiement ne répond pas")
        with self.ledger.transaction() as tx:
            row = tx.payment("authorise_key", idempotency_key)
            if row is None:
                row = {
                    "authorise_key": idempotency_key,
                    "authorisation_id": f"auth_{secrets.token_hex(6)}",
                    "amount_cents": amount_cents,
                    "status": PAYMENT_AUTHORISED,
                    "decline_reason": _decline_reason(number),
                    "capture_key": None,
                    "capture_id": None,
                }
                if row["decline_reason"]:
                    row["status"] = PAYMENT_DECLINED
                tx.put_payment(row)
        return Authorisation(
            row["authorisation_id"],
            row["status"] != PAYMENT_DECLINED,
            row["decline_reason"],
        )

    def capture(self, authorisation_id: str, idempotency_key: str) -> Capture:
        with self.ledger.transaction() as tx:
            row = tx.payment("capture_key", idempotency_key)
            if row is None:
                row = tx.payment("authorisation_id", authorisation_id)
                if row is None or row["status"] != PAYMENT_AUTHORISED:
                    state = row["status"] if row else "inconnue"
                    raise ProviderError(
                        f"autorisation {authorisation_id} non capturable : {state}"
                    )
                row.update(
                    status=PAYMENT_CAPTURED,
                    capture_key=idempotency_key,
                    capture_id=f"cap_{secrets.token_hex(6)}",
                )
                tx.put_payment(row)
        return Capture(row["capture_id"], row["amount_cents"])

    def void(self, authorisation_id: str) -> bool:
        with self.ledger.transaction() as tx:
            row = tx.payment("authorisation_id", authorisation_id)
            if row is None:
                raise ProviderError(f"autorisation inconnue : {authorisation_id}")
            if row["status"] == PAYMENT_CAPTURED:
                return False
            if row["status"] == PAYMENT_AUTHORISED:
                row["status"] = PAYMENT_VOIDED
                tx.put_payment(row)
            return True

    def refund(self, capture_id: str, amount_cents: int, idempotency_key: str) -> str:
        with self.ledger.transaction() as tx:
            row = tx.refund(idempotency_key)
            if row is None:
                row = {
                    "refund_key": idempotency_key,
                    "capture_id": capture_id,
                    "amount_cents": amount_cents,
                    "refund_id": f"ref_{secrets.token_hex(6)}",
                }
                tx.put_refund(row)
        return row["refund_id"]

    def lookup(self, idempotency_key: str) -> ProviderPayment | None:
        with self.ledger.transaction() as tx:
            row = tx.payment("authorise_key", idempotency_key)
        if row is None:
            return None
        return ProviderPayment(
            status=row["status"],
            authorisation_id=row["authorisation_id"],
            amount_cents=row["amount_cents"],
            capture_id=row["capture_id"],
            decline_reason=row["decline_reason"],
        )


def _decline_reason(number: str) -> str:
    if number == DECLINED:
        return "carte refusée"
    if number == INSUFFICIENT_FUNDS:
        return "provision insuffisante"
    if not number.isdigit() or len(number) < 12:
        return "numéro de carte invalide"
    return ""
