"""The card payment provider: an interface, and a local simulator that behaves
like a real provider's test mode, so a real adapter plugs in later (BI-1).

The card number never reaches the platform: as with a real provider's hosted
fields, the payment page hands it to the provider, which answers an opaque
token; the checkout carries only the token, and billing charges it. The
simulator plays both parts: `tokenise` (served to the page by `pmc
card-simulator`, services/billing/hosted_fields.py) and the charges.

Like real providers, operations take an idempotency key: the same key gives
the same answer and never a second charge (BI-2); and a payment can be looked
up by the key it was authorised under (as Stripe retrieves an idempotent
request's result), which is how a checkout left pending is reconciled.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


class ProviderError(RuntimeError):
    """The provider did not answer usefully; nothing is known to be charged."""


class InvalidCardNumber(ValueError):
    """The hosted fields refuse a number before any token exists."""

    def __init__(self) -> None:
        super().__init__("Le numéro de carte n'est pas valide.")


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
        self, amount_cents: int, card_token: str, idempotency_key: str
    ) -> Authorisation:
        """Authorise a charge of the card behind a token the provider issued;
        declined (not raised) when the token is unknown to it."""
        ...

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
# Their ready-made tokens (as real providers publish some for tests), for
# charges that need no hosted fields: in-process and API tests.
APPROVED_TOKEN = "tok_test_approved"
DECLINED_TOKEN = "tok_test_declined"
INSUFFICIENT_FUNDS_TOKEN = "tok_test_insufficient_funds"
PROVIDER_FAILURE_TOKEN = "tok_test_provider_failure"
TEST_TOKENS = {
    APPROVED_TOKEN: APPROVED,
    DECLINED_TOKEN: DECLINED,
    INSUFFICIENT_FUNDS_TOKEN: INSUFFICIENT_FUNDS,
    PROVIDER_FAILURE_TOKEN: PROVIDER_FAILURE,
}
# What a card does, kept with its token instead of its number.
APPROVES, DECLINES, LACKS_FUNDS, FAILS = "approves", "declines", "lacks_funds", "fails"
_BEHAVIOURS = {DECLINED: DECLINES, INSUFFICIENT_FUNDS: LACKS_FUNDS}
_BEHAVIOURS[PROVIDER_FAILURE] = FAILS
DECLINE_REASONS = {
    DECLINES: "carte refusée",
    LACKS_FUNDS: "provision insuffisante",
    # A token this provider never issued (or forgot): no charge, say why.
    None: "carte inconnue, saisissez à nouveau son numéro",
}
# A card number: 12 to 19 ASCII digits, spaces between groups allowed. Other
# alphabets' digits (« ４２ », « ٤٢ ») are not card numbers.
_NUMBER = re.compile(r"[0-9]{12,19}", re.ASCII)
_MAX_NUMBER_LENGTH = 30


def card_behaviour(number: str) -> str:
    """How the simulator treats a card, from its number; InvalidCardNumber if
    it is none."""
    if not isinstance(number, str) or len(number) > _MAX_NUMBER_LENGTH:
        raise InvalidCardNumber
    digits = number.replace(" ", "")
    if not _NUMBER.fullmatch(digits):
        raise InvalidCardNumber
    return _BEHAVIOURS.get(digits, APPROVES)


class MemoryLedger:
    """The simulator's ledger for in-process tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.payments: dict[str, dict[str, Any]] = {}  # by authorisation key
        self.refunds: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}  # token -> behaviour

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

    def refunded(self, capture_id: str) -> int:
        return sum(
            r["amount_cents"]
            for r in self.refunds.values()
            if r["capture_id"] == capture_id
        )

    def behaviour(self, token: str) -> str | None:
        return self.tokens.get(token)

    def put_token(self, token: str, behaviour: str) -> None:
        self.tokens[token] = behaviour

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

    def tokenise(self, card_number: str) -> str:
        """The hosted fields' part: a token for the card, which keeps how it
        behaves and never its number; InvalidCardNumber if it is none."""
        behaviour = card_behaviour(card_number)
        token = f"tok_{secrets.token_urlsafe(18)}"
        with self.ledger.transaction() as tx:
            tx.put_token(token, behaviour)
        return token

    def _behaviour(self, token: str) -> str | None:
        if token in TEST_TOKENS:
            return card_behaviour(TEST_TOKENS[token])
        with self.ledger.transaction() as tx:
            return tx.behaviour(token)

    def authorise(
        self, amount_cents: int, card_token: str, idempotency_key: str
    ) -> Authorisation:
        behaviour = self._behaviour(card_token)
        if behaviour == FAILS:
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
                    "decline_reason": DECLINE_REASONS.get(behaviour, ""),
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
        """Give back part or all of a capture; the same key gives the same
        refund back and never a second one. As a real provider does, a refund
        of an unknown capture, or beyond what it took, is refused."""
        with self.ledger.transaction() as tx:
            row = tx.refund(idempotency_key)
            if row is None:
                self._check_refundable(tx, capture_id, amount_cents)
                row = {
                    "refund_key": idempotency_key,
                    "capture_id": capture_id,
                    "amount_cents": amount_cents,
                    "refund_id": f"ref_{secrets.token_hex(6)}",
                }
                tx.put_refund(row)
        return row["refund_id"]

    @staticmethod
    def _check_refundable(tx: Any, capture_id: str, amount_cents: int) -> None:
        payment = tx.payment("capture_id", capture_id)
        if payment is None or payment["status"] != PAYMENT_CAPTURED:
            raise ProviderError(f"capture inconnue : {capture_id}")
        given = tx.refunded(capture_id)
        if amount_cents <= 0 or given + amount_cents > payment["amount_cents"]:
            raise ProviderError(
                f"remboursement de {amount_cents} centimes refusé : "
                f"{payment['amount_cents'] - given} restent remboursables"
            )

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
