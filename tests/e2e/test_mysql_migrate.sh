# test_mysql_migrate.sh: the demo with MariaDB on either side, against a
# throwaway server (mysql.sh), on the plain path (no capture). SQLite ->
# MariaDB loads what SQLite -> SQLite loads, entity by entity, refuses the
# same rows for the same rules, and verifies with zero findings; MariaDB ->
# SQLite (the legacy tables copied into MariaDB) loads what SQLite -> SQLite
# loads with the same mapping and verifies with zero findings; with capture,
# every tenant is cut over (test_mysql_capture.sh under traffic). The server's password,
# given in a URI or in MYSQL_PWD, appears in no output, log, reject file or
# journal.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mysql.sh"

my_test_server
NOPW="mysql://$MY_USER@127.0.0.1:$MY_PORT" # the same, the password left to MYSQL_PWD
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures
# my_one DB SQL: one value from a database of the test server.
my_one() { mysqlc "$1" -e "$2"; }

# ---- SQLite -> SQLite (the reference) and SQLite -> MariaDB ---------------------

"$CUTOVER" demo init "$WORK/ref" --scale 0.002 --seed 7 >"$LOGS/demo.out" 2>&1
assert_eq "demo init" 0 "$?"
sed -n '/^capture:/,/^$/p' "$WORK/ref/cutover.yaml" >"$WORK/capture.yaml"
cp "$WORK/ref/crm.db" "$WORK/crm-empty.db"
sed -i '/^capture:/,$d' "$WORK/ref/cutover.yaml" # the plain migration
cp -r "$WORK/ref" "$WORK/tomy"
cp -r "$WORK/ref" "$WORK/clean" # for the MariaDB source, below

migrate_all ref "$WORK/ref"
assert_eq "SQLite -> SQLite exits 0" 0 "$CODE"

mysqlc mysql -e "CREATE DATABASE crm" && mysqlc crm <"$FIX/crm-target-mysql.sql"
assert_eq "the MariaDB target schema loads" 0 "$?"
migrate_all tomy "$WORK/tomy" --target "$MY_BASE/crm"
assert_eq "SQLite -> MariaDB exits 0" 0 "$CODE"
[[ $CODE -eq 0 ]] || sed -n 1,20p "$LOGS/tomy.err"
assert_eq "SQLite -> MariaDB: per entity, the counts of SQLite -> SQLite" \
  "$(entity_totals "$LOGS/ref.json")" "$(entity_totals "$LOGS/tomy.json")"
