#!/usr/bin/env bash
# Installs what is missing and makes sure PostgreSQL and RabbitMQ run.
# Sourced by scripts/up.sh and scripts/test.sh; safe to run again and again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PG_HOST="${POSTGRES_HOST:-127.0.0.1}"
PG_PORT="${POSTGRES_PORT:-5432}"
RABBIT_HOST="${PMC_TEST_RABBIT_HOST:-127.0.0.1}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 2; i++)); do port_open "$1" "$2" && return 0; sleep 0.5; done
  return 1
}

apt_install() {
  [ "$(id -u)" = 0 ] || die "missing $*; install it (apt-get install $*) or run as root"
  say "installing $* (apt)"
  if [ -z "${PMC_APT_UPDATED:-}" ]; then apt-get update -qq; export PMC_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_system_packages() {
  local missing=()
  command -v python3.11 >/dev/null || python3 -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
    || missing+=(python3.11 python3.11-venv)
  ldconfig -p 2>/dev/null | grep -q 'libpq\.so\.5' || missing+=(libpq5)
  # Page tests drive Debian's chromium through Playwright (no browser download).
  command -v chromium >/dev/null || missing+=(chromium)
  # Tests read the text of the PDFs the platform makes, as a person would.
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  # The platform's PDFs are set in DejaVu: « € », « — » and every French letter.
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  # The pages' map library and the page tests' accessibility engine come from npm.
  command -v npm >/dev/null || missing+=(nodejs npm)
  if [ "$PG_HOST" = 127.0.0.1 ] && ! command -v pg_ctlcluster >/dev/null && ! port_open "$PG_HOST" "$PG_PORT"; then
    missing+=(postgresql)
  fi
  if [ "$RABBIT_HOST" = 127.0.0.1 ] && ! command -v rabbitmq-server >/dev/null && ! port_open 127.0.0.1 5672; then
    missing+=(rabbitmq-server)
  fi
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

ensure_postgres() {
  port_open "$PG_HOST" "$PG_PORT" && return 0
  [ "$PG_HOST" = 127.0.0.1 ] || die "PostgreSQL at $PG_HOST:$PG_PORT does not answer"
  say "starting PostgreSQL"
  local version
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$version" ] || die "PostgreSQL is not installed (no /etc/postgresql)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start \
    || die "PostgreSQL $version did not start: see /var/log/postgresql/"
  wait_port "$PG_HOST" "$PG_PORT" 30 || die "PostgreSQL started but does not answer on $PG_PORT"
}

ensure_postgres_connections() {
  # The whole platform (seven services, their read models and senders, the
  # relay) plus the tests' own applications and second gateways need more than
  # PostgreSQL's default 100 connections: two end-to-end shards side by side
  # peaked near 300 once their pools had grown, and a service refused a
  # connection answers « résultat incertain » to every write. Raised once, on a
  # local cluster only.
  local want=800 current version
  [ "$PG_HOST" = 127.0.0.1 ] && command -v pg_ctlcluster >/dev/null && command -v psql >/dev/null \
    || return 0
  current="$(psql -h "$PG_HOST" -p "$PG_PORT" -U "${POSTGRES_USER:-postgres}" -d postgres \
    -Atc 'SHOW max_connections' 2>/dev/null)" || return 0
  [ "${current:-0}" -ge "$want" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "PostgreSQL allows $current connections; the tests may need $want (ALTER SYSTEM SET max_connections = $want)"
    return 0
  fi
  say "raising PostgreSQL's max_connections from $current to $want (restarts the local cluster)"
  psql -h "$PG_HOST" -p "$PG_PORT" -U "${POSTGRES_USER:-postgres}" -d postgres -q \
    -c "ALTER SYSTEM SET max_connections = $want" || die "could not raise max_connections"
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main restart \
    || die "PostgreSQL $version did not restart: see /var/log/postgresql/"
  wait_port "$PG_HOST" "$PG_PORT" 30 || die "PostgreSQL restarted but does not answer on $PG_PORT"
}

ensure_rabbitmq() {
  if ! port_open "$RABBIT_HOST" 5672; then
    [ "$RABBIT_HOST" = 127.0.0.1 ] || die "RabbitMQ at $RABBIT_HOST:5672 does not answer"
    say "starting RabbitMQ"
    rabbitmq-server -detached || die "RabbitMQ did not start: see /var/log/rabbitmq/"
    wait_port 127.0.0.1 5672 60 || die "RabbitMQ started but does not answer on 5672"
  fi
  # The tests give each run its own virtual host through the management API.
  if ! port_open "$RABBIT_HOST" 15672; then
    [ "$RABBIT_HOST" = 127.0.0.1 ] || die "RabbitMQ management API at $RABBIT_HOST:15672 does not answer"
    say "enabling RabbitMQ's management plugin"
    rabbitmq-plugins enable rabbitmq_management >/dev/null \
      || die "could not enable rabbitmq_management"
    wait_port 127.0.0.1 15672 60 || die "RabbitMQ management API does not answer on 15672"
  fi
}

ensure_venv() {
  local python stamp want
  python="$(command -v python3.11 || command -v python3)"
  [ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$python" -m venv "$VENV"; }
  stamp="$VENV/.installed"
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python dependencies"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]" \
      || die "pip install failed"
    echo "$want" >"$stamp"
  fi
}

ensure_scanner() {
  # The policy scanner of the deploy tests (only scripts/test.sh needs it).
  # checkov pins packaging<24, pytest 9 needs packaging>=24: its own venv.
  local python stamp want scanner="$ROOT/.venv-scanner"
  python="$(command -v python3.11 || command -v python3)"
  [ -x "$scanner/bin/python" ] || { say "creating $scanner"; "$python" -m venv "$scanner"; }
  stamp="$scanner/.installed"
  want="$(sha256sum "$ROOT/deploy/scanner-requirements.txt" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing the manifests' policy scanner"
    "$scanner/bin/python" -m pip install -q -r "$ROOT/deploy/scanner-requirements.txt" \
      || die "pip install of the policy scanner failed"
    echo "$want" >"$stamp"
  fi
}

ensure_node_packages() {
  # Pinned in package-lock.json: Leaflet (served by the gateway, so the map
  # needs no internet) and axe-core (injected by the page tests only).
  local stamp want
  stamp="$ROOT/node_modules/.installed"
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing the pages' browser libraries (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
      || die "npm ci failed"
    echo "$want" >"$stamp"
  fi
}

setup_all() {
  ensure_system_packages
  ensure_postgres
  ensure_postgres_connections
  ensure_rabbitmq
  ensure_venv
  ensure_node_packages
}
