"""How long a candidate still has to confirm their file, as the messages say
it: the days that really remain, since a link sent again keeps the file's
first deadline (seed 004: a resent link must not promise 7 days more)."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.documents import long_date

PARIS = ZoneInfo("Europe/Paris")
DAY = 86_400


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days left, a started day counting as one (0 once past)."""
    return max(0, math.ceil((expires_at - now).total_seconds() / DAY))


def confirm_before(expires_at: datetime | str, now: datetime) -> str:
    """« Il vous reste 4 jours … d'ici le 28 novembre 2026 … »."""
    if isinstance(expires_at, str):
        expires_at = datetime.fromisoformat(expires_at)
    left = days_left(expires_at, now)
    days = (
        "moins d'un jour" if left == 0 else ("1 jour" if left == 1 else f"{left} jours")
    )
    return (
        f"Il vous reste {days} pour confirmer votre dossier : sans confirmation "
        f"de votre part d'ici le {long_date(expires_at.astimezone(PARIS))}, "
        "le dossier sera supprimé."
    )
