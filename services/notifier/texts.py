"""What the messages say, in French (NO-2)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from services.common.documents import (
    CHANGE_RULES,
    EXAM_NAME,
    PARIS,
    euros,
    long_date,
    short_date,
    when,
)
from services.notifier.deadlines import confirm_before


def secret_link(public_url: str, path: str, **secrets: str) -> str:
    """A link whose token rides in the fragment (`#jeton=…`): browsers never
    send a fragment to a server, so no access log on the way (ours, a proxy's,
    an ingress's) can keep it; the page's script reads it and POSTs it."""
    return f"{public_url}{path}#{urlencode(secrets)}"


def _civility(payload: dict[str, Any]) -> str:
    return "Madame" if payload.get("civility") == "MME" else "Monsieur"


def _name(payload: dict[str, Any]) -> str:
    return f"{_civility(payload)} {payload['given_names']} {payload['birth_name']}"


def _school(payload: dict[str, Any]) -> str:
    """The school that filed, named when its name is known."""
    name = payload.get("school_name")
    return f"Votre auto-école « {name} »" if name else "Votre auto-école"


def candidate_activation_email(
    payload: dict[str, Any], public_url: str, now: datetime
) -> tuple[str, str]:
    subject = "Votre dossier d'inscription à l'examen du code de la route"
    link = secret_link(
        public_url,
        "/candidat/activation",
        dossier=payload["candidate_id"],
        jeton=payload["link_token"],
    )
    body = (
        f"Bonjour {_name(payload)},\n\n"
        f"{_school(payload)} a créé votre dossier d'inscription à l'examen du "
        f"code de la route (NEPH {payload['neph']}).\n\n"
        "Pour vérifier les informations saisies et confirmer votre dossier, "
        f"cliquez sur ce lien :\n{link}\n\n"
        f"{confirm_before(payload['expires_at'], now)}\n\n"
        "Passer mon code\n"
    )
    return subject, body


def candidate_activation_letter(
    payload: dict[str, Any], public_url: str, now: datetime
) -> tuple[str, str]:
    subject = "Votre dossier d'inscription à l'examen du code de la route"
    body = (
        f"{_name(payload)},\n\n"
        f"{_school(payload)} a créé votre dossier d'inscription à l'examen du "
        "code de la route.\n\n"
        f"Pour vérifier les informations saisies et confirmer votre dossier, "
        f"rendez-vous sur {public_url}/candidat/activation et saisissez :\n"
        f"  - votre NEPH : {payload['neph']}\n"
        f"  - votre code d'activation : {payload['code']}\n\n"
        f"{confirm_before(payload['expires_at'], now)} Votre convocation et "
        "vos résultats vous seront envoyés par courrier.\n\n"
        "Passer mon code"
    )
    return subject, body


def candidate_refused(payload: dict[str, Any]) -> tuple[str, str]:
    subject = f"Dossier refusé par le candidat (NEPH {payload['neph']})"
    body = (
        "Bonjour,\n\n"
        f"Le candidat dont le NEPH est {payload['neph']} a refusé les informations "
        "de son dossier. Ce dossier ne peut plus être utilisé : vous devez créer "
        "un nouveau dossier avec les informations correctes.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def candidate_expired(payload: dict[str, Any]) -> tuple[str, str]:
    subject = f"Dossier supprimé faute d'activation (NEPH {payload['neph']})"
    body = (
        "Bonjour,\n\n"
        f"Le dossier du candidat dont le NEPH est {payload['neph']} n'a pas été "
        "activé dans les 7 jours. Il a été supprimé et les données personnelles "
        "du candidat ont été effacées. Vous pouvez créer un nouveau dossier.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def account_activation(payload: dict[str, Any], public_url: str) -> tuple[str, str]:
    subject = "Activez votre compte Passer mon code"
    link = secret_link(
        public_url,
        "/activation",
        compte=payload["account_id"],
        jeton=payload["link_token"],
    )
    body = (
        "Bonjour,\n\n"
        "Nous avons bien pris en compte la création de votre compte La Poste.\n\n"
        "Pour activer votre compte et accéder au site « Passer mon code », "
        f"cliquez sur ce lien :\n{link}\n\n"
        "Ce lien est valable 48h.\n\n"
        "Si vous n'avez pas demandé la création de ce compte, ignorez cet e-mail.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def password_reset(payload: dict[str, Any], public_url: str) -> tuple[str, str]:
    subject = "Réinitialisation de votre mot de passe Passer mon code"
    link = secret_link(
        public_url,
        "/reinitialisation",
        compte=payload["account_id"],
        jeton=payload["link_token"],
    )
    if payload.get("because") == SIGNED_UP_AGAIN:
        return already_an_account(link)
    body = (
        "Bonjour,\n\n"
        "Pour obtenir votre nouveau mot de passe, cliquez sur ce lien :\n"
        f"{link}\n\n"
        "Pour des raisons de sécurité ce lien n'est utilisable que pendant "
        "2 heures.\n\n"
        "Si vous n'avez pas demandé de nouveau mot de passe, ignorez cet e-mail : "
        "votre mot de passe actuel reste valable.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def failed_sign_ins(payload: dict[str, Any], public_url: str) -> tuple[str, str]:
    """To an account's owner, when many wrong passwords were tried (issue 12)."""
    since = datetime.fromisoformat(str(payload["since"])).astimezone(PARIS)
    at = datetime.fromisoformat(str(payload["reported_at"])).astimezone(PARIS)
    subject = "Tentatives de connexion à votre compte Passer mon code"
    body = (
        "Bonjour,\n\n"
        f"Le {long_date(at)} à {at:%H} h {at:%M}, nous avons compté "
        f"{payload['attempts']} tentatives de connexion à votre compte avec un "
        f"mot de passe erroné depuis {since:%H} h {since:%M}.\n\n"
        "Si ce n'était pas vous, quelqu'un essaie peut-être de deviner votre mot "
        "de passe : nous vous conseillons de le réinitialiser dès maintenant "
        f"(« Mot de passe oublié ? » : {public_url}/mot-de-passe-oublie) et d'en "
        "choisir un que vous n'utilisez sur aucun autre site.\n\n"
        "Votre compte n'est pas bloqué : vous pouvez toujours vous connecter avec "
        "votre mot de passe. Nous vous écrivons à ce sujet une fois par heure "
        "au plus.\n\n"
        "Passer mon code\n"
    )
    return subject, body


# Why a reset link came unasked (PasswordResetRequested.because).
SIGNED_UP_AGAIN = "inscription"


def already_an_account(link: str) -> tuple[str, str]:
    """To an account's owner, when someone signs up with its address: the
    page said « e-mail envoyé » as to anyone, this is the e-mail."""
    subject = "Vous avez déjà un compte Passer mon code"
    body = (
        "Bonjour,\n\n"
        "Une demande de création de compte Auto-école vient d'être faite avec "
        "votre adresse e-mail, qui a déjà un compte Passer mon code.\n\n"
        "Si c'était vous, connectez-vous avec votre mot de passe. Si vous l'avez "
        "oublié, ce lien vous permet d'en choisir un nouveau :\n"
        f"{link}\n\n"
        "Pour des raisons de sécurité ce lien n'est utilisable que pendant "
        "2 heures.\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : "
        "votre compte et votre mot de passe restent inchangés.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def candidate_confirmed(payload: dict[str, Any]) -> tuple[str, str]:
    """To the school: its candidate confirmed the file, which can now be booked."""
    name = payload.get("candidate_name") or "Le candidat"
    subject = f"Dossier confirmé par le candidat (NEPH {payload['neph']})"
    body = (
        "Bonjour,\n\n"
        f"{name} (NEPH {payload['neph']}) a confirmé les informations de son "
        "dossier : il est maintenant « activé » et vous pouvez inscrire ce "
        "candidat à l'examen du code de la route.\n\n"
        f"Numéro de demande : {payload['request_number']}.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def school_payment_confirmed(payload: dict[str, Any]) -> tuple[str, str]:
    invoice = payload.get("invoice") or {}
    lines = invoice.get("lines") or []
    seats = len(payload["reservation_ids"])
    subject = "Vos inscriptions sont confirmées"
    candidates = "".join(
        f"  - {line.get('candidate_name') or ''} (NEPH {line.get('neph')})\n"
        for line in lines
    )
    if invoice:
        where = (
            f"Vous trouverez ci-jointe la facture n° {invoice['number']} (PDF). "
            "Les convocations de vos candidats sont disponibles dans votre "
            "espace client."
        )
    else:
        where = (
            "Votre facture et les convocations de vos candidats sont disponibles "
            "dans votre espace client."
        )
    body = (
        "Bonjour,\n\n"
        "Merci d'avoir effectué vos inscriptions sur notre site, Celles-ci sont "
        "maintenant effectives.\n\n"
        f"Places payées : {seats} — montant : {euros(payload['amount_cents'])} TTC.\n"
        + (f"Candidats inscrits :\n{candidates}" if candidates else "")
        + f"\n{where}\n\n"
        "Passer mon code\n"
    )
    return subject, body


def convocation(payload: dict[str, Any], when: str) -> tuple[str, str]:
    subject = "Votre convocation à l'examen du code de la route"
    birth = payload.get("birth_date")
    code = payload.get("verification_code")
    deadline = payload.get("change_deadline")
    body = (
        f"Bonjour {payload['candidate_name']},\n\n"
        f"{_school(payload)} vous a inscrit(e) à l'examen du code de la route, "
        f"{EXAM_NAME} :\n"
        f"  - le {when}\n"
        f"  - au {payload['centre_name']}, {payload['centre_address']} "
        f"{payload['centre_city']}\n"
        f"  - NEPH : {payload['neph']}\n"
        + (f"  - né(e) le : {short_date(birth)}\n" if birth else "")
        + (f"  - code de vérification : {code}\n" if code else "")
        + "\nPrésentez-vous 15 minutes avant l'heure avec une pièce d'identité en "
        "cours de validité et votre convocation.\n\n"
        f"{CHANGE_RULES}\n"
        + (
            "Pour cet examen, la dernière date pour modifier ou annuler est le "
            f"{long_date(deadline)}.\n"
            if deadline
            else ""
        )
        + "\nPasser mon code\n"
    )
    return subject, body


# A convocation by post: the letter's PDF holds the convocation's pages.
CONVOCATION_ENCLOSED = (
    "Votre convocation est jointe à ce courrier (page suivante) : apportez-la, "
    "imprimée, le jour de l'examen."
)
SIGNATURE = "\nPasser mon code\n"


def enclosing(body: str, sentence: str) -> str:
    """`body` saying, just before its signature, what the letter encloses."""
    if body.endswith(SIGNATURE):
        return f"{body[: -len(SIGNATURE)]}\n{sentence}\n{SIGNATURE}"
    return f"{body}\n{sentence}\n"


def debit_returned(payload: dict[str, Any], card_only: bool = True) -> tuple[str, str]:
    """To the school: its SEPA debit came back; which reservations are cancelled
    (those whose exam is to come, as booking cancels them), and why;
    `card_only`: SEPA is closed to it until settled (a setting of billing's)."""
    returned_at = payload["returned_at"]
    to_come, passed = [], []
    for line in payload.get("candidates") or []:
        starts = line.get("exam_starts_at")
        who = line.get("candidate_name") or "Candidat"
        neph = f" (NEPH {line['neph']})" if line.get("neph") else ""
        exam = f", examen du {when(str(starts))}" if starts else ""
        where = f" — {line['centre_name']}" if line.get("centre_name") else ""
        text = f"  - {who}{neph}{exam}{where}\n"
        late = starts and _aware(str(starts)) <= returned_at
        (passed if late else to_come).append(text)
    subject = "Prélèvement SEPA impayé : réservations annulées"
    body = (
        "Bonjour,\n\n"
        f"Votre banque a rejeté le prélèvement SEPA de la facture "
        f"n° {payload['invoice_number']} ({euros(payload['amount_cents'])}), "
        f"motif : {payload['reason']} (code {payload['reason_code']}).\n\n"
        + (
            "Les réservations de ces candidats sont annulées, leurs places "
            "libérées, et leurs convocations ne sont plus valables :\n"
            + "".join(to_come)
            + "\n"
            if to_come
            else ""
        )
        + (
            "Ces examens, déjà passés, ne sont pas annulés ; leur paiement reste "
            "dû :\n" + "".join(passed) + "\n"
            if passed
            else ""
        )
        + "Vous pouvez réserver à nouveau ces places et les payer par carte "
        "bancaire."
        + (
            " Le paiement par prélèvement SEPA n'est plus proposé à votre "
            "auto-école tant que la situation n'est pas régularisée auprès de nos "
            "services."
            if card_only
            else ""
        )
        + "\n\nPasser mon code\n"
    )
    return subject, body


def _aware(value: str) -> datetime:
    """An exam's start as the cart gave it; read as UTC if it has no offset."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
