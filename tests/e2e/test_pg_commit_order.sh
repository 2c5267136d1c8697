# test_pg_commit_order.sh: on a PostgreSQL source, sequence order is not
# commit order, and the catch-up mark must not pass a change whose
# transaction is still open. Two sessions, interleaved deterministically:
# A updates an event of the tenant and keeps its transaction open (its
# changes take the lower sequence numbers); B updates another event and
# commits; catch-up runs; A commits only while the freeze's LOCK waits for it.
# The switched target must hold A's change: migrate exits 0, verify finds
# nothing. (Before the commit-safe mark, A's change fell below the mark and
# outside the in-freeze verification: the target kept the old value.)
# Then the PL/pgSQL freeze's heartbeat: a SIGKILL inside another tenant's
# freeze leaves its writes refused only until options.freeze_heartbeat_seconds.
# And capture's start and stop never deadlock with the application's writes:
# with a write in flight on events (its table lock held, its triggers not yet
# run), the last tenant's rollback (which drops the triggers) and a tenant's
# start (with the triggers there) both finish, and so does the write. (Before,
# cutover held a lock the write's trigger needed while it waited for the
# write: PostgreSQL broke the deadlock by failing one side, the rollback or
# migrate here, the customer's write in the chaos scenario.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.001 --seed 5 -q
pg_demo_legacy "$demo"
pgsql postgres -c "CREATE DATABASE crm" && pgsql crm -f "$FIX/crm-target-pg.sql" >/dev/null

proj=$demo/pg.yaml
pg_demo_project "$proj"
t=$(pgsql legacy -c "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
mapfile -t E < <(pgsql legacy -c "SELECT e.id FROM events e JOIN campaigns c ON c.id = e.campaign_id
                                   WHERE c.account_id = $t AND e.kind <> 'bounce' ORDER BY e.id LIMIT 2")
a_row=${E[0]} b_row=${E[1]}

# session NAME DB: a psql on DB held open (sql_session); `say NAME SQL` sends.
session() { sql_session "$1" psql -X -q -A -t -v ON_ERROR_STOP=1 "$PG_BASE/$2"; }
# await WHAT SQL-ON-DB DB: waits (up to 60 s) until the query answers t.
await() {
  local i
  for i in $(seq 1 600); do
    [[ $(pgsql "$3" -c "$2" 2>/dev/null) == t ]] && return 0
    sleep 0.1
  done
  fail "$1 (timed out)"
  return 1
}
migrate_waits_on_lock() {
  echo "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = '$1' AND wait_event_type = 'Lock'
                       AND application_name <> 'psql' AND query NOT LIKE '%pg_stat_activity%')"
}

# Tenants with campaigns and contacts: u moves and is rolled back, w is the
# application's, t2 (below) is killed in its freeze.
t2=$(pgsql legacy -c "SELECT account_id FROM contacts WHERE account_id <> $t GROUP BY 1 ORDER BY 1 LIMIT 1")
mapfile -t O < <(pgsql legacy -c "SELECT account_id FROM campaigns WHERE account_id NOT IN ($t, $t2)
                                   AND account_id IN (SELECT account_id FROM contacts) GROUP BY 1 ORDER BY 1")
u=${O[0]} w=${O[1]}
w_event="INSERT INTO events VALUES ((SELECT max(id) + 1 FROM events), (SELECT min(id) FROM campaigns WHERE account_id = $w),
         (SELECT min(id) FROM contacts WHERE account_id = $w), 'open', '2026-12-01T00:00:00Z')"
# in_flight NAME: session NAME holds events as a write in flight does.
in_flight() {
  session "$1" legacy
  say "$1" "BEGIN; LOCK TABLE events IN ROW EXCLUSIVE MODE; SELECT 'in flight';"
  await "a write is in flight on events" "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    JOIN pg_stat_activity a ON a.pid = l.pid WHERE c.relname = 'events' AND l.mode = 'RowExclusiveLock'
    AND l.granted AND a.application_name = 'psql')" legacy
}
# write_lands NAME: the write in flight goes on, commits; prints what it said.
write_lands() {
  local fd="fd_$1" i
  say "$1" "$w_event; COMMIT; SELECT 'committed';"
  eval "exec {$fd}>&-"
  for i in $(seq 1 300); do grep -qE 'committed|ERROR' "$WORK/$1.out" && break; sleep 0.1; done
  grep -oE 'committed|ERROR.*' "$WORK/$1.out" | head -n 1
}
run_cutover -p "$proj" --source "$PG_BASE/legacy" --target "$PG_BASE/crm" migrate --tenant "$u" --skip-rehearsal -q
assert_eq "tenant $u switched, the only one captured" 0 "$CODE"
in_flight W
"$CUTOVER" -p "$proj" --source "$PG_BASE/legacy" --target "$PG_BASE/crm" rollback --tenant "$u" -q \
  >/dev/null 2>"$WORK/rollback.err" &
rolling=$!
await "the rollback's capture stop waits for the write in flight" "$(migrate_waits_on_lock legacy)" legacy
assert_eq "the write in flight, its trigger run while the last tenant's capture stops, commits" committed \
  "$(write_lands W)"
