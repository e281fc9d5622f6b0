"""The e-mails to a school when the platform, not the school, ends one of
its waiting-list entries (EX-2) or an unpaid seat in its cart because the
operator cancelled the session (SC-2). One e-mail per event, queued with
the event's tracking: a redelivery finds the message queued and sends
nothing again. The candidate is named as the school's file has them: for
an entry, with the name and NEPH the event carries sealed; for a hold, from
the file, as in the seat offer's e-mail, with the reservation's number."""

from __future__ import annotations

from typing import Any

from services.common.documents import when
from services.common.envelope import Delivered
from services.common.personal import school_subject
from services.notifier.domain import EMAIL

# Booking's reasons (`WaitingEntryDropped.reason`), as the school reads them.
WHY_DROPPED = {
    "dossier archivé": (
        "son dossier a été archivé : il ne peut plus être inscrit à un examen."
    ),
    "dossier supprimé": "son dossier a été supprimé de la plateforme.",
    "dossier plus réservable": (
        "son dossier a été archivé ou supprimé : il ne peut plus être inscrit "
        "à un examen."
    ),
    "dossier introuvable": "son dossier n'existe plus sur la plateforme.",
    "déjà une place réservée": (
        "il a obtenu entre-temps une place pour un autre examen à venir ; un "
        "candidat ne peut avoir qu'une place à venir à la fois."
    ),
    "part de la session atteinte": (
        "votre auto-école détient déjà toutes les places de cette session "
        "auxquelles elle a droit ; elle ne peut pas en recevoir une de plus."
    ),
    "session annulée": "la session a été annulée par le centre d'examen.",
}
SESSION_GONE = "session annulée"


def named(contact: dict[str, Any]) -> str:
    """The candidate as the school's e-mails name them."""
    names = (contact.get("given_names"), contact.get("birth_name"))
    return " ".join(n for n in names if n) or "votre candidat"


def named_in_line(payload: dict[str, Any], contact: dict[str, Any]) -> str:
    """The candidate as the school filed them, with their NEPH when it
    travelled (as the payment's e-mail names them)."""
    who = payload.get("candidate_name") or named(contact)
    return f"{who} (NEPH {payload['neph']})" if payload.get("neph") else who


def _operator_said(reason: str | None) -> str:
    return f"Motif indiqué par le centre : {reason.rstrip('.')}.\n\n" if reason else ""


def _session(payload: dict[str, Any]) -> str:
    return (
        f"du {when(str(payload['exam_starts_at']))} au {payload['centre_name']} "
        f"({payload['centre_city']})"
    )


def entry_dropped(payload: dict[str, Any], contact: dict[str, Any]) -> tuple[str, str]:
    """To the school: its candidate is no longer in line, and why."""
    who = named_in_line(payload, contact)
    reason = str(payload["reason"])
    why = WHY_DROPPED.get(reason, f"{reason}.")
    operator = payload.get("operator_reason") if reason == SESSION_GONE else ""
    subject = (
        "Liste d'attente : inscription retirée pour l'examen du "
        f"{when(str(payload['exam_starts_at']))}"
    )
    body = (
        "Bonjour,\n\n"
        f"{who} n'est plus en liste d'attente pour l'examen {_session(payload)}. "
        "La plateforme l'a retiré de la liste, car "
        f"{why}\n\n"
        f"{_operator_said(operator)}"
        "Aucune place ne lui sera proposée sur cette session. Vous pouvez "
        "l'inscrire sur une autre session, ou en liste d'attente d'une autre "
        "session complète.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def hold_cancelled(payload: dict[str, Any], contact: dict[str, Any]) -> tuple[str, str]:
    """To the school: an unpaid seat in its cart ended with its session."""
    subject = (
        "Place retirée de votre panier : session du "
        f"{when(str(payload['exam_starts_at']))} annulée"
    )
    body = (
        "Bonjour,\n\n"
        f"La session d'examen {_session(payload)} a été annulée par le centre "
        "d'examen. La place non payée que votre panier tenait pour "
        f"{named(contact)} (réservation n° {payload['reservation_id']}) en "
        "est retirée ; vous n'avez rien à payer.\n\n"
        f"{_operator_said(payload.get('reason'))}"
        "Vous pouvez inscrire votre candidat à une autre session.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def tell_the_school(
    app: Any, event: Delivered, contact: dict[str, Any], texts: Any
) -> None:
    """One e-mail to the school (`texts`: what it says), once."""
    if not contact.get("school_email"):
        app.record_processed(event.tracking)  # nobody to tell
        return
    subject, body = texts(event.payload, contact)
    school = school_subject(str(event.payload["school_id"]))
    app.queue(
        event, EMAIL, "auto-ecole", school, contact["school_email"], subject, body
    )
