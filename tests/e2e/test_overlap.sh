# test_overlap.sh: extraction overlapped with loading (a reader thread,
# engine/reader.h) changes nothing but the time: the demo migrated with it
# and with CUTOVER_OVERLAP=0 gives the same target rows (checksums of every
# table), the same journal counts per tenant and entity, and the same
# rejects, into SQLite, into PostgreSQL, and from PostgreSQL.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures

demo_plain "$WORK/ref" 11
for d in off on pg-off pg-on frompg-off frompg-on; do cp -r "$WORK/ref" "$WORK/$d"; done

# migrate NAME OVERLAP [args...]: cutover migrate --all in $WORK/NAME.
migrate() { CUTOVER_OVERLAP=$2 migrate_all "$1" "$WORK/$1" "${@:3}"; }
# rejects DIR: every reject (entity, key, rule, row), sorted.
rejects() {
  cat "$1"/.cutover/rejects/*.jsonl | jq -c '{entity, key, rule, row}' | sort | md5sum
}
pg_sums() {
  local t
  for t in $DEMO_TABLES; do echo "$t $(pgsql "$1" -c "SELECT * FROM $t" | sort | md5sum)"; done
}
same() { # NAME OFF ON: the two runs agree
  assert_eq "$1: same journal counts per tenant and entity" "$(tenant_counts "$LOGS/$2.json")" "$(tenant_counts "$LOGS/$3.json")"
  assert_eq "$1: same rejects" "$(rejects "$WORK/$2")" "$(rejects "$WORK/$3")"
}

# SQLite -> SQLite
migrate off 0 && assert_eq "SQLite, without overlap: exit 0" 0 "$CODE"
migrate on 1 && assert_eq "SQLite, with overlap: exit 0" 0 "$CODE"
assert_eq "SQLite: rows were loaded" true "$(jq '[.tenants[].entities[].loaded] | add > 5000' "$LOGS/on.json")"
assert_eq "SQLite: some rows were refused" true "$(jq '[.tenants[].entities[].rejected] | add > 0' "$LOGS/on.json")"
same SQLite off on
assert_eq "SQLite: same target rows" "$(table_sums "$WORK/off/crm.db")" "$(table_sums "$WORK/on/crm.db")"

# SQLite -> PostgreSQL
for db in ov_off ov_on; do
  pgsql postgres -c "CREATE DATABASE $db" && pgsql "$db" -f "$FIX/crm-target-pg.sql" >/dev/null
done
migrate pg-off 0 --target "$PG_BASE/ov_off" && assert_eq "PostgreSQL, without overlap: exit 0" 0 "$CODE"
migrate pg-on 1 --target "$PG_BASE/ov_on" && assert_eq "PostgreSQL, with overlap: exit 0" 0 "$CODE"
same PostgreSQL pg-off pg-on
assert_eq "PostgreSQL: same target rows" "$(pg_sums ov_off)" "$(pg_sums ov_on)"

# PostgreSQL -> SQLite: the target loaded above is the source, its rows read on the thread.
for d in frompg-off frompg-on; do
  cat > "$WORK/$d/one.yaml" <<YAML
source: $PG_BASE/ov_off
target: sqlite:crm.db
tenants: SELECT DISTINCT account_id AS id, account_id::text AS name FROM engagements ORDER BY 1
entities:
  - name: engagements
    key: [id]
    tenant_column: account_id
    query: SELECT id, account_id, contact_id, campaign_id, kind, occurred_at FROM engagements WHERE account_id = :tenant
YAML
done
for v in off on; do
  (cd "$WORK/frompg-$v" && CUTOVER_OVERLAP=$([[ $v == on ]] && echo 1 || echo 0) \
    "$CUTOVER" -p one.yaml migrate --all --skip-rehearsal --no-verify --json) >"$LOGS/frompg-$v.json" 2>"$LOGS/frompg-$v.err"
  assert_eq "from PostgreSQL, overlap $v: exit 0" 0 "$?"
done
assert_eq "from PostgreSQL: same journal counts" "$(tenant_counts "$LOGS/frompg-off.json")" "$(tenant_counts "$LOGS/frompg-on.json")"
assert_eq "from PostgreSQL: same target rows" \
  "$(q "$WORK/frompg-off/crm.db" "SELECT * FROM engagements ORDER BY id" | md5sum)" \
  "$(q "$WORK/frompg-on/crm.db" "SELECT * FROM engagements ORDER BY id" | md5sum)"
assert_eq "from PostgreSQL: every engagement arrived" "$(pgsql ov_off -c "SELECT count(*) FROM engagements")" \
  "$(q "$WORK/frompg-on/crm.db" "SELECT count(*) FROM engagements")"
finish
