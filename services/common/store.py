"""Each service's event store: an eventsourcing Application on PostgreSQL, in the
service's own schema, with tracking of the upstream messages it consumed.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    ProcessRecorder,
    StoredEvent,
    Tracking,
    Transcoder,
)
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import get_topic
from psycopg import sql

from services.common import logs
from services.common.clock import Clock, clock_from_settings
from services.common.contracts import Contract, dumper
from services.common.db import (
    PingWhenQuiet,
    check_cooperative_driver,
    creating_tables,
    ensure_schema,
)
from services.common.errors import AlreadyProcessed
from services.common.keystore import KeyStore, MemoryKeyStore, keystore_from_settings
from services.common.personal import KeyStoreVault, Vault, move_legacy_keys
from services.common.recorder import ColumnarProcessRecorder
from services.common.sealing import seal_message
from services.common.settings import Settings


@dataclass(frozen=True)
class Publication:
    """How one domain event class becomes an integration event on the bus."""

    contract: type[Contract]
    # (domain event, the producing application) → the contract's fields, or
    # None when this particular event says nothing to other services.
    translate: Callable[[Any, Any], Mapping[str, Any] | None]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_dump", dumper(self.contract))

    def body(self, domain_event: Any, app: Any) -> dict[str, Any] | None:
        """The contract's fields, dumped, personal ones still in clear: for
        whoever seals them next (the relay seals a batch at once)."""
        fields = self.translate(domain_event, app)
        return None if fields is None else self._dump(fields)

    def dump(self, domain_event: Any, app: Any) -> dict[str, Any] | None:
        """The message's body, its personal fields sealed (never in clear)."""
        body = self.body(domain_event, app)
        if body is None or not self.contract.personal:
            return body
        return seal_message(self.contract, body, app.keystore)


T = TypeVar("T")

# Where an event's correlation id is stored, beside its own fields.
CORRELATION_KEY = "__correlation_id__"


class CorrelatingTranscoder(Transcoder):
    """Writes the correlation id current at save time (services/common/logs.py)
    beside each event's fields; the domain classes know nothing of it."""

    def __init__(self, inner: Transcoder) -> None:
        self.inner = inner

    def encode(self, obj: Any) -> bytes:
        correlation_id = logs.current()
        if correlation_id is not None and isinstance(obj, dict):
            obj = {**obj, CORRELATION_KEY: correlation_id}
        return self.inner.encode(obj)

    def decode(self, data: bytes) -> Any:
        return self.inner.decode(data)


class CorrelatedMapper(Mapper):
    """Reads back the correlation id an event was saved with (None for events
    saved before there were any), and keeps it out of the event's fields.

    An event is saved with the correlation id current in the green thread
    that saves it, or the one `correlated` gives it: a writer that saves the
    events of others (services/common/group_commit.py) saves each with its own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(domain event) -> correlation id, while `correlated` is in force.
        self._given: dict[int, str] = {}

    @contextlib.contextmanager
    def correlated(self, given: Mapping[int, str]) -> Iterator[None]:
        """Within: the events whose ids `given` holds get its correlation ids."""
        self._given.update(given)
        try:
            yield
        finally:
            for key in given:
                self._given.pop(key, None)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        correlation_id = self._given.get(id(domain_event)) if self._given else None
        if correlation_id is None:
            return super().to_stored_event(domain_event)
        token = logs.bind(correlation_id)
        try:
            return super().to_stored_event(domain_event)
        finally:
            logs.unbind(token)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.read(stored_event)[0]

    def read(self, stored_event: StoredEvent) -> tuple[Any, str | None]:
        """The domain event and its correlation id."""
        event = super().to_domain_event(stored_event)
        return event, vars(event).pop(CORRELATION_KEY, None)


def retry_on_conflict(attempt: Callable[[], T], attempts: int, gave_up: Exception) -> T:
    """Run `attempt` (load, decide, save) again while a concurrent writer keeps
    changing the same aggregates first: the store's version check refuses the
    stale save, and the next attempt works on fresh copies."""
    for n in range(attempts):
        try:
            return attempt()
        except IntegrityError:
            time.sleep(random.uniform(0, 0.002 * (n + 1)))  # spread the retries
    raise gave_up


def store_env(settings: Settings, service: str) -> dict[str, str]:
    """The eventsourcing environment for one service's store."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": settings.postgres_dbname,
        "POSTGRES_HOST": settings.postgres_host,
        "POSTGRES_PORT": str(settings.postgres_port),
        "POSTGRES_USER": settings.postgres_user,
        "POSTGRES_PASSWORD": settings.postgres_password.get_secret_value(),
        "POSTGRES_SCHEMA": settings.schema(service),
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.postgres_max_overflow),
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_LOCK_TIMEOUT": "5",
        # One tracking row per consumed message: RabbitMQ may redeliver out of
        # order, and single-row tracking would refuse an older position.
        "SINGLE_ROW_TRACKING": "f",
        "CREATE_TABLE": "y",
        # Its database functions path ignores tracking records: never take it.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "PROCESS_RECORDER_TOPIC": get_topic(ColumnarProcessRecorder),
    }


