# test_pg_workers.sh: three workers share one plan through a journal in
# PostgreSQL; one is killed (SIGKILL) in the middle of a tenant. Its claim
# expires and another worker resumes that tenant: every tenant ends switched
# and verified, and none was moved twice.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"
pg_journal_demo 0.01 17
sqlite3 "$demo/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
worker() { exec "$CUTOVER" -p "$proj" --state "$journal" worker --skip-rehearsal --lease 3 --name "$1" -q; }

# Processes that start together on an empty database create the journal
# once: none fails on the catalog race of CREATE TABLE (SQLSTATE 23505).
pgsql postgres -c "CREATE DATABASE fresh"
pids=()
for i in 1 2 3 4 5 6; do
  "$CUTOVER" -p "$proj" --state "$PG_BASE/fresh" status --json >"$WORK/fresh.$i" 2>&1 & pids+=($!)
done
codes=""
for p in "${pids[@]}"; do wait "$p"; codes+="$? "; done
assert_eq "six processes open one new journal at once" "0 0 0 0 0 0 " "$codes"

run_cutover -p "$proj" --state "$journal" status --json
tenants=$(jq '.tenants | length' <<<"$OUT")
worker w1 & w1=$!
worker w2 & w2=$!
# w3 dies as soon as it has claimed a tenant and started on it.
worker w3 & w3=$!
for _ in $(seq 1 600); do # up to 30 s: a loaded CI machine starts w3 late
  claimed=$(psql -X -q -A -t "$journal" -c "SELECT tenant FROM claims WHERE worker = 'w3' AND status = 'running'" 2>/dev/null || true)
  [[ -n $claimed ]] && break
  sleep 0.05
done
kill -9 "$w3" 2>/dev/null
wait "$w3" 2>/dev/null
assert_eq "w3 had claimed a tenant when it was killed" true "$([[ -n $claimed ]] && echo true || echo false)"
wait "$w1"; r1=$?
wait "$w2"; r2=$?
# A tenant whose claim expired after the others finished: one more worker picks it up.
sleep 3.5
(worker w4); r4=$?
assert_eq "the surviving workers finish" "0 0 0" "$r1 $r2 $r4"
run_cutover -p "$proj" --state "$journal" status --json
assert_eq "every tenant switched" "$tenants" "$(jq '[.tenants[] | select(.state == "switched")] | length' <<<"$OUT")"
assert_eq "the killed worker's tenant was resumed by another" 1 \
  "$(psql -X -q -A -t "$journal" -c "SELECT count(*) FROM claims WHERE tenant = '$claimed' AND status = 'done' AND worker <> 'w3'")"
assert_eq "no tenant was moved twice" "" \
  "$(psql -X -q -A -t "$journal" -c "SELECT tenant FROM runs WHERE command = 'migrate' AND status = 'done' GROUP BY tenant HAVING count(*) > 1")"
run_cutover -p "$proj" --state "$journal" verify --all
assert_eq "every tenant verifies" 0 "$CODE"
finish
