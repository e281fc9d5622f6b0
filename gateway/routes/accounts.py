"""Accounts of the schools (ID-1…ID-5): sign-up, activation, sign-in, profile."""

from __future__ import annotations

import logging
from typing import Any

from werkzeug.wrappers import Request

from gateway import schemas, texts
from gateway.api import bearer_token, endpoint, profile_of
from gateway.http import parse_uuid
from gateway.idempotency import idempotency_key
from gateway.limits import MAILS, SIGN_IN_ALERT, SIGN_IN_FAILURES, by_address
from services.common.errors import PlatformError
from services.common.settings import Settings

ACCOUNTS = "Comptes"
log = logging.getLogger(__name__)


class AccountRoutes:
    """The school's account."""

    # -- accounts (ID-1…ID-5)

    @endpoint(
        "POST",
        "/api/comptes",
        summary="Créer un compte Auto-école",
        tag=ACCOUNTS,
        body=schemas.SignUp,
        response=schemas.SignUpAccepted,
        status=201,
        auth=False,
        idempotent=True,
        limits=(by_address("inscription"), MAILS),
        steady=True,
    )
    def sign_up(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        created = self.identity.sign_up(data, idempotency_key=idempotency_key(request))
        return {**created, "message": texts.account_created(created["email"])}

    @endpoint(
        "POST",
        "/api/comptes/activation",
        summary="Activer un compte avec le lien reçu par e-mail",
        tag=ACCOUNTS,
        body=schemas.Activation,
        response=schemas.Message,
        auth=False,
        limits=(by_address("activation"),),
        steady=True,
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
        limits=(by_address("renvoi"), MAILS),
        steady=True,
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
        repeatable=True,
        limits=(by_address("connexion"),),
        steady=True,
    )
    def sign_in(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        settings = Settings.from_env()
        self.limits.refuse_if_used_up(SIGN_IN_FAILURES, settings, request, data)
        try:
            return self.identity.sign_in(data["email"], data["password"])
        except PlatformError as refused:
            if refused.status == 401:
                self.limits.count(SIGN_IN_FAILURES, request, data)
                self._alert_owner(request, data, settings.sign_in_alert_failures)
            raise

    def _alert_owner(self, request: Request, data: dict[str, Any], at: int) -> None:
        """The `at`-th failure of the window, from any address: identity tells
        the account's owner, if there is one. Asked alike for an unknown
        address, under the answer's steady floor: nothing tells them apart."""
        failures = self.limits.count(SIGN_IN_ALERT, request, data)
        if not at or failures != at:
            return
        since = self.limits.window_start(SIGN_IN_ALERT).isoformat()
        try:
            self.identity.report_failed_sign_ins(data["email"], failures, since)
        except Exception:  # the refusal is answered all the same
            log.warning("the owner of an account could not be told of failures")

    @endpoint(
        "DELETE",
        "/api/sessions",
        summary="Se déconnecter : le jeton de cette session ne sert plus",
        tag=ACCOUNTS,
        response=schemas.Message,
        repeatable=True,
    )
    def sign_out(self, request: Request, account: dict[str, Any]) -> dict[str, Any]:
        self.identity.end_session(bearer_token(request))
        self.sessions.ended(account)
        return {"message": texts.SIGNED_OUT}

    @endpoint(
        "POST",
        "/api/mot-de-passe/oubli",
        summary="Recevoir un lien de réinitialisation du mot de passe",
        tag=ACCOUNTS,
        body=schemas.EmailOnly,
        response=schemas.Message,
        auth=False,
        limits=(by_address("oubli"), MAILS),
        steady=True,
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
        limits=(by_address("reinitialisation"),),
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
        return profile_of(self)

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
        return self.identity.update_profile(data)

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
            data["current_password"],
            data["new_password"],
            session_id=account["session_id"],
        )
        return {**session, "message": texts.PASSWORD_CHANGED}
