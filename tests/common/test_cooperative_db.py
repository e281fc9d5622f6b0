"""One slow query must not freeze a service's other green threads (DESIGN.md)."""

import time

import eventlet
import psycopg

from services.candidates.application import CandidatesApplication


def test_psycopg_waits_through_select_whatever_its_build():
    from psycopg import waiting

    assert psycopg.pq.__impl__ == "binary"  # the fast one, as installed
    assert waiting.wait is waiting.wait_select


def test_five_one_second_queries_in_green_threads_overlap(settings):
    app = CandidatesApplication(settings=settings)
    try:

        def slow_query() -> None:
            with app.datastore.transaction(commit=False) as curs:
                curs.execute("SELECT pg_sleep(1)")

        pool = eventlet.GreenPool()
        started = time.monotonic()
        for _ in range(5):
            pool.spawn(slow_query)
        pool.waitall()
        elapsed = time.monotonic() - started
    finally:
        app.close()
    # Serialised they would take 5 s; cooperative, about 1 s.
    assert elapsed < 2.0, f"five 1-second queries took {elapsed:.2f}s"
