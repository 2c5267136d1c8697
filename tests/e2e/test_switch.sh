# test_switch.sh: the switch of a syncing tenant's writes (cutover switch,
# docs/coexistence.md) on the demo under `cutover demo traffic`, with a
# SQLite source and target, then a PostgreSQL source and target: the tenant
# migrated with --coexist and kept in sync by `sync --follow` is switched
# while the application writes; every write the old system accepted is in
# the target (verify, and the last event), none twice (the counts), and the
# route sends writes and reads new. A failure inside the switch (the Nth
# store call failing, at points across a switch measured on a copy) leaves
# the tenant syncing, unfrozen and routed old; its switch then succeeds.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

# scenario ENGINE TENANT: CUT (cutover's arguments), src_q, tgt_q, TRAFFIC as
# in test_coexist.sh.
scenario() {
  local engine=$1 t=$2 traffic sync code
  run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist -q
  assert_eq "$engine: the tenant is syncing" 0 "$CODE"
  "$CUTOVER" demo traffic "$DEMO" "${TRAFFIC[@]}" --tenant "$t" --rate 200 --seconds 8 --json \
    >"$WORK/traffic.json" 2>"$WORK/traffic.err" &
  traffic=$!
  "$CUTOVER" "${CUT[@]}" sync --tenant "$t" --follow --interval 0.2 >/dev/null 2>"$WORK/sync.err" &
  sync=$!
  sleep 1.5
  run_cutover "${CUT[@]}" switch --tenant "$t" --json
  assert_eq "$engine: the switch under traffic succeeds" "0 true" \
    "$CODE $(jq -r '.tenants[0].switched' <<<"$OUT")"
  [[ $CODE -eq 0 ]] || echo "$ERR" | tail -5
  wait "$traffic"
  # sync --follow of the one tenant it was given ends by itself once that
  # tenant has switched, with success and a note (not an error per pass).
  for _ in $(seq 1 150); do kill -0 "$sync" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$sync" 2>/dev/null; then
    kill -TERM "$sync" 2>/dev/null; wait "$sync" 2>/dev/null
    code=running
  else
    wait "$sync"; code=$?
  fi
  assert_eq "$engine: sync --follow --tenant ends with success once its tenant has switched" \
    "0 1" "$code $(grep -c "tenant $t is switched now: nothing left to sync for it" "$WORK/sync.err")"
  [[ $code == 0 ]] || cat "$WORK/sync.err" | tail -5
  echo "$engine: switch $(jq -c '.tenants[0] | {changes_applied, freeze_seconds, seconds}' <<<"$OUT"); traffic $(jq -c . "$WORK/traffic.json" 2>/dev/null | head -c 300)"
  assert_eq "$engine: the old system took writes before the switch and refused them after" true \
    "$(jq '.inserted > 0 and .refused > 0' "$WORK/traffic.json")"
  run_cutover "${CUT[@]}" route "$t" --json
  assert_eq "$engine: writes and every read go to the new system" "new new new 100" \
    "$(jq -r '"\(.route) \(.writes) \(.reads) \(.read_share)"' <<<"$OUT")"
  assert_eq "$engine: the source refuses the tenant's writes" 1 "$(src_write "$t"; [[ $? -ne 0 ]] && echo 1 || echo 0)"
  run_cutover "${CUT[@]}" verify --tenant "$t" -q
  assert_eq "$engine: every write the old system accepted is in the target (verify)" 0 "$CODE"
  [[ $CODE -eq 0 ]] || echo "$OUT" | head -20
  assert_eq "$engine: the last event the old system accepted is in the target" \
    "$(src_q "SELECT max(e.id) FROM events e JOIN campaigns c ON c.id = e.campaign_id WHERE c.account_id = $t")" \
    "$(tgt_q "SELECT max(id) FROM engagements WHERE account_id = $t")"
  assert_eq "$engine: none twice: every accepted event is loaded once or rejected once" \
    "$(src_q "SELECT count(*) FROM events e JOIN campaigns c ON c.id = e.campaign_id WHERE c.account_id = $t")" \
    "$(( $(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t") + $(q "$DEMO/.cutover/state.db" "SELECT count(*) FROM rejects WHERE tenant = '$t' AND entity = 'engagements'") ))"
  assert_eq "$engine: the journal says switched" switched \
    "$("$CUTOVER" "${CUT[@]}" status --json | jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | .state')"
}

