"""`pmc timeline`'s reading of the services' event logs (pmc/timeline.py says
what is looked for, and why).

Stored states are JSON bytes (eventsourcing's transcoder, neither compressed
nor encrypted; personal data inside is sealed), so PostgreSQL finds the events
that name an id, or carry a correlation id, by looking for its spelling in
them; each event found is then decoded and checked field by field here, so a
chance match inside a sealed blob is dropped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg import sql

from pmc import registry
from pmc.timeline import (
    SUBJECTS,
    Entry,
    correlation_pattern,
    entry,
    followed_ids,
    json_line,
    line,
    of_story,
    ordered,
    search_patterns,
    short,
)
from services.common import inputs
from services.common.settings import Settings

# Events one correlation id may bring: beyond, a batch job's id, not a request's.
CORRELATION_CAP = 500
# One connection per service's log is enough for a command.
ONE_CONNECTION = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"}


class Log:
    """One service's event log, read for the timeline."""

    def __init__(self, service: str, app: Any) -> None:
        self.service = service
        self.app = app
        recorder = app.recorder
        self._select = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM {}.{} WHERE "
        ).format(
            sql.Identifier(recorder.datastore.schema),
            sql.Identifier(recorder.events_table_name),
        )

    def _rows(
        self, where: sql.Composable, params: list[Any], limit: int | None = None
    ) -> Iterator[Entry]:
        query = self._select + where + sql.SQL(" ORDER BY notification_id")
        if limit is not None:
            query += sql.SQL(" LIMIT {}").format(sql.Literal(limit))
        with self.app.datastore.transaction(commit=False) as curs:
            curs.execute(query, params)
            rows = curs.fetchall()
        for row in rows:
            stored = StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            event, correlation_id = self.app.mapper.read(stored)
            yield entry(self.service, row["notification_id"], event, correlation_id)

    def naming(self, ids: set[UUID]) -> list[Entry]:
        """Events of aggregates with these ids, and events naming one of them."""
        patterns = search_patterns(ids)
        where = sql.SQL(" OR ").join(
            [sql.SQL("originator_id = ANY(%s)")]
            + [sql.SQL("position(%s::bytea in state) > 0")] * len(patterns)
        )
        found = self._rows(where, [list(ids), *patterns])
        return [e for e in found if e.mentions(ids)]

    def aggregates(self, ids: set[UUID]) -> list[Entry]:
        if not ids:
            return []
        return list(self._rows(sql.SQL("originator_id = ANY(%s)"), [list(ids)]))

    def first_events(self, ids: set[UUID]) -> list[Entry]:
        """Each of these aggregates' first event: what names its type."""
        if not ids:
            return []
        where = sql.SQL("originator_id = ANY(%s) AND originator_version = 1")
        return list(self._rows(where, [list(ids)]))

    def correlated(self, correlation_ids: set[str]) -> list[Entry]:
        """Events saved under these correlation ids: at most CORRELATION_CAP
        each (more than the whole log holds when the cap is reached)."""
        where = sql.SQL(" OR ").join(
            [sql.SQL("position(%s::bytea in state) > 0")] * len(correlation_ids)
        )
        found = self._rows(
            where,
            [correlation_pattern(c) for c in sorted(correlation_ids)],
            limit=CORRELATION_CAP * len(correlation_ids) + 1,
        )
        return [e for e in found if e.correlation_id in correlation_ids]


@dataclass
class Story:
    """What was found, and what was followed to find it."""

    subject: str
    subject_id: UUID
    found: dict[tuple[str, int], Entry] = field(default_factory=dict)
    followed: set[UUID] = field(default_factory=set)
    reservations: set[UUID] = field(default_factory=set)
    correlations: set[str] = field(default_factory=set)
    capped: set[str] = field(default_factory=set)

    def add(self, entries: Iterable[Entry]) -> None:
        for one in entries:
            self.found.setdefault(one.key, one)

    def name_aggregates(self, logs: list[Log]) -> None:
        """Each aggregate by the type its first event gives (read when the
        story did not find it: a sequence opened by another story): an event
        class a subclass inherits (the credit notes' sequence's `NumberIssued`)
        names its parent."""
        # By service: a reservation's copy in results has the reservation's id.
        firsts = [e for e in self.found.values() if e.version == 1]
        for log in logs:
            known = {e.aggregate_id for e in firsts if e.service == log.service}
            wanted = {
                e.aggregate_id for e in self.found.values() if e.service == log.service
            }
            firsts += log.first_events(wanted - known)
        types = {(e.service, e.aggregate_id): e.aggregate_type for e in firsts}
        for key, one in self.found.items():
            named = types.get((one.service, one.aggregate_id), one.aggregate_type)
            if named != one.aggregate_type:
                self.found[key] = replace(one, aggregate_type=named)

    def entries(self) -> list[Entry]:
        return ordered(self.found.values())


