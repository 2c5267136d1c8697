#!/usr/bin/env bash
# mysql.sh: a throwaway MariaDB server for tests. mariadb-install-db into a
# temporary directory, a free port on 127.0.0.1 and a socket in that
# directory, a user cutover with a random password (real authentication, so
# that tests can check the password is never shown), small settings (and
# MY_SERVER_ARGS, words added to the server's options); stopped and removed
# at the end. The server reads and writes files (LOAD DATA
# INFILE, SELECT ... INTO OUTFILE) only in MY_DIR/files, and keeps its
# temporary files in MY_DIR/tmp.
#
# As root (CI) the server runs with --user=root; otherwise as ourselves.
#
# Executed:
#   mysql.sh start            starts a server; prints shell assignments to eval:
#                             MY_DIR, MY_PORT, MY_SOCKET, MY_USER, MY_PASSWORD, MY_URI
#   mysql.sh stop DIR         stops the server of DIR and removes DIR
#   mysql.sh run CMD ARGS...  starts a server, runs CMD with CUTOVER_TEST_MYSQL
#                             set to its URI, stops it; exits with CMD's status.
#                             With CUTOVER_TEST_MYSQL already set, just runs CMD.
# Sourced: my_start (sets the same variables), my_stop (stops MY_DIR's
# server); for scenario tests (after lib.sh), my_test_server and mysqlc.
# `make deps` installs the server (Debian: mariadb-server).

my_bin() {
  local name
  for name in "$@"; do
    if command -v "$name" >/dev/null; then command -v "$name"; return 0; fi
    if [[ -x /usr/sbin/$name ]]; then echo "/usr/sbin/$name"; return 0; fi
  done
  echo "mysql.sh: no $1 (run make deps: mariadb-server)" >&2
  return 1
}

# A TCP port on 127.0.0.1 that nothing listens on.
my_free_port() {
  local i p
  for i in $(seq 1 100); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "mysql.sh: no free port found" >&2
  return 1
}

my_start() {
  local install server client dir port attempt i user=()
  install=$(my_bin mariadb-install-db mysql_install_db) || return 1
  server=$(my_bin mariadbd mysqld) || return 1
  client=$(my_bin mariadb mysql) || return 1
  [[ $(id -u) -eq 0 ]] && user=(--user=root)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/cutover-my.XXXXXX") || return 1
  chmod 700 "$dir"
  MY_DIR=$dir
  MY_SOCKET=$dir/mysqld.sock
  mkdir -p "$dir/files" "$dir/tmp"
  MY_USER=cutover
  MY_PASSWORD="pw$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')Zq"
  # The bootstrap server's temporary tables go in this server's own tmp directory:
  # in the shared /tmp, two tests bootstrapping at once once lost one
  # ("Could not remove temporary table ... Unknown table 'mysql.tmp_proxies_priv'").
  # A failed bootstrap is tried once more from an empty data directory.
  for attempt in 1 2; do
    if "$install" --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" "${user[@]}" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        >"$dir/install.log" 2>&1; then
      break
    fi
    echo "mysql.sh: mariadb-install-db failed (attempt $attempt):" >&2
    cat "$dir/install.log" >&2
    if [[ $attempt -eq 2 ]]; then
      rm -rf "$dir"
      return 1
    fi
    rm -rf "$dir/data" "$dir/tmp" && mkdir -p "$dir/tmp"
  done
  for attempt in 1 2 3 4 5; do
    port=$(my_free_port) || break
    "$server" --no-defaults --datadir="$dir/data" "${user[@]}" --socket="$MY_SOCKET" \
      --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
      --log-error="$dir/server.log" --secure-file-priv="$dir/files" --tmpdir="$dir/tmp" \
      --skip-name-resolve --innodb-buffer-pool-size=32M \
      --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 --skip-log-bin \
      --max-connections=30 --performance-schema=OFF ${MY_SERVER_ARGS:-} >/dev/null 2>&1 &
    for i in $(seq 1 300); do
      [[ -S $MY_SOCKET ]] && "$client" --no-defaults -uroot --socket="$MY_SOCKET" \
        -e 'SELECT 1' >/dev/null 2>&1 && break
      kill -0 $! 2>/dev/null || break
      sleep 0.1
    done
    if "$client" --no-defaults -uroot --socket="$MY_SOCKET" -e 'SELECT 1' >/dev/null 2>&1; then
      MY_PORT=$port
      "$client" --no-defaults -uroot --socket="$MY_SOCKET" -e "
        CREATE USER '$MY_USER'@'localhost' IDENTIFIED BY '$MY_PASSWORD';
        CREATE USER '$MY_USER'@'127.0.0.1' IDENTIFIED BY '$MY_PASSWORD';
        GRANT ALL ON *.* TO '$MY_USER'@'localhost' WITH GRANT OPTION;
        GRANT ALL ON *.* TO '$MY_USER'@'127.0.0.1' WITH GRANT OPTION;
        CREATE DATABASE cutover;" || { my_stop "$dir"; return 1; }
      MY_URI="mysql://$MY_USER:$MY_PASSWORD@127.0.0.1:$MY_PORT/cutover"
      return 0
    fi
    grep -q "Address already in use\|Can't start server" "$dir/server.log" 2>/dev/null || break
  done
  echo "mysql.sh: the server did not start:" >&2
  cat "$dir/server.log" >&2 2>/dev/null
  my_stop "$dir"
  return 1
}

