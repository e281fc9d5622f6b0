"""The activation receipt (CA-3): what the candidate confirmed, and its number."""

from __future__ import annotations

from typing import Any

from services.common.documents import long_date, short_date
from services.common.pdf import Document

SWORN = (
    "Je soussigné(e) {name} atteste sur l'honneur que les renseignements "
    "figurant dans ce dossier sont exacts."
)

# Seed 004's words, printed on every receipt.
KEEP_IT = "Ce justificatif doit être enregistré et conservé."


def _date(value: str | None) -> str:
    return short_date(value) if value else ""


def render_receipt(view: dict[str, Any]) -> bytes:
    doc = Document()
    doc.paragraph("Passer mon code", size=16, bold=True)
    doc.paragraph("Récépissé de confirmation du dossier candidat", size=13)
    doc.ln(6)
    doc.paragraph(f"Numéro de demande : {view['request_number']}", bold=True)
    doc.paragraph(f"Confirmé le : {long_date(view['confirmed_at'])}")
    if view.get("school_name"):
        doc.paragraph(f"Dossier déposé par l'auto-école : {view['school_name']}")
    doc.ln(4)
    civility = "Madame" if view.get("civility") == "MME" else "Monsieur"
    rows = [
        ("NEPH", view["neph"]),
        ("Civilité", civility),
        ("Nom de naissance", view.get("birth_name") or ""),
        ("Nom d'usage", view.get("usage_name") or "—"),
        ("Prénoms", view.get("given_names") or ""),
        ("Date de naissance", _date(view.get("birth_date"))),
        ("Adresse e-mail", view.get("email") or "—"),
        (
            "Réutilisation des données à des fins d'information",
            "refusée" if view.get("reuse_refused") else "acceptée",
        ),
    ]
    address = view.get("address")
    if address:
        rows.append(
            (
                "Adresse postale",
                f"{address['street']}, {address['postal_code']} {address['city']}",
            )
        )
    for label, value in rows:
        doc.paragraph(f"{label} : {value}")
    doc.ln(6)
    name = f"{view.get('given_names') or ''} {view.get('birth_name') or ''}".strip()
    doc.paragraph(SWORN.format(name=name))
    doc.ln(6)
    doc.paragraph(KEEP_IT, bold=True)
    return doc.to_bytes()
