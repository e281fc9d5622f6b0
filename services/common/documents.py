"""Documents sent to candidates (NO-4): the convocation."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.common.pdf import Document

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
TO_BRING = (
    "une pièce d'identité en cours de validité (carte d'identité, passeport ou "
    "titre de séjour) à votre nom",
    "cette convocation, imprimée ou sur votre téléphone",
)


def euros(cents: int) -> str:
    """« 1 234,50 € »."""
    return f"{cents / 100:,.2f} €".replace(",", " ").replace(".", ",")


def when(starts_at: str) -> str:
    local = datetime.fromisoformat(starts_at).astimezone(PARIS)
    return (
        f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"
        f" à {local:%H} h {local:%M}"
    )


def render_convocation(data: dict[str, Any]) -> bytes:
    """Candidate, NEPH, centre and its address, date and time, what to bring."""
    doc = Document()
    doc.paragraph("Convocation à l'examen du code de la route", size=16, bold=True)
    doc.ln(4)
    doc.paragraph(f"Candidat : {data['candidate_name']}")
    doc.paragraph(f"NEPH : {data['neph']}")
    doc.ln(3)
    doc.paragraph(f"Date et heure : {when(data['exam_starts_at'])}", bold=True)
    doc.paragraph(f"Centre d'examen : {data['centre_name']}")
    doc.paragraph(
        f"Adresse : {data.get('centre_address') or ''}, {data['centre_city']}"
    )
    doc.ln(3)
    doc.paragraph("Présentez-vous 15 minutes avant l'heure de l'examen, muni(e) de :")
    for item in TO_BRING:
        doc.paragraph(f"  - {item}")
    doc.ln(3)
    doc.paragraph(
        "Sans pièce d'identité valide, vous ne pourrez pas passer l'examen. "
        f"Réservation n° {data['reservation_id']}."
    )
    return doc.to_bytes()
