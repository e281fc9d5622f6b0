"""What the messages say, in French (NO-2)."""

from __future__ import annotations

from typing import Any


def candidate_file_created(payload: dict[str, Any], public_url: str) -> tuple[str, str]:
    subject = "Votre dossier d'inscription à l'examen du code de la route"
    link = f"{public_url}/candidats/{payload['candidate_id']}/activation"
    civility = "Madame" if payload["civility"] == "MME" else "Monsieur"
    body = (
        f"Bonjour {civility} {payload['given_names']} {payload['birth_name']},\n\n"
        "Votre auto-école a créé votre dossier d'inscription à l'examen du code "
        f"de la route (NEPH {payload['neph']}).\n\n"
        "Pour vérifier les informations saisies et confirmer votre dossier, "
        f"cliquez sur ce lien :\n{link}\n\n"
        "Ce lien est valable 7 jours. Sans confirmation de votre part, le dossier "
        "sera supprimé.\n\n"
        "Passer mon code\n"
    )
    return subject, body
