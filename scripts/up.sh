#!/usr/bin/env bash
# One command: install what is missing, then run the whole platform with demo data.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
setup_all
cd "$ROOT"
exec "$VENV/bin/pmc" up "$@"
