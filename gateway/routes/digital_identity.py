"""The digital identity (ID-7): the candidate asks for it, picks how it is
checked, activates it and signs in strongly; La Poste's agents check it at
the counter, at home or online. A candidate's token opens the candidate's
routes, an agent's token the desks' routes, and neither the other's."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from gateway.api import endpoint
from gateway.http import parse_uuid
from gateway.limits import SIGN_IN_FAILURES, by_address
from gateway.schemas import digital_identity as schemas
from services.common.errors import PlatformError
from services.common.sessions import AGENT, CANDIDATE
from services.common.settings import Settings

IDENTITY = "Identité Numérique"
DESK = "Guichet Identité Numérique"
# The document's two photos and the video, base64 (a third more than bytes).
UPLOAD_MAX = 17 * 1024 * 1024


class DigitalIdentityRoutes:
    """The candidate's digital identity and the agents' desks."""

    @endpoint(
        "GET",
        "/api/candidat/identite",
        summary="Sa demande d'Identité Numérique",
        tag=IDENTITY,
        audience=CANDIDATE,
    )
    def own_digital_identity(self, request: Request, account: dict) -> dict:
        return self.identity.digital_identity(account["account_id"])

    @endpoint(
        "POST",
        "/api/candidat/identite",
        summary="Demander son Identité Numérique (pièce et état civil)",
        tag=IDENTITY,
        body=schemas.IdentityRequest,
        status=201,
        audience=CANDIDATE,
    )
    def request_digital_identity(
        self, request: Request, data: dict, account: dict
    ) -> dict:
        return self.identity.request_digital_identity(account["account_id"], data)

    @endpoint(
        "POST",
        "/api/candidat/identite/verification",
        summary="Choisir la vérification au bureau de poste, par le facteur "
        "ou en ligne",
        tag=IDENTITY,
        body=schemas.CheckChoice,
        audience=CANDIDATE,
    )
    def choose_identity_check(
        self, request: Request, data: dict, account: dict
    ) -> dict:
        return self.identity.choose_identity_check(
            account["account_id"], data["mode"], data.get("creneau")
        )

    @endpoint(
        "POST",
        "/api/candidat/identite/en-ligne",
        summary="Envoyer les photos de sa pièce et une courte vidéo",
        tag=IDENTITY,
        body=schemas.OnlineFiles,
        max_body=UPLOAD_MAX,
        timeout=60,
        audience=CANDIDATE,
    )
    def submit_identity_online(
        self, request: Request, data: dict, account: dict
    ) -> dict:
        return self.identity.submit_identity_online(account["account_id"], data)

    @endpoint(
        "POST",
        "/api/candidat/identite/activation",
        summary="Activer son Identité Numérique et choisir son code secret",
        tag=IDENTITY,
        body=schemas.Activation,
        audience=CANDIDATE,
    )
    def activate_identity(self, request: Request, data: dict, account: dict) -> dict:
        return self.identity.activate_digital_identity(
            account["account_id"], data["code"], data["code_secret"]
        )

    @endpoint(
        "POST",
        "/api/candidat/identite/sessions",
        summary="Se connecter avec son téléphone et son code secret",
        tag=IDENTITY,
        body=schemas.StrongCredentials,
        status=201,
        auth=False,
        limits=(by_address("connexion"),),
    )
    def strong_identity_sign_in(self, request: Request, data: dict[str, Any]) -> dict:
        # Guessing is bounded by the identity itself: five wrong secret codes
        # lock it, and its owner is told.
        return self.identity.strong_sign_in(data["telephone"], data["code_secret"])

    # -- agents' desks ---------------------------------------------------------

    @endpoint(
        "POST",
        "/api/agents/sessions",
        summary="Se connecter (agent)",
        tag=DESK,
        body=schemas.AgentCredentials,
        status=201,
        auth=False,
        limits=(by_address("connexion"),),
    )
    def agent_desk_sign_in(self, request: Request, data: dict[str, Any]) -> dict:
        settings = Settings.from_env()
        self.limits.refuse_if_used_up(SIGN_IN_FAILURES, settings, request, data)
        try:
            return self.identity.agent_sign_in(data["email"], data["password"])
        except PlatformError as refused:
            if refused.status == 401:
                self.limits.count(SIGN_IN_FAILURES, request, data)
            raise

    @endpoint(
        "POST",
        "/api/agents/guichet/recherche",
        summary="Trouver une demande par le numéro de la pièce",
        tag=DESK,
        body=schemas.CounterSearch,
        audience=AGENT,
    )
    def agent_counter_search(self, request: Request, data: dict, account: dict) -> dict:
        return self.identity.agent_find_request(account["account_id"], data["numero"])

    @endpoint(
        "POST",
        "/api/agents/guichet/<string:identity_id>/verification",
        summary="Pièce vérifiée : saisir le code présenté",
        tag=DESK,
        body=schemas.CounterCheck,
        audience=AGENT,
    )
    def agent_counter_check(
        self, request: Request, identity_id: str, data: dict, account: dict
    ) -> dict:
        return self.identity.agent_check_at_counter(
            account["account_id"], parse_uuid(identity_id, "Demande"), data["code"]
        )

    @endpoint(
        "POST",
        "/api/agents/facteur/<string:identity_id>/confirmation",
        summary="Le facteur confirme la vérification à domicile",
        tag=DESK,
        audience=AGENT,
    )
    def carrier_confirm(
        self, request: Request, identity_id: str, account: dict
    ) -> dict:
        return self.identity.agent_confirm_visit(
            account["account_id"], parse_uuid(identity_id, "Demande")
        )

    @endpoint(
        "GET",
        "/api/agents/revue",
        summary="Les demandes en ligne à examiner, la plus urgente d'abord",
        tag=DESK,
        audience=AGENT,
    )
    def agent_review_queue(self, request: Request, account: dict) -> dict:
        return self.identity.agent_review_queue(account["account_id"])

    @endpoint(
        "GET",
        "/api/agents/revue/<string:identity_id>",
        summary="Voir une demande en ligne, ses photos et sa vidéo",
        tag=DESK,
        audience=AGENT,
    )
    def agent_review_files(
        self, request: Request, identity_id: str, account: dict
    ) -> dict:
        return self.identity.agent_review_files(
            account["account_id"], parse_uuid(identity_id, "Demande")
        )

    @endpoint(
        "POST",
        "/api/agents/revue/<string:identity_id>/decision",
        summary="Accepter ou refuser une vérification en ligne",
        tag=DESK,
        body=schemas.Decision,
        audience=AGENT,
    )
    def agent_review_decision(
        self, request: Request, identity_id: str, data: dict, account: dict
    ) -> dict:
        return self.identity.agent_review(
            account["account_id"],
            parse_uuid(identity_id, "Demande"),
            data["accepte"],
            data.get("motif"),
        )

    @endpoint(
        "POST",
        "/api/agents/demandes/<string:identity_id>/refus",
        summary="Refuser la vérification au guichet ou à domicile",
        tag=DESK,
        body=schemas.Refusal,
        audience=AGENT,
    )
    def agent_refuse_check(
        self, request: Request, identity_id: str, data: dict, account: dict
    ) -> dict:
        return self.identity.agent_refuse(
            account["account_id"], parse_uuid(identity_id, "Demande"), data["motif"]
        )
