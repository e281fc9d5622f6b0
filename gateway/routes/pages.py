"""The web pages (GW-2): plain HTML, CSS and a small script calling the API."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from gateway import pages
from gateway.server import http


class PageRoutes:
    """The pages of the site."""

    # -- pages (GW-2)

    @http("GET", "/")
    def home_page(self, request: Request) -> Response:
        """Accueil: créer un compte, se connecter."""
        return pages.page("/")

    @http("GET", "/activation")
    def activation_page(self, request: Request) -> Response:
        """Account activation from the e-mailed link."""
        return pages.link_page("/activation", request)

    @http("GET", "/mot-de-passe-oublie")
    def forgot_password_page(self, request: Request) -> Response:
        """Ask for a password reset link."""
        return pages.page("/mot-de-passe-oublie")

    @http("GET", "/reinitialisation")
    def reset_page(self, request: Request) -> Response:
        """Choose a new password from the e-mailed link."""
        return pages.link_page("/reinitialisation", request)

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

    @http("GET", "/espace/resultats")
    def results_page(self, request: Request) -> Response:
        """Espace client › Résultats (RE-2)."""
        return pages.page("/espace/resultats")

    @http("GET", "/candidat/activation")
    def candidate_activation_page(self, request: Request) -> Response:
        """The candidate checks and confirms (or refuses) their file."""
        return pages.link_page("/candidat/activation", request)

    @http("GET", "/candidat/espace")
    def candidate_space_page(self, request: Request) -> Response:
        """The candidate's own space: codes, files, receipts, convocations."""
        return pages.page("/candidat/espace")

    @http("GET", "/agents/guichet")
    def counter_desk_page(self, request: Request) -> Response:
        """The counter agent's desk: find a request, check the code (ID-7)."""
        return pages.page("/agents/guichet")

    @http("GET", "/agents/revue")
    def online_review_page(self, request: Request) -> Response:
        """The online reviewer's desk: the queue, the photos and video (ID-7)."""
        return pages.page("/agents/revue")

    @http("GET", "/cgv")
    def terms_page(self, request: Request) -> Response:
        """Conditions générales de vente, accepted before paying (BO-4)."""
        return pages.page("/cgv")

    @http("GET", "/static/vendor/<string:name>")
    def vendored_file(self, request: Request, name: str) -> Response:
        """The map library (Leaflet and its clusters), served from the project."""
        return pages.vendored(name)

    @http("GET", "/static/<string:name>")
    def static_file(self, request: Request, name: str) -> Response:
        """CSS and JavaScript of the pages."""
        return pages.static(name)
