#!/usr/bin/env bash
# pg.sh: a throwaway PostgreSQL server for tests. initdb into a temporary
# directory, a free port on 127.0.0.1 (TCP only), password authentication
# with a random password, small settings (shared_buffers 32MB, no fsync);
# stopped and removed at the end.
#
# initdb refuses to run as root: as root (CI) the server runs as the system
# user cutover-test, created on first use (or postgres when useradd cannot);
# as anyone else it runs as that user.
#
# Executed:
#   pg.sh start            starts a server; prints shell assignments to eval:
#                          PG_DIR, PG_PORT, PG_USER, PG_PASSWORD, PG_URI
#   pg.sh stop DIR         stops the server of DIR and removes DIR
#   pg.sh run CMD ARGS...  starts a server, runs CMD with CUTOVER_TEST_PG set
#                          to its URI, stops it; exits with CMD's status.
#                          With CUTOVER_TEST_PG already set, just runs CMD.
# Sourced: pg_start (sets the same variables), pg_stop (stops PG_DIR's server);
# for scenario tests (after lib.sh), pg_test_server and pgsql, and the demo
# on PostgreSQL: pg_demo_legacy and pg_demo_project.
# The binaries are found under /usr/lib/postgresql/*/bin (the newest), or
# PG_BINDIR. `make deps` installs them (Debian: postgresql).

pg_bindir() {
  if [[ -n ${PG_BINDIR:-} ]]; then echo "$PG_BINDIR"; return 0; fi
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && best=$d
  done
  if [[ -z $best ]] && command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    best=$(dirname "$(command -v pg_ctl)")
  fi
  if [[ -z $best ]]; then
    echo "pg.sh: no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin; run make deps" >&2
    return 1
  fi
  echo "$best"
}

# The user the server runs as: ourselves, or, as root, cutover-test.
pg_server_user() {
  if [[ $(id -u) -ne 0 ]]; then id -un; return 0; fi
  if ! id cutover-test >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      cutover-test >/dev/null 2>&1 || true
  fi
  if id cutover-test >/dev/null 2>&1; then echo cutover-test; return 0; fi
  if id postgres >/dev/null 2>&1; then echo postgres; return 0; fi
  echo "pg.sh: running as root and cannot create the user cutover-test" >&2
  return 1
}

