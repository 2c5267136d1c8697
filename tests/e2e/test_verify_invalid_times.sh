# test_verify_invalid_times.sh: a text time that starts with a date no
# calendar has ('2026-13-45', '2026-02-30', '2026-09-31', day 00) is an
# invalid_time finding of the volume check on a SQLite target as on a
# PostgreSQL and a MariaDB one, the same findings from the same rows:
# SQLite's strftime reads some of them as a month ('2026-02-30' as
# February) and others as none, PostgreSQL refuses them all, MariaDB's month
# was the text's first seven characters ('2026-13'). A leap day of a leap year, a time with
# an offset past midnight and text that is no date at all are no finding on
# either. With rows missing, both sides' months are counted: the SQLite
# source's times are named too (side "source").
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"
source "$(dirname "$0")/mysql.sh"

pg_test_server
my_test_server
trap 'my_stop; pg_stop; rm -rf "$WORK"' EXIT
export CUTOVER_NOW=2026-06-15T12:00:00Z # the volume window: 12 months back from June 2026
q "$WORK/legacy.db" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);
  INSERT INTO accounts VALUES (1, 'one'), (2, 'two');
  CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER, kind TEXT, at TEXT);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
  INSERT INTO events SELECT i, 1 + i % 2, 'k' || (i % 3),
    strftime('%Y-%m-%dT%H:%M:%SZ', 1735689600 + i * 11000, 'unixepoch') FROM n;
  INSERT INTO events VALUES (9001, 1, 'k0', '2026-13-45'), (9002, 2, 'k1', '2026-02-30'),
    (9003, 2, 'k1', '2026-02-30'), (9004, 1, 'k2', '2026-04-31 08:00:00'),
    (9005, 2, 'k0', '2026-06-00'), (9006, 1, 'k1', '2026-09-31'),
    (9007, 1, 'k0', '2028-02-29T10:00:00Z'), (9008, 2, 'k2', '2026-01-31T23:30:00-05:00'),
    (9009, 1, 'k1', 'garbage'), (9010, 2, 'k1', NULL);"
cat > "$WORK/cutover.yaml" <<'YAML'
source: sqlite:legacy.db
target: sqlite:new.db
tenants: SELECT id, name FROM accounts ORDER BY id
entities:
  - name: events
    key: id
    tenant_column: account_id
    query: SELECT id, account_id, kind, at FROM events WHERE account_id = :tenant
    volume: { by: [kind], time: at, months: 24, tolerance: 0 }
YAML
q "$WORK/new.db" "CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL,
  kind TEXT NOT NULL, at TEXT)"
pgsql postgres -c "CREATE DATABASE times" &&
  pgsql times -c "CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL,
    kind text NOT NULL, at text)"
assert_eq "the PostgreSQL target exists" 0 "$?"
mysqlc mysql -e "CREATE DATABASE times" &&
  mysqlc times -e "CREATE TABLE events (id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL,
    kind VARCHAR(20) NOT NULL, at VARCHAR(40))"
assert_eq "the MariaDB target exists" 0 "$?"
cv() { # ENGINE ARGS...: cutover on the SQLite target, the PostgreSQL or the MariaDB one
  local engine=$1; shift
  if [[ $engine == sqlite ]]; then
    run_cutover -p "$WORK/cutover.yaml" --state "sqlite:$WORK/state-sqlite.db" "$@"
  elif [[ $engine == mysql ]]; then
    run_cutover -p "$WORK/cutover.yaml" --state "sqlite:$WORK/state-mysql.db" --target "$MY_BASE/times" "$@"
  else
    run_cutover -p "$WORK/cutover.yaml" --state "sqlite:$WORK/state-pg.db" --target "$PG_BASE/times" "$@"
  fi
}
invalid() { jq -r '[.verifications[] | .tenant as $t | .findings[] | select(.kind == "invalid_time")
                   | "\($t) \(.key | tojson) \(.detail | tojson)"] | sort | join("; ")' <<<"$OUT"; }
volume_pass() { jq -r '[.verifications[].checks[] | select(.check == "volume")
                        | "\(.pass) \(.kinds.invalid_time // 0)"] | join(" ")' <<<"$OUT"; }
target_only='1 ["2026-04-31 08:00:00"] {"side":"target","table":"events","column":"at","value":"2026-04-31 08:00:00","rows":1}; 1 ["2026-09-31"] {"side":"target","table":"events","column":"at","value":"2026-09-31","rows":1}; 1 ["2026-13-45"] {"side":"target","table":"events","column":"at","value":"2026-13-45","rows":1}; 2 ["2026-02-30"] {"side":"target","table":"events","column":"at","value":"2026-02-30","rows":2}; 2 ["2026-06-00"] {"side":"target","table":"events","column":"at","value":"2026-06-00","rows":1}'

for engine in sqlite pg mysql; do
  cv "$engine" migrate --all --skip-rehearsal --no-verify -q
  assert_eq "$engine: loaded" 0 "$CODE"
  cv "$engine" verify --all --json
  assert_eq "$engine: times no calendar has: exit 12" 12 "$CODE"
  assert_eq "$engine: each named with its rows, no other" "$target_only" "$(invalid)"
  assert_eq "$engine: the volume check fails on them alone" "false 3 false 2" "$(volume_pass)"
  assert_eq "$engine: the content matches" "true true" \
    "$(jq -r '[.verifications[].checks[] | select(.check == "content") | .pass] | join(" ")' <<<"$OUT")"
done
assert_eq "no month of its own for the leap day and the offset: February and January" \
  "2026-02 2028-02" "$(q "$WORK/state-sqlite.db" "SELECT group_concat(month, ' ') FROM (SELECT DISTINCT
    month FROM volumes WHERE month IN ('2026-02', '2028-02') ORDER BY month)")"

# Rows missing from both targets: each side's months are counted, and the
# source's times no calendar has are named as the source's.
q "$WORK/new.db" "DELETE FROM events WHERE id IN (11, 9002)"
pgsql times -c "DELETE FROM events WHERE id IN (11, 9002)"
mysqlc times -e "DELETE FROM events WHERE id IN (11, 9002)"
for engine in sqlite pg mysql; do
  cv "$engine" verify --tenant 2 --json
  assert_eq "$engine: rows missing: exit 12" 12 "$CODE"
  eval "${engine}_invalid=\$(invalid)"
done
assert_contains "the source's named as the source's" \
  '2 ["2026-02-30"] {"side":"source","table":"events","column":"at","value":"2026-02-30","rows":2}' \
  "$sqlite_invalid"
assert_contains "the target's as the target's" \
  '2 ["2026-02-30"] {"side":"target","table":"events","column":"at","value":"2026-02-30","rows":1}' \
  "$sqlite_invalid"
assert_eq "the same findings from a SQLite and a PostgreSQL target" "$sqlite_invalid" "$pg_invalid"
assert_eq "... and a MariaDB one" "$sqlite_invalid" "$mysql_invalid"
finish