assert_eq "the MariaDB tables hold what SQLite's hold" "$(table_counts "$WORK/ref/crm.db")" "$(table_counts crm my_one)"
assert_eq "the same rows refused for the same rules" "$(reject_rules "$WORK/ref")" "$(reject_rules "$WORK/tomy")"
reasons=$(cat "$WORK"/tomy/.cutover/rejects/*.jsonl | jq -r 'select(.rule == "check") | .reason' | sort -u)
assert_contains "a CHECK reject names its constraint" "email_looks_like_an_address" "$reasons"
assert_contains "and the MySQL error number" "MySQL error 4025" "$reasons"
assert_eq "text arrives byte for byte" \
  "$(q "$WORK/ref/crm.db" "SELECT id || ' ' || hex(first_name || last_name || coalesce(custom, '')) FROM contacts ORDER BY id" | md5sum)" \
  "$(mysqlc crm -e "SELECT CONCAT(id, ' ', hex(CONCAT(first_name, last_name, coalesce(custom, '')))) FROM contacts ORDER BY id" | md5sum)"

(cd "$WORK/tomy" && "$CUTOVER" verify --all --target "$MY_BASE/crm" --json) >"$LOGS/tomy-verify.json" 2>"$LOGS/tomy-verify.err"
code=$?
assert_eq "verify of the MariaDB target passes" 0 "$code"
[[ $code -eq 0 ]] || tail -n 5 "$LOGS/tomy-verify.err"
assert_eq "with zero findings" 0 "$(jq '[.verifications[].findings | length] | add' "$LOGS/tomy-verify.json")"
mysqlc crm -e "UPDATE engagements SET kind = 'click' WHERE id = (SELECT id FROM (SELECT min(id) AS id FROM engagements WHERE kind = 'open') AS m)"
(cd "$WORK/tomy" && "$CUTOVER" verify --all --target "$MY_BASE/crm" --json) >"$LOGS/tomy-verify2.json" 2>/dev/null
assert_eq "a changed row in MariaDB is found by key" "changed" \
  "$(jq -r "[.verifications[].findings[] | select(.check == \"content\")][0].kind" "$LOGS/tomy-verify2.json")"

# ---- MariaDB -> SQLite -------------------------------------------------------------

# MariaDB's utf8mb4 text cannot hold the planted invalid UTF-8: give those
# names a valid spelling in the legacy copy both runs read. email_norm() is
# not installed in MySQL: both runs merge contacts on lower(trim(email)).
for id in $(jq -r '.tenants[].invalid_utf8_names[]' "$WORK/clean/planted.json"); do
  q "$WORK/clean/legacy.db" "UPDATE contacts SET last_name = 'Fixed' WHERE id = $id"
done
sed -i 's/on: email_norm(email)/on: lower(trim(email))/' "$WORK/clean/cutover.yaml"
# One tenant's events refer to 20 contacts that merge into others: verify
# sends those references to their survivors in MariaDB's SQL.
read -r planted_tenant planted_ids <<<"$(plant_duplicates "$WORK/clean" 20)"
assert_eq "20 duplicates planted" 20 "$(wc -w <<<"$planted_ids")"
cp -r "$WORK/clean" "$WORK/frommy"
cp "$FIX/crm-mysql-source.yaml" "$WORK/frommy/cutover.yaml"
migrate_all clean "$WORK/clean"
assert_eq "SQLite -> SQLite (clean names) exits 0" 0 "$CODE"

mysqlc mysql -e "CREATE DATABASE legacy CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin" &&
  sed '/^-- @after-load/,$d' "$CUTOVER_SOURCE_DIR/examples/crm/legacy-schema.sql" |
  sed 's/INTEGER/BIGINT/g' | mysqlc legacy
assert_eq "the MariaDB legacy schema loads" 0 "$?"
{
  echo "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES'; SET NAMES utf8mb4; START TRANSACTION;"
  for t in accounts teams contacts campaigns events; do
    sqlite3 "$WORK/clean/legacy.db" ".mode insert $t" "SELECT * FROM $t"
  done
  echo "COMMIT;"
} | mysqlc legacy
assert_eq "the legacy rows copy into MariaDB" 0 "$?"
for t in accounts teams contacts campaigns events; do
  assert_eq "legacy $t copied" "$(q "$WORK/clean/legacy.db" "SELECT count(*) FROM $t")" \
    "$(mysqlc legacy -e "SELECT count(*) FROM $t")"
done

# The password from MYSQL_PWD this time, not the URI.
export MYSQL_PWD=$MY_PASSWORD
migrate_all frommy "$WORK/frommy" --source "$NOPW/legacy"
assert_eq "MariaDB -> SQLite exits 0" 0 "$CODE"
[[ $CODE -eq 0 ]] || sed -n 1,20p "$LOGS/frommy.err"
assert_eq "MariaDB -> SQLite: per entity, the counts of SQLite -> SQLite" \
  "$(entity_totals "$LOGS/clean.json")" "$(entity_totals "$LOGS/frommy.json")"
assert_eq "MariaDB -> SQLite: the same target rows" \
  "$(table_counts "$WORK/clean/crm.db")" "$(table_counts "$WORK/frommy/crm.db")"
assert_eq "MariaDB -> SQLite: the same rows refused for the same rules" \
  "$(reject_rules "$WORK/clean")" "$(reject_rules "$WORK/frommy")"
# Verified from MariaDB; the references to the planted duplicates go to their
# survivors through a sorted IN list of all, then groups.
verify_planted frommy "$WORK/frommy" "$NOPW/legacy" '`contact_id`' "$planted_tenant" $planted_ids
unset MYSQL_PWD

# ---- capture on a MariaDB source: every tenant cut over -------------------------------

cp -r "$WORK/frommy" "$WORK/cap" && rm -rf "$WORK/cap/.cutover"
cp "$WORK/crm-empty.db" "$WORK/cap/crm.db"
cat "$WORK/capture.yaml" >>"$WORK/cap/cutover.yaml"
(cd "$WORK/cap" && "$CUTOVER" migrate --all --skip-rehearsal --source "$MY_BASE/legacy" --json) \
  >"$LOGS/cap.json" 2>"$LOGS/cap.err"
assert_eq "migrate with capture from MariaDB switches every tenant" "0 switched" \
  "$? $(jq -r '[.tenants[].status] | unique | join(",")' "$LOGS/cap.json")"
assert_eq "and loads what the plain migration loads" "$(table_counts "$WORK/frommy/crm.db")" \
  "$(table_counts "$WORK/cap/crm.db")"
assert_eq "its triggers are on the captured tables, beside none of the application's" 24 \
  "$(mysqlc legacy -e "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'legacy' AND TRIGGER_NAME LIKE 'cutover%'")"
assert_eq "its change log is in a database of its own" 1 \
  "$(mysqlc legacy -e "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'cutover_capture_legacy' AND TABLE_NAME = 'cutover_changes'")"

# ---- the password never shows --------------------------------------------------------

(cd "$WORK/tomy" && "$CUTOVER" check --target "mysql://$MY_USER:Wr0ngPassw0rd@127.0.0.1:$MY_PORT/crm") \
  >"$LOGS/wrong.out" 2>"$LOGS/wrong.err"
code=$?
[[ $code -ne 0 ]] && pass "a wrong password fails the check" || fail "a wrong password passed the check"
assert_contains "the failure names the side" "target" "$(cat "$LOGS/wrong.err" "$LOGS/wrong.out")"
if grep -rqa -- "Wr0ngPassw0rd" "$WORK"; then fail "the wrong password shows: $(grep -rla -- Wr0ngPassw0rd "$WORK")"; else pass "the wrong password shows nowhere"; fi
leaks=$(grep -rla -- "$MY_PASSWORD" "$WORK")
assert_eq "the password is in no output, log, reject file or journal" "" "$leaks"
finish