# pg_as USER CMD...: runs CMD as USER (runuser when we are root).
pg_as() {
  local user=$1
  shift
  if [[ $(id -u) -eq 0 && $user != root ]]; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

# A TCP port on 127.0.0.1 that nothing listens on.
pg_free_port() {
  local i p
  for i in $(seq 1 100); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "pg.sh: no free port found" >&2
  return 1
}

pg_start() {
  local bindir user dir port attempt
  bindir=$(pg_bindir) || return 1
  user=$(pg_server_user) || return 1
  dir=$(mktemp -d "${TMPDIR:-/tmp}/cutover-pg.XXXXXX") || return 1
  chmod 700 "$dir"
  [[ $(id -u) -eq 0 ]] && chown "$user" "$dir"
  PG_DIR=$dir
  PG_USER=cutover
  PG_PASSWORD="pw$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')Zq"
  printf '%s\n' "$PG_PASSWORD" >"$dir/pwfile"
  [[ $(id -u) -eq 0 ]] && chown "$user" "$dir/pwfile"
  if ! pg_as "$user" "$bindir/initdb" -D "$dir/data" -U "$PG_USER" --pwfile="$dir/pwfile" \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C --no-sync \
      >"$dir/initdb.log" 2>&1; then
    echo "pg.sh: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    return 1
  fi
  rm -f "$dir/pwfile"
  cat >>"$dir/data/postgresql.conf" <<'EOF'
# pg.sh: a small throwaway test server
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
shared_buffers = 32MB
max_connections = 30
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 256MB
logging_collector = off
EOF
  for attempt in 1 2 3 4 5; do
    port=$(pg_free_port) || break
    if pg_as "$user" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port" start >"$dir/pg_ctl.log" 2>&1; then
      PG_PORT=$port
      PG_URI="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
      PG_SERVER_USER=$user
      return 0
    fi
    grep -q "could not bind\|already in use" "$dir/server.log" 2>/dev/null || break
  done
  echo "pg.sh: the server did not start:" >&2
  cat "$dir/pg_ctl.log" "$dir/server.log" >&2 2>/dev/null
  rm -rf "$dir"
  return 1
}

# pg_stop [DIR]: stops the server of DIR (default PG_DIR) and removes DIR.
pg_stop() {
  local dir=${1:-${PG_DIR:-}} bindir user
  [[ -n $dir && -d $dir ]] || return 0
  bindir=$(pg_bindir) || return 1
  user=$(stat -c %U "$dir")
  if [[ -f $dir/data/postmaster.pid ]]; then
    pg_as "$user" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      pg_as "$user" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  fi
  rm -rf "$dir"
  [[ ${PG_DIR:-} == "$dir" ]] && PG_DIR=""
  return 0
}

# pg_test_server: starts a server for a scenario test that sourced lib.sh, or
# fails the test and exits; at exit stops it and removes $WORK. Sets PG_BASE,
# PG_URI without its database: $PG_BASE/DB names a database of the server.
pg_test_server() {
  if ! pg_start; then
    fail "a PostgreSQL server starts (make deps installs it)"
    finish
    exit 1
  fi
  trap 'pg_stop; rm -rf "$WORK"' EXIT
  PG_BASE=${PG_URI%/postgres}
}

# pg_journal_demo SCALE SEED: the test server (pg_test_server) with an empty
# database for the journal (journal: its URI, for --state), and the demo
# (`cutover demo init` at SCALE with SEED) in demo, its project file proj.
pg_journal_demo() {
  pg_test_server
  pgsql postgres -c "CREATE DATABASE journal"
  journal=$PG_BASE/journal
  demo=$WORK/demo
  "$CUTOVER" demo init "$demo" --scale "$1" --seed "$2" -q
  proj=$demo/cutover.yaml
}

# pgsql DB [psql args...]: psql on a database of the test server; values
# unaligned, without headers; stops at the first error.
pgsql() {
  local db=$1
  shift
  psql -X -q -A -t -v ON_ERROR_STOP=1 "$PG_BASE/$db" "$@"
}

# pg_demo_legacy DEMO: the demo's legacy CRM (DEMO/legacy.db, made by
# `cutover demo init`) copied into the test server's new database legacy
# (tests/fixtures/crm-legacy-pg.sql); the names with invalid UTF-8, which
# PostgreSQL refuses, are fixed first, in legacy.db too. Fails when the legacy
# schema does not load.
pg_demo_legacy() {
  local demo=$1 fix=$CUTOVER_SOURCE_DIR/tests/fixtures id t loaded
  for id in $(jq -r '.tenants[].invalid_utf8_names[]' "$demo/planted.json"); do
    sqlite3 "$demo/legacy.db" "UPDATE contacts SET last_name = 'Fixed' WHERE id = $id"
  done
  pgsql postgres -c "CREATE DATABASE legacy" && sed '/@after-load/,$d' "$fix/crm-legacy-pg.sql" | pgsql legacy -f -
  loaded=$?
  for t in accounts teams contacts campaigns events; do
    sqlite3 -batch -csv -nullvalue '\N' "$demo/legacy.db" "SELECT * FROM $t" >"$demo/$t.csv"
    pgsql legacy -c "\\copy $t FROM '$demo/$t.csv' WITH (FORMAT csv, NULL '\\N')" || fail "copy $t into PostgreSQL"
    rm -f "$demo/$t.csv"
  done
  sed -n '/@after-load/,$p' "$fix/crm-legacy-pg.sql" | pgsql legacy -f -
  return "$loaded"
}

# pg_demo_project OUT: the demo's mapping for the PostgreSQL legacy CRM
# (crm-pg-source.yaml) with what each entity follows and the capture of the
# legacy tables: a zero-downtime cutover from PostgreSQL.
pg_demo_project() {
  sed -e '/^  - name: teams$/a\    follows: { teams: { id: id } }' \
      -e '/^  - name: companies$/a\    follows: { contacts: {} }' \
      -e '/^  - name: contacts$/a\    follows: { contacts: { id: id } }' \
      -e '/^  - name: contact_teams$/a\    follows: { contacts: { contact_id: id } }' \
      -e '/^  - name: contact_tags$/a\    follows: { contacts: { contact_id: id } }' \
      -e '/^  - name: campaigns$/a\    follows: { campaigns: { id: id } }' \
      -e '/^  - name: engagements$/a\    follows: { events: { id: id } }' \
      "$CUTOVER_SOURCE_DIR/tests/fixtures/crm-pg-source.yaml" >"$1"
  cat >>"$1" <<'YAML'

capture:
  - { table: teams, key: id, tenant: "{row}.account_id" }
  - { table: contacts, key: id, tenant: "{row}.account_id" }
  - { table: campaigns, key: id, tenant: "{row}.account_id" }
  - { table: events, key: id, tenant: "(SELECT account_id FROM campaigns WHERE id = {row}.campaign_id)" }
YAML
}

pg_main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
  start)
    pg_start || exit 1
    printf 'PG_DIR=%q; PG_PORT=%q; PG_USER=%q; PG_PASSWORD=%q; PG_URI=%q\n' \
      "$PG_DIR" "$PG_PORT" "$PG_USER" "$PG_PASSWORD" "$PG_URI"
    ;;
  stop)
    pg_stop "${1:?pg.sh stop DIR}"
    ;;
  run)
    [[ $# -gt 0 ]] || { echo "pg.sh run CMD [ARGS...]" >&2; exit 2; }
    if [[ -n ${CUTOVER_TEST_PG:-} ]]; then
      exec "$@"
    fi
    pg_start || exit 1
    trap 'pg_stop "$PG_DIR"' EXIT
    trap 'exit 130' INT TERM
    CUTOVER_TEST_PG=$PG_URI "$@"
    exit $?
    ;;
  *)
    echo "usage: pg.sh start | stop DIR | run CMD [ARGS...]" >&2
    exit 2
    ;;
  esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -uo pipefail
  pg_main "$@"
fi
