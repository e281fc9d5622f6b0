"""Demo data for `pmc up`: an activated school account with a few candidates."""

from __future__ import annotations

from uuid import UUID

import requests

from services.common.settings import Settings
from services.identity.application import IdentityApplication

DEMO_EMAIL = "demo@auto-ecole.example.fr"
DEMO_PASSWORD = "Demo2026"
DEMO_ACCOUNT = {
    "email": DEMO_EMAIL,
    "password": DEMO_PASSWORD,
    "civility": "MME",
    "last_name": "Lambert",
    "first_name": "Claire",
    "phone": "04 78 00 00 00",
    "company_name": "Auto-école Démo",
    "siret": "73282932000074",
    "address": {"street": "1 place Bellecour", "postal_code": "69002", "city": "Lyon"},
}
DEMO_CANDIDATES = [
    {
        "neph": "120000000001",
        "civility": "MME",
        "birth_name": "Martin",
        "given_names": "Léa",
        "birth_date": "12/05/2007",
        "email": "lea.martin@example.fr",
    },
    {
        "neph": "120000000002",
        "civility": "M",
        "birth_name": "Bernard",
        "given_names": "Hugo",
        "birth_date": "03/10/2006",
        "email": "hugo.bernard@example.fr",
    },
    {
        "neph": "120000000003",
        "civility": "MME",
        "birth_name": "Dubois",
        "given_names": "Camille",
        "birth_date": "21/01/2008",
        "address": {
            "street": "5 rue des Tanneurs",
            "postal_code": "67000",
            "city": "Strasbourg",
        },
    },
]


def ensure_demo_school(settings: Settings) -> None:
    """Create and activate the demo account, as its e-mailed link would."""
    app = IdentityApplication(settings=settings)
    try:
        if app.has_account(DEMO_EMAIL):
            return
        created = app.sign_up(DEMO_ACCOUNT)
        account = app.repository.get(UUID(created["account_id"]))
        account.activate(account.activation_nonce, at=app.clock.now())
        app.save(account)
    finally:
        app.close()


def ensure_demo_sessions(settings: Settings) -> None:
    from services.scheduling import demo as scheduling_demo
    from services.scheduling.application import SchedulingApplication

    app = SchedulingApplication(settings=settings)
    try:
        created = scheduling_demo.load(app, app.clock.now().date())
        if created:
            print(f"demo: {created} exam sessions created", flush=True)
    finally:
        app.close()


def load(settings: Settings, gateway_url: str) -> None:
    ensure_demo_school(settings)
    ensure_demo_sessions(settings)
    session = requests.post(
        f"{gateway_url}/api/sessions",
        json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
        timeout=10,
    )
    session.raise_for_status()
    headers = {"Authorization": f"Bearer {session.json()['token']}"}
    listing = requests.get(f"{gateway_url}/api/candidats", headers=headers, timeout=10)
    listing.raise_for_status()
    if listing.json()["items"]:
        return
    for candidate in DEMO_CANDIDATES:
        requests.post(
            f"{gateway_url}/api/candidats", json=candidate, headers=headers, timeout=10
        ).raise_for_status()
    confirm_as_candidate(settings, DEMO_CANDIDATES[0]["neph"])


def confirm_as_candidate(settings: Settings, neph: str) -> None:
    """The first demo candidate confirms their file, so it can be booked."""
    from services.candidates.application import CandidatesApplication
    from services.candidates.domain import NephClaim
    from services.candidates.publications import ACTIVATION

    app = CandidatesApplication(settings=settings)
    try:
        claim = app.repository.get(NephClaim.create_id(neph))
        file = app.repository.get(claim.candidate_id)
        token = app.links.token(ACTIVATION, file.id, file.activation_nonce)
        app.confirm(file.id, token)
    finally:
        app.close()
