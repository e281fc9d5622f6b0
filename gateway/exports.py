"""The school's lists as spreadsheet files (EX-1): reservations, payments and
results, one row per line of the list the pages show, in French columns. The
writing itself (BOM, `;`, dates, amounts, formula-safe cells) is
services/common/csvfiles.py's, shared by every export."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from services.common.csvfiles import (
    amount_cell,
    day_cell,
    spreadsheet_file,
    time_cell,
)
from services.common.documents import euros

RESERVATION_COLUMNS = [
    "NEPH",
    "Candidat",
    "Date de l'examen",
    "Heure",
    "Centre",
    "Ville",
    "Statut",
    "Modifiable jusqu'au",
    # Added at the end: a school's formulas on the earlier columns still hold.
    "Payée le",
]

PAYMENT_COLUMNS = [
    "Date",
    "Heure",
    "Référence",
    "Moyen de paiement",
    "Places",
    "Montant TTC",
    "Statut",
    "Payé le",
    "Facture n°",
    # Each credit note of the payment with its amount, and their total as a
    # number the spreadsheet can add up (a list of amounts in one cell cannot).
    "Avoirs",
    "Remboursé TTC",
]

RESULT_COLUMNS = [
    "NEPH",
    "Candidat",
    "Date de l'examen",
    "Heure",
    "Centre",
    "Ville",
    "Note sur 40",
    "Résultat",
    "Valable jusqu'au",
]

METHODS = {"carte": "Carte bancaire", "sepa": "Prélèvement SEPA"}


def reservations_file(items: Iterable[dict[str, Any]]) -> bytes:
    """The reservations as listed (booking's answer, names already opened)."""
    return spreadsheet_file(
        RESERVATION_COLUMNS,
        (
            [
                r["neph"],
                r["candidate_name"],
                day_cell(r["exam_starts_at"]),
                time_cell(r["exam_starts_at"]),
                r["centre_name"],
                r["centre_city"],
                r["status"],
                _day_and_time(r.get("changes_allowed_until")),
                day_cell(_day(r.get("paid_on"))),
            ]
            for r in items
        ),
    )


def payments_file(items: Iterable[dict[str, Any]]) -> bytes:
    """The payments as billing lists them, newest first."""
    return spreadsheet_file(
        PAYMENT_COLUMNS,
        (
            [
                day_cell(p["created_at"]),
                time_cell(p["created_at"]),
                p["id"],
                METHODS.get(p["method"], p["method"]),
                p["seats"],
                amount_cell(p["amount_cents"]),
                payment_status(p),
                day_cell(_day(p.get("paid_on"))),
                p.get("invoice") or "",
                credit_notes_cell(p.get("credit_notes") or []),
                _refunded(p.get("credit_notes") or []),
            ]
            for p in items
        ),
    )


def results_file(items: Iterable[dict[str, Any]]) -> bytes:
    """The released results as listed; an absent candidate has no score."""
    return spreadsheet_file(
        RESULT_COLUMNS,
        (
            [
                r["neph"],
                r["candidate_name"],
                day_cell(r["exam_starts_at"]),
                time_cell(r["exam_starts_at"]),
                r["centre_name"],
                r["centre_city"],
                "" if r["score"] is None else r["score"],
                r["outcome"],
                day_cell(_day(r.get("valid_until"))),
            ]
            for r in items
        ),
    )


def credit_notes_cell(notes: list[dict[str, Any]]) -> str:
    """« A2026-000012 (30,00 €), A2026-000015 (15,00 €) »: each credit note
    of the payment as printed, with its amount."""
    return ", ".join(f"{n['number']} ({euros(n['amount_cents'])})" for n in notes)


def _refunded(notes: list[dict[str, Any]]) -> str:
    return amount_cell(sum(n["amount_cents"] for n in notes)) if notes else ""


def payment_status(payment: dict[str, Any]) -> str:
    """As the page says it: a returned debit with the bank's reason."""
    if payment["status"] == "en cours":
        return "en cours de vérification"
    if payment["status"] == "impayé" and payment.get("reason"):
        return f"impayé : {payment['reason']}"
    return payment["status"]


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso) if iso else None


def _day_and_time(at: str | None) -> str:
    return f"{day_cell(at)} {time_cell(at)}" if at else ""
