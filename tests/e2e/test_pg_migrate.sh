# test_pg_migrate.sh: the demo with PostgreSQL on either side, against a
# throwaway server (pg.sh). SQLite -> PostgreSQL loads what SQLite -> SQLite
# loads, entity by entity, and refuses the same rows for the same rules;
# PostgreSQL -> SQLite (the legacy tables copied into PostgreSQL) loads what
# SQLite -> SQLite loads. The server's password, given in a URI or in
# PGPASSWORD, appears in no output, log, reject file or journal.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
NOPW="postgresql://$PG_USER@127.0.0.1:$PG_PORT" # the same, the password left to PGPASSWORD
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures
# balanced FILE: every tenant's every entity has source_rows = loaded + merged + rejected.
balanced() {
  jq -e '[.tenants[].entities[] | select(.source_rows != .loaded + .merged + .rejected)] | length == 0' "$1" >/dev/null
}

# pg_one DB SQL: one value from a database of the test server.
pg_one() { pgsql "$1" -c "$2"; }
# loaded_counts FILE: "entity loaded" from a run's JSON.
loaded_counts() {
  local t
  for t in $DEMO_TABLES; do echo "$t $(entity_totals "$1" | awk -v t="$t" '$1 == t {print $3}')"; done
}
# ---- SQLite -> SQLite (the reference) and SQLite -> PostgreSQL ------------------

# The plain migration: the zero-downtime path (capture) is not what this tests.
demo_plain "$WORK/ref" 7
cp -r "$WORK/ref" "$WORK/topg"
cp -r "$WORK/ref" "$WORK/clean"   # for the PostgreSQL source, below

migrate_all ref "$WORK/ref"
assert_eq "SQLite -> SQLite exits 0" 0 "$CODE"

pgsql postgres -c "CREATE DATABASE crm" && pgsql crm -f "$FIX/crm-target-pg.sql"
assert_eq "the PostgreSQL target schema loads" 0 "$?"
(cd "$WORK/topg" && "$CUTOVER" check --target "$PG_BASE/crm") >"$LOGS/check-target.out" 2>&1
assert_eq "check with a PostgreSQL target exits 0" 0 "$?"
# A libpq key=value string works where a URI does; its password is masked.
(cd "$WORK/topg" && "$CUTOVER" check --target "host=127.0.0.1 port=$PG_PORT dbname=crm user=$PG_USER password=$PG_PASSWORD") \
  >"$LOGS/check-conninfo.out" 2>&1
assert_eq "check with a libpq key=value target exits 0" 0 "$?"
(cd "$WORK/topg" && "$CUTOVER" check --target "host=127.0.0.1 port=$PG_PORT dbname=nosuchdb user=$PG_USER password=$PG_PASSWORD") \
  >"$LOGS/check-conninfo-bad.out" 2>&1
assert_eq "a libpq key=value string to a missing database: the target fails (5)" 5 "$?"
assert_eq "the key=value string's password is never printed" 0 "$(grep -c -- "$PG_PASSWORD" "$LOGS/check-conninfo-bad.out")"
migrate_all topg "$WORK/topg" --target "$PG_BASE/crm"
assert_eq "SQLite -> PostgreSQL exits 0" 0 "$CODE"
[[ $CODE -eq 0 ]] || sed -n 1,20p "$LOGS/topg.err"
if balanced "$LOGS/topg.json"; then pass "SQLite -> PostgreSQL: source rows = loaded + rejected"; else fail "SQLite -> PostgreSQL: unbalanced counts"; fi
assert_eq "SQLite -> PostgreSQL: per entity, the counts of SQLite -> SQLite" \
  "$(entity_totals "$LOGS/ref.json")" "$(entity_totals "$LOGS/topg.json")"
