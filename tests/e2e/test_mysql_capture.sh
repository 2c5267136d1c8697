# test_mysql_capture.sh: zero-downtime cutovers with MariaDB on either side,
# on throwaway MariaDB and PostgreSQL servers (mysql.sh, pg.sh). The demo's
# legacy CRM goes into MariaDB with `cutover demo init --source`; then, for
# MariaDB -> SQLite, MariaDB -> PostgreSQL, MariaDB -> MariaDB and SQLite ->
# MariaDB, one tenant is rehearsed and cut over with capture while `cutover
# demo traffic` writes to it: every event the application inserted is in the
# switched target, the freeze refused the rest naming the tenant, verify
# finds nothing; after the switch the new system changes a contact and
# records an event, and a rollback carries both back into the source and
# leaves no object of cutover there (no trigger, no cutover_capture_*
# database, no table).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mysql.sh"
source "$(dirname "$0")/pg.sh"

if ! my_start; then
  fail "a MariaDB server starts (make deps installs it)"
  finish
  exit 1
fi
if ! pg_start; then
  my_stop
  fail "a PostgreSQL server starts (make deps installs it)"
  finish
  exit 1
fi
trap 'my_stop; pg_stop; rm -rf "$WORK"' EXIT
MY_BASE=${MY_URI%/cutover}
NOPW="mysql://$MY_USER@127.0.0.1:$MY_PORT" # the password from MYSQL_PWD
PG_BASE=${PG_URI%/postgres}
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures

# cut ARGS...: cutover with the MariaDB password in MYSQL_PWD (cutover.yaml
# holds none); mysqlc, the root client, must not see it.
cut() { MYSQL_PWD=$MY_PASSWORD "$CUTOVER" "$@"; }

# ---- the demo's legacy CRM in MariaDB ------------------------------------------------

mysqlc mysql -e "CREATE DATABASE legacy CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
cut demo init "$WORK/my" --scale 0.001 --seed 11 --source "$MY_BASE/legacy" >"$LOGS/init.out" 2>&1
assert_eq "demo init --source puts the legacy CRM into MariaDB" 0 "$?"
for t in accounts teams contacts campaigns events; do
  assert_eq "legacy $t in MariaDB" "$(q "$WORK/my/legacy.db" "SELECT count(*) FROM $t")" \
    "$(mysqlc legacy -e "SELECT count(*) FROM $t")"
done
assert_eq "cutover.yaml reads the MariaDB database, without the password" \
  "source:  $NOPW/legacy" "$(grep '^source:' "$WORK/my/cutover.yaml")"
cut demo init "$WORK/again" --scale 0.001 --source "$MY_BASE/legacy" >/dev/null 2>"$LOGS/again.err"
[[ $? -ne 0 ]] && pass "demo init refuses a database that holds the legacy tables" ||
  fail "demo init loaded over existing legacy tables"
assert_contains "and says which" "already has a table accounts" "$(cat "$LOGS/again.err")"
# A tenant with every kind of row; each scenario moves it and rolls it back.
T=$(mysqlc legacy -e "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id
                      GROUP BY 1 ORDER BY count(*), 1 LIMIT 1")

# ---- one cutover under traffic, its verification, its rollback -------------------------

# tq KIND DB SQL: one value from a target of KIND (sqlite: DB a file).
tq() {
  case $1 in
  sqlite) q "$2" "$3" ;;
  mysql) mysqlc "$2" -e "$3" ;;
  pg) pgsql "$2" -c "$3" ;;
  esac
}

