"""Documents sent to candidates (NO-4): the convocation and the result (RE-1);
and the French ways of writing dates and amounts every document shares."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime
from typing import Any
from uuid import UUID
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
# The exam's official name (the theory test of the driving licence).
EXAM_NAME = "Épreuve théorique générale (ETG)"
TO_BRING = (
    "une pièce d'identité en cours de validité (carte d'identité, passeport ou "
    "titre de séjour) à votre nom",
    "cette convocation, imprimée ou sur votre téléphone",
)
# BO-6, BO-7 in the seeds' words.
CHANGE_RULES = (
    "Votre auto-école a la possibilité de modifier ou d'annuler cette réservation "
    "jusqu'à trois jours ouvrés avant l'examen (jours ouvrés : du lundi au "
    "vendredi, hors jours fériés). Les réservations annulées sont remboursées."
)
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4


def euros(cents: int) -> str:
    """« 1 234,50 € »."""
    return f"{cents / 100:,.2f} €".replace(",", " ").replace(".", ",")


def _day(value: date | datetime | str) -> date:
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        )
    if isinstance(value, datetime):
        return value.astimezone(PARIS).date() if value.tzinfo else value.date()
    return value


def short_date(value: date | datetime | str) -> str:
    """« 24/11/2026 »; an aware time is read in Paris."""
    return f"{_day(value):%d/%m/%Y}"


def long_date(value: date | datetime | str) -> str:
    """« 24 novembre 2026 », « 1er décembre 2026 »."""
    day = _day(value)
    return f"{_ordinal(day.day)} {MONTHS[day.month - 1]} {day.year}"


def _ordinal(day: int) -> str:
    return "1er" if day == 1 else str(day)


def when(starts_at: str) -> str:
    local = datetime.fromisoformat(starts_at).astimezone(PARIS)
    return f"{DAYS[local.weekday()]} {long_date(local)} à {local:%H} h {local:%M}"


def verification_code(secret: str, reservation_id: UUID | str) -> str:
    """The code printed on a convocation, so that a centre can check it is
    genuine: HMAC-SHA256 of the reservation id under a key derived from the
    platform's secret, its first 60 bits in base32 (no 0/1/8/9 to misread),
    grouped by four: « K7QD-2MXA-PL4R ». Whoever holds the secret recomputes it
    from the reservation number printed beside it (`code_matches`)."""
    key = hashlib.sha256(f"pmc-convocation:{secret}".encode()).digest()
    digest = hmac.new(key, str(reservation_id).encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest).decode()[: CODE_GROUPS * CODE_GROUP_LENGTH]
    return "-".join(
        text[i : i + CODE_GROUP_LENGTH] for i in range(0, len(text), CODE_GROUP_LENGTH)
    )


def code_matches(secret: str, reservation_id: UUID | str, code: str) -> bool:
    """Whether `code` (any case, with or without dashes) is that reservation's."""
    expected = verification_code(secret, reservation_id).replace("-", "")
    given = code.replace("-", "").replace(" ", "").upper()
    return hmac.compare_digest(expected, given)


def render_convocation(data: dict[str, Any]) -> bytes:
    """The convocation as a PDF of its own (an e-mail's attachment)."""
    doc = Document()
    write_convocation(doc, data)
    return doc.to_bytes()


def write_convocation(doc: Document, data: dict[str, Any]) -> None:
    """Candidate (name, birth date, NEPH), school, exam, centre and its address,
    date and time, what to bring, the change rules and a verification code,
    from the current page of `doc` (a letter encloses it as pages of its own)."""
    doc.paragraph("Convocation à l'examen du code de la route", size=16, bold=True)
    doc.ln(4)
    doc.paragraph(f"Candidat : {data['candidate_name']}")
    if data.get("birth_date"):
        doc.paragraph(f"Date de naissance : {short_date(data['birth_date'])}")
    doc.paragraph(f"NEPH : {data['neph']}")
    if data.get("school_name"):
        doc.paragraph(f"Auto-école : {data['school_name']}")
    doc.ln(3)
    doc.paragraph(f"Épreuve : {EXAM_NAME}")
    doc.paragraph(f"Date et heure : {when(data['exam_starts_at'])}", bold=True)
    doc.paragraph(f"Centre d'examen : {data['centre_name']}")
    doc.paragraph(
        f"Adresse : {data.get('centre_address') or ''}, {data['centre_city']}"
    )
    doc.ln(3)
    doc.paragraph("Présentez-vous 15 minutes avant l'heure de l'examen, muni(e) de :")
    for item in TO_BRING:
        doc.paragraph(f"  - {item}")
    doc.paragraph("Sans pièce d'identité valide, vous ne pourrez pas passer l'examen.")
    doc.ln(3)
    doc.paragraph("Modification et annulation", bold=True)
    doc.paragraph(CHANGE_RULES)
    if data.get("change_deadline"):
        doc.paragraph(
            "Pour cet examen, la dernière date pour modifier ou annuler est le "
            f"{long_date(data['change_deadline'])}."
        )
    doc.ln(3)
    doc.paragraph(f"Réservation n° {data['reservation_id']}")
    if data.get("verification_code"):
        doc.paragraph(f"Code de vérification : {data['verification_code']}", bold=True)


# RE-1: the outcomes as the centres' results are read.
PASSED = "admis"
RESULT_TITLE = "Résultat de l'examen du code de la route"


def render_result(data: dict[str, Any]) -> bytes:
    """The result document as a PDF of its own (an e-mail's attachment, a
    school's download)."""
    doc = Document()
    write_result(doc, data)
    return doc.to_bytes()


def write_result(doc: Document, data: dict[str, Any]) -> None:
    """Candidate (name, birth date, NEPH), exam date and time, centre and
    city, score out of 40, outcome and, for a pass, the last day it counts
    (RE-1: 5 years), from the current page of `doc` (a letter encloses it;
    a session's results are one page each)."""
    doc.paragraph(RESULT_TITLE, size=16, bold=True)
    doc.ln(4)
    doc.paragraph(f"Candidat : {data.get('candidate_name') or ''}")
    if data.get("birth_date"):
        doc.paragraph(f"Date de naissance : {short_date(data['birth_date'])}")
    doc.paragraph(f"NEPH : {data.get('neph') or ''}")
    doc.ln(3)
    doc.paragraph(f"Épreuve : {EXAM_NAME}")
    doc.paragraph(f"Date et heure : {when(str(data['exam_starts_at']))}")
    doc.paragraph(f"Centre d'examen : {data['centre_name']}, {data['centre_city']}")
    doc.ln(3)
    score = data.get("score")
    if score is not None and score != "":
        doc.paragraph(f"Note : {score}/40", bold=True)
    doc.paragraph(f"Résultat : {data['outcome']}", size=14, bold=True)
    if data.get("outcome") == PASSED and data.get("valid_until"):
        doc.paragraph(f"Valable jusqu'au {short_date(data['valid_until'])}")
    if data.get("reservation_id"):
        doc.ln(3)
        doc.paragraph(f"Réservation n° {data['reservation_id']}")