# my_stop [DIR]: stops the server of DIR (default MY_DIR) and removes DIR.
my_stop() {
  local dir=${1:-${MY_DIR:-}} pid i
  [[ -n $dir && -d $dir ]] || return 0
  if [[ -f $dir/mysqld.pid ]]; then
    pid=$(cat "$dir/mysqld.pid")
    kill "$pid" 2>/dev/null
    for i in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
  [[ ${MY_DIR:-} == "$dir" ]] && MY_DIR=""
  return 0
}

# my_test_server: starts a server for a scenario test that sourced lib.sh, or
# fails the test and exits; at exit stops it and removes $WORK. Sets MY_BASE,
# MY_URI without its database: $MY_BASE/DB names a database of the server.
my_test_server() {
  if ! my_start; then
    fail "a MariaDB server starts (make deps installs it)"
    finish
    exit 1
  fi
  trap 'my_stop; rm -rf "$WORK"' EXIT
  MY_BASE=${MY_URI%/cutover}
}

# mysqlc DB [mariadb args...]: the mariadb client on a database of the test
# server, as root over the socket; tab-separated values without headers.
mysqlc() {
  local db=$1
  shift
  mariadb --no-defaults -uroot --socket="$MY_SOCKET" -N -B "$db" "$@"
}

my_main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
  start)
    my_start || exit 1
    printf 'MY_DIR=%q; MY_PORT=%q; MY_SOCKET=%q; MY_USER=%q; MY_PASSWORD=%q; MY_URI=%q\n' \
      "$MY_DIR" "$MY_PORT" "$MY_SOCKET" "$MY_USER" "$MY_PASSWORD" "$MY_URI"
    ;;
  stop)
    my_stop "${1:?mysql.sh stop DIR}"
    ;;
  run)
    [[ $# -gt 0 ]] || { echo "mysql.sh run CMD [ARGS...]" >&2; exit 2; }
    if [[ -n ${CUTOVER_TEST_MYSQL:-} ]]; then
      exec "$@"
    fi
    my_start || exit 1
    trap 'my_stop "$MY_DIR"' EXIT
    trap 'exit 130' INT TERM
    CUTOVER_TEST_MYSQL=$MY_URI CUTOVER_TEST_MYSQL_SOCKET=$MY_SOCKET "$@"
    exit $?
    ;;
  *)
    echo "usage: mysql.sh start | stop DIR | run CMD [ARGS...]" >&2
    exit 2
    ;;
  esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -uo pipefail
  my_main "$@"
fi