# scenario NAME DIR SRC_KIND SRC TARGET_KIND TARGET_DB [migrate args...]:
# SRC is the source's database (a file for sqlite), TARGET_DB the target's.
scenario() {
  local name=$1 dir=$2 skind=$3 src=$4 tkind=$5 tdb=$6
  shift 6
  local traffic=() pre=$LOGS/$name
  [[ $skind == mysql ]] && traffic=(--source "$MY_BASE/$src")
  (cd "$dir" && cut "$@" rehearse --tenant "$T" --json) >"$pre-rehearse.json" 2>"$pre-rehearse.err"
  assert_eq "$name: the tenant is rehearsed" 0 "$?"
  (cd "$dir" && cut "${traffic[@]}" demo traffic . --tenant "$T" --rate 40 \
    --seconds $((9 * ${CUTOVER_TEST_SLOWDOWN:-1})) --json) \
    >"$pre-traffic.json" 2>"$pre-traffic.err" &
  local writing=$!
  sleep 1
  (cd "$dir" && cut "$@" migrate --tenant "$T" --json) >"$pre-migrate.json" 2>"$pre-migrate.err"
  local code=$?
  wait "$writing"
  assert_eq "$name: cut over with capture while the application writes" "0 switched" \
    "$code $(jq -r '.tenants[0].status' "$pre-migrate.json" 2>/dev/null)"
  [[ $code -eq 0 ]] || grep -v ' rows in ' "$pre-migrate.err" | head -n 5
  local first last inserted refused
  read -r first last inserted refused < <(jq -r '"\(.first_event) \(.last_event) \(.inserted) \(.refused)"' "$pre-traffic.json")
  [[ ${inserted:-0} -gt 0 && ${refused:-0} -gt 0 ]] &&
    pass "$name: the application wrote ($inserted events) until the freeze refused it ($refused writes)" ||
    fail "$name: traffic inserted ${inserted:-?} events, ${refused:-?} refused: $(head -c 300 "$pre-traffic.err")"
  # (an event of a contact the target refused is refused too, with its reason)
  local landed refused_rows
  landed=$(tq "$tkind" "$tdb" "SELECT count(*) FROM engagements WHERE id BETWEEN $first AND $last")
  refused_rows=$(cat "$dir"/.cutover/rejects/*.jsonl 2>/dev/null |
    jq -r "select(.entity == \"engagements\" and .key[0] >= $first and .key[0] <= $last) | .key[0]" | sort -u | wc -l)
  assert_eq "$name: every event it inserted is in the switched target or refused with a reason" \
    "$inserted" "$((landed + refused_rows))"
  assert_eq "$name: changes were caught up" true \
    "$(jq -r '.tenants[0].changes_applied > 0' "$pre-migrate.json")"
  (cd "$dir" && cut "$@" verify --tenant "$T" --json) >"$pre-verify.json" 2>"$pre-verify.err"
  assert_eq "$name: verify finds nothing" "0 0" \
    "$? $(jq '[.verifications[].findings | length] | add' "$pre-verify.json")"

  # The new system's writes after the switch, then the rollback.
  local contact
  contact=$(tq "$tkind" "$tdb" "SELECT min(id) FROM contacts WHERE account_id = $T")
  tq "$tkind" "$tdb" "UPDATE contacts SET title = 'Set in the new CRM' WHERE id = $contact"
  tq "$tkind" "$tdb" "INSERT INTO engagements (id, account_id, contact_id, campaign_id, kind, occurred_at)
    SELECT 900000001, $T, $contact, min(id), 'click', '2026-12-01T00:00:00Z' FROM campaigns WHERE account_id = $T"
  (cd "$dir" && cut "$@" rollback --tenant "$T" --json) >"$pre-rollback.json" 2>"$pre-rollback.err"
  assert_eq "$name: the rollback after the switch exits 0" "0 true" \
    "$? $(jq -r '.was_switched' "$pre-rollback.json")"
  [[ $(jq -r '.carried_back' "$pre-rollback.json") -gt 0 ]] && pass "$name: rows carried back" ||
    fail "$name: nothing carried back: $(head -c 300 "$pre-rollback.err")"
  local sq=(q "$src")
  [[ $skind == mysql ]] && sq=(mysqlc "$src" -e)
  assert_eq "$name: the contact changed in the new CRM is changed in the source" "Set in the new CRM" \
    "$("${sq[@]}" "SELECT title FROM contacts WHERE id = $contact")"
  assert_eq "$name: the event recorded in the new CRM is in the source" "click" \
    "$("${sq[@]}" "SELECT kind FROM events WHERE id = 900000001")"
  assert_eq "$name: and nothing of the tenant is left in the target" 0 \
    "$(tq "$tkind" "$tdb" "SELECT count(*) FROM engagements WHERE account_id = $T")"
  "${sq[@]}" "DELETE FROM events WHERE id = 900000001"
  if [[ $skind == mysql ]]; then
    assert_eq "$name: no trigger and no change log of cutover stay in MariaDB" "0 0" \
      "$(mysqlc legacy -e "SELECT concat((SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_NAME LIKE 'cutover%'),
        ' ', (SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'cutover_capture%'))")"
  else
    assert_eq "$name: no trigger and no table of cutover stay in the source" 0 \
      "$(q "$src" "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'cutover%'")"
  fi
}

# MariaDB -> SQLite: the demo's directory as demo init left it.
cp -r "$WORK/my" "$WORK/tosqlite"
scenario "MariaDB -> SQLite" "$WORK/tosqlite" mysql legacy sqlite "$WORK/tosqlite/crm.db"

# MariaDB -> PostgreSQL
pgsql postgres -c "CREATE DATABASE crm" && pgsql crm -f "$FIX/crm-target-pg.sql" >/dev/null
cp -r "$WORK/my" "$WORK/topg"
scenario "MariaDB -> PostgreSQL" "$WORK/topg" mysql legacy pg crm --target "$PG_BASE/crm"

# MariaDB -> MariaDB
mysqlc mysql -e "CREATE DATABASE crm" && mysqlc crm <"$FIX/crm-target-mysql.sql"
cp -r "$WORK/my" "$WORK/tomy"
scenario "MariaDB -> MariaDB" "$WORK/tomy" mysql legacy mysql crm --target "$MY_BASE/crm"

# SQLite -> MariaDB: the demo's own SQLite legacy CRM, its default mapping;
# in WAL mode, so that the application writes while cutover reads.
"$CUTOVER" demo init "$WORK/fromsqlite" --scale 0.001 --seed 11 >/dev/null 2>&1
q "$WORK/fromsqlite/legacy.db" "PRAGMA journal_mode = WAL" >/dev/null
mysqlc mysql -e "CREATE DATABASE crm2" && mysqlc crm2 <"$FIX/crm-target-mysql.sql"
scenario "SQLite -> MariaDB" "$WORK/fromsqlite" sqlite "$WORK/fromsqlite/legacy.db" mysql crm2 \
  --target "$MY_BASE/crm2"

leaks=$(grep -rla -- "$MY_PASSWORD" "$WORK")
assert_eq "the MariaDB password is in no output, log, reject file or journal" "" "$leaks"
finish
