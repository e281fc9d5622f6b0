"""The example analyses of the Parquet export, in DuckDB SQL: README.md quotes
them word for word, and tests/pmc/test_export_events.py runs these very
texts on an export and checks their answers (and that README.md still quotes
them)."""

from __future__ import annotations

# The booking service's export as a table; `{folder}` is `pmc export-events
# --to`'s folder (README.md shows it with `export`).
BOOKING_VIEW = (
    "CREATE VIEW booking AS SELECT * FROM read_parquet('{folder}/booking.parquet');"
)

# A seat is sold when its reservation is paid (Reservation.Confirmed); the
# week is the sale's, Monday to Sunday in Paris; the centre is the one sold.
SEATS_SOLD_PER_CENTRE_AND_WEEK = """\
SELECT
    centre_name,
    date_trunc('week', timezone('Europe/Paris', recorded_at))::DATE AS week,
    count(*) AS seats_sold
FROM booking
WHERE event_type = 'Reservation.Confirmed'
GROUP BY centre_name, week
ORDER BY week, centre_name;"""

# Of the seats sold so many days before their exam, the share their school
# (or an operator cancelling the session) cancelled afterwards.
CANCELLATION_RATE_BY_DELAY_BEFORE_EXAM = """\
WITH sold AS (
    SELECT
        aggregate_id AS reservation_id,
        date_diff('day', recorded_at, exam_starts_at) AS days_before_exam
    FROM booking
    WHERE event_type = 'Reservation.Confirmed'
),
cancelled AS (
    SELECT DISTINCT aggregate_id AS reservation_id
    FROM booking
    WHERE event_type = 'Reservation.Cancelled'
)
SELECT
    CASE
        WHEN days_before_exam < 15 THEN '0 à 14 jours'
        WHEN days_before_exam < 30 THEN '15 à 29 jours'
        ELSE '30 jours et plus'
    END AS sold_before_exam,
    count(*) AS seats_sold,
    count(cancelled.reservation_id) AS cancelled,
    round(100.0 * count(cancelled.reservation_id) / count(*), 1)
        AS cancellation_rate_percent
FROM sold
LEFT JOIN cancelled USING (reservation_id)
GROUP BY sold_before_exam
ORDER BY min(days_before_exam);"""

QUERIES = (SEATS_SOLD_PER_CENTRE_AND_WEEK, CANCELLATION_RATE_BY_DELAY_BEFORE_EXAM)
