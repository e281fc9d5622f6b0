"""Invoices (BI-3): the figures of a paid checkout's invoice, built once when
the payment is captured (seller as it was then, buyer, one line a seat, VAT);
services/common/invoice_pdf.py prints them."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.billing.domain import Checkout
from services.billing.sealed import Opened, issued_invoice, open_checkout
from services.common.company import Company
from services.common.personal import Vault

PARIS = ZoneInfo("Europe/Paris")


def invoice_number(number: int, at: datetime) -> str:
    return invoice_of_year(number, at.astimezone(PARIS).year)


def invoice_of_year(number: int, year: int) -> str:
    """The number as the invoice prints it, from its Paris year of payment."""
    return f"F{year}-{number:06d}"


def excluding_vat(cents: int, rate_percent: float) -> int:
    # Decimal, half up: French invoices round to the nearest cent, ties upward.
    return int(
        (Decimal(cents) / (1 + Decimal(str(rate_percent)) / 100)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )


def invoice(
    checkout: Checkout,
    opened: Opened,
    number: int,
    paid_at: datetime,
    seller: Company,
) -> dict[str, Any]:
    """The invoice of `checkout` (its buyer and lines `opened`), paid at
    `paid_at`: prices are set all taxes
    included (BI-5); each line's price before tax is derived from it, and the
    VAT is what remains of the total, so lines, totals and payment agree."""
    rate = checkout.vat_rate_percent
    unit_excluding_vat = excluding_vat(checkout.unit_price_cents, rate)
    lines = [
        {
            "candidate_name": line.get("candidate_name"),
            "neph": line.get("neph"),
            "centre_name": line.get("centre_name"),
            "exam_starts_at": line.get("exam_starts_at"),
            "quantity": 1,
            "unit_price_excluding_vat_cents": unit_excluding_vat,
            "vat_rate_percent": rate,
        }
        for line in opened.lines
    ]
    total = checkout.amount_cents
    total_excluding_vat = unit_excluding_vat * len(lines)
    day = paid_at.astimezone(PARIS).date().isoformat()
    return {
        "number": invoice_number(number, paid_at),
        "date": day,
        "paid_on": day,
        "seller": seller.as_dict(),
        "buyer": dict(opened.buyer),
        "lines": lines,
        "vat_rate_percent": rate,
        "total_excluding_vat_cents": total_excluding_vat,
        "vat_cents": total - total_excluding_vat,
        "total_cents": total,
        "method": checkout.method,
    }


def as_issued(vault: Vault, checkout: Checkout, seller: Company) -> dict[str, Any]:
    """A paid checkout's invoice as issued; checkouts paid before invoices
    were kept are issued again from their figures (in clear then).

    Raises SealedDataLost when the key of a sealed invoice is gone.
    """
    assert checkout.invoice_number is not None and checkout.paid_at is not None
    return issued_invoice(vault, checkout) or invoice(
        checkout,
        open_checkout(vault, checkout),
        checkout.invoice_number,
        checkout.paid_at,
        seller,
    )
