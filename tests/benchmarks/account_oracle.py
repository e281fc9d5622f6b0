"""Whether an account has an address shows neither in the answers nor in
their timing (issue 12): sign-up, sign-in, reset, new activation link and
activation, each for an address that has an account and for one that has
none, taking turns.

Run: .venv/bin/python -m tests.benchmarks.account_oracle [--rounds 30]

Prints, per route, the status and body of each (the address itself written
as <adresse>), the median time of each, and how far apart the medians are
(the target: within 20 %). Runs with production's floor on these routes
(PMC_STEADY_ANSWER_SECONDS 0.4) and without rate limits, so that every
request is answered.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
import uuid
from collections.abc import Callable

import requests

from services.identity.application import IdentityApplication
from tests.benchmarks import platform
from tests.e2e.conftest import sign_up_payload

Ask = Callable[[str], requests.Response]


def _fresh() -> str:
    return f"personne-{secrets.token_hex(5)}@example.fr"


def _shape(answer: requests.Response, email: str) -> tuple[int, str]:
    """The status and body, the address itself taken out."""
    return answer.status_code, answer.text.replace(email, "<adresse>")


def _compare(
    label: str, ask: Ask, known: str, unknown: Callable[[], str], rounds: int
) -> float:
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    shapes: dict[str, set[tuple[int, str]]] = {"known": set(), "unknown": set()}
    for _ in range(rounds):
        for side in ("known", "unknown"):
            email = known if side == "known" else unknown()
            started = time.perf_counter()
            answer = ask(email)
            times[side].append(time.perf_counter() - started)
            shapes[side].add(_shape(answer, email))
    medians = {side: statistics.median(t) * 1000 for side, t in times.items()}
    apart = abs(medians["known"] - medians["unknown"]) / min(medians.values())
    same = shapes["known"] == shapes["unknown"]
    print(
        f"{label:<34} known {medians['known']:7.1f} ms, unknown "
        f"{medians['unknown']:7.1f} ms, apart {apart:6.1%}; "
        f"answers {'the same' if same else 'DIFFERENT'}"
    )
    if not same:
        for side, seen in shapes.items():
            print(f"    {side}: {sorted(seen)[:2]}")
    return apart


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    floor = {"PMC_STEADY_ANSWER_SECONDS": "0.4"}
    with platform.started("bo", floor) as (_launcher, settings):
        base = f"http://{settings.gateway_address}"
        known = f"compte-{secrets.token_hex(4)}@example.fr"
        signed_up = requests.post(f"{base}/api/comptes", json=sign_up_payload(known))
        signed_up.raise_for_status()
        identity = IdentityApplication(settings=settings)
        account = identity._find(known)
        assert account is not None
        identity.close()
        wrong = "x" * 43

        def post(path: str, body: Callable[[str], dict]) -> Ask:
            return lambda email: requests.post(f"{base}{path}", json=body(email))

        routes: list[tuple[str, Ask, Callable[[], str]]] = [
            ("POST /api/comptes", post("/api/comptes", sign_up_payload), _fresh),
            (
                "POST /api/sessions",
                post("/api/sessions", lambda e: {"email": e, "password": "Faux2026x"}),
                _fresh,
            ),
            (
                "POST /api/mot-de-passe/oubli",
                post("/api/mot-de-passe/oubli", lambda e: {"email": e}),
                _fresh,
            ),
            (
                "POST /api/comptes/activation/renvoi",
                post("/api/comptes/activation/renvoi", lambda e: {"email": e}),
                _fresh,
            ),
        ]
        worst = 0.0
        for label, ask, unknown in routes:
            worst = max(worst, _compare(label, ask, known, unknown, args.rounds))
        # Activation: the account's id, or an id nobody has, with a wrong token.
        ids = {known: str(account.id)}

        def activate(email: str) -> requests.Response:
            compte = ids.get(email) or str(uuid.uuid4())
            return requests.post(
                f"{base}/api/comptes/activation",
                json={"compte": compte, "jeton": wrong},
            )

        worst = max(
            worst,
            _compare(
                "POST /api/comptes/activation", activate, known, _fresh, args.rounds
            ),
        )
        print(f"largest gap between medians: {worst:.1%} (target: within 20 %)")


if __name__ == "__main__":
    main()
