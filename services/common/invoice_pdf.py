"""The invoice as PDF (BI-3), shared by billing (the school's download) and the
notifier (attached to the payment confirmation), from the invoice's figures
alone: billing builds them once, when the payment is captured.

What a French invoice between businesses carries (Code de commerce L441-9,
Code général des impôts 242 nonies A): number and date; seller (name, legal
form, capital, RCS, SIRET, VAT number, address) and buyer (name, address,
SIRET); for each line its designation, quantity, unit price before tax, VAT
rate; totals before tax, VAT and all taxes included; payment terms, late
payment penalties and the fixed 40 € recovery fee; « acquittée » once paid.
"""

from __future__ import annotations

from typing import Any

from services.common.documents import EXAM_NAME, euros, short_date, when
from services.common.pdf import Document

METHODS = {"carte": "carte bancaire", "sepa": "prélèvement SEPA"}
PENALTIES = (
    "Pas d'escompte pour paiement anticipé. En cas de retard de paiement, "
    "pénalités au taux de trois fois le taux d'intérêt légal et indemnité "
    "forfaitaire de 40 € pour frais de recouvrement (art. L441-10 du Code de "
    "commerce)."
)


def line_designation(line: dict[str, Any]) -> str:
    starts = line.get("exam_starts_at")
    return (
        f"Place d'examen — {EXAM_NAME}\n"
        f"{line.get('candidate_name') or ''} (NEPH {line.get('neph') or '—'})\n"
        f"{line.get('centre_name') or ''}{', ' + when(starts) if starts else ''}"
    )


def rate_text(rate: float) -> str:
    return f"{rate:g} %".replace(".", ",")


def render_invoice(data: dict[str, Any]) -> bytes:
    doc = Document()
    doc.paragraph(f"Facture n° {data['number']}", size=16, bold=True)
    doc.paragraph(f"Date de facture : {short_date(data['date'])}")
    doc.ln(4)
    _body(doc, data)
    method = METHODS.get(data["method"], data["method"])
    if data.get("paid_on"):
        doc.paragraph(
            f"Facture acquittée le {short_date(data['paid_on'])} par {method}.",
            bold=True,
        )
    _footer(doc, data)
    return doc.to_bytes()


def render_credit_note(data: dict[str, Any]) -> bytes:
    """A credit note (facture d'avoir, BI-4): like an invoice, it names the
    invoice it cancels in part, and says how the amount was refunded."""
    doc = Document()
    doc.paragraph(f"Facture d'avoir n° {data['number']}", size=16, bold=True)
    doc.paragraph(f"Date de l'avoir : {short_date(data['date'])}")
    invoice_date = data.get("invoice_date")
    doc.paragraph(
        f"Avoir sur la facture n° {data['invoice_number']}"
        + (f" du {short_date(invoice_date)}" if invoice_date else "")
        + " : annulation d'une réservation."
    )
    doc.ln(4)
    _body(doc, data)
    method = METHODS.get(data["method"], data["method"])
    doc.paragraph(
        f"Montant remboursé le {short_date(data['refunded_on'])} par {method} : "
        f"{euros(data['total_cents'])}.",
        bold=True,
    )
    _footer(doc, data)
    return doc.to_bytes()


def _body(doc: Document, data: dict[str, Any]) -> None:
    """Parties, lines and totals, as invoices and credit notes print them."""
    _parties(doc, data["seller"], data["buyer"])
    doc.ln(4)
    _lines(doc, data)
    doc.ln(4)
    rate = rate_text(data["vat_rate_percent"])
    doc.paragraph(f"Total HT : {euros(data['total_excluding_vat_cents'])}")
    doc.paragraph(f"TVA {rate} : {euros(data['vat_cents'])}")
    doc.paragraph(f"Total TTC : {euros(data['total_cents'])}", bold=True)
    doc.ln(4)


def _footer(doc: Document, data: dict[str, Any]) -> None:
    doc.ln(2)
    doc.paragraph(PENALTIES, size=8)
    seller = data["seller"]
    doc.paragraph(
        f"{seller['name']}, {seller['legal_form']} au capital de "
        f"{seller['capital']} — {seller['rcs']} — SIRET {seller['siret']}",
        size=8,
    )


def _parties(doc: Document, seller: dict[str, Any], buyer: dict[str, Any]) -> None:
    doc.paragraph("Vendeur", bold=True)
    doc.paragraph(
        f"{seller['name']}\n"
        f"{seller['legal_form']} au capital de {seller['capital']}\n"
        f"{seller['street']}, {seller['postal_code']} {seller['city']}\n"
        f"{seller['rcs']} — SIRET {seller['siret']}\n"
        f"TVA intracommunautaire {seller['vat_number']}"
    )
    doc.ln(3)
    address = buyer.get("address") or {}
    doc.paragraph("Client", bold=True)
    doc.paragraph(
        f"{buyer.get('company_name') or ''}\n"
        f"{address.get('street', '')}, {address.get('postal_code', '')} "
        f"{address.get('city', '')}\n"
        f"SIRET {buyer.get('siret') or '—'}"
    )
    doc.ln(2)
    doc.paragraph("Nature de l'opération : prestation de services")


def _lines(doc: Document, data: dict[str, Any]) -> None:
    """One row a seat: designation, quantity, unit price HT, VAT rate, HT."""
    doc.set_font(doc.family_name, size=9)
    headings = ("Désignation", "Qté", "Prix unitaire HT", "TVA", "Montant HT")
    with doc.table(
        col_widths=(72, 12, 34, 18, 34),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5,
    ) as table:
        row = table.row()
        for heading in headings:
            row.cell(doc.text_of(heading))
        for line in data["lines"]:
            row = table.row()
            quantity = line.get("quantity", 1)
            for text in (
                line_designation(line),
                str(quantity),
                euros(line["unit_price_excluding_vat_cents"]),
                rate_text(line["vat_rate_percent"]),
                euros(line["unit_price_excluding_vat_cents"] * quantity),
            ):
                row.cell(doc.text_of(text))
    doc.set_font(doc.family_name, size=11)
