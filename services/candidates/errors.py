"""What the candidates service answers when it refuses: each is mapped to its
HTTP status and code by the service's `errors`."""

from __future__ import annotations


class InvalidCandidateFile(ValueError):
    """Fields are wrong or the candidate is not eligible; `fields` says which."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("Certaines informations saisies sont incorrectes.")


class CandidateFileNotFound(LookupError):
    def __init__(
        self, message: str = "Ce dossier de candidat est introuvable."
    ) -> None:
        super().__init__(message)


class ReceiptLinkExpired(LookupError):
    def __init__(self) -> None:
        super().__init__(
            "Ce lien de récépissé a expiré. Votre auto-école peut télécharger "
            "votre récépissé depuis son espace et vous le transmettre."
        )
