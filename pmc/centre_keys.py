"""`pmc centre-key issue|revoke|list`: the exam centres' keys to the results
API (RE-1, issue 14). A key is printed once, when issued: results keeps only
its hash."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from services.common.settings import Settings

PARIS = ZoneInfo("Europe/Paris")

# Exit codes: done; refused (nothing changed).
DONE, REFUSED = 0, 2


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "centre-key",
        help="issue, revoke or list an exam centre's key to the results API",
    )
    parser.add_argument("action", choices=["issue", "revoke", "list"])
    parser.add_argument(
        "target",
        nargs="?",
        help="issue: the centre (id or code); revoke: the centre or one key's id",
    )


def centre_key(args: argparse.Namespace) -> int:
    from services.results.application import ResultsApplication
    from services.scheduling.application import SchedulingApplication

    settings = Settings.from_env()
    if args.action != "list" and not args.target:
        print("Précisez le centre (ou, pour révoquer, la clé).", file=sys.stderr)
        return REFUSED
    scheduling = SchedulingApplication(settings=settings)
    results = ResultsApplication(settings=settings)
    try:
        if args.action == "issue":
            return _issue(results, scheduling, args.target)
        if args.action == "revoke":
            return _revoke(results, scheduling, args.target)
        return _list(results, scheduling)
    finally:
        results.close()
        scheduling.close()


def _centre(scheduling: Any, target: str) -> Any | None:
    """The exam centre `target` names (its id or its code), or None."""
    from eventsourcing.application import AggregateNotFoundError

    from services.scheduling.domain import ExamCentre

    try:
        centre_id = UUID(target)
    except ValueError:
        centre_id = ExamCentre.create_id(target.strip())
    try:
        centre = scheduling.repository.get(centre_id)
    except AggregateNotFoundError:
        return None
    return centre if isinstance(centre, ExamCentre) else None


def _issue(results: Any, scheduling: Any, target: str) -> int:
    from services.results.centres import CentreDesk

    centre = _centre(scheduling, target)
    if centre is None:
        print(f"Centre d'examen inconnu : {target}", file=sys.stderr)
        return REFUSED
    issued = CentreDesk(results).issue(centre.id)
    print(f"Clé {issued['key_id']} pour {centre.name} ({centre.city}), {centre.id} :")
    print(issued["key"])
    print(
        "Elle n'est affichée qu'une fois : transmettez-la au centre par un canal "
        "sûr (en-tête Authorization: Bearer <clé>).",
        file=sys.stderr,
    )
    return DONE


def _revoke(results: Any, scheduling: Any, target: str) -> int:
    from services.results.centres import CentreDesk, UnknownCentreKey

    centre = _centre(scheduling, target)
    try:
        named = centre.id if centre is not None else UUID(target)
    except ValueError:
        print(f"Ni centre ni clé : {target}", file=sys.stderr)
        return REFUSED
    try:
        revoked = CentreDesk(results).revoke(named)
    except UnknownCentreKey:
        print(f"Aucune clé en vigueur pour {target}.", file=sys.stderr)
        return REFUSED
    for key_id in revoked:
        print(f"Clé {key_id} révoquée.")
    return DONE


def _list(results: Any, scheduling: Any) -> int:
    from services.results.centres import CentreDesk

    keys = CentreDesk(results).listing()
    if not keys:
        print("Aucune clé de centre d'examen.")
    for key in keys:
        centre = _centre(scheduling, key["centre_id"])
        name = f"{centre.name} ({centre.city})" if centre else "centre inconnu"
        revoked = key["revoked_at"]
        state = f"révoquée le {_paris(revoked)}" if revoked else "en vigueur"
        print(
            f"{key['key_id']}  {key['centre_id']}  {name}  "
            f"émise le {_paris(key['issued_at'])}  {state}"
        )
    return DONE


def _paris(instant: Any) -> str:
    return f"{instant.astimezone(PARIS):%d/%m/%Y %H:%M} (heure de Paris)"
