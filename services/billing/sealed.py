"""What billing keeps of people, sealed (issue 11; README « Personal data »).

A checkout's events never hold a person's data in clear:
- the buyer (the school's contact details) and the SEPA mandate's IBAN and
  holder are sealed with the school's key: the bank's file needs them after
  the payment, and they are the school's;
- each line's candidate name and NEPH are sealed with the checkout's own key
  (its id as the subject): needed until the invoice is issued, then the
  invoice holds them; a checkout that ends unpaid forgets that key;
- the invoice, as issued, is sealed with the same checkout key, kept as long
  as the law keeps invoices: a candidate's erasure does not reach it.

Checkouts written before sealing carry these in clear: they are read as they
are (no upcaster rewrites history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.billing.domain import Checkout
from services.common.personal import Vault, school_subject

# What of a cart line names a person.
LINE_PERSONAL = ("candidate_name", "neph")
# What of the mandate identifies the account and its holder.
MANDATE_PERSONAL = ("iban", "holder")


class SealedDataLost(LookupError):
    """A key needed to open what a checkout sealed is gone."""


@dataclass(frozen=True)
class Sealed:
    """The fields of a new `Checkout.Started`: personal data out, blobs in."""

    buyer: dict[str, Any]
    lines: list[dict[str, Any]]
    mandate: dict[str, Any] | None
    school_sealed: str
    lines_sealed: str


@dataclass(frozen=True)
class Opened:
    """A checkout's personal data, in clear for the time of one request."""

    buyer: dict[str, Any]
    lines: list[dict[str, Any]]
    mandate: dict[str, Any] | None


def seal_checkout(
    vault: Vault,
    school_id: str,
    checkout_id: UUID,
    buyer: dict[str, Any],
    lines: list[dict[str, Any]],
    mandate: dict[str, Any] | None,
) -> Sealed:
    """The checkout's fields with its personal data sealed."""
    bank = {k: mandate[k] for k in MANDATE_PERSONAL} if mandate else None
    school = {"buyer": dict(buyer), "bank": bank}
    people = [{k: line.get(k) for k in LINE_PERSONAL} for line in lines]
    return Sealed(
        buyer={},
        lines=[
            {k: v for k, v in line.items() if k not in LINE_PERSONAL} for line in lines
        ],
        mandate=(
            {k: v for k, v in mandate.items() if k not in MANDATE_PERSONAL}
            if mandate
            else None
        ),
        school_sealed=vault.seal(school_subject(school_id), school),
        lines_sealed=vault.seal(checkout_id, {"lines": people}),
    )


def open_checkout(vault: Vault, checkout: Checkout) -> Opened:
    """The buyer, lines and mandate in clear (as stored, before sealing).

    Raises SealedDataLost when a key is gone: the lines' once the checkout
    ended unpaid, the school's once the school is erased.
    """
    buyer, lines, mandate = checkout.buyer, checkout.lines, checkout.mandate
    if checkout.school_sealed:
        school = _unseal(
            vault, school_subject(checkout.school_id), checkout.school_sealed
        )
        buyer = school["buyer"]
        if mandate is not None:
            mandate = {**mandate, **(school.get("bank") or {})}
    if checkout.lines_sealed:
        people = _unseal(vault, checkout.id, checkout.lines_sealed)["lines"]
        lines = [{**line, **person} for line, person in zip(lines, people, strict=True)]
    return Opened(buyer=dict(buyer), lines=[dict(x) for x in lines], mandate=mandate)


def seal_invoice(vault: Vault, checkout_id: UUID, invoice: dict[str, Any]) -> str:
    """The issued invoice and who it thanks, for `Checkout.Captured`."""
    school_email = (invoice.get("buyer") or {}).get("email")
    return vault.seal(checkout_id, {"invoice": invoice, "school_email": school_email})


def opened_capture(vault: Vault, captured: Checkout.Captured) -> dict[str, Any]:
    """The invoice and the school's e-mail address a capture recorded (both
    None when its key is gone)."""
    sealed = getattr(captured, "invoice_sealed", None)
    if not sealed:  # captured before sealing: in clear
        return {
            "invoice": getattr(captured, "invoice", None),
            "school_email": captured.school_email,
        }
    opened = vault.unseal(captured.originator_id, sealed) or {}
    return {
        "invoice": opened.get("invoice"),
        "school_email": opened.get("school_email"),
    }


def issued_invoice(vault: Vault, checkout: Checkout) -> dict[str, Any] | None:
    """The invoice as issued: None for checkouts paid before invoices were kept."""
    if checkout.invoice_sealed:
        return _unseal(vault, checkout.id, checkout.invoice_sealed)["invoice"]
    return checkout.invoice


def _unseal(vault: Vault, subject: UUID, sealed: str) -> dict[str, Any]:
    opened = vault.unseal(subject, sealed)
    if opened is None:
        raise SealedDataLost(subject)
    return opened
