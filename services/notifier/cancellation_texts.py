"""What the school and the candidate read when a paid reservation is
cancelled and refunded: by the school (BO-7, BI-4), or with its whole session
by the operator (SC-2)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.common.documents import euros, when

METHODS = {"carte": "sur la carte bancaire qui a payé", "sepa": "par virement"}
# `ReservationCancelled.cancelled_by` when the operator cancelled the session.
BY_OPERATOR = "centre d'examen"
# Where a refund's e-mail points, when the event does not say how the seat
# was paid: a SEPA debit is given back by transfer only once it is collected.
HOW_REFUNDED = (
    "facture d'avoir vous parvient dans un autre message, qui dit comment "
    "et quand : sur la carte qui a payé, ou par virement une fois le "
    "prélèvement SEPA encaissé."
)


def refund_issued(payload: dict[str, Any]) -> tuple[str, str]:
    """To the school: the cancelled seat is refunded, its credit note attached."""
    note = payload.get("credit_note") or {}
    lines = note.get("lines") or [{}]
    line = lines[0]
    who = line.get("candidate_name") or "votre candidat"
    neph = f" (NEPH {line['neph']})" if line.get("neph") else ""
    starts = line.get("exam_starts_at")
    exam = f" pour l'examen du {when(str(starts))}" if starts else ""
    centre = f" au {line['centre_name']}" if line.get("centre_name") else ""
    subject = f"Réservation annulée : avoir n° {payload['credit_note_number']}"
    body = (
        "Bonjour,\n\n"
        f"La réservation de {who}{neph}{exam}{centre} est annulée. "
        "La place est libérée.\n\n"
        f"{_how_refunded(payload)} "
        f"La facture d'avoir n° {payload['credit_note_number']}, sur la facture "
        f"n° {payload['invoice_number']}, est jointe à ce message ; elle reste "
        "téléchargeable depuis vos réservations.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def _how_refunded(payload: dict[str, Any]) -> str:
    """A card is refunded there and then; a SEPA debit by a later transfer,
    once the debit is collected, and never if the bank returns it."""
    amount = euros(payload["amount_cents"])
    if payload["method"] != "sepa":
        method = METHODS.get(payload["method"], payload["method"])
        return f"Nous vous remboursons {amount} {method}."
    due = payload.get("transfer_from")
    when_due = f"à partir du {date.fromisoformat(str(due)):%d/%m/%Y}, " if due else ""
    return (
        f"Nous vous rembourserons {amount} par virement sur le compte prélevé, "
        f"{when_due}une fois le prélèvement SEPA encaissé. Si votre banque "
        "rejette ce prélèvement, aucun virement ne sera fait : vous en serez "
        "informé."
    )


def refund_withheld(payload: dict[str, Any]) -> tuple[str, str]:
    """To the school: a cancelled seat's refund will not be transferred, its
    SEPA debit having come back from the bank."""
    who = payload.get("candidate_name") or "votre candidat"
    note = payload["credit_note_number"]
    subject = f"Remboursement non versé : avoir n° {note}"
    body = (
        "Bonjour,\n\n"
        f"La réservation de {who}, annulée, devait vous être remboursée "
        f"({euros(payload['amount_cents'])}, facture d'avoir n° {note}) par "
        "virement une fois le prélèvement SEPA encaissé.\n\n"
        "Aucun virement ne sera fait : votre banque a rejeté le prélèvement de "
        f"la facture n° {payload['invoice_number']}, motif : {payload['reason']} "
        f"(code {payload['reason_code']}). Cette somme ne nous a pas été versée ; "
        "elle ne vous est donc pas due.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def reservation_cancelled(payload: dict[str, Any]) -> tuple[str, str]:
    """To the candidate: the school cancelled their exam seat."""
    subject = "Votre inscription à l'examen du code de la route est annulée"
    body = (
        "Bonjour,\n\n"
        "Votre auto-école a annulé votre inscription à l'examen du code de la "
        f"route du {when(str(payload['exam_starts_at']))} au "
        f"{payload['centre_name']} ({payload['centre_city']}). Votre convocation "
        "n'est plus valable.\n\n"
        "Pour toute question, adressez-vous à votre auto-école.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def _reason(payload: dict[str, Any]) -> str:
    reason = payload.get("reason")
    return f"Motif indiqué par le centre : {reason.rstrip('.')}.\n\n" if reason else ""


def _session(payload: dict[str, Any]) -> str:
    return (
        f"du {when(str(payload['exam_starts_at']))} au {payload['centre_name']} "
        f"({payload['centre_city']})"
    )


def session_cancelled_to_candidate(payload: dict[str, Any]) -> tuple[str, str]:
    """To the candidate: the operator cancelled their exam's session (SC-2)."""
    subject = "Votre examen du code de la route est annulé par le centre d'examen"
    body = (
        "Bonjour,\n\n"
        "La session d'examen du code de la route "
        f"{_session(payload)} a été annulée par le centre d'examen. Votre "
        "convocation n'est plus valable.\n\n"
        f"{_reason(payload)}"
        "Votre auto-école est remboursée en totalité ; elle peut vous inscrire "
        "à une autre session.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def session_cancelled_to_school(payload: dict[str, Any]) -> tuple[str, str]:
    """To the school: a paid reservation annulled with its session (SC-2)."""
    subject = (
        "Réservation annulée par le centre d'examen : "
        f"examen du {when(str(payload['exam_starts_at']))}"
    )
    body = (
        "Bonjour,\n\n"
        f"La session d'examen {_session(payload)} a été annulée par le centre "
        "d'examen. La réservation de votre candidat dans cette session "
        f"(réservation n° {payload['reservation_id']}) est annulée par le "
        "centre d'examen ; le candidat en est informé.\n\n"
        f"{_reason(payload)}"
        "Elle vous est remboursée en totalité, quel que soit le délai : la "
        f"{HOW_REFUNDED} Vous pouvez inscrire votre candidat à une autre "
        "session.\n\n"
        "Passer mon code\n"
    )
    return subject, body