wait "$rolling"
assert_eq "the rollback of the last tenant captured exits 0" "0 " "$? $(head -c 300 "$WORK/rollback.err")"
assert_eq "and leaves no trigger of cutover on the source" 0 \
  "$(pgsql legacy -c "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cutover%'")"

# L holds the target's teams table against writes: the copy, which starts
# after capture is on, waits there, so that A and B write while captured.
session L crm
say L "BEGIN; LOCK TABLE teams IN EXCLUSIVE MODE; SELECT 'locked';"
await "the target's teams table is locked" "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'teams' AND l.mode = 'ExclusiveLock' AND l.granted)" crm

"$CUTOVER" -p "$proj" --source "$PG_BASE/legacy" --target "$PG_BASE/crm" migrate --tenant "$t" \
  --skip-rehearsal --json >"$WORK/migrate.out" 2>"$WORK/migrate.err" &
migrating=$!
await "capture is on for the tenant" "SELECT to_regclass('cutover_tenants') IS NOT NULL AND EXISTS (SELECT 1 FROM cutover_tenants WHERE tenant = '$t')" legacy
await "the copy waits for the target" "$(migrate_waits_on_lock crm)" crm

# A: the lower sequence numbers, transaction left open.
session A legacy
say A "BEGIN; UPDATE events SET kind = 'bounce' WHERE id = $a_row; SELECT 'updated';"
await "A's change is in the log, uncommitted" "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'cutover_changes' AND l.mode = 'RowExclusiveLock' AND l.granted)" legacy
# B: the higher ones, committed.
pgsql legacy -c "UPDATE events SET kind = 'bounce' WHERE id = $b_row"
# An update that keeps its row's key and tenant is one change (one sequence
# number): A took 1, B 2.
assert_eq "B's change is committed and captured, A's is not visible" "1" \
  "$(pgsql legacy -c "SELECT count(*) FROM cutover_changes WHERE tenant = '$t'")"
assert_eq "A took the lower sequence number" t \
  "$(pgsql legacy -c "SELECT min(seq) > 1 FROM cutover_changes WHERE tenant = '$t'")"

say L "COMMIT;"
# The copy, the catch-up and the verification before the freeze run; the
# freeze's LOCK then waits for A, which commits only now.
await "the freeze waits for A" "$(migrate_waits_on_lock legacy)" legacy
say A "COMMIT;"
wait "$migrating"
code=$?
eval "exec {fd_A}>&- {fd_L}>&-"

assert_eq "migrate exits 0 and switches the tenant" "0 switched" \
  "$code $(jq -r '.tenants[0].status' "$WORK/migrate.out" 2>/dev/null)"
[[ $code -eq 0 ]] || sed -n 1,10p "$WORK/migrate.err"
assert_eq "A's change, committed inside the freeze, is in the target" "bounce bounce" \
  "$(pgsql crm -c "SELECT (SELECT kind FROM engagements WHERE id = $a_row) || ' ' || (SELECT kind FROM engagements WHERE id = $b_row)")"
run_cutover -p "$proj" --source "$PG_BASE/legacy" --target "$PG_BASE/crm" verify --tenant "$t"
assert_eq "a later verify finds nothing" 0 "$CODE"
[[ $CODE -eq 0 ]] || echo "$OUT" | sed -n 1,10p

# SIGKILL inside the freeze of another tenant: the PL/pgSQL trigger refuses
# its writes only while the heartbeat is fresh (3 s here).
heartbeat_project "$proj" "$demo/pg-hb.yaml"
pgwrite() { pgsql legacy -c "UPDATE contacts SET title = '$2' WHERE account_id = $1" 2>&1 >/dev/null; }
killed_in_freeze "$demo" PostgreSQL pgwrite "$t2" "is frozen" \
  "$CUTOVER" -p "$demo/pg-hb.yaml" --source "$PG_BASE/legacy" --target "$PG_BASE/crm"
assert_eq "with the write made after the kill" "After the kill" \
  "$(pgsql crm -c "SELECT DISTINCT title FROM contacts WHERE account_id = $t2 AND title = 'After the kill'")"

# A tenant's capture starts (the tables and triggers there, t and t2 in
# flight) while a write is in flight on events: both go through.
in_flight W2
"$CUTOVER" -p "$demo/pg-hb.yaml" --source "$PG_BASE/legacy" --target "$PG_BASE/crm" migrate --tenant "$u" \
  --skip-rehearsal --json >"$WORK/migrate-u.out" 2>"$WORK/migrate-u.err" &
migrating=$!
await "capture starts for tenant $u, or waits for a lock" \
  "SELECT EXISTS (SELECT 1 FROM cutover_tenants WHERE tenant = '$u') OR $(migrate_waits_on_lock legacy | sed 's/^SELECT //')" legacy
assert_eq "the write in flight, its trigger run while a tenant's capture starts, commits" committed \
  "$(write_lands W2)"
wait "$migrating"
assert_eq "and the tenant switches" "0 switched" "$? $(jq -r '.tenants[0].status' "$WORK/migrate-u.out" 2>/dev/null)"
[[ -s $WORK/migrate-u.err ]] && head -n 3 "$WORK/migrate-u.err"
finish
