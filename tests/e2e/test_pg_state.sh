# test_pg_state.sh: the journal (state store) on PostgreSQL. The demo is
# rehearsed, cut over (capture, catch-up, freeze, verify, switch), audited and
# planned, verified, rolled back and re-run with its journal in a PostgreSQL
# database: the same outcomes as with the SQLite journal; an older journal
# there gets the schema steps it has not had.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"
pg_journal_demo 0.002 13
run() { run_cutover -p "$proj" --state "$journal" "$@"; }

run rehearse --all -q
assert_eq "rehearse with the journal on PostgreSQL" 0 "$CODE"
run migrate --all --json
assert_eq "cutover of every tenant" 0 "$CODE"
tenants=$(jq '.tenants | length' <<<"$OUT")
assert_eq "every tenant switched" "$tenants" "$(jq '[.tenants[] | select(.status == "switched")] | length' <<<"$OUT")"
assert_eq "no .cutover/state.db was made" false "$([[ -e $demo/.cutover/state.db ]] && echo true || echo false)"
journal_runs=$(psql -X -q -A -t "$journal" -c "SELECT count(*) FROM runs WHERE command = 'migrate'")
assert_eq "the runs are in PostgreSQL" "$tenants" "$journal_runs"
run status --json
assert_eq "status reads it" "$tenants" "$(jq '[.tenants[] | select(.state == "switched")] | length' <<<"$OUT")"
t=$(jq -r '.tenants[0].tenant' <<<"$OUT")
run verify --all
assert_eq "verify passes" 0 "$CODE"
run routes --json
assert_eq "routes from PostgreSQL" "$tenants" "$(jq '[.routes[] | select(.route == "new")] | length' <<<"$OUT")"
run rollback --tenant "$t" --json
assert_eq "rollback" 0 "$CODE"
assert_eq "route old" old "$("$CUTOVER" -p "$proj" --state "$journal" route "$t")"
run audit -q
assert_eq "audit records to PostgreSQL" 0 "$CODE"
run plan --json
assert_eq "plan from PostgreSQL" 0 "$CODE"
assert_eq "the plan holds the rolled-back tenant, not the switched ones" "[\"$t\"]" \
  "$(jq -c '[.cohorts[].tenants[].tenant]' <<<"$OUT")"
run schedule "$t" --at "2026-12-24 08:00"
assert_eq "schedule" 0 "$CODE"
# A paused cohort is not claimed by workers sharing this journal; resumed, it is.
run pause --cohort canary --reason "waiting for the customer"
assert_eq "pause the canary" 0 "$CODE"
assert_eq "the pause is in PostgreSQL" "waiting for the customer" \
  "$(psql -X -q -A -t "$journal" -c 'SELECT reason FROM paused_cohorts WHERE cohort = 0')"
run worker --name w1 --skip-rehearsal
assert_eq "a worker finds nothing to claim" "0 worker w1: 0 tenants done, 0 failed; nothing left to claim" "$CODE $OUT"
run resume --cohort canary
assert_eq "resume the canary" 0 "$(psql -X -q -A -t "$journal" -c 'SELECT count(*) FROM paused_cohorts')"
run migrate --tenant "$t" --skip-rehearsal
assert_eq "and it moves again" 0 "$CODE"
# The report and the dashboard's data from the PostgreSQL journal.
run report -o "$WORK/report.html"
assert_eq "report from PostgreSQL" 0 "$CODE"
html=$(cat "$WORK/report.html")
assert_contains "the report shows the tenant" "id=\"tenant-$t\"" "$html"
assert_contains "with the plan's canary" "canary" "$html"
assert_eq "self-contained: nothing fetched" 0 "$(grep -cE '(src|href)="https?://' "$WORK/report.html")"
assert_eq "the lease is given back" 0 "$(psql -X -q -A -t "$journal" -c 'SELECT count(*) FROM leases')"
# A journal made before its schema's steps were recorded, and before sync
# rounds had a direction, gets both when opened, under the advisory lock.
steps() { psql -X -q -A -t "$journal" -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"; }
assert_eq "the PostgreSQL journal records its schema's steps" "1,2" "$(steps)"
psql -X -q "$journal" -c 'ALTER TABLE sync_rounds DROP COLUMN direction; DROP TABLE schema_migrations'
run status --json
assert_eq "an older journal on PostgreSQL opens, with its sync rounds' direction" "0 1 1,2" \
  "$CODE $(psql -X -q -A -t "$journal" -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'sync_rounds' AND column_name = 'direction'") $(steps)"
finish
