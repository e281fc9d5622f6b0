"""What the gateway says to users, in the seeds' words where they give them."""

from __future__ import annotations


def account_created(email: str) -> str:
    return (
        "Nous avons bien pris en compte la création de votre compte La Poste. "
        f"Vous allez bientôt recevoir un e-mail à votre adresse {email} avec un lien "
        "vous permettra d'activer votre compte et d'accéder au site. "
        "Ce lien est valable 48h."
    )


def reset_link_sent(email: str) -> str:
    return (
        f"Un e-mail vous a été envoyé à l'adresse {email}. "
        "Pour obtenir votre nouveau mot de passe, veuillez cliquer sur le lien "
        "présent dans cet e-mail. "
        "Pour des raisons de sécurité ce lien n'est utilisable que pendant 2 heures."
    )


def activation_link_sent(email: str) -> str:
    return (
        f"Un nouveau lien d'activation a été envoyé à l'adresse {email}. "
        "Ce lien est valable 48h."
    )


ACCOUNT_ACTIVATED = (
    "Votre compte est activé. Vous pouvez maintenant vous connecter "
    "à votre espace professionnel."
)
ACCOUNT_ALREADY_ACTIVE = "Votre compte est déjà activé. Vous pouvez vous connecter."
PASSWORD_RESET_DONE = (
    "Votre mot de passe a été modifié. Vous pouvez vous connecter avec votre "
    "nouveau mot de passe."
)
SIGNED_OUT = "Vous êtes déconnecté : ce jeton ne permet plus d'accéder à l'espace."
PASSWORD_CHANGED = (
    "Votre mot de passe a été modifié. Vos autres sessions ont été fermées."
)


PAID = (
    "Merci d'avoir effectué vos inscriptions sur notre site, "
    "Celles-ci sont maintenant effectives."
)
CGV_REQUIRED = "Vous devez accepter les conditions générales de vente."


def payment_declined(reason: str) -> str:
    return (
        f"Paiement refusé : {reason}. Aucun montant n'a été prélevé ; vos places "
        "restent dans le panier jusqu'à leur expiration."
    )


def payment_pending(minutes: int) -> str:
    return (
        "Paiement en cours de vérification : notre prestataire de paiement n'a pas "
        "encore confirmé l'opération. Vous n'avez rien à refaire et ne serez pas "
        f"débité deux fois. Le résultat s'affichera ici d'ici {minutes} minutes "
        "au plus ; il figure aussi dans « Paiements et factures »."
    )


PAYMENT_ABANDONED = (
    "Ce paiement n'a pas abouti : aucun montant n'a été débité. Vos places "
    "restent dans le panier jusqu'à leur expiration : vous pouvez payer à nouveau."
)

CARD_UNAVAILABLE = (
    "Le paiement par carte n'est pas disponible pour le moment : vous pouvez "
    "payer par prélèvement SEPA."
)
