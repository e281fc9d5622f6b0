"""The candidate's own account (ID-6): opened when they confirm their file,
the e-mail and phone proved by 6-digit codes, signing in. Its token opens
these routes only, and a school's token none of them (`audience`)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.api import bearer_token, endpoint
from gateway.http import download, parse_uuid
from gateway.limits import SCHOOL, SIGN_IN_FAILURES, Limit, by_address
from gateway.routes.candidates import require_sworn
from gateway.schemas import candidate_space as schemas
from gateway.schemas.base import Message
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
FILE_NOT_FOUND = "Ce dossier est introuvable."
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
        require_sworn(data)
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
        try:
            opened = self.identity.open_candidate_account(
                candidate_id, file["email"], file.get("phone"), data["password"]
            )
        except PlatformError as refused:
            # Named as this route's body names it.
            if refused.fields and "password" in refused.fields:
                refused.fields = {"mot_de_passe": refused.fields["password"]}
            raise
        self.candidates.confirm(candidate_id, data["token"], data["reuse_refused"])
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

    @endpoint(
        "DELETE",
        "/api/candidat/sessions",
        summary="Se déconnecter (espace candidat)",
        tag=SPACE,
        response=Message,
        repeatable=True,
        audience=CANDIDATE,
    )
    def candidate_sign_out(self, request: Request, account: dict) -> dict:
        self.identity.end_session(bearer_token(request))
        self.sessions.ended(account)
        return {"message": "Vous êtes déconnecté(e)."}

    # -- the candidate's space: their files, receipts, convocations, results

    def _own_files(self, account: dict[str, Any]) -> list[str]:
        """The files of the signed-in candidate, once their e-mail is proved."""
        own = self.identity.candidate_account(account["account_id"])
        if not own["email_verified"]:
            raise PlatformError(
                "email_non_verifie",
                "Vérifiez d'abord votre adresse e-mail avec le code reçu.",
                status=403,
            )
        return own["files"]

    def _own_file(self, account: dict[str, Any], candidate_id: str) -> str:
        candidate_id = parse_uuid(candidate_id, "Dossier")
        if candidate_id not in self._own_files(account):
            # Another candidate's file is as unknown as a made-up id.
            raise PlatformError("dossier_introuvable", FILE_NOT_FOUND, status=404)
        return candidate_id

    @endpoint(
        "GET",
        "/api/candidat/dossiers",
        summary="Ses dossiers, leurs récépissés, convocations et résultats publiés",
        tag=SPACE,
        response=schemas.OwnFiles,
        audience=CANDIDATE,
    )
    def own_files(self, request: Request, account: dict) -> dict:
        files = self.candidates.files_of_candidate(self._own_files(account))
        for file in files:
            file["convocations"] = self.booking.candidate_convocations(file["id"])
            # Released results only: nothing shows before the 24 hours (RE-1).
            file["results"] = self.results.candidate_results(file["id"])
        return {"items": files}

    @endpoint(
        "GET",
        "/api/candidat/dossiers/<string:candidate_id>/recu",
        summary="Télécharger son récépissé (PDF), à tout moment",
        tag=SPACE,
        audience=CANDIDATE,
    )
    def own_receipt(
        self, request: Request, candidate_id: str, account: dict
    ) -> Response:
        candidate_id = self._own_file(account, candidate_id)
        pdf = self.candidates.candidate_receipt_pdf(candidate_id)
        return download(base64.b64decode(pdf), "application/pdf", "recepisse.pdf")

    @endpoint(
        "GET",
        "/api/candidat/dossiers/<string:candidate_id>/convocations/"
        "<string:reservation_id>",
        summary="Télécharger sa convocation (PDF)",
        tag=SPACE,
        audience=CANDIDATE,
    )
    def own_convocation(
        self, request: Request, candidate_id: str, reservation_id: str, account: dict
    ) -> Response:
        candidate_id = self._own_file(account, candidate_id)
        reservation_id = parse_uuid(reservation_id, "Réservation")
        pdf = self.booking.candidate_convocation_pdf(candidate_id, reservation_id)
        return download(base64.b64decode(pdf), "application/pdf", "convocation.pdf")

    @endpoint(
        "GET",
        "/api/candidat/dossiers/<string:candidate_id>/resultats/"
        "<string:reservation_id>/pdf",
        summary="Télécharger son résultat (PDF), une fois publié",
        tag=SPACE,
        audience=CANDIDATE,
    )
    def own_result(
        self, request: Request, candidate_id: str, reservation_id: str, account: dict
    ) -> Response:
        candidate_id = self._own_file(account, candidate_id)
        reservation_id = parse_uuid(reservation_id, "Résultat")
        pdf = self.results.candidate_result_pdf(candidate_id, reservation_id)
        return download(base64.b64decode(pdf), "application/pdf", "resultat.pdf")
