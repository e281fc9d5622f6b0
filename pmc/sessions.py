"""`pmc cancel-session`: the operator cancels an exam session (SC-2).

Scheduling refuses when the session starts within 7 days and someone holds a
seat in it (it asks booking, which owns the seats); otherwise booking ends
every reservation in it, paid ones refunded in full. The command waits for
booking to have done so, and says how many it ended."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any
from uuid import UUID

from services.common import inputs
from services.common.documents import when
from services.common.settings import Settings

# Exit codes: cancelled (every reservation ended); cancelled, booking still
# ending them when the command stopped waiting; refused.
DONE, UNDER_WAY, REFUSED = 0, 1, 2
RPC_SECONDS = 30
WAIT_SECONDS = 60.0


def add_parser(sub: Any) -> None:
    cancel = sub.add_parser(
        "cancel-session",
        help="cancel an exam session; its reservations are cancelled and refunded",
    )
    cancel.add_argument("session_id")
    cancel.add_argument(
        "--reason", default="", help="why (told to the schools and candidates)"
    )


def cancel_session(args: argparse.Namespace) -> int:
    from kombu.exceptions import OperationalError
    from nameko.standalone.rpc import ClusterRpcProxy

    try:
        session_id = str(UUID(args.session_id))
    except ValueError:
        print("Identifiant de session invalide.", file=sys.stderr)
        return REFUSED
    try:
        reason = inputs.SEARCH.clean(args.reason)
    except inputs.InputError as exc:
        print(f"Motif refusé : {exc}", file=sys.stderr)
        return REFUSED
    config = Settings.from_env().nameko_config()
    try:
        with ClusterRpcProxy(config, timeout=RPC_SECONDS) as cluster:
            cancelled = _cancelled(cluster, session_id, reason)
            if cancelled is None:
                return REFUSED
            left = _wait_for_booking(cluster.booking, session_id)
    except (OSError, OperationalError) as exc:
        print(f"RabbitMQ injoignable ({exc}) : rien n'a été annulé.", file=sys.stderr)
        return REFUSED
    held = cancelled["holders"]
    print(
        f"{held['paid']} réservation(s) payée(s) annulée(s) par le centre "
        "d'examen et remboursée(s) en totalité ; "
        f"{held['unpaid']} place(s) non payée(s) retirée(s) des paniers."
    )
    if left:
        print(
            f"{left} réservation(s) restent à annuler : booking les annule dès "
            "qu'il le peut (la demande reste dans sa file).",
            file=sys.stderr,
        )
        return UNDER_WAY
    return DONE


def _cancelled(cluster: Any, session_id: str, reason: str) -> dict[str, Any] | None:
    """Scheduling's answer, or None once the refusal is said."""
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

    from services.common.errors import PlatformError

    try:
        cancelled = cluster.scheduling.cancel_session(session_id, reason)
    except PlatformError as refused:
        print(f"Annulation refusée : {refused.message}", file=sys.stderr)
        return None
    except UnknownService:
        print(
            "Le service scheduling ne tourne pas : rien n'a été annulé.",
            file=sys.stderr,
        )
        return None
    except RpcTimeout:
        print(
            "Pas de réponse à temps : l'annulation a pu être faite. Relancez la "
            "commande (« déjà annulée » le dirait).",
            file=sys.stderr,
        )
        return None
    except RemoteError as failed:
        print(f"Annulation impossible : {failed.exc_type}", file=sys.stderr)
        return None
    print(
        f"Session {session_id} du {when(cancelled['starts_at'])} au "
        f"{cancelled['centre']['name']} annulée."
    )
    return cancelled


def _wait_for_booking(booking: Any, session_id: str) -> int | str:
    """Until booking has ended every reservation in the session (or stop
    waiting): the seats still taken (« ? » if booking does not answer)."""
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

    from services.common.errors import PlatformError

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            held = booking.session_holders(session_id)
        except (PlatformError, RemoteError, RpcTimeout, UnknownService):
            return "?"
        left = held["paid"] + held["unpaid"]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)
