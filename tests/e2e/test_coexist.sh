# test_coexist.sh: coexistence (docs/coexistence.md) on the demo under
# `cutover demo traffic`, with a SQLite source and target, then with a
# PostgreSQL source and target: migrate --coexist leaves the tenant syncing
# (nothing frozen, route old); `sync --follow` keeps the target equal to the
# source while the application writes, with the lag under the bound; reads
# move 10 -> 50 -> 100 and a share is refused once the lag passes the bound;
# sync prunes the applied changes from the change log, which shrinks while
# every change captured is applied once; `sync --follow` killed (SIGKILL) at
# 10 distinct seeded points (commits, and the fault point inside the prune)
# under traffic and run again loses nothing and applies nothing twice
# (verify passes, and the changes applied are exactly the changes captured);
# recover-journal rebuilds a syncing tenant as syncing, and sync goes on
# from its mark; `run --cohort --coexist` leaves a cohort syncing; a rollback of a syncing
# tenant takes its reads back, removes its capture and purges its rows;
# `worker --coexist` leaves the tenants it claims syncing and keeps them in
# sync.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

SEED=${COEXIST_SEED:-19}
KILLS=${COEXIST_KILLS:-10} # seeded SIGKILLs of sync --follow per engine (distinct points)
BOUND=$((5 * ${CUTOVER_TEST_SLOWDOWN:-1})) # options.reads_max_lag_seconds (a round takes seconds on a loaded machine)
RANDOM=$SEED

# with_bound IN OUT: the project IN with options.reads_max_lag_seconds BOUND
# and, instead of the demo's parity questions (which see the rows the mapping
# rejects or merges), two that the traffic does not touch, so that a parity
# run agrees while the application writes.
with_bound() {
  sed -e "s/^options:/options:\n  reads_max_lag_seconds: $BOUND/" -e '/^parity:/,/^events:/{/^events:/!d}' \
    "$1" >"$2"
  cat >>"$2" <<'YAML'

parity:
  queries:
    - name: teams
      old: SELECT id, name, language FROM teams WHERE account_id = :tenant
      new: SELECT id, name, language FROM teams WHERE account_id = :tenant
    - name: campaigns
      old: SELECT id, subject, sent_at FROM campaigns WHERE account_id = :tenant ORDER BY sent_at, id
      new: SELECT id, subject, sent_at FROM campaigns WHERE account_id = :tenant ORDER BY sent_at, id
YAML
}