def _about(logs: list[Log], ids: set[UUID]) -> list[Entry]:
    """Events naming these ids, in every log, with the whole history of each
    aggregate whose first event names one of them."""
    found = []
    for log in logs:
        naming = log.naming(ids)
        created = {e.aggregate_id for e in naming if e.version == 1}
        # Aggregates with these very ids came whole with `naming`.
        found += naming + log.aggregates(created - ids)
    return found


def gather(logs: list[Log], subject: str, subject_id: UUID) -> Story:
    story = Story(subject, subject_id)
    first = _about(logs, {subject_id})
    story.add(first)
    # The hop: the story's other ids, what names them, reservations of other
    # stories left out.
    story.followed = followed_ids(first, subject) - {subject_id}
    story.reservations = _reservations(first, subject, subject_id, story.followed)
    hop: list[Entry] = []
    if story.followed:
        hop = _of_story_only(
            _about(logs, story.followed), story.reservations, keep=story.followed
        )
        story.add(hop)
    # What the same requests and messages caused, in every service: the
    # requests of the subject's events, and of the followed aggregates' own
    # or the story's reservations' (a credit note's number names only the
    # payment, and may be another line's refund: its request is not ours).
    leads = first + [
        e
        for e in hop
        if e.aggregate_id in story.followed or e.mentions(story.reservations)
    ]
    story.correlations = {e.correlation_id for e in leads if e.correlation_id}
    if story.correlations:
        for log in logs:
            caused = _capped(story, log.correlated(story.correlations))
            story.add(caused)
            story.add(_taken_up_by_none(log, caused, story))
    story.name_aggregates(logs)
    return story


def _reservations(
    first: list[Entry], subject: str, subject_id: UUID, followed: set[UUID]
) -> set[UUID]:
    """The story's reservations: the subject, or those the hop follows."""
    if subject == "reservation":
        return {subject_id}
    return {r for e in first for r in e.reservations() if r in followed}


def _of_story_only(
    entries: list[Entry], reservations: set[UUID], keep: Collection[UUID] = ()
) -> list[Entry]:
    """These events less every aggregate one of whose events is about another
    reservation (the cart's other line, its refund, its convocation); the
    aggregates `keep` names stay (the followed checkout names both lines)."""
    apart = {
        (e.service, e.aggregate_id)
        for e in entries
        if e.aggregate_id not in keep and not of_story(e, reservations)
    }
    return [e for e in entries if (e.service, e.aggregate_id) not in apart]


def _taken_up_by_none(log: Log, caused: list[Entry], story: Story) -> list[Entry]:
    """The rest of each aggregate the story's requests created (a message, then
    its sending), unless another request took it up later (a school's cart)
    or it is about another reservation."""
    created = {e.aggregate_id for e in caused if e.version == 1}
    whole = _of_story_only(log.aggregates(created), story.reservations)
    taken = {
        e.aggregate_id
        for e in whole
        if e.correlation_id is not None and e.correlation_id not in story.correlations
    }
    return [e for e in whole if e.aggregate_id not in taken]


def _capped(story: Story, caused: list[Entry]) -> list[Entry]:
    """At most CORRELATION_CAP events of each correlation id: more is a batch
    job's id, not a request's; the timeline says so."""
    kept: list[Entry] = []
    counts: dict[str, int] = {}
    for one in caused:
        key = one.correlation_id or ""
        counts[key] = counts.get(key, 0) + 1
        if counts[key] > CORRELATION_CAP:
            story.capped.add(key)
        else:
            kept.append(one)
    return kept


def _subject(args: argparse.Namespace) -> tuple[str, str]:
    for subject in SUBJECTS:
        value = getattr(args, subject, None)
        if value is not None:
            return subject, value
    raise ValueError("no subject")


def _open_logs(stack: ExitStack, settings: Settings) -> list[Log]:
    logs = []
    for name in registry.APPLICATIONS:
        app = registry.application_class(name)(settings=settings, env=ONE_CONNECTION)
        stack.callback(app.close)
        logs.append(Log(name, app))
    return logs


def timeline(args: argparse.Namespace) -> int:
    subject, given = _subject(args)
    kind, of_it, none = SUBJECTS[subject]
    try:
        # UUID() reads full-width digits as hex digits: ASCII text first.
        subject_id = UUID(inputs.TOKEN.clean(given, required=True))
    except ValueError:
        print(f"Identifiant de {kind} invalide : un UUID est attendu.", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        story = gather(_open_logs(stack, Settings.from_env()), subject, subject_id)
    entries = story.entries()
    if not entries:
        print(f"Aucun événement {none} : {subject_id}", file=sys.stderr)
        return 1
    if args.json:
        print("\n".join(json_line(e) for e in entries))
        return 0
    print(f"Chronologie {of_it} {subject_id} : {len(entries)} événements")
    print(
        "suivis : "
        + (", ".join(short(i) for i in sorted(story.followed)) or "aucun id")
        + f" ; {len(story.correlations)} ids de corrélation"
    )
    for correlation_id in sorted(story.capped):
        print(f"corrélation {correlation_id} : {CORRELATION_CAP} premiers événements")
    print("\n".join(line(e) for e in entries))
    return 0
