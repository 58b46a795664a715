# Shared set-up for bin/run and bin/test: Python environment, PostgreSQL and Redis.
# Uses DATABASE_URL / REDIS_URL when given; otherwise starts project-owned servers.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL="$ROOT/.local"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$LOCAL"
export PYTHONPATH="$ROOT/platform:$ROOT"

say() { printf '\033[1m[practica]\033[0m %s\n' "$*"; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  if ! is_root; then say "Please install: $*"; return 1; fi
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null || return 1; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# $1: "runtime" or "dev". Installs the pinned dependencies from pyproject.toml when they change.
setup_python() {
  local extras=$1
  if [ ! -x "$PY" ]; then
    say "Creating the virtual environment (.venv)"
    if ! { python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV" 2>/dev/null; }; then
      # Debian ships venv's pip bootstrap separately.
      rm -rf "$VENV"
      apt_install python3-venv
      python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
    fi
  fi
  local stamp="$VENV/.practica-$extras"
  local want
  want=$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing Python dependencies ($extras)"
    "$PY" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1
    "$PY" - "$extras" >"$LOCAL/requirements-$extras.txt" <<'PYEOF'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
deps = list(project["dependencies"])
if sys.argv[1] == "dev":
    deps += project["optional-dependencies"]["dev"]
print("\n".join(deps))
PYEOF
    # (pip's notes about this machine's optional local package folders are filtered out)
    "$PY" -m pip install -q --disable-pip-version-check -r "$LOCAL/requirements-$extras.txt" 2>&1 \
      | { grep -v "^WARNING: Location 'file:" || true; }
    echo "$want" >"$stamp"
  fi
}

pg_bindir() {
  local dir
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    say "Installing the PostgreSQL server binaries"
    apt_install postgresql postgresql-contrib
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

# Start (or reuse) a project-owned PostgreSQL cluster, unless DATABASE_URL is given.
# $1: database name.
setup_postgres() {
  local dbname=$1
  if [ -n "${DATABASE_URL:-}" ]; then
    say "Using DATABASE_URL"
    return
  fi
  local port=${PRACTICA_PG_PORT:-54329}
  local bindir pgdir as_pg=()
  bindir=$(pg_bindir)
  pgdir="$LOCAL/pg"
  if is_root; then
    # PostgreSQL refuses to run as root: the cluster belongs to the postgres user, which must
    # be able to reach its folder; fall back to /var/tmp when the checkout is not reachable.
    # (from / so that the postgres user is not left in a folder it may not enter)
    as_pg=(env -C / runuser -u postgres --)
    mkdir -p "$pgdir"
    chown postgres "$pgdir"
    if ! "${as_pg[@]}" test -w "$pgdir" 2>/dev/null; then
      pgdir="/var/tmp/practica-pg-$(echo "$ROOT" | sha256sum | cut -c1-12)"
      mkdir -p "$pgdir" && chown postgres "$pgdir"
    fi
  fi
  mkdir -p "$pgdir"
  if [ ! -f "$pgdir/data/PG_VERSION" ]; then
    say "Creating a local PostgreSQL cluster in $pgdir"
    "${as_pg[@]}" "$bindir/initdb" -D "$pgdir/data" -A trust -U postgres >/dev/null
  fi
  if "${as_pg[@]}" "$bindir/pg_ctl" -D "$pgdir/data" status >/dev/null 2>&1; then
    # The running server's own record of its port (line 4 of postmaster.pid) is the truth.
    port=$(sed -n 4p "$pgdir/data/postmaster.pid" 2>/dev/null || true)
    port=${port:-$(cat "$pgdir/port" 2>/dev/null || echo "${PRACTICA_PG_PORT:-54329}")}
  else
    # Another server (or another checkout's cluster) may hold the port: take the next free one.
    while "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" >/dev/null 2>&1 \
      || (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
      port=$((port + 1))
    done
    echo "$port" >"$pgdir/port"
    say "Starting PostgreSQL on 127.0.0.1:$port"
    # A throwaway development cluster: no durability work (fsync, full-page writes, waiting for
    # commits), and no JIT, whose compiling costs more than it saves on small queries.
    local quick="-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c jit=off"
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
      -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=200 $quick" start >/dev/null
  fi
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/$dbname"
  "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$dbname'" \
    | grep -q 1 || "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$dbname"
}

# Start (or reuse) a project-owned Redis unless REDIS_URL is given.
# $1: "required" (tests) or "optional" (demo: falls back to in-process, and says so).
setup_redis() {
  local need=$1
  if [ -n "${REDIS_URL:-}" ]; then
    say "Using REDIS_URL"
    return
  fi
  local port=${PRACTICA_REDIS_PORT:-63799}
  if ! command -v redis-server >/dev/null; then
    if [ "$need" = required ] || is_root; then
      say "Installing redis-server"
      apt_install redis-server || true
    fi
  fi
  if ! command -v redis-server >/dev/null; then
    say "No Redis available: using in-process fallbacks (cache, channel layer; Celery tasks run inline)."
    export REDIS_URL=""
    return
  fi
  mkdir -p "$LOCAL/redis"
  if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    say "Starting Redis on 127.0.0.1:$port"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --dir "$LOCAL/redis" --pidfile "$LOCAL/redis/redis.pid" --logfile "$LOCAL/redis/redis.log"
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  export REDIS_URL="redis://127.0.0.1:$port/0"
}

# Twilio contract mock for the tests: Prism serving Twilio's own OpenAPI spec (from the npm package
# @twilio/cli-core), installed once into .local/twilio-mock. Exports TWILIO_MOCK_PRISM and
# TWILIO_MOCK_SPEC; the test session starts the server itself (tests/notifications/conftest.py).
setup_twilio_mock() {
  local dir="$LOCAL/twilio-mock"
  local spec="$dir/package/src/services/twilio-api/twilio_api_v2010.json"
  mkdir -p "$dir"
  if [ ! -f "$spec" ]; then
    say "Fetching Twilio's OpenAPI spec (@twilio/cli-core@9.0.0)"
    (cd "$dir" && npm pack -s @twilio/cli-core@9.0.0 >/dev/null \
      && tar -xzf twilio-cli-core-9.0.0.tgz package/src/services/twilio-api/twilio_api_v2010.json \
      && rm -f twilio-cli-core-9.0.0.tgz)
  fi
  if [ ! -x "$dir/node_modules/.bin/prism" ]; then
    say "Installing the Prism mock server (@stoplight/prism-cli@5.16.0)"
    (cd "$dir" && npm install -s --no-audit --no-fund @stoplight/prism-cli@5.16.0 >/dev/null)
  fi
  export TWILIO_MOCK_PRISM="$dir/node_modules/.bin/prism" TWILIO_MOCK_SPEC="$spec"
}

# Headless browser for the end-to-end tests: Debian's Chromium (Playwright's own browser downloads
# cannot be had here; its bundled driver drives this one) and axe-core's axe.min.js, kept in .local.
AXE_VERSION=4.14.1
setup_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    say "Installing Chromium"
    apt_install chromium
  fi
  local axe="$LOCAL/axe-core-$AXE_VERSION/axe.min.js"
  if [ ! -f "$axe" ]; then
    say "Fetching axe-core $AXE_VERSION"
    command -v npm >/dev/null || apt_install npm
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null 2>&1 \
      && tar -xzf "axe-core-$AXE_VERSION.tgz" package/axe.min.js)
    mkdir -p "$(dirname "$axe")"
    mv "$tmp/package/axe.min.js" "$axe"
    rm -rf "$tmp"
  fi
  export PRACTICA_AXE_JS="$axe"
}

# The portal's translations: locale/*/LC_MESSAGES/django.po compiled to .mo by Django's
# compilemessages, which needs GNU gettext's msgfmt (installed with apt when missing). The .mo files
# are built here rather than committed, so they always match the .po files, and msgfmt --check
# (format placeholders, plural forms) refuses a broken translation before anything runs.
setup_translations() {
  if ! command -v msgfmt >/dev/null; then
    say "Installing GNU gettext (msgfmt)"
    apt_install gettext
  fi
  # (settings are read only for LOCALE_PATHS: any key will do when none is given)
  SECRET_KEY=${SECRET_KEY:-compilemessages} LOG_LEVEL=${LOG_LEVEL:-WARNING} \
    "$PY" manage.py compilemessages --ignore '.venv' --ignore '.local' --ignore 'node_modules' --verbosity 0
}

# The X12 implementation guide's example files (837P, 835, 270/271) shipped inside the badx12 wheel
# (MIT), for the X12 tests: downloaded from PyPI and unpacked under .local, never installed (the
# package pins an old click). Exports PRACTICA_BADX12_EDI, the folder of the .edi files.
BADX12_VERSION=0.2.2
setup_x12_examples() {
  local dir="$LOCAL/badx12-$BADX12_VERSION"
  if [ ! -d "$dir/tests/files/edi" ]; then
    say "Fetching the X12 example files (badx12 $BADX12_VERSION wheel)"
    local tmp
    tmp=$(mktemp -d)
    "$PY" -m pip download -q --disable-pip-version-check --no-deps "badx12==$BADX12_VERSION" -d "$tmp" 2>&1 \
      | { grep -v "^WARNING: Location 'file:" || true; }
    mkdir -p "$dir"
    "$PY" -m zipfile -e "$tmp"/badx12-"$BADX12_VERSION"-*.whl "$dir"
    rm -rf "$tmp"
  fi
  export PRACTICA_BADX12_EDI="$dir/tests/files/edi"
}

# The tests' clock. No test may depend on the hour or the date it runs at, so bin/test runs pytest,
# and everything it starts (daphne, Chromium, Celery workers, the benchmarks), on a clock moved to a
# fixed, awkward instant: by default a Saturday at 22:30 in New York, inside SMS quiet hours, when
# the UTC date is already the next day and the month the next month, the night before the autumn
# DST change. A test that assumes "now is daytime in New York" (or that UTC and local dates agree)
# then fails on every run, not half the day. libfaketime (Debian's faketime package, installed
# with apt when missing) moves the clock of every process started with it preloaded: one offset
# from the real time, so the clock still ticks and every process agrees. The servers started
# above (PostgreSQL, Redis) keep the real time; nothing in Practica asks PostgreSQL for now().
# PRACTICA_TEST_CLOCK: any instant GNU date -d reads ('2026-12-31 23:59 UTC',
# 'TZ="America/New_York" 2026-03-08 02:30'), or "real" to run on the machine's clock.
# Sets TEST_CLOCK_ENV (variables to run pytest with).
TEST_CLOCK_DEFAULT='TZ="America/New_York" 2026-10-31 22:30'
setup_test_clock() {
  local clock=${PRACTICA_TEST_CLOCK:-$TEST_CLOCK_DEFAULT}
  TEST_CLOCK_ENV=()
  if [ "$clock" = real ]; then
    say "Tests on the real clock (PRACTICA_TEST_CLOCK=real)"
    return
  fi
  local lib
  lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1 || true)
  if [ -z "$lib" ]; then
    say "Installing libfaketime (faketime), for the tests' clock"
    apt_install faketime
    lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)
  fi
  local target offset
  target=$(date -d "$clock" +%s)
  offset=$((target - $(date +%s)))
  say "Tests' clock: $(TZ=America/New_York date -d "@$target" '+%F %R %Z') New York," \
    "$(TZ=UTC date -d "@$target" '+%F %R') UTC (PRACTICA_TEST_CLOCK)"
  # (a bare number is an offset in seconds, with "+" for a clock moved forward)
  local sign=""
  if [ "$offset" -ge 0 ]; then sign="+"; fi
  TEST_CLOCK_ENV=(LD_PRELOAD="$lib" FAKETIME="$sign$offset" PRACTICA_TEST_CLOCK_AT="$target")
}

# PgBouncer, for the test that runs requests through a real pooler (tests/infra/test_pgbouncer.py):
# Debian's package, installed with apt when missing. The test starts its own instances (as the
# postgres user when root: PgBouncer refuses to run as root); the package's own service stays off.
setup_pgbouncer() {
  if [ ! -x /usr/sbin/pgbouncer ] && ! command -v pgbouncer >/dev/null; then
    say "Installing PgBouncer, for the pooler test"
    apt_install pgbouncer || say "PgBouncer could not be installed: its test will be skipped"
  fi
}