# scenario ENGINE TENANT: every check of the header against CUT (cutover's
# arguments for the project and its connections), src_q and tgt_q (one value from
# the source or target), TRAFFIC (demo traffic's connection arguments).
scenario() {
  local engine=$1 t=$2 traffic sync code total captured before applied k at base pruned left
  run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist --json
  assert_eq "$engine: migrate --coexist leaves the tenant syncing" "0 syncing true" \
    "$CODE $(jq -r '.tenants[0].status, .tenants[0].verified' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
  [[ $CODE -eq 0 ]] || echo "$ERR" | tail -5
  before=$(jq '.tenants[0].changes_applied' <<<"$OUT")
  # From here on a trigger of the test's own counts every change the capture
  # records for the tenant: what sync prunes from the change log still counts.
  base=$(src_q "SELECT count(*) FROM cutover_changes WHERE tenant = '$t'")
  src_count_changes "$t"
  run_cutover "${CUT[@]}" route "$t" --json
  assert_eq "$engine: writes and reads still old, share 0, a lag known" "old old old 0 true" \
    "$(jq -r '[.route, .writes, .reads, .read_share, (.lag_seconds != null)] | map(tostring) | join(" ")' <<<"$OUT")"
  assert_eq "$engine: nothing frozen: the tenant's source rows take writes" 0 \
    "$(src_write "$t"; echo $?)"
  run_cutover "${CUT[@]}" status --json
  assert_eq "$engine: status shows it syncing with its read share" "syncing 0" \
    "$(jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | "\(.state) \(.sync.read_share)"' <<<"$OUT")"
  run_cutover "${CUT[@]}" report --tenant "$t" -o -
  assert_contains "$engine: the report shows it syncing" "Syncing (both systems live): 0% of its reads" "$OUT"
  run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist --json
  assert_eq "$engine: a syncing tenant is skipped by the next migrate" "0 skipped" \
    "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"

  # The application writes while sync --follow runs; reads move as the lag allows.
  "$CUTOVER" demo traffic "$DEMO" "${TRAFFIC[@]}" --tenant "$t" --rate 200 \
    --seconds $((4 * ${CUTOVER_TEST_SLOWDOWN:-1})) --json >"$WORK/traffic.json" 2>"$WORK/traffic.err" &
  traffic=$!
  "$CUTOVER" "${CUT[@]}" sync --tenant "$t" --follow --interval 0.2 --json >"$WORK/sync.jsonl" 2>"$WORK/sync.err" &
  sync=$!
  # the lag falls under the bound once sync has caught up with the backlog
  for ((k = 0; k < 60; k++)); do
    [[ $(jq -s 'map(select(.lag_seconds < 1)) | length' "$WORK/sync.jsonl" 2>/dev/null) -gt 0 ]] && break
    sleep 0.5
  done
  assert_eq "$engine: under traffic, sync --follow brings the lag under a second" true \
    "$( ((k < 60)) && echo true || echo false)"
  # A read share above 0 needs a passing parity run first (the lag is under the bound).
  run_cutover "${CUT[@]}" route "$t" --reads 10
  assert_eq "$engine: without a parity run, a read share is refused (13)" 13 "$CODE"
  assert_contains "$engine: saying so" "has no parity run" "$ERR"
  run_cutover "${CUT[@]}" parity --tenant "$t"
  assert_eq "$engine: the parity run passes" 0 "$CODE"
  for share in 10 50; do
    run_cutover "${CUT[@]}" route "$t" --reads "$share"
    assert_eq "$engine: under traffic, reads $share% new (lag under ${BOUND}s)" 0 "$CODE"
    [[ $CODE -eq 0 ]] || echo "$ERR"
    run_cutover "${CUT[@]}" route "$t" --json
    assert_eq "$engine: route says reads split at $share%" "old split $share" \
      "$(jq -r '"\(.writes) \(.reads) \(.read_share)"' <<<"$OUT")"
    sleep 0.7
  done
  run_cutover "${CUT[@]}" routes
  assert_contains "$engine: routes lists it old with its reads" "syncing: reads 50% new, lag" \
    "$(grep -E "^$t " <<<"$OUT")"
  wait "$traffic"
  sleep 1
  run_cutover "${CUT[@]}" route "$t" --reads 100
  assert_eq "$engine: after the traffic, reads 100% new" 0 "$CODE"
  kill -TERM "$sync"; wait "$sync"; code=$?
  assert_eq "$engine: sync --follow stops on SIGTERM (143)" 143 "$code"
  local lag
  lag=$(jq -s 'map(.lag_seconds) | max' "$WORK/sync.jsonl")
  assert_eq "$engine: every round's lag under the bound (max ${lag}s)" true \
    "$(awk "BEGIN { print ($lag < $BOUND) ? \"true\" : \"false\" }")"
  assert_eq "$engine: the last round left no backlog" 0 "$(jq -s 'last.backlog' "$WORK/sync.jsonl")"
  # The change log shrinks as sync goes: every applied change is pruned (the
  # newest row of the whole log stays), and each was captured once.
  pruned=$(jq -s 'map(.pruned) | add' "$WORK/sync.jsonl")
  left=$(src_q "SELECT count(*) FROM cutover_changes WHERE tenant = '$t'")
  assert_eq "$engine: sync pruned the applied changes from the change log ($pruned deleted, $left left)" \
    "true true" "$( ((pruned > 500)) && echo true || echo false) $( ((left <= 1)) && echo true || echo false)"
  assert_eq "$engine: what was pruned and what is left are every change captured" \
    "$((base + $(src_q "SELECT n FROM test_counted")))" "$((pruned + left))"
  run_cutover "${CUT[@]}" verify --tenant "$t" -q
  assert_eq "$engine: the target equals the source after the traffic (verify)" 0 "$CODE"
  [[ $CODE -eq 0 ]] || echo "$OUT" | head -20
  run_cutover "${CUT[@]}" status --json
  assert_eq "$engine: a verification does not move a syncing tenant; status has its share and backlog" \
    "syncing 100 0 true" \
    "$(jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | "\(.state) \(.sync.read_share) \(.sync.backlog) \(.sync.lag_seconds != null)"' <<<"$OUT")"
  # Without sync the lag grows past the bound: a share above 0 is refused, 0
  # never (the clock moved past the bound rather than waited for).
  CUTOVER_NOW=$(date -u -d "+$((BOUND + 2)) seconds" +%Y-%m-%dT%H:%M:%SZ) \
    run_cutover "${CUT[@]}" route "$t" --reads 60
  assert_eq "$engine: a lag over the bound refuses a read share (13)" 13 "$CODE"
  assert_contains "$engine: and says why" "options.reads_max_lag_seconds" "$ERR"
  assert_eq "$engine: the share stays as it was" 100 \
    "$("$CUTOVER" "${CUT[@]}" route "$t" --json | jq .read_share)"
  run_cutover "${CUT[@]}" route "$t" --reads 0
  assert_eq "$engine: --reads 0 takes every read back at once" "0 old" \
    "$CODE $("$CUTOVER" "${CUT[@]}" route "$t" --json | jq -r .reads)"

  # SIGKILL of sync --follow at KILLS distinct seeded points, under traffic:
  # the sync-pruned fault point (a batch of applied changes deleted from the
  # change log, the round not journaled) and commit numbers 1 to 16 drawn
  # from the seed.
  "$CUTOVER" demo traffic "$DEMO" "${TRAFFIC[@]}" --tenant "$t" --rate 200 \
    --seconds 60 --json >"$WORK/traffic2.json" 2>>"$WORK/traffic.err" &
  traffic=$!
  local killed=0 point points
  # (the prune last: a round that applies changes prunes once 2,000 wait)
  points=($(shuf -i 1-16 -n $((KILLS - 1)) --random-source=<(yes "$SEED")) sync-pruned)
  for point in "${points[@]}"; do
    # (in braces, so that the shell's "Killed" note goes to /dev/null too)
    if [[ $point == sync-pruned ]]; then
      { (CUTOVER_KILL_AT_POINT=$point timeout 30 "$CUTOVER" "${CUT[@]}" sync --tenant "$t" --follow \
        --interval 0.1 -q >/dev/null 2>"$WORK/killed.err"); } 2>/dev/null
    else
      { (CUTOVER_KILL_AT_COMMIT=$point timeout 30 "$CUTOVER" "${CUT[@]}" sync --tenant "$t" --follow \
        --interval 0.1 -q >/dev/null 2>"$WORK/killed.err"); } 2>/dev/null
    fi
    code=$?
    [[ $code -eq 137 ]] && killed=$((killed + 1))
    [[ $code -eq 137 ]] || echo "$engine: sync killed at $point ended with $code: $(tail -2 "$WORK/killed.err")"
  done
  kill -TERM "$traffic" 2>/dev/null
  wait "$traffic"
  assert_eq "$engine: sync --follow was killed at each of $KILLS distinct seeded points (${points[*]})" \
    "$KILLS $KILLS" "$killed $(printf '%s\n' "${points[@]}" | sort -u | wc -l)"
  run_cutover "${CUT[@]}" sync --tenant "$t" --once --json
  assert_eq "$engine: sync again after the kills" 0 "$CODE"
  total=$(jq '.total_applied' <<<"$OUT")
  captured=$((base + $(src_q "SELECT n FROM test_counted")))
  assert_eq "$engine: every captured change applied once: $before by migrate + $total by sync" \
    "$captured" "$((before + total))"
  run_cutover "${CUT[@]}" sync --tenant "$t" --once -q # idle: it prunes whatever waits
  assert_eq "$engine: and pruned from the change log by an idle round (at most the log's newest row left)" true \
    "$( (($(src_q "SELECT count(*) FROM cutover_changes WHERE tenant = '$t'") <= 1)) && echo true || echo false)"
  run_cutover "${CUT[@]}" verify --tenant "$t" -q
  assert_eq "$engine: after the kills the target equals the source (verify)" 0 "$CODE"
  [[ $CODE -eq 0 ]] || echo "$OUT" | head -20

  # The journal lost: recover-journal rebuilds the tenant as syncing from the
  # traces (its capture on the source, its sync mark on the target); sync,
  # parity, reads and the rollback below go on with the rebuilt journal.
  local rebuilt=sqlite:$WORK/$engine-rebuilt.db
  run_cutover "${CUT[@]}" --state "$rebuilt" recover-journal --json
  assert_eq "$engine: recover-journal rebuilds the syncing tenant as syncing, route old" \
    "0 syncing old true true" \
    "$CODE $(jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | "\(.state) \(.route) \(.captured) \(.on_target)"' <<<"$OUT")"
  CUT+=(--state "$rebuilt")
  assert_eq "$engine: the rebuilt journal says syncing, reads old" "syncing old 0" \
    "$("$CUTOVER" "${CUT[@]}" status --json | jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | .state') $("$CUTOVER" "${CUT[@]}" route "$t" --json | jq -r '"\(.reads) \(.read_share)"')"
  captured=$(src_q "SELECT n FROM test_counted")
  src_write "$t"
  run_cutover "${CUT[@]}" sync --tenant "$t" --once --json
  assert_eq "$engine: sync goes on from the target's mark: each change after the loss applied once" \
    "0 $(($(src_q "SELECT n FROM test_counted") - captured)) $((total + $(jq .applied <<<"$OUT")))" \
    "$CODE $(jq .applied <<<"$OUT") $(jq .total_applied <<<"$OUT")"
  run_cutover "${CUT[@]}" parity --tenant "$t" -q
  assert_eq "$engine: parity passes under the rebuilt journal" 0 "$CODE"

  # Rollback of a syncing tenant: reads back at once, capture gone, rows purged.
  run_cutover "${CUT[@]}" sync --tenant "$t" --once
  run_cutover "${CUT[@]}" route "$t" --reads 50
  assert_eq "$engine: reads 50% before the rollback" 0 "$CODE"
  run_cutover "${CUT[@]}" rollback --tenant "$t" --json
  assert_eq "$engine: a syncing tenant rolls back" "0 false" "$CODE $(jq '.was_switched' <<<"$OUT")"
  assert_eq "$engine: its reads are back on the old system" "old old 0 null" \
    "$("$CUTOVER" "${CUT[@]}" route "$t" --json | jq -r '"\(.writes) \(.reads) \(.read_share) \(.lag_seconds)"')"
  assert_eq "$engine: the journal says rolled_back" rolled_back \
    "$("$CUTOVER" "${CUT[@]}" status --json | jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | .state')"
  assert_eq "$engine: nothing of it left in the target" 0 \
    "$(tgt_q "SELECT count(*) FROM contacts WHERE account_id = $t")"
  assert_eq "$engine: its capture is removed from the source" 0 \
    "$(src_q "SELECT count(*) FROM cutover_tenants WHERE tenant = '$t'" 2>/dev/null || echo 0)"
  assert_eq "$engine: and its sync mark from the target" 0 \
    "$(tgt_q "SELECT count(*) FROM cutover_sync_mark WHERE tenant = '$t'" 2>/dev/null || echo 0)"
  run_cutover "${CUT[@]}" sync --tenant "$t" --once
  assert_eq "$engine: a tenant no longer syncing is refused by sync (13)" 13 "$CODE"
}

