"""What the candidate and the school read when a paid reservation moves to
another slot (BO-6; seed 000 § 2.3.1: « Le client et le candidat reçoivent un
e-mail de confirmation de la modification »)."""

from __future__ import annotations

from typing import Any

from services.common.documents import when
from services.notifier import texts


def convocation_changed(payload: dict[str, Any]) -> tuple[str, str]:
    """To the candidate: the new convocation, saying the old one is void."""
    _, body = texts.convocation(payload, when(payload["exam_starts_at"]))
    greeting, rest = body.split("\n\n", 1)
    subject = "Votre nouvelle convocation à l'examen du code de la route"
    notice = (
        "Votre inscription à l'examen du code de la route a été modifiée. "
        f"La convocation pour l'examen du {when(payload['previous_exam_starts_at'])} "
        f"au {payload['previous_centre_name']} n'est plus valable : voici la "
        "nouvelle."
    )
    return subject, f"{greeting}\n\n{notice}\n\n{rest}"


def school_told(payload: dict[str, Any]) -> tuple[str, str]:
    """To the school: the change is done; the candidate has their convocation."""
    who = payload.get("candidate_name") or "votre candidat"
    neph = f" (NEPH {payload['neph']})" if payload.get("neph") else ""
    subject = f"Réservation modifiée : examen du {when(payload['exam_starts_at'])}"
    body = (
        "Bonjour,\n\n"
        f"La réservation de {who}{neph} est modifiée :\n"
        f"  - avant : le {when(payload['previous_exam_starts_at'])} au "
        f"{payload['previous_centre_name']}\n"
        f"  - désormais : le {when(payload['exam_starts_at'])} au "
        f"{payload['centre_name']}, {payload['centre_address']} "
        f"{payload['centre_city']}\n\n"
        "La place précédente est libérée ; le prix payé est inchangé. "
        "Le candidat reçoit sa nouvelle convocation.\n\n"
        "Passer mon code\n"
    )
    return subject, body
