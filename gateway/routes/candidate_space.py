"""The candidate's own account (ID-6): opened when they confirm their file,
the e-mail and phone proved by 6-digit codes, signing in. Its token opens
these routes only, and a school's token none of them (`audience`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from werkzeug.wrappers import Request

from gateway.api import endpoint
from gateway.http import parse_uuid
from gateway.limits import SCHOOL, SIGN_IN_FAILURES, Limit, by_address
from gateway.schemas import candidate_space as schemas
from services.common.errors import PlatformError
from services.common.sessions import CANDIDATE
from services.common.settings import Settings

SPACE = "Espace candidat"
# Counted per account (the `SCHOOL` key is the token's account): codes sent,
# and wrong codes typed. A code takes 5 wrong guesses itself, and 5 codes an
# hour may be sent: the wrong guesses of a quarter of an hour are bounded too,
# whatever the number of codes.
CODE_SENDS = Limit(
    "codes-candidat", SCHOOL, "limit_mails_per_email", timedelta(hours=1)
)
CODE_TRIES = Limit(
    "essais-code-candidat", SCHOOL, "limit_sign_in_failures", timedelta(minutes=15)
)
OPENED = (
    "Votre dossier est confirmé et votre compte personnel est créé. Saisissez "
    "le code reçu par e-mail (et celui reçu par SMS) pour le vérifier."
)
JOINED = (
    "Votre dossier est confirmé. Vous avez déjà un compte personnel : "
    "connectez-vous pour le retrouver."
)


class CandidateSpaceRoutes:
    """The candidate's account."""

    @endpoint(
        "POST",
        "/api/candidat/compte",
        summary="Confirmer son dossier et créer son compte personnel",
        tag=SPACE,
        body=schemas.CandidateAccountOpening,
        response=schemas.CandidateSession,
        status=201,
        auth=False,
        limits=(by_address("candidat"),),
    )
    def open_account(self, request: Request, data: dict[str, Any]) -> dict:
        if data["sworn"] is not True:
            raise PlatformError(
                "attestation_manquante",
                "Vous devez cocher l'attestation sur l'honneur.",
                fields={"attestation": ["Cochez l'attestation sur l'honneur."]},
            )
        candidate_id = parse_uuid(data["candidate_id"], "Dossier")
        # The link is checked, and the file's contact read, before anything.
        file = self.candidates.for_candidate(candidate_id, data["token"])
        if not file.get("email"):
            raise PlatformError(
                "email_requis",
                "Un compte personnel demande une adresse e-mail : confirmez "
                "votre dossier sans compte.",
            )
        # The password is checked (and the account opened) before the file is
        # confirmed: a refused password leaves the file as it was.
        opened = self.identity.open_candidate_account(
            candidate_id, file["email"], file.get("phone"), data["password"]
        )
        self.candidates.confirm(candidate_id, data["token"])
        return {
            "token": opened.get("token"),
            "expires_at": opened.get("expires_at"),
            "account": opened,
            "message": OPENED if opened["opened"] else JOINED,
        }

    @endpoint(
        "POST",
        "/api/candidat/compte/codes",
        summary="Recevoir un nouveau code (e-mail ou SMS)",
        tag=SPACE,
        body=schemas.CodeRequest,
        response=schemas.CandidateAccount,
        limits=(CODE_SENDS,),
        audience=CANDIDATE,
    )
    def send_code(self, request: Request, data: dict, account: dict) -> dict:
        return self.identity.send_candidate_code(account["account_id"], data["channel"])

    @endpoint(
        "POST",
        "/api/candidat/compte/verification",
        summary="Vérifier son e-mail ou son téléphone avec le code reçu",
        tag=SPACE,
        body=schemas.CodeCheck,
        response=schemas.CandidateAccount,
        audience=CANDIDATE,
    )
    def verify_code(self, request: Request, data: dict, account: dict) -> dict:
        settings = Settings.from_env()
        self.limits.refuse_if_used_up(CODE_TRIES, settings, request, data, account)
        try:
            return self.identity.verify_candidate_code(
                account["account_id"], data["channel"], data["code"]
            )
        except PlatformError as refused:
            if refused.code == "code_incorrect":
                self.limits.count(CODE_TRIES, request, data, account)
            raise

    @endpoint(
        "GET",
        "/api/candidat/compte",
        summary="Son compte personnel",
        tag=SPACE,
        response=schemas.CandidateAccount,
        audience=CANDIDATE,
    )
    def own_account(self, request: Request, account: dict) -> dict:
        return self.identity.candidate_account(account["account_id"])

    @endpoint(
        "POST",
        "/api/candidat/sessions",
        summary="Se connecter (espace candidat)",
        tag=SPACE,
        body=schemas.CandidateCredentials,
        response=schemas.CandidateSession,
        status=201,
        auth=False,
        repeatable=True,
        limits=(by_address("connexion"),),
        steady=True,
    )
    def candidate_sign_in(self, request: Request, data: dict[str, Any]) -> dict:
        self.limits.refuse_if_used_up(
            SIGN_IN_FAILURES, Settings.from_env(), request, data
        )
        try:
            return self.identity.candidate_sign_in(data["email"], data["password"])
        except PlatformError as refused:
            if refused.status == 401:
                self.limits.count(SIGN_IN_FAILURES, request, data)
            raise
