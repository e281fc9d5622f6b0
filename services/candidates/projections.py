"""Read models of candidate files: the school's list, searchable (CA-5).

It keeps no personal data in clear. A row holds the file's personal data as
its events seal it (the candidate's key: erasing the file makes it unreadable
here too) and its NEPH sealed with that key; the school finds a file through
keyed hashes of the NEPH and of the beginnings of the name's words, under the
school's search key (services/common/search_hashes.py), and the list is opened
a school's page at a time. An expired or erased file's row is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property, singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.candidates.domain import (
    ACTIVATED,
    ARCHIVED,
    AWAITING_EMAIL,
    ENDED_STATES,
    REFUSED,
    CandidateFile,
)
from services.common.personal import seal_with, unseal_with
from services.common.projection import ReadModel
from services.common.search_hashes import (
    SchoolSearchKeys,
    name_hashes,
    neph_hash,
    query_hashes,
)
from services.common.view import ReadModelView

# Whose search keys these are in the key store: not the candidates' sealing
# keys (owner "candidates"), so that a key never serves two purposes.
SEARCH_KEY_OWNER = "candidates-search"
# What the list shows of the sealed data, as before it was sealed.
PERSONAL_SHOWN = (
    "civility",
    "birth_name",
    "usage_name",
    "given_names",
    "birth_date",
    "email",
)
NAMES = ("birth_name", "usage_name", "given_names")


class CandidateListView(ReadModelView):
    """One row per live candidate file: what the school's list shows."""

    tables = ("candidate_list",)

    def create_statements(self) -> list[sql.Composable]:
        table = self.table("candidate_list")
        return [
            _drop_list_in_clear(self.datastore.schema, self.tracking_table_name),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " candidate_id uuid PRIMARY KEY,"
                " school_id text NOT NULL,"
                # Sealed with the candidate's key; NULL once it is forgotten.
                " neph_sealed text, personal text,"
                " neph_hash text NOT NULL,"
                " name_hashes text[] NOT NULL DEFAULT '{{}}',"
                " contact text NOT NULL,"
                " status text NOT NULL,"
                " email_to_validate boolean NOT NULL DEFAULT false,"
                " created_at timestamptz NOT NULL,"
                " expires_at timestamptz NOT NULL,"
                # When a refused or archived file ended, for its retention period.
                " ended_at timestamptz)"
            ).format(table),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} (school_id, created_at)"
            ).format(sql.Identifier("candidate_list_school"), table),
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (neph_hash)").format(
                sql.Identifier("candidate_list_neph"), table
            ),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} USING gin (name_hashes)"
            ).format(sql.Identifier("candidate_list_names"), table),
        ]

    @cached_property
    def search_keys(self) -> SchoolSearchKeys:
        # The vault is attached after construction (ReadModel.follower).
        return SchoolSearchKeys(self.vault.keystore, SEARCH_KEY_OWNER)

    def add(self, row: dict[str, Any], tracking: Tracking) -> None:
        self.insert_row("candidate_list", row, tracking)

    def update(self, candidate_id: UUID, changes: dict, tracking: Tracking) -> None:
        key = ("candidate_id", candidate_id)
        self.update_row("candidate_list", key, changes, tracking)

    def delete(self, candidate_id: UUID, tracking: Tracking) -> None:
        self.delete_row("candidate_list", ("candidate_id", candidate_id), tracking)

    def search(self, school_id: str, text: str = "") -> list[dict[str, Any]]:
        """The school's files, by the beginning of the words of a name (birth,
        usage or given names) or by NEPH (CA-5), newest first."""
        query = sql.SQL(
            # Not the hashes: a kilobyte a row, of no use once found.
            "SELECT candidate_id, school_id, neph_sealed, personal, contact,"
            " status, email_to_validate, created_at, expires_at"
            " FROM {} WHERE school_id = %(school)s AND (%(text)s = ''"
            " OR neph_hash = %(neph)s OR name_hashes @> %(words)s::text[])"
            " ORDER BY created_at DESC"
        ).format(self.table("candidate_list"))
        needle = text.strip()
        key = self.search_keys.of(school_id)
        params = {
            "school": school_id,
            "text": needle,
            "neph": neph_hash(key, needle),
            "words": query_hashes(key, needle),
        }
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, params)
            rows = curs.fetchall()
        # One read of the key store for the page, then each row opened here.
        keys = self.vault.keys_of(r["candidate_id"] for r in rows)
        return [shown for r in rows if (shown := _opened(r, keys)) is not None]

    def overdue(self, now: datetime) -> list[UUID]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT candidate_id FROM {} WHERE status = %s AND expires_at < %s"
                ).format(self.table("candidate_list")),
                (AWAITING_EMAIL, now),
            )
            return [r["candidate_id"] for r in curs.fetchall()]

    def ended_before(self, moment: datetime) -> list[UUID]:
        """Refused or archived files that ended before `moment`."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT candidate_id FROM {}"
                    " WHERE status = ANY(%s) AND ended_at < %s"
                ).format(self.table("candidate_list")),
                (list(ENDED_STATES), moment),
            )
            return [r["candidate_id"] for r in curs.fetchall()]


def _drop_list_in_clear(schema: str, tracking_table: str) -> sql.Composable:
    """A list built by an earlier version kept names in clear: dropped, with
    its position, so that it is built again, sealed, from the first event."""
    return sql.SQL(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns"
        " WHERE table_schema = {schema} AND table_name = 'candidate_list'"
        " AND column_name = 'search_text') THEN"
        " DROP TABLE {table}; TRUNCATE {tracking}; END IF; END $$"
    ).format(
        schema=sql.Literal(schema),
        table=sql.Identifier(schema, "candidate_list"),
        tracking=sql.Identifier(schema, tracking_table),
    )


def _opened(row: dict[str, Any], keys: Mapping[UUID, bytes]) -> dict[str, Any] | None:
    """A row as the list shows it; None if its key is gone (a file erased a
    moment ago, whose row the projection has not deleted yet)."""
    candidate_id = row["candidate_id"]
    key = keys.get(candidate_id)
    if key is None or row["neph_sealed"] is None:
        return None
    sealed = row["personal"]
    personal = unseal_with(key, candidate_id, sealed) if sealed else {}
    return {
        "candidate_id": str(candidate_id),
        "school_id": row["school_id"],
        "neph": unseal_with(key, candidate_id, row["neph_sealed"])["neph"],
        **{field: personal.get(field) for field in PERSONAL_SHOWN},
        "contact": row["contact"],
        "status": row["status"],
        "email_to_validate": row["email_to_validate"],
        "created_at": row["created_at"].isoformat(),
        "expires_at": row["expires_at"].isoformat(),
    }


class CandidateList(Projection[CandidateListView]):
    """Projects candidate file events into the school's list."""

    name = "candidate_list"
    topics = tuple(
        get_topic(cls)
        for cls in (
            CandidateFile.Created,
            CandidateFile.Confirmed,
            CandidateFile.Refused,
            CandidateFile.EmailValidated,
            CandidateFile.ContactChanged,
            CandidateFile.Expired,
            CandidateFile.Archived,
            CandidateFile.Erased,
        )
    )

    def _key(self, candidate_id: UUID) -> bytes | None:
        """The candidate's key; None once forgotten (a file erased before
        this event is projected again): then the row keeps nothing of them.
        Within a batch, from the keys `subjects` named, read in one query."""
        return self.view.vault.key(candidate_id)

    def subjects(self, events: Sequence[Any]) -> set[UUID]:
        """Whose keys a batch of these events needs (read all at once)."""
        return {
            e.originator_id
            for e in events
            if isinstance(e, CandidateFile.Created) and e.personal
        }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: CandidateFile.Created, tracking: Tracking) -> None:
        file_id = e.originator_id
        key = self._key(file_id) if e.personal else None
        personal = unseal_with(key, file_id, e.personal) if key else {}
        search_key = self.view.search_keys.of(e.school_id)
        row = {
            "candidate_id": file_id,
            "school_id": e.school_id,
            "neph_sealed": seal_with(key, file_id, {"neph": e.neph}) if key else None,
            "personal": e.personal if key else None,
            "neph_hash": neph_hash(search_key, e.neph),
            "name_hashes": name_hashes(search_key, (personal.get(n) for n in NAMES)),
            "contact": e.contact,
            "status": AWAITING_EMAIL,
            "email_to_validate": False,
            "created_at": e.timestamp,
            "expires_at": e.expires_at,
        }
        self.view.add(row, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Confirmed, tracking: Tracking) -> None:
        self.view.update(e.originator_id, {"status": ACTIVATED}, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Refused, tracking: Tracking) -> None:
        changes = {"status": REFUSED, "ended_at": e.refused_at}
        self.view.update(e.originator_id, changes, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Archived, tracking: Tracking) -> None:
        changes = {"status": ARCHIVED, "ended_at": e.archived_at}
        self.view.update(e.originator_id, changes, tracking)

    @process_event.register
    def _(self, e: CandidateFile.EmailValidated, tracking: Tracking) -> None:
        self.view.update(e.originator_id, {"email_to_validate": False}, tracking)

    @process_event.register
    def _(self, e: CandidateFile.ContactChanged, tracking: Tracking) -> None:
        # The event seals the whole personal data again, with the same key:
        # kept as it comes, never opened here (names do not change).
        changes = {"personal": e.personal, "contact": e.contact}
        if e.revalidate:
            changes["email_to_validate"] = True
        self.view.update(e.originator_id, changes, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Expired, tracking: Tracking) -> None:
        self.view.delete(e.originator_id, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Erased, tracking: Tracking) -> None:
        self.view.delete(e.originator_id, tracking)


READ_MODELS = {"candidate_list": ReadModel(CandidateList, CandidateListView)}
