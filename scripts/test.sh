#!/usr/bin/env bash
# One command: install what is missing, then run every test against the real
# PostgreSQL, RabbitMQ and an SMTP server the tests start. Two pytest passes:
# everything under eventlet (as the services run), then the page tests in
# headless Chromium without it (Playwright cannot run in a patched process).
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
"$VENV/bin/python" -m pytest
PMC_TEST_PAGES=1 exec "$VENV/bin/python" -m pytest tests/web \
  --suppress-nameko-eventlet-notification
