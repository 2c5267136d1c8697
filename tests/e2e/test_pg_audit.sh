# test_pg_audit.sh: `cutover audit` and `cutover plan` on a PostgreSQL source
# (the demo's legacy CRM copied into a throwaway server, pg.sh) give the
# figures they give on the SQLite copy of the same data: the same tables and
# columns profiled with the same fill and distinct counts, zombies and
# unmapped columns, rows per tenant, the rows the target would refuse by
# entity and rule, duplicate clusters and size classes; and the same plan.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures

demo_plain "$WORK/lite" 11
# PostgreSQL text is valid UTF-8: the planted invalid names are fixed in both
# copies (pg_demo_legacy).
pg_demo_legacy "$WORK/lite"
assert_eq "the PostgreSQL legacy schema loads" 0 "$?"
cp -r "$WORK/lite" "$WORK/pg"
cp "$FIX/crm-pg-source.yaml" "$WORK/pg/cutover.yaml"

(cd "$WORK/lite" && "$CUTOVER" audit --json -q) >"$LOGS/lite.json" 2>"$LOGS/lite.err"
assert_eq "audit on the SQLite source exits 0" 0 "$?"
(cd "$WORK/pg" && "$CUTOVER" audit --json -q --source "$PG_BASE/legacy") >"$LOGS/pg.json" 2>"$LOGS/pg.err"
code=$?
assert_eq "audit on the PostgreSQL source exits 0" 0 "$code"
[[ $code -eq 0 ]] || sed -n 1,10p "$LOGS/pg.err"
assert_eq "no word of sqlite_schema" "" "$(grep -l sqlite_schema "$LOGS/pg.err")"

# same WHAT JQ: the jq filter gives the same text on both audits (and not nothing).
same() {
  local a b
  a=$(jq -c "$2" "$LOGS/lite.json")
  b=$(jq -c "$2" "$LOGS/pg.json")
  if [[ -z $a || $a == null || $a == '[]' ]]; then fail "$1: nothing to compare"; return; fi
  assert_eq "$1" "$a" "$b"
}
same "the same tables and columns profiled" '[.columns[] | "\(.table).\(.column)"]'
same "the same rows, filled and distinct values per column" \
  '[.columns[] | [.table, .column, .rows, .filled, .distinct]]'
same "the same zombie columns" '.zombies'
same "the same unmapped columns" '.unmapped'
same "the same rows per tenant" '[.tenants[] | [.tenant, .rows]]'
same "the same rows per tenant and entity" '[.tenants[] | [.tenant, .entity_rows]]'
same "the same refused rows by entity and rule" \
  '[.tenants[] | [.tenant, [.limits[] | [.entity, .rule, .rows]]]]'
same "the same duplicate clusters" '[.tenants[] | [.tenant, [.duplicate_rules[] | [.rule, .clusters]]]]'
same "the same size classes" '[.tenants[] | [.tenant, .size_class]]'
assert_eq "the refused rows are there to compare" true \
  "$(jq '[.tenants[].limits[]] | length > 0' "$LOGS/pg.json")"
assert_eq "the source was not written" "0" \
  "$(pgsql legacy -c "SELECT count(*) FROM pg_stat_user_tables WHERE n_tup_upd + n_tup_del > 0")"

(cd "$WORK/lite" && "$CUTOVER" plan --json -q) >"$LOGS/lite-plan.json" 2>&1
assert_eq "plan on the SQLite source exits 0" 0 "$?"
(cd "$WORK/pg" && "$CUTOVER" plan --json -q --source "$PG_BASE/legacy") >"$LOGS/pg-plan.json" 2>&1
assert_eq "plan on the PostgreSQL source exits 0" 0 "$?"
assert_eq "the same plan" "$(jq -c '.cohorts' "$LOGS/lite-plan.json")" "$(jq -c '.cohorts' "$LOGS/pg-plan.json")"
finish