class ServiceApplication(Application):
    """Base of every service's application.

    Subclasses set `name` (the service name, also its schema) and `published`,
    the domain events the relay turns into integration events.
    """

    name: ClassVar[str] = "service"
    published: ClassVar[Mapping[type, Publication]] = {}
    # Whether translating `published` events unseals personal data they carry
    # (the relay then reads the batch's keys at once).
    publishes_sealed: ClassVar[bool] = False
    snapshotting_intervals: ClassVar[dict[type, int]] = {}

    def __init__(
        self,
        settings: Settings | None = None,
        clock: Clock | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.clock = clock or clock_from_settings(self.settings.clock_offset_file)
        full_env = store_env(self.settings, self.name)
        full_env.update(env or {})
        if full_env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
            check_cooperative_driver()
            schema = full_env["POSTGRES_SCHEMA"]
            with creating_tables(self.settings, schema):
                ensure_schema(self.settings, schema)
                super().__init__(env=full_env)
        else:
            super().__init__(env=full_env)
        recorder = self.recorder
        if (
            isinstance(recorder, PostgresProcessRecorder)
            and recorder.datastore.enable_db_functions
        ):
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS would bypass tracking")
        if (
            isinstance(recorder, PostgresProcessRecorder)
            and recorder.datastore.pre_ping
        ):
            # psycopg_pool offers no other way to choose the check once built.
            recorder.datastore.pool._check = PingWhenQuiet()
        # Read models' views, attached by the service that runs their projections.
        self.views: dict[str, Any] = {}

    def construct_mapper(self) -> Mapper:
        return self.factory.mapper(
            transcoder=CorrelatingTranscoder(self.construct_transcoder()),
            mapper_class=CorrelatedMapper,
        )

    def construct_recorder(self) -> ProcessRecorder:
        # A process recorder stores tracking records in the same transaction as
        # events: how every consumer gets its exactly-once effect.
        return self.factory.process_recorder()

    def sealed_subject(self, event: Any) -> UUID | None:
        """Whose key opens what a published event seals (None: nothing): by
        default the person or account the event's aggregate is."""
        return event.originator_id

    @cached_property
    def vault(self) -> Vault:
        """Per-person keys of this service, in the key store (see
        services/common/personal.py)."""
        vault = KeyStoreVault(self.keystore, owner=self.name)
        if isinstance(self.recorder, PostgresProcessRecorder):
            with creating_tables(self.settings, self.schema):
                move_legacy_keys(self.recorder.datastore, vault)
        return vault

    @cached_property
    def keystore(self) -> KeyStore:
        """Subject keys for what travels on the bus, kept apart from the data
        (services/common/keystore.py)."""
        if isinstance(self.recorder, PostgresProcessRecorder):
            return keystore_from_settings(self.settings)
        return MemoryKeyStore()

    @property
    def datastore(self) -> PostgresDatastore:
        recorder = self.recorder
        if not isinstance(recorder, PostgresProcessRecorder):
            raise TypeError("this application does not store in PostgreSQL")
        return recorder.datastore

    @property
    def schema(self) -> str:
        return self.datastore.schema

    def save(self, *objs: Any, tracking: Tracking | None = None, **kwargs: Any):
        """Save new events; with `tracking`, atomically record the message too.

        Raises AlreadyProcessed when that message was recorded before, so the
        caller acknowledges a duplicate without a second effect. A conflict
        (another writer changed these aggregates first) also drops the copies
        the repository's cache keeps of them: the next attempt reads them again.
        """
        if tracking is None:
            try:
                return super().save(*objs, **kwargs)
            except IntegrityError:
                self.forget(*objs)
                raise
        processing_event = ProcessingEvent(tracking=tracking)
        processing_event.collect_events(*objs, **kwargs)
        try:
            recordings = self._record(processing_event)
        except IntegrityError:
            if self.has_processed(tracking):
                raise AlreadyProcessed(tracking) from None
            self.forget(*objs)
            raise
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def save_collected(self, events: list[Any]) -> list[Any]:
        """Save events already collected from their aggregates, as `save`
        would, without asking of each whether it is an event or an aggregate:
        that runtime Protocol check cost a fiftieth of a hold's CPU."""
        processing_event: ProcessingEvent[Any] = ProcessingEvent()
        processing_event.events.extend(events)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def forget(self, *objs: Any) -> None:
        """Drop these aggregates' copies from the repository's cache."""
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.forget_id(obj.id)

    def forget_id(self, aggregate_id: UUID) -> None:
        cache = self.repository.cache
        if cache is not None:
            with contextlib.suppress(KeyError):  # not remembered: nothing to drop
                cache.get(aggregate_id, evict=True)

    def has_processed(self, tracking: Tracking) -> bool:
        """Whether this exact message position was recorded (not just a later one)."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresProcessRecorder):
            return recorder.has_tracking_id(
                tracking.application_name, tracking.notification_id
            )
        query = sql.SQL(
            "SELECT 1 FROM {}.{} WHERE application_name = %s AND notification_id = %s"
        ).format(
            sql.Identifier(recorder.datastore.schema),
            sql.Identifier(recorder.tracking_table_name),
        )
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(query, (tracking.application_name, tracking.notification_id))
            return curs.fetchone() is not None

    def record_processed(self, tracking: Tracking) -> None:
        """Record a message that changes no aggregate, so it is never redone."""
        self.save(tracking=tracking)

    def aggregate_history(self, originator_id: UUID) -> list[Any]:
        """Every event of one aggregate, oldest first."""
        return list(self.events.get(originator_id))
