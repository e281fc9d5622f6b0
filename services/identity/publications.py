"""What identity publishes: each integration event built from the stored
event alone (the address a link goes to is sealed in it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.common import contracts
from services.common.store import Publication
from services.identity.candidate_account import (
    EMAIL_CODE,
    CandidateAccount,
    account_code,
)
from services.identity.digital_identity import DigitalIdentity
from services.identity.domain import Account, EndedSession
from services.identity.identity_codes import (
    ACTIVATION_PURPOSE,
    POST_OFFICE_PURPOSE,
    identity_code,
    video_digits,
)
from services.identity.projections import new_generation
from services.identity.secrets import ACTIVATION, RESET

if TYPE_CHECKING:
    from services.identity.application import IdentityApplication


def _email_of(e: Any, app: IdentityApplication) -> str | None:
    """The address an event's link goes to: sealed in the event (in clear in
    events stored before sealing); None once the account's key is forgotten."""
    sealed = getattr(e, "personal", None)
    if sealed is None:
        return getattr(e, "email", None)
    opened = app.vault.unseal(e.originator_id, sealed)
    return opened.get("email") if opened else None


def _activation_requested(e: Any, app: IdentityApplication) -> dict[str, Any] | None:
    nonce = e.activation_nonce if isinstance(e, Account.Registered) else e.nonce
    expires = (
        e.activation_expires_at if isinstance(e, Account.Registered) else e.expires_at
    )
    email = _email_of(e, app)
    if email is None:
        return None  # nobody to write to
    return {
        "account_id": e.originator_id,
        "email": email,
        "link_token": app.links.token(ACTIVATION, e.originator_id, nonce),
        "expires_at": expires,
    }


def _reset_requested(e: Any, app: IdentityApplication) -> dict[str, Any] | None:
    email = _email_of(e, app)
    if email is None:
        return None
    return {
        "account_id": e.originator_id,
        "email": email,
        "link_token": app.links.token(RESET, e.originator_id, e.nonce),
        "expires_at": e.expires_at,
        "because": getattr(e, "because", ""),
    }


def _code_requested(
    e: CandidateAccount.CodeSent, app: IdentityApplication
) -> dict[str, Any] | None:
    """A candidate account's code, and where it goes (sealed on the bus)."""
    contact = app.vault.unseal(e.originator_id, e.personal)
    if not contact:
        return None  # erased: nobody to send it to
    by_email = e.channel == EMAIL_CODE
    return {
        "account_id": e.originator_id,
        "channel": "email" if by_email else "sms",
        "email": contact.get("email") if by_email else None,
        "phone": None if by_email else contact.get("phone"),
        "code": account_code(app.links, e.originator_id, e.nonce),
        "expires_at": e.expires_at,
    }


def _failures_reported(
    e: Account.FailedSignInsReported, app: IdentityApplication
) -> dict[str, Any] | None:
    email = _email_of(e, app)
    if email is None:
        return None
    return {
        "account_id": e.originator_id,
        "email": email,
        "attempts": e.attempts,
        "since": e.since,
        "reported_at": e.reported_at,
    }


def _sessions_revoked(e: Any, app: IdentityApplication) -> dict[str, Any] | None:
    revoked = new_generation(e)
    if revoked is None:
        return None
    generation, at = revoked
    return {
        "account_id": e.originator_id,
        "generation": generation,
        "revoked_at": at,
        "expires_at": at + app.sessions.lifetime,
    }


def _session_ended(e: EndedSession.Ended, app: IdentityApplication) -> dict[str, Any]:
    return {
        "account_id": e.account_id,
        "session_id": e.session_id,
        "expires_at": e.expires_at,
    }


def _identity_notice(e: Any, app: IdentityApplication) -> dict[str, Any] | None:
    """What a digital identity tells its owner (ID-7), and where it goes."""
    contact = app.vault.unseal(e.account_id, e.personal)
    if not contact:
        return None  # erased: nobody to tell
    notice: dict[str, Any] = {
        "account_id": e.account_id,
        "email": contact.get("email"),
        "phone": contact.get("phone"),
        "code": None,
        "reason": None,
        "expires_at": None,
        "mode": None,
    }
    if isinstance(e, DigitalIdentity.PostOfficeChosen):
        code = identity_code(app.links, POST_OFFICE_PURPOSE, e.originator_id, e.nonce)
        notice.update(notice="code_bureau_de_poste", code=code, expires_at=e.deadline)
    elif isinstance(e, DigitalIdentity.OnlineChosen):
        code = video_digits(app.links, e.originator_id, e.nonce)
        notice.update(notice="procedure_en_ligne", code=code, expires_at=e.deadline)
    elif isinstance(e, DigitalIdentity.Checked):
        code = identity_code(
            app.links, ACTIVATION_PURPOSE, e.originator_id, e.activation_nonce
        )
        notice.update(
            notice="code_activation",
            code=code,
            expires_at=e.activation_expires_at,
            mode=e.mode,
        )
    elif isinstance(e, DigitalIdentity.Refused):
        notice.update(notice="demande_terminee", reason=e.reason)
    else:
        notice.update(notice="verrouillee")
    return notice


PUBLISHED: dict[type, Publication] = {
    DigitalIdentity.PostOfficeChosen: Publication(
        contracts.DigitalIdentityNotice, _identity_notice
    ),
    DigitalIdentity.OnlineChosen: Publication(
        contracts.DigitalIdentityNotice, _identity_notice
    ),
    DigitalIdentity.Checked: Publication(
        contracts.DigitalIdentityNotice, _identity_notice
    ),
    DigitalIdentity.Refused: Publication(
        contracts.DigitalIdentityNotice, _identity_notice
    ),
    DigitalIdentity.Locked: Publication(
        contracts.DigitalIdentityNotice, _identity_notice
    ),
    Account.Registered: Publication(
        contracts.AccountActivationRequested, _activation_requested
    ),
    Account.ActivationLinkReissued: Publication(
        contracts.AccountActivationRequested, _activation_requested
    ),
    Account.PasswordResetRequested: Publication(
        contracts.PasswordResetRequested, _reset_requested
    ),
    Account.FailedSignInsReported: Publication(
        contracts.SignInFailuresReported, _failures_reported
    ),
    Account.PasswordChanged: Publication(contracts.SessionsRevoked, _sessions_revoked),
    Account.PasswordReset: Publication(contracts.SessionsRevoked, _sessions_revoked),
    EndedSession.Ended: Publication(contracts.SessionEnded, _session_ended),
    CandidateAccount.CodeSent: Publication(
        contracts.CandidateAccountCodeRequested, _code_requested
    ),
}
