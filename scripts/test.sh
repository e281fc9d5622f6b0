#!/usr/bin/env bash
# One command: install what is missing, then run every test against the real
# PostgreSQL, RabbitMQ and an SMTP server the tests start. Three pytest passes:
# the services' tests under eventlet (as the services run) beside the page
# tests in headless Chromium without it (Playwright cannot run in a patched
# process), then the end-to-end tests.
# With arguments, runs just `pytest ARGS` (set PMC_TEST_PAGES=1 for tests/web).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
setup_all
ensure_scanner
cd "$ROOT"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
if [ $# -gt 0 ]; then
  exec "$VENV/bin/python" -m pytest "$@"
fi
# The page pass runs beside the services' own tests, whose waits leave a core
# free; the end-to-end tests run after both (one of them stops RabbitMQ,
# which the page pass's processes would notice).
pages_log="$(mktemp)"
trap 'rm -f "$pages_log"' EXIT
PMC_TEST_PAGES=1 "$VENV/bin/python" -m pytest tests/web \
  --suppress-nameko-eventlet-notification >"$pages_log" 2>&1 &
pages=$!
status=0
"$VENV/bin/python" -m pytest --ignore=tests/e2e --ignore=tests/web || status=$?
pages_status=0
wait "$pages" || pages_status=$?
echo "== page tests (headless Chromium), run beside the tests above"
cat "$pages_log"
# The end-to-end tests in three processes, each with its own platform (a
# share of the files each: tests/sharding.py), then, alone: the one that stops
# RabbitMQ; the one that runs a second platform of two of everything (beside
# the others, it would use up PostgreSQL's connections); the one that kills
# processes in the middle of a burst, whose bounds (one repeated e-mail per
# kill) assume no other platform slows the mail server down. Most end-to-end
# time is spent waiting (sweeps, deadlines, retries): three shares on two
# cores end sooner than two.
SHARDS=3
ALONE=(
  tests/e2e/test_broker_outage.py
  tests/e2e/test_two_of_everything.py
  tests/e2e/test_faults.py
)
echo "== end-to-end tests, in $SHARDS shards"
shard_logs=()
shards=()
for ((shard = 0; shard < SHARDS; shard++)); do
  log="$(mktemp)"
  shard_logs+=("$log")
  PMC_TEST_SHARD="$shard/$SHARDS" "$VENV/bin/python" -m pytest tests/e2e \
    "${ALONE[@]/#/--ignore=}" >"$log" 2>&1 &
  shards+=($!)
done
for ((i = 0; i < SHARDS; i++)); do
  wait "${shards[$i]}" || status=$?
  echo "-- shard $i of $SHARDS"
  cat "${shard_logs[$i]}"
  rm -f "${shard_logs[$i]}"
done
echo "== end-to-end, alone: the broker stopped; two of everything; processes killed"
"$VENV/bin/python" -m pytest "${ALONE[@]}" || status=$?
if [ "$pages_status" -ne 0 ]; then
  echo "page tests failed (exit $pages_status): see their output above" >&2
  status=$pages_status
fi
exit "$status"
