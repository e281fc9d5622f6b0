"""Candidate files: the school's side (CA-1, CA-2, CA-4, CA-5, EX-1) and the
candidate's (CA-3)."""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import schemas
from gateway.api import endpoint, profile_of
from gateway.http import download, parse_uuid
from gateway.idempotency import idempotency_key
from gateway.limits import FILES, IMPORTS, RESENDS, by_address
from services.common.errors import PlatformError

CANDIDATES = "Candidats"
CANDIDATE = "Espace candidat"


def require_sworn(data: dict[str, Any]) -> None:
    """A confirmation comes with the sworn statement ticked (seed 004)."""
    if data["sworn"] is not True:
        raise PlatformError(
            "attestation_manquante",
            "Vous devez cocher l'attestation sur l'honneur.",
            fields={"attestation": ["Cochez l'attestation sur l'honneur."]},
        )


class CandidateRoutes:
    """Candidate files, for schools and for candidates."""

    # -- candidates: the school's side (CA-1, CA-2, CA-4, CA-5, EX-1)

    @endpoint(
        "POST",
        "/api/candidats",
        summary="Créer le dossier d'un candidat (contrôle d'éligibilité)",
        tag=CANDIDATES,
        body=schemas.NewCandidate,
        response=schemas.Candidate,
        status=201,
        idempotent=True,
        limits=(FILES,),
    )
    def create_candidate(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        profile = profile_of(self)
        return self.candidates.create_file(
            profile["email"],
            data,
            idempotency_key=idempotency_key(request),
            school_name=profile.get("company_name") or "",
        )

    @endpoint(
        "GET",
        "/api/candidats",
        summary="Les dossiers de l'auto-école, recherche par nom ou NEPH",
        tag=CANDIDATES,
        query=schemas.CandidateSearch,
        response=schemas.CandidateList,
    )
    def list_candidates(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        found = self.candidates.list_files(query.get("search", ""))
        return {"items": found}

    @endpoint(
        "POST",
        "/api/candidats/import",
        summary="Importer des dossiers depuis un fichier CSV",
        tag=CANDIDATES,
        body=schemas.CsvImport,
        max_body=2 * 1024 * 1024,  # a school's whole file of candidates
        response=schemas.ImportReport,
        timeout=600,  # thousands of lines, each checked and saved
        idempotent=True,
        limits=(IMPORTS,),
    )
    def import_candidates(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        profile = profile_of(self)
        return self.candidates.import_csv(
            profile["email"],
            data["csv"],
            idempotency_key=idempotency_key(request),
            school_name=profile.get("company_name") or "",
        )

    @endpoint(
        "GET",
        "/api/candidats/export",
        summary="Exporter les dossiers en CSV",
        tag=CANDIDATES,
    )
    def export_candidates(self, request: Request, account: dict[str, Any]) -> Response:
        text = self.candidates.export_csv()
        return download(text.encode("utf-8-sig"), "text/csv", "candidats.csv")

    @endpoint(
        "GET",
        "/api/candidats/<string:candidate_id>",
        summary="Un dossier de candidat de l'auto-école",
        tag=CANDIDATES,
        response=schemas.Candidate,
    )
    def get_candidate(
        self, request: Request, candidate_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        candidate_id = parse_uuid(candidate_id, "Dossier")
        return self.candidates.get_file(candidate_id)

    @endpoint(
        "PATCH",
        "/api/candidats/<string:candidate_id>/contact",
        summary="Modifier e-mail, adresse postale ou téléphone",
        tag=CANDIDATES,
        body=schemas.ContactChange,
        response=schemas.Candidate,
    )
    def change_candidate_contact(
        self,
        request: Request,
        candidate_id: str,
        data: dict[str, Any],
        account: dict[str, Any],
    ) -> dict[str, Any]:
        candidate_id = parse_uuid(candidate_id, "Dossier")
        return self.candidates.change_contact(candidate_id, data)

    @endpoint(
        "POST",
        "/api/candidats/<string:candidate_id>/renvoi",
        summary="Renvoyer le lien d'activation au candidat",
        tag=CANDIDATES,
        response=schemas.Candidate,
        limits=(RESENDS,),
    )
    def resend_candidate_link(
        self, request: Request, candidate_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        candidate_id = parse_uuid(candidate_id, "Dossier")
        return self.candidates.resend_link(candidate_id)

    @endpoint(
        "POST",
        "/api/candidats/<string:candidate_id>/archivage",
        summary="Archiver un dossier",
        tag=CANDIDATES,
        response=schemas.Candidate,
    )
    def archive_candidate(
        self, request: Request, candidate_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        candidate_id = parse_uuid(candidate_id, "Dossier")
        return self.candidates.archive(candidate_id)

    @endpoint(
        "POST",
        "/api/candidats/<string:candidate_id>/effacement",
        summary="Effacer le dossier et les données personnelles du candidat",
        tag=CANDIDATES,
        response=schemas.Erasure,
    )
    def erase_candidate(
        self, request: Request, candidate_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        # Asking twice answers the same: no idempotency key is needed.
        candidate_id = parse_uuid(candidate_id, "Dossier")
        return self.candidates.erase(candidate_id)

    @endpoint(
        "GET",
        "/api/candidats/<string:candidate_id>/recu",
        summary="Le récépissé de confirmation (PDF)",
        tag=CANDIDATES,
    )
    def candidate_receipt(
        self, request: Request, candidate_id: str, account: dict[str, Any]
    ) -> Response:
        candidate_id = parse_uuid(candidate_id, "Dossier")
        pdf = self.candidates.receipt_pdf(candidate_id)
        return download(base64.b64decode(pdf), "application/pdf", "recepisse.pdf")

    # -- candidates: the candidate's side (CA-3), no account needed

    @endpoint(
        "POST",
        "/api/candidat/dossier",
        summary="Le dossier tel que l'auto-école l'a saisi (lien d'activation)",
        tag=CANDIDATE,
        body=schemas.CandidateLink,
        response=schemas.Candidate,
        auth=False,
        limits=(by_address("candidat"),),
    )
    def candidate_file(self, request: Request, data: dict[str, Any]) -> dict:
        candidate_id = parse_uuid(data["candidate_id"], "Dossier")
        return self.candidates.for_candidate(candidate_id, data["token"])

    @endpoint(
        "POST",
        "/api/candidat/code",
        summary="Ouvrir son dossier avec le NEPH et le code reçu par courrier",
        tag=CANDIDATE,
        body=schemas.CandidateCode,
        response=schemas.CandidateLinkOut,
        auth=False,
        limits=(by_address("candidat"),),
    )
    def candidate_code(self, request: Request, data: dict[str, Any]) -> dict:
        return self.candidates.redeem_code(data["neph"], data["code"])

    @endpoint(
        "POST",
        "/api/candidat/confirmation",
        summary="Confirmer son dossier (attestation sur l'honneur)",
        tag=CANDIDATE,
        body=schemas.CandidateConfirmation,
        response=schemas.Confirmed,
        auth=False,
        limits=(by_address("candidat"),),
    )
    def candidate_confirm(self, request: Request, data: dict[str, Any]) -> dict:
        require_sworn(data)
        candidate_id = parse_uuid(data["candidate_id"], "Dossier")
        return self.candidates.confirm(
            candidate_id, data["token"], data["reuse_refused"]
        )

    @endpoint(
        "POST",
        "/api/candidat/refus",
        summary="Refuser son dossier (l'auto-école devra en créer un nouveau)",
        tag=CANDIDATE,
        body=schemas.CandidateLink,
        response=schemas.Candidate,
        auth=False,
        limits=(by_address("candidat"),),
    )
    def candidate_refuse(self, request: Request, data: dict[str, Any]) -> dict:
        candidate_id = parse_uuid(data["candidate_id"], "Dossier")
        return self.candidates.refuse(candidate_id, data["token"])

    @endpoint(
        "POST",
        "/api/candidat/effacement",
        summary="Effacer son dossier et ses données personnelles",
        tag=CANDIDATE,
        body=schemas.CandidateLink,
        response=schemas.Erasure,
        auth=False,
        limits=(by_address("candidat"),),
    )
    def candidate_erase(self, request: Request, data: dict[str, Any]) -> dict:
        candidate_id = parse_uuid(data["candidate_id"], "Dossier")
        return self.candidates.erase_for_candidate(candidate_id, data["token"])

    # POST, not GET: the receipt's token travels in the body, which no access
    # log keeps, rather than in a query string, which many do.
    @endpoint(
        "POST",
        "/api/candidat/recu",
        summary="Télécharger son récépissé (PDF)",
        tag=CANDIDATE,
        body=schemas.CandidateReceiptRequest,
        auth=False,
        limits=(by_address("candidat"),),
    )
    def candidate_own_receipt(self, request: Request, data: dict[str, Any]) -> Response:
        candidate_id = parse_uuid(data["candidate_id"], "Dossier")
        pdf = self.candidates.receipt_pdf(candidate_id, data["token"])
        return download(base64.b64decode(pdf), "application/pdf", "recepisse.pdf")
