"""Identity's refusals: what the service answers when an account's command or
query cannot go on (a link used or expired, wrong fields, wrong password, no
session, …), or a digital identity's step cannot be taken (IdentityError).

Apart from domain.py and application.py because the aggregates, the
application's parts (credentials.py among them), the service and the back
office's commands all raise or catch them."""

from __future__ import annotations


class AccountError(ValueError):
    """Base of what an account refuses."""


class LinkInvalid(AccountError):
    """The link is unknown, was already used, or a newer one was sent."""


class LinkExpired(AccountError):
    """The link's deadline has passed."""


class AlreadyActive(AccountError):
    """The account was activated already."""


class RevocationsBehind(RuntimeError):
    """The revocations read model has not caught up with the log yet."""

    def __init__(self) -> None:
        super().__init__("Les révocations de sessions ne sont pas encore à jour.")


class InvalidFields(ValueError):
    """Some fields are wrong; `fields` maps each to its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("Certaines informations saisies sont incorrectes.")


class AccountNotFound(LookupError):
    """No account with this id."""


class BadCredentials(PermissionError):
    def __init__(self) -> None:
        super().__init__("L'e-mail ou le mot de passe est incorrect.")


class AccountNotActive(PermissionError):
    def __init__(self) -> None:
        super().__init__(
            "Votre compte n'est pas encore activé. Cliquez sur le lien reçu par "
            "e-mail, ou demandez un nouveau lien d'activation."
        )


class NotAuthenticated(PermissionError):
    def __init__(self) -> None:
        super().__init__(
            "Votre session a expiré ou n'est pas valide. Veuillez vous reconnecter."
        )


class IdentityError(AccountError):
    """A step the digital identity cannot take now; the message says why."""


class IdentityLocked(IdentityError):
    """Five wrong secret codes: the identity signs nobody in any more."""

    def __init__(self) -> None:
        super().__init__(
            "Votre Identité Numérique est verrouillée après 5 codes secrets "
            "erronés. Faites une nouvelle demande."
        )
