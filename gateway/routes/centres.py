"""The exam centres' own API (RE-1, issue 14): a centre sends its results
file with the key an operator issued it (`pmc centre-key issue`).

A centre's key is no school's token: this route takes only centres' keys
(results, which keeps them, says whose a key is), and every school route
refuses them (they are not signed session tokens)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from gateway.api import endpoint
from gateway.http import read_body
from gateway.limits import HOUR, SCHOOL, Limit, by_address
from gateway.rpc import calls
from gateway.schemas.centres import CentreResultsReport
from services.common import inputs
from services.common.errors import PlatformError
from services.common.settings import Settings

CENTRES = "Centres d'examen"
CSV_TYPES = ("text/csv", "text/plain", "application/csv")
KEY_PREFIX = "pmcc_"
KEY_MAX = 200
NO_KEY = (
    "Clé d'accès du centre d'examen absente, invalide ou révoquée "
    "(en-tête Authorization: Bearer <clé>)."
)
# Files per centre and hour: as many as a school's imports.
CENTRE_FILES = Limit("fichiers-centre", SCHOOL, "limit_imports_per_school", HOUR)
SECURITY_SCHEME = "cle_centre"
DOC = {
    "security": [{SECURITY_SCHEME: []}],
    "requestBody": {
        "required": True,
        "description": (
            "Le fichier de résultats, comme pour l'import du back-office : "
            "UTF-8, séparé par « ; », en-tête `reservation;note`, une note de "
            "0 à 40 ou « absent » par réservation ; 1 000 000 octets au plus."
        ),
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
    "responses": {
        "401": {"description": "Clé de centre absente, invalide ou révoquée"},
        "413": {"description": "Fichier trop volumineux"},
        "415": {"description": "Corps autre que du CSV"},
    },
}


def centre_key(request: Request) -> str:
    """The bearer key, if it can be a centre's; 401 otherwise."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if (
        scheme.lower() != "bearer"
        or not key.startswith(KEY_PREFIX)
        or len(key) > KEY_MAX
    ):
        raise PlatformError("non_authentifie", NO_KEY, status=401)
    return key


def csv_text(request: Request) -> str:
    """The body as the results file's text, or a French refusal."""
    raw = read_body(request, inputs.CSV_MAX)
    if not raw.strip():
        raise PlatformError(
            "fichier_vide", "Le fichier est vide : aucun résultat à enregistrer."
        )
    if request.mimetype not in CSV_TYPES:
        raise PlatformError(
            "type_non_supporte",
            "Le corps de la requête doit être un fichier CSV "
            "(en-tête Content-Type: text/csv).",
            status=415,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PlatformError(
            "fichier_invalide", "Le fichier doit être encodé en UTF-8."
        ) from None


class CentreRoutes:
    """What exam centres send: their results."""

    @endpoint(
        "POST",
        "/api/centres/resultats",
        summary=(
            "Un centre d'examen envoie ses résultats (CSV reservation;note), "
            "avec sa clé d'accès"
        ),
        tag=CENTRES,
        response=CentreResultsReport,
        auth=False,
        timeout=120,  # thousands of lines, each checked
        limits=(by_address("centres"),),
        doc=DOC,
    )
    def centre_results(self, request: Request) -> dict[str, Any]:
        key = centre_key(request)
        # Who sends comes first: no body is read for a stranger. Asking only
        # reads: a later timeout still means "not done" unless the import left.
        before = calls.handed_over()
        centre_id = self.results.centre_of_key(key)
        calls.handed = before
        text = csv_text(request)
        self.limits.check(
            (CENTRE_FILES,),
            Settings.from_env(),
            request,
            None,
            {"account_id": f"centre:{centre_id}"},
        )
        return self.results.centre_results(key, text)