# ---- SQLite source and target ----
DEMO=$WORK/demo
"$CUTOVER" demo init "$DEMO" --scale 0.002 --seed 21 -q
sqlite3 "$DEMO/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
with_bound "$DEMO/cutover.yaml" "$DEMO/coexist.yaml"
CUT=(-p "$DEMO/coexist.yaml")
TRAFFIC=()
src_q() { q "$DEMO/legacy.db" "$1"; }
tgt_q() { q "$DEMO/crm.db" "$1"; }
src_write() { sqlite3 "$DEMO/legacy.db" "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }
src_count_changes() {
  sqlite3 "$DEMO/legacy.db" "CREATE TABLE test_counted (n INTEGER NOT NULL); INSERT INTO test_counted VALUES (0);
    CREATE TRIGGER test_count AFTER INSERT ON cutover_changes WHEN new.tenant = '$1'
    BEGIN UPDATE test_counted SET n = n + 1; END;"
}
mapfile -t T < <(src_q "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")
run_cutover "${CUT[@]}" route "${T[1]}" --reads 10
assert_eq "SQLite: reads move only for a syncing tenant (13)" 13 "$CODE"
assert_contains "SQLite: naming its state" "is new: reads move gradually only for a syncing tenant" "$ERR"
run_cutover "${CUT[@]}" route "${T[1]}" --reads 101
assert_eq "SQLite: a share above 100 is a usage error" 2 "$CODE"
scenario SQLite "${T[0]}"

# worker --coexist moves every tenant it claims to syncing, then keeps them
# in sync: a write on the old system reaches the new one, until a signal.
WDEMO=$WORK/wdemo
qw() { sqlite3 -batch -noheader -cmd '.timeout 10000' "$1" "$2"; } # the worker writes meanwhile
"$CUTOVER" demo init "$WDEMO" --scale 0.001 --seed 5 -q
sqlite3 "$WDEMO/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
# run --cohort --coexist leaves the cohort's tenants syncing, as migrate --coexist does.
"$CUTOVER" -p "$WDEMO/cutover.yaml" audit -q >/dev/null && "$CUTOVER" -p "$WDEMO/cutover.yaml" plan -q >/dev/null
run_cutover -p "$WDEMO/cutover.yaml" run --cohort canary --coexist --skip-rehearsal --json
canary=$(jq -r '.tenants[0].tenant' <<<"$OUT")
assert_eq "run --cohort canary --coexist leaves its tenant syncing, verified" "0 1 syncing true" \
  "$CODE $(jq -r '.tenants | length, .[0].status, .[0].verified' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "and the journal says so, writes and reads old" "syncing old old" \
  "$(qw "$WDEMO/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$canary'") $("$CUTOVER" -p "$WDEMO/cutover.yaml" route "$canary" --json | jq -r '"\(.writes) \(.reads)"')"
"$CUTOVER" -p "$WDEMO/cutover.yaml" worker --coexist --skip-rehearsal --json >"$WORK/worker.jsonl" 2>"$WORK/worker.err" &
worker=$!
ntenants=$(qw "$WDEMO/legacy.db" "SELECT count(*) FROM accounts")
for ((k = 0; k < 120; k++)); do
  [[ $(qw "$WDEMO/.cutover/state.db" "SELECT count(*) FROM tenants WHERE state = 'syncing'" 2>/dev/null) == "$ntenants" ]] && break
  sleep 0.5
done
assert_eq "worker --coexist leaves every tenant it claims syncing" "$ntenants" \
  "$(qw "$WDEMO/.cutover/state.db" "SELECT count(*) FROM tenants WHERE state = 'syncing'")"
wid=$(qw "$WDEMO/legacy.db" "SELECT min(id) FROM contacts WHERE account_id = 1")
qw "$WDEMO/legacy.db" "UPDATE contacts SET title = 'Synced by the worker' WHERE id = $wid"
for ((k = 0; k < 120; k++)); do
  [[ $(qw "$WDEMO/crm.db" "SELECT title FROM contacts WHERE id = $wid") == "Synced by the worker" ]] && break
  sleep 0.5
done
assert_eq "and syncs them: a write on the old system reaches the new one" "Synced by the worker" \
  "$(qw "$WDEMO/crm.db" "SELECT title FROM contacts WHERE id = $wid")"
kill -INT "$worker"; wait "$worker"
assert_eq "the worker keeps syncing until a signal (SIGINT: 130)" 130 "$?"

# ---- PostgreSQL source and target ----
pg_test_server
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures
DEMO=$WORK/pgdemo
"$CUTOVER" demo init "$DEMO" --scale 0.002 --seed "$SEED" -q
pg_demo_legacy "$DEMO"
pgsql legacy -c "ALTER TABLE events ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY" \
  -c "SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events))" >/dev/null
pgsql postgres -c "CREATE DATABASE crm" && pgsql crm -f "$FIX/crm-target-pg.sql" >/dev/null
pg_demo_project "$DEMO/pg.yaml"
with_bound "$DEMO/pg.yaml" "$DEMO/coexist.yaml"
CUT=(-p "$DEMO/coexist.yaml" --source "$PG_BASE/legacy" --target "$PG_BASE/crm")
TRAFFIC=(--source "$PG_BASE/legacy")
src_q() { pgsql legacy -c "$1"; }
tgt_q() { pgsql crm -c "$1"; }
src_write() { pgsql legacy -c "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }
src_count_changes() {
  pgsql legacy -c "CREATE TABLE test_counted (n bigint NOT NULL); INSERT INTO test_counted VALUES (0)" \
    -c "CREATE FUNCTION test_count() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN UPDATE test_counted SET n = n + 1; RETURN NULL; END\$\$" \
    -c "CREATE TRIGGER test_count AFTER INSERT ON cutover_changes FOR EACH ROW WHEN (new.tenant = '$1') EXECUTE FUNCTION test_count()" >/dev/null
}
mapfile -t T < <(src_q "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")
scenario PostgreSQL "${T[0]}"

finish
