"""What SMS say. Short (an SMS is 160 characters, 70 with accents, before it
is split), and never a secret: a phone shows them on a locked screen."""

from __future__ import annotations

from typing import Any


def candidate_created(payload: dict[str, Any]) -> str:
    """Seed 004: the school finished the file; the candidate must confirm it."""
    school = payload.get("school_name")
    who = f"Votre auto-école « {school} »" if school else "Votre auto-école"
    where = "par e-mail" if payload.get("email") else "par courrier"
    return (
        f"Passer mon code : {who} a créé votre dossier d'inscription à l'examen "
        f"du code. Confirmez-le sous 7 jours avec le lien reçu {where}."
    )
