"""Invoices (BI-3): seller and buyer with their SIRET, lines, VAT and total, PDF."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.billing.domain import Checkout
from services.common.documents import euros, when
from services.common.pdf import Document

PARIS = ZoneInfo("Europe/Paris")
SELLER = {
    "name": "La Poste — Passer mon code",
    "siret": "35600000000048",
    "address": "9 rue du Colonel Pierre Avia, 75015 Paris",
    "vat_number": "FR39356000000",
}


def invoice_number(number: int, at: datetime) -> str:
    return f"F{at.astimezone(PARIS):%Y}-{number:06d}"


def invoice(checkout: Checkout) -> dict[str, Any]:
    """The figures of a paid checkout's invoice: prices are all taxes included."""
    rate = checkout.vat_rate_percent
    total = checkout.amount_cents
    # Decimal, half up: French invoices round to the nearest cent, ties upward.
    excluding_vat = int(
        (Decimal(total) / (1 + Decimal(str(rate)) / 100)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    assert checkout.invoice_number is not None and checkout.paid_at is not None
    return {
        "number": invoice_number(checkout.invoice_number, checkout.paid_at),
        "date": checkout.paid_at.astimezone(PARIS).date().isoformat(),
        "seller": SELLER,
        "buyer": checkout.buyer,
        "lines": [
            {**line, "price_cents": checkout.unit_price_cents}
            for line in checkout.lines
        ],
        "vat_rate_percent": rate,
        "total_excluding_vat_cents": excluding_vat,
        "vat_cents": total - excluding_vat,
        "total_cents": total,
        "method": checkout.method,
    }


def render_invoice(data: dict[str, Any]) -> bytes:
    doc = Document()
    doc.paragraph(f"Facture n° {data['number']}", size=16, bold=True)
    doc.paragraph(f"Date : {data['date'][8:10]}/{data['date'][5:7]}/{data['date'][:4]}")
    doc.ln(4)
    seller = data["seller"]
    doc.paragraph("Vendeur", bold=True)
    doc.paragraph(f"{seller['name']}\n{seller['address']}")
    doc.paragraph(
        f"SIRET {seller['siret']} — TVA intracommunautaire {seller['vat_number']}"
    )
    doc.ln(3)
    buyer = data["buyer"]
    address = buyer.get("address") or {}
    doc.paragraph("Client", bold=True)
    doc.paragraph(
        f"{buyer.get('company_name') or ''}\n"
        f"{address.get('street', '')}, {address.get('postal_code', '')} "
        f"{address.get('city', '')}"
    )
    doc.paragraph(f"SIRET {buyer.get('siret') or '—'}")
    doc.ln(4)
    doc.paragraph("Désignation", bold=True)
    for line in data["lines"]:
        starts = line.get("exam_starts_at")
        exam = when(starts) if starts else ""
        doc.paragraph(
            f"Place d'examen du code de la route — {line.get('candidate_name') or ''}"
            f" (NEPH {line.get('neph') or '—'}) — {line.get('centre_name') or ''}"
            f" — {exam} : {euros(line['price_cents'])} TTC"
        )
    doc.ln(4)
    doc.paragraph(f"Total HT : {euros(data['total_excluding_vat_cents'])}")
    doc.paragraph(f"TVA {data['vat_rate_percent']:g} % : {euros(data['vat_cents'])}")
    doc.paragraph(f"Total TTC : {euros(data['total_cents'])}", bold=True)
    method = "carte bancaire" if data["method"] == "carte" else "prélèvement SEPA"
    doc.paragraph(f"Réglé par {method}.")
    return doc.to_bytes()
