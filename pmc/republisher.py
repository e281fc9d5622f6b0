"""Reading a service's log between two positions and publishing it again
(`pmc republish`, pmc/republish.py): the relay's own translation and
publisher, without its lead."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from eventsourcing.persistence import Notification
from psycopg import sql
from psycopg.rows import tuple_row

from pmc import registry
from pmc.republish import Plan, Refused
from services.common.logbatch import batch_query, notification_of
from services.common.outbox import Outbox
from services.common.parking import describe
from services.common.publisher import ConfirmingPublisher
from services.common.settings import Settings
from services.common.store import ServiceApplication
from services.common.topology import queue_exists

# Events read, translated and published (then confirmed) at a time.
BATCH_SIZE = 500


class Interrupted(RuntimeError):
    """The broker or the database failed midway: every event up to
    `confirmed` was published (confirmed), none after it for sure."""

    def __init__(self, confirmed: int, reason: str) -> None:
        super().__init__(reason)
        self.confirmed = confirmed
        self.reason = reason


class LogRange:
    """The service's published events between two positions, read a batch at
    a time on a pooled connection (never the relay's lead)."""

    def __init__(self, app: ServiceApplication, outbox: Outbox, plan: Plan) -> None:
        self.app = app
        self.plan = plan
        self.topics = (
            outbox.topics_of(plan.event_types) if plan.event_types else outbox.topics
        )
        events = sql.Identifier(app.schema, app.recorder.events_table_name)
        self._events = events
        self._query = batch_query(events, self.topics)

    def count(self) -> int:
        """How many events the range holds (for the progress bar)."""
        query = sql.SQL(
            "SELECT count(*) FROM {} WHERE notification_id >= %s"
            " AND notification_id <= %s AND topic = ANY(%s)"
        ).format(self._events)
        last = self.plan.last if self.plan.last is not None else 2**62
        with self.app.datastore.get_connection() as conn:
            row = conn.execute(query, (self.plan.first, last, self.topics)).fetchone()
        return int(next(iter(row.values())) if isinstance(row, dict) else row[0])

    def batches(self, size: int = BATCH_SIZE) -> Iterator[list[Notification]]:
        position = self.plan.first - 1
        while True:
            batch = self._read(position, size)
            within = [
                n for n in batch if self.plan.last is None or n.id <= self.plan.last
            ]
            if within:
                yield within
            if len(within) < size:
                return
            position = within[-1].id

    def _read(self, position: int, size: int) -> list[Notification]:
        with self.app.datastore.get_connection() as conn:
            # The pool's rows are dicts; notification_of reads tuples.
            rows, conn.row_factory = conn.row_factory, tuple_row
            try:
                with conn.cursor(binary=True) as cursor:
                    params = {"position": position, "limit": size}
                    found = cursor.execute(self._query, params).fetchall()
            finally:
                conn.row_factory = rows
        return [notification_of(row) for row in found]


def republish(
    settings: Settings,
    plan: Plan,
    on_total: Callable[[int], None] = lambda _: None,
    on_progress: Callable[[int], None] = lambda _: None,
) -> tuple[int, int]:
    """Publish the plan's events again, each batch confirmed before the next;
    return (events read, messages published). Raises Refused for a queue the
    broker does not have (before anything is published)."""
    app = registry.application_class(plan.service)(settings=settings)
    publisher = ConfirmingPublisher(settings.amqp_uri)
    try:
        if plan.queue is not None and not queue_exists(settings.amqp_uri, plan.queue):
            raise Refused(
                f"queue {plan.queue} does not exist on the broker "
                "(its consumer never started, or the queue was deleted: "
                "start the consumer, which declares it, then run this again)"
            )
        outbox = Outbox(app)
        events = LogRange(app, outbox, plan)
        on_total(events.count())
        read = published = 0
        confirmed = plan.first - 1
        try:
            for batch in events.batches():
                encoded = outbox.encode_all(batch)
                if encoded:
                    publisher.await_confirms(
                        publisher.publish(plan.service, encoded, plan.queue)
                    )
                confirmed = batch[-1].id
                read += len(batch)
                published += len(encoded)
                on_progress(len(batch))
        except Exception as exc:
            raise Interrupted(confirmed, describe(exc)) from exc
        return read, published
    finally:
        publisher.close()
        app.close()
