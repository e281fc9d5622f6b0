"""The gateway nameko service: JSON API (GW-1), pages (GW-2), health."""

from __future__ import annotations

import base64
from typing import Any

import eventlet
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from gateway import pages, schemas, texts
from gateway.api import endpoint, openapi_document
from gateway.http import download, json_response, parse_uuid
from services.common.errors import PlatformError

# Services the gateway needs answering before it calls itself ready.
READY_SERVICES = (
    "identity",
    "candidates",
    "scheduling",
    "booking",
    "billing",
    "notifier",
)
READY_TIMEOUT = 2.0

ACCOUNTS = "Comptes"
CANDIDATES = "Candidats"
CANDIDATE = "Espace candidat"
BOOKING = "Inscription"


class GatewayService:
    """JSON API and web pages for schools and candidates."""

    name = "gateway"
    identity = RpcProxy("identity")
    candidates = RpcProxy("candidates")
    scheduling = RpcProxy("scheduling")
    booking = RpcProxy("booking")
    billing = RpcProxy("billing")
    notifier = RpcProxy("notifier")

    # -- health and documentation ------------------------------------------------

    @http("GET", "/health/live")
    def live(self, request: Request) -> Response:
        """Liveness: the process answers."""
        return json_response({"status": "ok"})

    @http("GET", "/health/ready")
    def ready(self, request: Request) -> Response:
        """Readiness: every service the gateway calls answers in time."""
        down = []
        for name in READY_SERVICES:
            try:
                with eventlet.Timeout(READY_TIMEOUT):
                    getattr(self, name).ping()
            except (Exception, eventlet.Timeout):
                down.append(name)
        if down:
            return json_response({"status": "indisponible", "down": down}, 503)
        return json_response({"status": "ok"})

    @http("GET", "/api/openapi.json")
    def openapi(self, request: Request) -> Response:
        """The OpenAPI 3 document of this API."""
        return json_response(openapi_document())

    # -- accounts (ID-1…ID-5) -----------------------------------------------------

    @endpoint(
        "POST",
        "/api/comptes",
        summary="Créer un compte Auto-école",
        tag=ACCOUNTS,
        body=schemas.SignUp,
        response=schemas.SignUpAccepted,
        status=201,
        auth=False,
    )
    def sign_up(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        created = self.identity.sign_up(data)
        return {**created, "message": texts.account_created(created["email"])}

    @endpoint(
        "POST",
        "/api/comptes/activation",
        summary="Activer un compte avec le lien reçu par e-mail",
        tag=ACCOUNTS,
        body=schemas.Activation,
        response=schemas.Message,
        auth=False,
    )
    def activate(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        account_id = parse_uuid(data["account_id"], "Compte")
        done = self.identity.activate(account_id, data["token"])
        if done["already_active"]:
            return {"message": texts.ACCOUNT_ALREADY_ACTIVE}
        return {"message": texts.ACCOUNT_ACTIVATED}

    @endpoint(
        "POST",
        "/api/comptes/activation/renvoi",
        summary="Recevoir un nouveau lien d'activation",
        tag=ACCOUNTS,
        body=schemas.EmailOnly,
        response=schemas.Message,
        auth=False,
    )
    def resend_activation(self, request: Request, data: dict[str, Any]) -> dict:
        sent = self.identity.resend_activation(data["email"])
        return {"message": texts.activation_link_sent(sent["email"])}

    @endpoint(
        "POST",
        "/api/sessions",
        summary="Se connecter (espace Professionnel)",
        tag=ACCOUNTS,
        body=schemas.Credentials,
        response=schemas.Session,
        status=201,
        auth=False,
    )
    def sign_in(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return self.identity.sign_in(data["email"], data["password"])

    @endpoint(
        "POST",
        "/api/mot-de-passe/oubli",
        summary="Recevoir un lien de réinitialisation du mot de passe",
        tag=ACCOUNTS,
        body=schemas.EmailOnly,
        response=schemas.Message,
        auth=False,
    )
    def forgot_password(self, request: Request, data: dict[str, Any]) -> dict:
        sent = self.identity.request_password_reset(data["email"])
        return {"message": texts.reset_link_sent(sent["email"])}

    @endpoint(
        "POST",
        "/api/mot-de-passe/reinitialisation",
        summary="Choisir un nouveau mot de passe avec le lien reçu",
        tag=ACCOUNTS,
        body=schemas.PasswordResetConfirm,
        response=schemas.Message,
        auth=False,
    )
    def reset_password(self, request: Request, data: dict[str, Any]) -> dict:
        account_id = parse_uuid(data["account_id"], "Compte")
        self.identity.reset_password(account_id, data["token"], data["password"])
        return {"message": texts.PASSWORD_RESET_DONE}

    @endpoint(
        "GET",
        "/api/compte",
        summary="Les informations du compte",
        tag=ACCOUNTS,
        response=schemas.Profile,
    )
    def profile(self, request: Request, account: dict[str, Any]) -> dict[str, Any]:
        return account

    @endpoint(
        "PATCH",
        "/api/compte",
        summary="Modifier civilité, nom, prénom, téléphone, raison sociale, SIRET",
        tag=ACCOUNTS,
        body=schemas.ProfileChanges,
        response=schemas.Profile,
    )
    def update_profile(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        return self.identity.update_profile(account["account_id"], data)

    @endpoint(
        "POST",
        "/api/compte/mot-de-passe",
        summary="Changer de mot de passe (les autres sessions sont fermées)",
        tag=ACCOUNTS,
        body=schemas.PasswordChange,
        response=schemas.NewToken,
    )
    def change_password(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        session = self.identity.change_password(
            account["account_id"], data["current_password"], data["new_password"]
        )
        return {**session, "message": texts.PASSWORD_CHANGED}

    # -- candidates: the school's side (CA-1, CA-2, CA-4, CA-5, EX-1) ----------------

    @endpoint(
        "POST",
        "/api/candidats",
        summary="Créer le dossier d'un candidat (contrôle d'éligibilité)",
        tag=CANDIDATES,
        body=schemas.NewCandidate,
        response=schemas.Candidate,
        status=201,
    )
    def create_candidate(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        return self.candidates.create_file(
            account["account_id"], account["email"], data
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
        found = self.candidates.list_files(
            account["account_id"], query.get("search", "")
        )
        return {"items": found}

    @endpoint(
        "POST",
        "/api/candidats/import",
        summary="Importer des dossiers depuis un fichier CSV",
        tag=CANDIDATES,
        body=schemas.CsvImport,
        response=schemas.ImportReport,
        timeout=600,  # thousands of lines, each checked and saved
    )
    def import_candidates(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        return self.candidates.import_csv(
            account["account_id"], account["email"], data["csv"]
        )

    @endpoint(
        "GET",
        "/api/candidats/export",
        summary="Exporter les dossiers en CSV",
        tag=CANDIDATES,
    )
    def export_candidates(self, request: Request, account: dict[str, Any]) -> Response:
        text = self.candidates.export_csv(account["account_id"])
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
        return self.candidates.get_file(account["account_id"], candidate_id)

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
        return self.candidates.change_contact(account["account_id"], candidate_id, data)

    @endpoint(
        "POST",
        "/api/candidats/<string:candidate_id>/renvoi",
        summary="Renvoyer le lien d'activation au candidat",
        tag=CANDIDATES,
        response=schemas.Candidate,
    )
    def resend_candidate_link(
        self, request: Request, candidate_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        candidate_id = parse_uuid(candidate_id, "Dossier")
        return self.candidates.resend_link(account["account_id"], candidate_id)

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
        return self.candidates.archive(account["account_id"], candidate_id)

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
        pdf = self.candidates.receipt_pdf(candidate_id, account["account_id"])
        return download(base64.b64decode(pdf), "application/pdf", "recepisse.pdf")

    # -- candidates: the candidate's side (CA-3), no account needed -------------------

    @endpoint(
        "POST",
        "/api/candidat/dossier",
        summary="Le dossier tel que l'auto-école l'a saisi (lien d'activation)",
        tag=CANDIDATE,
        body=schemas.CandidateLink,
        response=schemas.Candidate,
        auth=False,
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
    )
    def candidate_confirm(self, request: Request, data: dict[str, Any]) -> dict:
        if data["sworn"] is not True:
            raise PlatformError(
                "attestation_manquante",
                "Vous devez cocher l'attestation sur l'honneur.",
                fields={"attestation": ["Cochez l'attestation sur l'honneur."]},
            )
        candidate_id = parse_uuid(data["candidate_id"], "Dossier")
        confirmed = self.candidates.confirm(candidate_id, data["token"])
        return {
            **confirmed,
            "receipt_token": self.candidates.receipt_token(candidate_id),
        }

    @endpoint(
        "POST",
        "/api/candidat/refus",
        summary="Refuser son dossier (l'auto-école devra en créer un nouveau)",
        tag=CANDIDATE,
        body=schemas.CandidateLink,
        response=schemas.Candidate,
        auth=False,
    )
    def candidate_refuse(self, request: Request, data: dict[str, Any]) -> dict:
        candidate_id = parse_uuid(data["candidate_id"], "Dossier")
        return self.candidates.refuse(candidate_id, data["token"])

    @endpoint(
        "GET",
        "/api/candidat/recu",
        summary="Télécharger son récépissé (PDF)",
        tag=CANDIDATE,
        query=schemas.CandidateReceiptQuery,
        auth=False,
    )
    def candidate_own_receipt(
        self, request: Request, query: dict[str, Any]
    ) -> Response:
        candidate_id = parse_uuid(query["candidate_id"], "Dossier")
        pdf = self.candidates.receipt_pdf(candidate_id, None, query["token"])
        return download(base64.b64decode(pdf), "application/pdf", "recepisse.pdf")

    # -- search and booking (SC-3, BO-1…BO-5) ----------------------------------------

    @endpoint(
        "GET",
        "/api/inscription/candidat",
        summary="Bloc candidat : le dossier activé correspondant à un NEPH",
        tag=BOOKING,
        query=schemas.NephQuery,
        response=schemas.Candidate,
    )
    def candidate_block(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        return self.booking.candidate_block(account["account_id"], query["neph"])

    @endpoint(
        "GET",
        "/api/examens/recherche",
        summary="Chercher des sessions autour d'une ville ou d'un code postal",
        tag=BOOKING,
        query=schemas.SessionSearch,
        response=schemas.SearchResult,
    )
    def search_sessions(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        return self.scheduling.search(
            {
                **query,
                "after": query["after"].isoformat() if query["after"] else None,
                "before": query["before"].isoformat() if query["before"] else None,
            }
        )

    @endpoint(
        "POST",
        "/api/panier",
        summary="Réserver une place pour un candidat et l'ajouter au panier",
        tag=BOOKING,
        body=schemas.HoldRequest,
        response=schemas.CartLine,
        status=201,
    )
    def hold_seat(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        session_id = parse_uuid(data["session_id"], "Session")
        return self.booking.hold(account["account_id"], data["neph"], session_id)

    @endpoint(
        "GET",
        "/api/panier",
        summary="Le panier : les places réservées non payées",
        tag=BOOKING,
        response=schemas.Cart,
    )
    def cart(self, request: Request, account: dict[str, Any]) -> dict[str, Any]:
        return {"items": self.booking.cart(account["account_id"])}

    @endpoint(
        "PUT",
        "/api/panier/<string:reservation_id>",
        summary="Changer le créneau d'une réservation du panier",
        tag=BOOKING,
        body=schemas.SlotChange,
        response=schemas.CartLine,
    )
    def change_slot(
        self,
        request: Request,
        reservation_id: str,
        data: dict[str, Any],
        account: dict[str, Any],
    ) -> dict[str, Any]:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        session_id = parse_uuid(data["session_id"], "Session")
        return self.booking.change_slot(
            account["account_id"], reservation_id, session_id
        )

    @endpoint(
        "DELETE",
        "/api/panier/<string:reservation_id>",
        summary="Retirer une réservation du panier (la place est libérée)",
        tag=BOOKING,
        response=schemas.CartLine,
    )
    def remove_from_cart(
        self, request: Request, reservation_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        return self.booking.remove(account["account_id"], reservation_id)

    @endpoint(
        "GET",
        "/api/reservations",
        summary="Les réservations, par nom du candidat, NEPH ou date d'examen",
        tag=BOOKING,
        query=schemas.ReservationSearch,
        response=schemas.Cart,
    )
    def reservations(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        exam_date = query["exam_date"].isoformat() if query["exam_date"] else None
        found = self.booking.reservations(
            account["account_id"], query.get("search", ""), exam_date
        )
        return {"items": found}

    # -- checkout (BO-4, BI-1, BI-2) -----------------------------------------------

    @endpoint(
        "POST",
        "/api/paiement/carte",
        summary="Payer le panier par carte (une seule fois par clé)",
        tag=BOOKING,
        body=schemas.CardPayment,
        response=schemas.Payment,
        status=201,
    )
    def pay_by_card(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        require_cgv(data)
        # The cart as the school sees it now; billing keeps it with the payment.
        lines = self.booking.cart(account["account_id"])
        payment = self.billing.pay_by_card(
            account["account_id"],
            data["idempotency_key"],
            lines,
            data["card_number"],
            buyer_of(account),
        )
        return paid(payment)

    @endpoint(
        "POST",
        "/api/paiement/sepa",
        summary="Payer le panier par prélèvement SEPA (mandat signé ce jour)",
        tag=BOOKING,
        body=schemas.SepaPayment,
        response=schemas.Payment,
        status=201,
    )
    def pay_by_sepa(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        require_cgv(data)
        lines = self.booking.cart(account["account_id"])
        bank = {k: data[k] for k in ("iban", "bic", "holder")}
        payment = self.billing.pay_by_sepa(
            account["account_id"],
            data["idempotency_key"],
            lines,
            bank,
            buyer_of(account),
        )
        return paid(payment)

    @endpoint(
        "GET",
        "/api/reservations/<string:reservation_id>/convocation",
        summary="Télécharger la convocation d'une réservation payée (PDF)",
        tag=BOOKING,
    )
    def convocation(
        self, request: Request, reservation_id: str, account: dict[str, Any]
    ) -> Response:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        pdf = self.booking.convocation_pdf(account["account_id"], reservation_id)
        return download(base64.b64decode(pdf), "application/pdf", "convocation.pdf")

    @endpoint(
        "GET",
        "/api/paiements",
        summary="Les paiements de l'auto-école",
        tag=BOOKING,
        response=schemas.PaymentList,
    )
    def payments(self, request: Request, account: dict[str, Any]) -> dict[str, Any]:
        return {"items": self.billing.payments(account["account_id"])}

    @endpoint(
        "GET",
        "/api/paiements/<string:checkout_id>/facture",
        summary="Télécharger la facture d'un paiement (PDF)",
        tag=BOOKING,
    )
    def invoice(
        self, request: Request, checkout_id: str, account: dict[str, Any]
    ) -> Response:
        checkout_id = parse_uuid(checkout_id, "Facture")
        pdf = self.billing.invoice_pdf(account["account_id"], checkout_id)
        return download(base64.b64decode(pdf), "application/pdf", "facture.pdf")

    # -- pages (GW-2) ---------------------------------------------------------------

    @http("GET", "/")
    def home_page(self, request: Request) -> Response:
        """Accueil: créer un compte, se connecter."""
        return pages.page("/")

    @http("GET", "/activation")
    def activation_page(self, request: Request) -> Response:
        """Account activation from the e-mailed link."""
        return pages.page("/activation")

    @http("GET", "/mot-de-passe-oublie")
    def forgot_password_page(self, request: Request) -> Response:
        """Ask for a password reset link."""
        return pages.page("/mot-de-passe-oublie")

    @http("GET", "/reinitialisation")
    def reset_page(self, request: Request) -> Response:
        """Choose a new password from the e-mailed link."""
        return pages.page("/reinitialisation")

    @http("GET", "/espace")
    def space_page(self, request: Request) -> Response:
        """Espace client."""
        return pages.page("/espace")

    @http("GET", "/espace/compte")
    def account_page(self, request: Request) -> Response:
        """Espace client › Compte."""
        return pages.page("/espace/compte")

    @http("GET", "/espace/candidats")
    def candidates_page(self, request: Request) -> Response:
        """Espace client › Candidats."""
        return pages.page("/espace/candidats")

    @http("GET", "/espace/inscription")
    def booking_page(self, request: Request) -> Response:
        """Inscription: candidate, session on the map, cart (BO-1…BO-3)."""
        return pages.page("/espace/inscription")

    @http("GET", "/espace/reservations")
    def reservations_page(self, request: Request) -> Response:
        """Espace client › Réservations (BO-5)."""
        return pages.page("/espace/reservations")

    @http("GET", "/espace/paiements")
    def payments_page(self, request: Request) -> Response:
        """Espace client › Paiements et factures (BI-3)."""
        return pages.page("/espace/paiements")

    @http("GET", "/candidat/activation")
    def candidate_activation_page(self, request: Request) -> Response:
        """The candidate checks and confirms (or refuses) their file."""
        return pages.page("/candidat/activation")

    @http("GET", "/static/<string:name>")
    def static_file(self, request: Request, name: str) -> Response:
        """CSS and JavaScript of the pages."""
        return pages.static(name)


def paid(payment: dict[str, Any]) -> dict[str, Any]:
    """The answer to a payment: thanks, or why it was declined (402)."""
    if payment["status"] == "refusé":
        raise PlatformError(
            "paiement_refuse", texts.payment_declined(payment["reason"]), status=402
        )
    return {**payment, "message": texts.PAID}


def require_cgv(data: dict[str, Any]) -> None:
    if data["cgv"] is not True:
        raise PlatformError(
            "cgv_non_acceptees",
            texts.CGV_REQUIRED,
            fields={"cgv": ["Cochez « J'accepte les conditions générales de vente »."]},
        )


def buyer_of(account: dict[str, Any]) -> dict[str, Any]:
    """The school as its invoices name it (BI-3)."""
    return {
        "company_name": account.get("company_name"),
        "siret": account.get("siret"),
        "address": account.get("address"),
        "email": account.get("email"),
    }
