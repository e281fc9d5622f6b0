"""Letters for candidates without an e-mail address: a PDF in the print queue.

The file name starts with the id of the person it concerns, so that erasing
that person's data (CA-4) can remove their letters that were not printed yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from services.common.company import Company
from services.common.documents import long_date, write_convocation, write_result
from services.common.pdf import Document

# Documents a letter may enclose, as pages of its own PDF after the letter's
# (one envelope, one file to print): the content's key and how it is drawn.
ENCLOSURES = {
    "convocation": write_convocation,
    "result": write_result,
}


def render_letter(content: dict[str, Any], at: datetime, sender: Company) -> bytes:
    """A letter from `sender` (its full postal address) to the recipient,
    then the documents it encloses (ENCLOSURES), each from a new page."""
    doc = Document()
    for text in (sender.name, sender.department, *sender.address_lines):
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
    doc.paragraph(f"{sender.city}, le {long_date(at)}")
    doc.ln(4)
    doc.paragraph(f"Objet : {content['subject']}", size=12, bold=True)
    doc.ln(4)
    doc.paragraph(content["body"])
    for kind, write in ENCLOSURES.items():
        if content.get(kind):
            doc.add_page()
            write(doc, content[kind])
    return doc.to_bytes()


def letter_path(folder: str, subject_id: UUID, message_id: UUID) -> Path:
    return Path(folder) / f"{subject_id}-{message_id}.pdf"


def remove_letters_of(folder: str, subject_id: UUID) -> int:
    removed = 0
    for path in Path(folder).glob(f"{subject_id}-*.pdf"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def remove_letters_older_than(folder: str, now: datetime, days: float) -> int:
    """Letters written more than `days` before `now` (the platform's clock, so
    tests can travel in time): printed and posted by then, or never will be."""
    limit = (now - timedelta(days=days)).timestamp()
    removed = 0
    for path in Path(folder).glob("*.pdf"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:
            continue  # removed meanwhile (printed, or another replica's sweep)
    return removed
