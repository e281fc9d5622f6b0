"""The online check's files (ID-7): photos of the identity document and a short
video, their type read from their content (never from a name the browser
chose), their size bounded, kept sealed with the candidate account's key so
that erasing the account forgets them."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from services.common.calendar import NATIONAL, is_working_day

PHOTO_LIMIT = 2 * 1024 * 1024
VIDEO_LIMIT = 8 * 1024 * 1024
MIN_SIZE = 256
# The document's front and the video are needed; the back is for cards.
REQUIRED = ("recto", "video")
PARTS = ("recto", "verso", "video")
ONLINE_REVIEW_HOURS = 48
PARIS = ZoneInfo("Europe/Paris")


def content_type(data: bytes) -> str | None:
    """The type the bytes really are (their signature), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def check_uploads(
    files: Any,
) -> tuple[dict[str, tuple[str, bytes]], dict[str, list[str]]]:
    """Each part's real type and bytes, and the problems found."""
    if not isinstance(files, dict):
        return {}, {"fichiers": ["Envoyez les photos de votre pièce et la vidéo."]}
    problems: dict[str, list[str]] = {}
    found: dict[str, tuple[str, bytes]] = {}
    for part in PARTS:
        raw = files.get(part)
        if raw in (None, "") and part not in REQUIRED:
            continue
        data = _decoded(raw)
        if data is None:
            problems[part] = ["Ce fichier est manquant ou illisible."]
            continue
        kind = content_type(data)
        video = part == "video"
        limit = VIDEO_LIMIT if video else PHOTO_LIMIT
        if kind is None or kind.startswith("video/") != video:
            problems[part] = [
                "La vidéo doit être au format MP4 ou WebM."
                if video
                else "La photo doit être au format JPEG ou PNG."
            ]
        elif not MIN_SIZE <= len(data) <= limit:
            problems[part] = [
                f"Le fichier doit peser entre {MIN_SIZE} octets et "
                f"{limit // (1024 * 1024)} Mo."
            ]
        else:
            found[part] = (kind, data)
    return found, problems


def _decoded(raw: Any) -> bytes | None:
    if not isinstance(raw, str) or not raw or len(raw) > VIDEO_LIMIT * 2:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def review_deadline(at: datetime) -> datetime:
    """48 hours of working days after `at`, days as Paris counts them:
    Saturdays, Sundays and public holidays do not count (files sent on a
    Friday evening are reviewed by Tuesday evening, one day later when a
    public holiday falls in between). Counted in UTC, so a change of summer
    time neither adds nor takes an hour."""
    left = timedelta(hours=ONLINE_REVIEW_HOURS)
    moment = at.astimezone(UTC)
    while left > timedelta(0):
        day = moment.astimezone(PARIS).date()
        midnight = datetime.combine(day + timedelta(days=1), time(), PARIS)
        next_day = midnight.astimezone(UTC)
        if is_working_day(day, NATIONAL):
            step = min(left, next_day - moment)
            moment += step
            left -= step
        else:
            moment = next_day
    return moment


class IdentityUpload(Aggregate):
    """One file of an online check, sealed; the identity refers to it."""

    class Stored(Aggregate.Created):
        identity_id: UUID
        part: str
        content_type: str
        size: int
        sealed: str  # the bytes, base64, sealed with the account's key

    @event(Stored)
    def __init__(
        self, identity_id: UUID, part: str, content_type: str, size: int, sealed: str
    ) -> None:
        self.identity_id = identity_id
        self.part = part
        self.content_type = content_type
        self.size = size
        self.sealed = sealed