assert_eq "the PostgreSQL tables hold what was loaded" "$(loaded_counts "$LOGS/topg.json")" "$(table_counts crm pg_one)"
assert_eq "the PostgreSQL tables hold what SQLite's hold" "$(table_counts "$WORK/ref/crm.db")" "$(table_counts crm pg_one)"
assert_eq "the same rows refused for the same rules" "$(reject_rules "$WORK/ref")" "$(reject_rules "$WORK/topg")"
reasons=$(cat "$WORK"/topg/.cutover/rejects/*.jsonl | jq -r 'select(.rule == "check") | .reason' | sort -u)
assert_contains "a CHECK reject names its constraint" "email_looks_like_an_address" "$reasons"
sqlstates=$(cat "$WORK"/topg/.cutover/rejects/*.jsonl | jq -r 'select(.rule == "check") | .sqlstate // empty' | sort -u)
[[ -z $sqlstates || $sqlstates == 23514 ]] && pass "CHECK rejects carry SQLSTATE 23514 (when recorded)" \
  || fail "CHECK rejects carry SQLSTATE [$sqlstates]"
sample=$(pgsql crm -c "SELECT custom FROM contacts WHERE custom IS NOT NULL ORDER BY id LIMIT 1")
[[ -n $sample ]] && jq -e . >/dev/null <<<"$sample" && pass "JSON text arrives intact" || fail "JSON text: [$sample]"

# The audit with a PostgreSQL target: the same sizes, duplicates and outliers as with a
# SQLite one (they come from the source), and it says that limits were not checked.
(cd "$WORK/ref" && "$CUTOVER" audit --json) >"$LOGS/ref-audit.json" 2>"$LOGS/ref-audit.err"
assert_eq "audit with a SQLite target exits 0" 0 "$?"
(cd "$WORK/topg" && "$CUTOVER" audit --json --target "$PG_BASE/crm") >"$LOGS/topg-audit.json" 2>"$LOGS/topg-audit.err"
assert_eq "audit with a PostgreSQL target exits 0" 0 "$?"
sizes='[.tenants[] | {tenant, rows, bytes, size_class, entity_rows, duplicate_rules, outlier_keys, fanouts}]'
assert_eq "audit: per tenant, rows, bytes, size class, duplicates and outliers whatever the target" \
  "$(jq -c "$sizes" "$LOGS/ref-audit.json")" "$(jq -c "$sizes" "$LOGS/topg-audit.json")"
assert_eq "audit: a PostgreSQL target's tenants are not empty" true \
  "$(jq '[.tenants[].rows] | all(. > 0)' "$LOGS/topg-audit.json")"
assert_eq "audit: with a PostgreSQL target, limits are marked not checked" "false" \
  "$(jq '[.tenants[].limits_checked] | unique | .[]' "$LOGS/topg-audit.json")"
(cd "$WORK/topg" && "$CUTOVER" audit --target "$PG_BASE/crm") >"$LOGS/topg-audit.txt" 2>/dev/null
assert_contains "audit: and the text says so" "limits not checked: the target is postgresql" \
  "$(cat "$LOGS/topg-audit.txt")"

# Verified in PostgreSQL: the hashes are computed by cutover (no SQL functions there).
(cd "$WORK/topg" && "$CUTOVER" verify --all --target "$PG_BASE/crm" --json) >"$LOGS/topg-verify.json" 2>"$LOGS/topg-verify.err"
assert_eq "verify of the PostgreSQL target passes" 0 "$?"
assert_eq "with zero findings" 0 "$(jq '[.verifications[].findings | length] | add' "$LOGS/topg-verify.json")"
pgsql crm -c "UPDATE engagements SET kind = 'click' WHERE id = (SELECT min(id) FROM engagements WHERE kind = 'open')"
(cd "$WORK/topg" && "$CUTOVER" verify --all --target "$PG_BASE/crm" --json) >"$LOGS/topg-verify2.json" 2>/dev/null
assert_eq "a changed row in PostgreSQL is found by key" "changed" \
  "$(jq -r "[.verifications[].findings[] | select(.check == \"content\")][0].kind" "$LOGS/topg-verify2.json")"

# Again into PostgreSQL: the tenants are already there, nothing doubles.
migrate_all topg-again "$WORK/topg" --target "$PG_BASE/crm" --again
assert_eq "--again into PostgreSQL exits 0" 0 "$CODE"
assert_eq "--again leaves the same rows" "$(table_counts "$WORK/ref/crm.db")" "$(table_counts crm pg_one)"

# ---- PostgreSQL -> SQLite ---------------------------------------------------------

# One tenant's events refer to 20 contacts that merge into others: verify
# sends those references to their survivors in PostgreSQL's SQL.
read -r planted_tenant planted_ids <<<"$(plant_duplicates "$WORK/clean" 20)"
assert_eq "20 duplicates planted" 20 "$(wc -w <<<"$planted_ids")"
# PostgreSQL text cannot hold the planted invalid UTF-8: pg_demo_legacy gives
# those names a valid spelling in the legacy copy both runs read.
pg_demo_legacy "$WORK/clean"
assert_eq "the PostgreSQL legacy schema loads" 0 "$?"
cp -r "$WORK/clean" "$WORK/frompg"
cp "$FIX/crm-pg-source.yaml" "$WORK/frompg/cutover.yaml"
migrate_all clean "$WORK/clean"
assert_eq "SQLite -> SQLite (clean names) exits 0" 0 "$CODE"

for t in accounts teams contacts campaigns events; do
  assert_eq "legacy $t copied" "$(q "$WORK/clean/legacy.db" "SELECT count(*) FROM $t")" \
    "$(pgsql legacy -c "SELECT count(*) FROM $t")"
done
assert_eq "NULL and '' survive the copy" \
  "$(q "$WORK/clean/legacy.db" "SELECT count(*) FROM contacts WHERE tags IS NULL") $(q "$WORK/clean/legacy.db" "SELECT count(*) FROM contacts WHERE tags = ''")" \
  "$(pgsql legacy -c "SELECT count(*) FROM contacts WHERE tags IS NULL") $(pgsql legacy -c "SELECT count(*) FROM contacts WHERE tags = ''")"

# The password from PGPASSWORD this time, not the URI.
(cd "$WORK/frompg" && PGPASSWORD=$PG_PASSWORD "$CUTOVER" check --source "$NOPW/legacy") \
  >"$LOGS/check.out" 2>"$LOGS/check.err"
assert_eq "check with a PostgreSQL source exits 0" 0 "$?"
export PGPASSWORD=$PG_PASSWORD
migrate_all frompg "$WORK/frompg" --source "$NOPW/legacy"
unset PGPASSWORD
assert_eq "PostgreSQL -> SQLite exits 0" 0 "$CODE"
[[ $CODE -eq 0 ]] || sed -n 1,20p "$LOGS/frompg.err"
if balanced "$LOGS/frompg.json"; then pass "PostgreSQL -> SQLite: source rows = loaded + rejected"; else fail "PostgreSQL -> SQLite: unbalanced counts"; fi
assert_eq "PostgreSQL -> SQLite: per entity, the counts of SQLite -> SQLite" \
  "$(entity_totals "$LOGS/clean.json")" "$(entity_totals "$LOGS/frompg.json")"
assert_eq "PostgreSQL -> SQLite: the same target rows" \
  "$(table_counts "$WORK/clean/crm.db")" "$(table_counts "$WORK/frompg/crm.db")"
assert_eq "PostgreSQL -> SQLite: the same rows refused for the same rules" \
  "$(reject_rules "$WORK/clean")" "$(reject_rules "$WORK/frompg")"
assert_eq "the source was not written" "0" \
  "$(pgsql legacy -c "SELECT count(*) FROM pg_stat_user_tables WHERE n_tup_upd + n_tup_del > 0")"
# Verified from PostgreSQL; the references to the planted duplicates go to
# their survivors through an IN list of all (an array PostgreSQL hashes), then
# groups.
PGPASSWORD=$PG_PASSWORD verify_planted frompg "$WORK/frompg" "$NOPW/legacy" '"contact_id"' \
  "$planted_tenant" $planted_ids

# ---- PostgreSQL -> PostgreSQL ------------------------------------------------------

pgsql postgres -c "CREATE DATABASE crm2" && pgsql crm2 -f "$FIX/crm-target-pg.sql"
cp -r "$WORK/clean" "$WORK/pgpg" && rm -rf "$WORK/pgpg/.cutover"
cp "$FIX/crm-pg-source.yaml" "$WORK/pgpg/cutover.yaml"
migrate_all pgpg "$WORK/pgpg" --source "$PG_BASE/legacy" --target "$PG_BASE/crm2"
assert_eq "PostgreSQL -> PostgreSQL exits 0" 0 "$CODE"
[[ $CODE -eq 0 ]] || sed -n 1,20p "$LOGS/pgpg.err"
assert_eq "PostgreSQL -> PostgreSQL: per entity, the counts of SQLite -> SQLite" \
  "$(entity_totals "$LOGS/clean.json")" "$(entity_totals "$LOGS/pgpg.json")"
assert_eq "PostgreSQL -> PostgreSQL: the same target rows" \
  "$(table_counts "$WORK/clean/crm.db")" "$(table_counts crm2 pg_one)"

# ---- the password never shows --------------------------------------------------------

(cd "$WORK/topg" && "$CUTOVER" status --target "$PG_BASE/crm") >"$LOGS/status.out" 2>&1
(cd "$WORK/topg" && "$CUTOVER" check --target "postgresql://$PG_USER:Wr0ngPassw0rd@127.0.0.1:$PG_PORT/crm") \
  >"$LOGS/wrong.out" 2>"$LOGS/wrong.err"
code=$?
[[ $code -ne 0 ]] && pass "a wrong password fails the check" || fail "a wrong password passed the check"
assert_contains "the failure names the side" "target" "$(cat "$LOGS/wrong.err" "$LOGS/wrong.out")"
if grep -rqa -- "Wr0ngPassw0rd" "$WORK"; then fail "the wrong password shows: $(grep -rla -- Wr0ngPassw0rd "$WORK")"; else pass "the wrong password shows nowhere"; fi
leaks=$(grep -rla -- "$PG_PASSWORD" "$WORK")
assert_eq "the password is in no output, log, reject file or journal" "" "$leaks"
finish
