"""CA-5: a confirmed candidate's new e-mail address is used only once they
proved it; until then the platform writes to the address they had proved."""

from __future__ import annotations

from typing import Any

from services.candidates.domain import ACTIVATED

# In the file's sealed personal data: the last address the candidate proved,
# kept while a new one waits for its proof.
VALIDATED_EMAIL = "validated_email"


def validated_email(
    status: str, email_to_validate: bool, current: dict[str, Any]
) -> str | None:
    """The proved address to keep while a new one is proved: the one proved
    before an earlier change still waiting, else the current one. None for a
    file never confirmed (no address of it was proved yet)."""
    if status != ACTIVATED:
        return None
    if email_to_validate:
        return current.get(VALIDATED_EMAIL)
    return current.get("email")
