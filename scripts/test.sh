#!/usr/bin/env bash
# One command: install what is missing, then run every test against the real
# PostgreSQL, RabbitMQ and an SMTP server the tests start.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
setup_all
cd "$ROOT"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
exec "$VENV/bin/python" -m pytest "$@"