# ---- SQLite ----
DEMO=$WORK/demo
"$CUTOVER" demo init "$DEMO" --scale 0.002 --seed 23 -q >/dev/null
sqlite3 "$DEMO/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
CUT=(-p "$DEMO/cutover.yaml")
TRAFFIC=()
src_q() { q "$DEMO/legacy.db" "$1"; }
tgt_q() { q "$DEMO/crm.db" "$1"; }
src_write() { sqlite3 "$DEMO/legacy.db" "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }
mapfile -t T < <(src_q "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")

run_cutover "${CUT[@]}" switch --tenant "${T[1]}"
assert_eq "SQLite: only a syncing tenant is switched (13)" 13 "$CODE"
assert_contains "SQLite: saying its state" "tenant ${T[1]} is new" "$ERR"
scenario SQLite "${T[0]}"

# A failure inside the switch: the store calls of a whole switch, counted on
# a copy, then the Nth failing at points across it on the real one (the
# smallest tenant: each switch verifies it whole).
t=${T[-1]}
run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist -q
cp -r "$DEMO" "$WORK/copy"
CUTOVER_FAULT_CALLS=$WORK/calls "$CUTOVER" -p "$WORK/copy/cutover.yaml" switch --tenant "$t" -q >/dev/null
calls=$(cat "$WORK/calls")
failed_inside=0
for frac in 30 50 70 85 95; do
  n=$((calls * frac / 100))
  CUTOVER_FAIL_AT_CALL=$n "$CUTOVER" "${CUT[@]}" switch --tenant "$t" -q >/dev/null 2>"$WORK/fault.err"
  code=$?
  state=$(q "$DEMO/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$t'")
  if [[ $code -ne 0 ]]; then
    assert_eq "call $n of $calls fails: the tenant is syncing, unfrozen, routed old" "syncing 0 old" \
      "$state $(src_write "$t"; echo $?) $("$CUTOVER" "${CUT[@]}" route "$t" --json | jq -r .writes)"
    grep -q "stays syncing, unfrozen" "$WORK/fault.err" && failed_inside=$((failed_inside + 1))
  else
    assert_eq "call $n of $calls: the switch did not need it and finished" switched "$state"
    break
  fi
done
echo "switch of tenant $t: $calls store calls; $failed_inside faults inside the switch"
assert_eq "faults landed inside the switch" true "$([[ $failed_inside -ge 2 ]] && echo true || echo false)"
assert_eq "a failed switch was journaled as a failed run" true \
  "$([[ $(q "$DEMO/.cutover/state.db" "SELECT count(*) FROM runs WHERE tenant = '$t' AND command = 'switch' AND status = 'failed'") -ge 1 ]] && echo true || echo false)"
"$CUTOVER" "${CUT[@]}" sync --tenant "$t" --once -q 2>/dev/null
run_cutover "${CUT[@]}" switch --tenant "$t" -q
assert_eq "after the failures, the switch succeeds" "0 new" \
  "$CODE $("$CUTOVER" "${CUT[@]}" route "$t" --json | jq -r .writes)"
run_cutover "${CUT[@]}" verify --tenant "$t" -q
assert_eq "and nothing was lost on the way (verify)" 0 "$CODE"

# ---- PostgreSQL source and target ----
pg_test_server
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures
DEMO=$WORK/pgdemo
"$CUTOVER" demo init "$DEMO" --scale 0.002 --seed 29 -q >/dev/null
pg_demo_legacy "$DEMO"
pgsql legacy -c "ALTER TABLE events ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY" \
  -c "SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events))" >/dev/null
pgsql postgres -c "CREATE DATABASE crm" && pgsql crm -f "$FIX/crm-target-pg.sql" >/dev/null
pg_demo_project "$DEMO/pg.yaml"
CUT=(-p "$DEMO/pg.yaml" --source "$PG_BASE/legacy" --target "$PG_BASE/crm")
TRAFFIC=(--source "$PG_BASE/legacy")
src_q() { pgsql legacy -c "$1"; }
tgt_q() { pgsql crm -c "$1"; }
src_write() { pgsql legacy -c "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }
mapfile -t T < <(src_q "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")
scenario PostgreSQL "${T[0]}"
finish
