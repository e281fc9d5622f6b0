"""Letters for candidates without an e-mail address: a PDF in the print queue.

The file name starts with the id of the person it concerns, so that erasing
that person's data (CA-4) can remove their letters that were not printed yet.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from services.common.pdf import Document

SENDER = ("Passer mon code", "Service des inscriptions", "75000 Paris")


def render_letter(content: dict[str, Any], at: datetime) -> bytes:
    doc = Document()
    for text in SENDER:
        doc.paragraph(text, size=10)
    doc.ln(10)
    address = content["recipient"]
    for text in (
        address["name"],
        address["street"],
        f"{address['postal_code']} {address['city']}",
    ):
        doc.set_x(110)
        doc.cell(0, 6, doc.text_of(text), new_x="LMARGIN", new_y="NEXT")
    doc.ln(10)
    doc.paragraph(f"Le {at:%d/%m/%Y}")
    doc.ln(4)
    doc.paragraph(f"Objet : {content['subject']}", size=12, bold=True)
    doc.ln(4)
    doc.paragraph(content["body"])
    return doc.to_bytes()


def letter_path(folder: str, subject_id: UUID, message_id: UUID) -> Path:
    return Path(folder) / f"{subject_id}-{message_id}.pdf"


def remove_letters_of(folder: str, subject_id: UUID) -> int:
    removed = 0
    for path in Path(folder).glob(f"{subject_id}-*.pdf"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
