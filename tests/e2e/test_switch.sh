# test_switch.sh: the switch of a syncing tenant's writes (cutover switch,
# docs/coexistence.md) on the demo under `cutover demo traffic`, with a
# SQLite source and target, then a PostgreSQL source and target: the tenant
# migrated with --coexist and kept in sync by `sync --follow` is switched
# while the application writes; every write the old system accepted is in
# the target (verify, and the last event), none twice (the counts), and the
# route sends writes and reads new. Then reverse sync: the new system's
# writes reach the old one within the lag (a contact it creates with its
# tenant and team), and a rollback carries nothing
# back yet leaves the source equal to the target. A failure inside the
# switch (the Nth store call failing, at points across a switch measured on
# a copy) leaves the tenant syncing, unfrozen and routed old; its switch then
# succeeds; a kill -9 inside a reverse batch loses and doubles nothing (on
# SQLite and PostgreSQL); a
# rollback without reverse capture carries back and says why. A rollback by
# reverse sync leaves the target's purge for later (purge_pending): sync,
# `cutover purge` (killed -9 between chunks and after the rows, and run
# again) and the next migrate finish it; the purge goes in chunks of
# options.purge_chunk_rows, the tenant frozen on the target until the last,
# a sync pass gives it --purge-seconds (at least a chunk) and the next pass
# goes on; recover-journal rebuilds a tenant whose purge waits as
# purge_pending. A reverse round counts each write of the new system once
# (an update is one change).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"
S=${CUTOVER_TEST_SLOWDOWN:-1}

# scenario ENGINE TENANT: CUT (cutover's arguments), src_q, tgt_q, TRAFFIC as
# in test_coexist.sh.
scenario() {
  local engine=$1 t=$2 traffic sync code
  run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist -q
  assert_eq "$engine: the tenant is syncing" 0 "$CODE"
  # The traffic outlasts the switch, whose freeze must refuse some of it:
  # under the sanitizers (S = 4) a quarter of the rate for 48 s rather than 8
  # (a switch took 33 s there on a loaded machine).
  "$CUTOVER" demo traffic "$DEMO" "${TRAFFIC[@]}" --tenant "$t" --rate $((200 / S)) \
    --seconds $((S > 1 ? 12 * S : 8)) --json >"$WORK/traffic.json" 2>"$WORK/traffic.err" &
  traffic=$!
  "$CUTOVER" "${CUT[@]}" sync --tenant "$t" --follow --interval 0.2 >"$WORK/sync.out" 2>"$WORK/sync.err" &
  sync=$!
  sleep 1.5
  run_cutover "${CUT[@]}" switch --tenant "$t" --json
  assert_eq "$engine: the switch under traffic succeeds" "0 true" \
    "$CODE $(jq -r '.tenants[0].switched' <<<"$OUT")"
  [[ $CODE -eq 0 ]] || echo "$ERR" | tail -5
  wait "$traffic"
  assert_contains "$engine: the switch names the entities it does not sync back" \
    "not synced back to the old system: teams, companies" "$ERR"
  assert_eq "$engine: the switch starts reverse sync" true "$(jq -r '.tenants[0].reverse_sync' <<<"$OUT")"
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
  reverse_sync "$engine" "$t"
}

# reverse_sync ENGINE TENANT: after the switch, the same `sync --follow`
# goes on in reverse: the new system's writes (an update, an insert, a
# delete) appear in the old one within the lag; a rollback freezes the new
# system, applies its last writes and carries nothing back, and leaves the
# source equal to the target for the tenant; then sync --follow ends.
reverse_sync() {
  local engine=$1 t=$2 contact event gone at code rejected started fresh team
  kill -0 "$sync" 2>/dev/null
  assert_eq "$engine: sync --follow goes on after the switch, in reverse" 0 "$?"
  contact=$(tgt_q "SELECT min(id) FROM contacts WHERE account_id = $t")
  event=$(( $(src_q "SELECT max(id) FROM events") + 1000 ))
  gone=$(tgt_q "SELECT max(id) FROM engagements WHERE account_id = $t")
  tgt_q "UPDATE contacts SET title = 'Reverse $event' WHERE id = $contact" >/dev/null
  tgt_q "INSERT INTO engagements (id, account_id, contact_id, campaign_id, kind, occurred_at)
         SELECT $event, account_id, contact_id, campaign_id, 'click', occurred_at FROM engagements
         WHERE id = $gone" >/dev/null
  tgt_q "DELETE FROM engagements WHERE id = $gone" >/dev/null
  # A contact the new system creates (with its team, in one transaction)
  # reaches the old one with its tenant, the team the legacy needs, and the
  # columns the new system has.
  fresh=$(( $(src_q "SELECT max(id) FROM contacts") + 1000 ))
  team=$(tgt_q "SELECT min(id) FROM teams WHERE account_id = $t")
  tgt_q "BEGIN;
         INSERT INTO contacts (id, account_id, kind, first_name, last_name, email, company_domain, title, created_at, updated_at)
         VALUES ($fresh, $t, 'investor', 'Ada', 'Reverse', 'ada.reverse@example.com', 'example.com', 'Partner', '2026-12-01 10:00:00', '2026-12-01 10:00:00');
         INSERT INTO contact_teams (contact_id, team_id) VALUES ($fresh, $team);
         COMMIT;" >/dev/null
  started=$(date +%s.%N)
  at=none
  for _ in $(seq 1 100); do
    if [[ "$(src_q "SELECT title FROM contacts WHERE id = $contact") $(src_q "SELECT count(*) FROM events WHERE id = $event") $(src_q "SELECT count(*) FROM events WHERE id = $gone") $(src_q "SELECT count(*) FROM contacts WHERE id = $fresh")" == "Reverse $event 1 0 1" ]]; then
      at=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $started }"); break
    fi
    sleep 0.1
  done
  echo "$engine: the new system's writes reached the old one in ${at}s"
  assert_eq "$engine: an update, an insert and a delete in the new system appear in the old" \
    true "$([[ $at != none ]] && echo true || echo false)"
  assert_eq "$engine: a contact created in the new system is in the old one with its tenant and team" \
    "$t|$team|investor|Ada|Partner|example.com|2026-12-01 10:00:00" \
    "$(src_q "SELECT account_id, team_id, kind, first_name, title, company_domain, created_at FROM contacts WHERE id = $fresh" | tr '\t' '|')"
  assert_eq "$engine: status shows the reverse sync, its lag and backlog" "reverse 0 true" \
    "$("$CUTOVER" "${CUT[@]}" status --json | jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | .sync | "\(.direction) \(.backlog) \(.lag_seconds < 5)"')"
  # The last write, then the rollback: it goes back with the rollback.
  tgt_q "UPDATE engagements SET kind = 'open' WHERE id = $event" >/dev/null
  # The target's rows of the tenant as the new system leaves them, against
  # the source's once rolled back (the rows the load rejected stay apart;
  # contact_id is left out: a reference to a contact merged into another
  # keeps, in the source, the contact it named, docs/project-file.md).
  rejected=$(q "$DEMO/.cutover/state.db" "SELECT coalesce(group_concat(DISTINCT trim(source_key, '[]')), '0') FROM rejects WHERE tenant = '$t' AND entity = 'engagements'")
  local want
  want=$(tgt_q "SELECT id, campaign_id, kind, occurred_at FROM engagements WHERE account_id = $t ORDER BY id" | sha256sum)
  run_cutover "${CUT[@]}" rollback --tenant "$t" --json
  echo "$engine: rollback $(jq -c '{reverse_synced, reverse_applied, carried_back, exported, back_seconds, purge_pending, seconds}' <<<"$OUT")"
  assert_eq "$engine: the rollback goes by reverse sync, carrying nothing back" "0 true 0 null" \
    "$CODE $(jq -r '"\(.reverse_synced) \(.carried_back) \(.carry_reason)"' <<<"$OUT")"
  [[ $CODE -eq 0 ]] || echo "$ERR" | tail -5
  # It returns once the tenant is back, the purge of its target rows left
  # to the sync that is following it.
  assert_eq "$engine: the rollback returns with the target's purge pending" "true null" \
    "$(jq -r '"\(.purge_pending) \(.purge_seconds)"' <<<"$OUT")"
  assert_eq "$engine: after the rollback the source equals the target for the tenant (checksum)" \
    "$want" "$(src_q "SELECT e.id, e.campaign_id, e.kind, e.occurred_at FROM events e JOIN campaigns c ON c.id = e.campaign_id WHERE c.account_id = $t AND e.id NOT IN ($rejected) ORDER BY e.id" | sha256sum)"
  assert_eq "$engine: the write made just before the rollback went back with it" open \
    "$(src_q "SELECT kind FROM events WHERE id = $event")"
  assert_eq "$engine: the source takes the tenant's writes again" 0 "$(src_write "$t"; echo $?)"
  # sync --follow of the one tenant it was given ends by itself once that
  # tenant has left (rolled back), with success and a note (not an error per pass).
  for _ in $(seq 1 150); do kill -0 "$sync" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$sync" 2>/dev/null; then
    kill -TERM "$sync" 2>/dev/null; wait "$sync" 2>/dev/null
    code=running
  else
    wait "$sync"; code=$?
  fi
  assert_eq "$engine: sync --follow --tenant ends with success once its tenant has left" \
    "0 1" "$code $(grep -c "tenant $t is rolled_back now: nothing left to sync for it" "$WORK/sync.err")"
  [[ $code == 0 ]] || cat "$WORK/sync.err" | tail -5
  assert_eq "$engine: that sync purged the tenant's rows from the target, and said so" \
    "1 0 0 rolled_back" \
    "$(grep -c "tenant $t: rollback finished: its rows purged from the target" "$WORK/sync.out") $(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t") $(tgt_q "SELECT count(*) FROM contacts WHERE account_id = $t") $("$CUTOVER" "${CUT[@]}" status --json | jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | .state')"
}

# reverse_marks TENANT: the tenant's reverse marks on the source (0 once the
# table, dropped with its last row, is gone).
reverse_marks() { src_q "SELECT count(*) FROM cutover_reverse_mark WHERE tenant = '$1'" 2>/dev/null || echo 0; }

# deferred_purge ENGINE TENANT: a rollback by reverse sync returns once the
# tenant is back on the old system; its rows stay in the target, frozen
# there (the new system refuses the tenant's writes), the journal says
# purge_pending in status, its JSON, the report and the dashboard; `cutover
# purge` killed -9 once the rows are gone is finished by the next; a later
# migrate finishes a pending purge first.
deferred_purge() {
  local engine=$1 t=$2 rows
  run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist -q
  run_cutover "${CUT[@]}" switch --tenant "$t" -q
  assert_eq "$engine: a second tenant switched with reverse sync" "0 new" \
    "$CODE $("$CUTOVER" "${CUT[@]}" route "$t" --json | jq -r .writes)"
  rows=$(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t")
  run_cutover "${CUT[@]}" rollback --tenant "$t"
  assert_contains "$engine: the rollback says the target's rows wait, frozen, and how to purge them" \
    "its rows in the target frozen there until purged (cutover sync, or cutover purge --tenant $t)" "$OUT"
  assert_eq "$engine: back on the old system: routed old, the source takes its writes" "0 old 0" \
    "$CODE $("$CUTOVER" "${CUT[@]}" route "$t") $(src_write "$t"; echo $?)"
  assert_eq "$engine: the target keeps its rows, and refuses the tenant's writes (frozen)" "$rows 1" \
    "$(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t") $(tgt_write "$t"; [[ $? -ne 0 ]] && echo 1 || echo 0)"
  assert_eq "$engine: status --json says purge_pending and the command that finishes it" \
    "purge_pending cutover purge --tenant $t" \
    "$("$CUTOVER" "${CUT[@]}" status --json | jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | "\(.state) \(.finish_with)"')"
  assert_contains "$engine: status says it in words" "purge pending: rolled back to the source" \
    "$("$CUTOVER" "${CUT[@]}" status)"
  "$CUTOVER" "${CUT[@]}" report -o "$WORK/purge-report.html" -q
  assert_contains "$engine: the report says it" "its rows stay in the target, frozen, until purged" \
    "$(cat "$WORK/purge-report.html")"
  # The reverse mark stays on the source with the rows until the purge: a
  # rollback run again (as after a journal that did not take purge_pending)
  # goes by reverse sync again, and what the source took since stays, where a
  # carry-back would write the target's frozen rows over it.
  assert_eq "$engine: the reverse mark waits on the source with the rows" 1 "$(reverse_marks "$t")"
  sqlite3 "$DEMO/.cutover/state.db" "UPDATE tenants SET state = 'switched' WHERE tenant = '$t'"
  local kept
  kept=$(src_q "SELECT min(id) FROM contacts WHERE account_id = $t")
  src_set_title "$kept" "written after the rollback"
  run_cutover "${CUT[@]}" rollback --tenant "$t" --json
  assert_eq "$engine: rolled back again: by reverse sync, the source's own write kept" \
    "0 true written after the rollback" \
    "$CODE $(jq -r .purge_pending <<<"$OUT") $(src_q "SELECT title FROM contacts WHERE id = $kept")"
  # The purge goes in chunks (purge_chunk_rows, 40 here; the engagements
  # first, children before parents): kill -9 once the first chunk has
  # committed: the rest stays, frozen on the target, purge_pending, the
  # reverse mark kept.
  CUTOVER_KILL_AT_POINT=purge-chunk "$CUTOVER" "${CUT[@]}" purge --tenant "$t" -q 2>/dev/null
  assert_eq "$engine: purge killed -9 between chunks: purge_pending, one chunk gone, the rest frozen there, the reverse mark kept" \
    "137 purge_pending $((rows - 40)) 1 1" \
    "$? $(q "$DEMO/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$t'") $(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t") $(tgt_write "$t"; [[ $? -ne 0 ]] && echo 1 || echo 0) $(reverse_marks "$t")"
  # A sync pass gives the purge --purge-seconds, at least a chunk: with 0,
  # one chunk a pass; the tenant stays purge_pending and frozen meanwhile.
  run_cutover "${CUT[@]}" sync --tenant "$t" --once --purge-seconds 0 --json
  assert_eq "$engine: a sync pass with --purge-seconds 0 purges one chunk and says the rest waits" \
    "0 false purge_pending 40 $((rows - 80)) purge_pending 1" \
    "$CODE $(jq -r '"\(.purged) \(.state) \(.rows)"' <<<"$OUT") $(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t") $(q "$DEMO/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$t'") $(tgt_write "$t"; [[ $? -ne 0 ]] && echo 1 || echo 0)"
  # kill -9 once the purge has committed the removal of the rows: the tenant
  # stays purge_pending (the journal never says more than is done), and the
  # next purge finishes it.
  CUTOVER_KILL_AT_POINT=purge-rows "$CUTOVER" "${CUT[@]}" purge --tenant "$t" -q 2>/dev/null
  assert_eq "$engine: purge killed -9 after the rows went: still purge_pending, no rows" "137 0 purge_pending" \
    "$? $(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t") $(q "$DEMO/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$t'")"
  run_cutover "${CUT[@]}" purge --tenant "$t" --json
  assert_eq "$engine: the next purge finishes it: rolled_back, the target takes writes again, no reverse mark" \
    "0 true rolled_back 0 0" \
    "$CODE $(jq -r .purged <<<"$OUT") $(q "$DEMO/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$t'") $(tgt_write "$t"; echo $?) $(reverse_marks "$t")"
  assert_contains "$engine: the purge shows its progress on stderr, entity by entity" \
    "purging $t [7/7] teams" "$ERR"
  run_cutover "${CUT[@]}" purge --tenant "$t"
  assert_eq "$engine: a tenant whose purge does not wait is refused by name (13)" 13 "$CODE"
  # A later migrate of a tenant whose purge waits purges it first.
  run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist -q
  run_cutover "${CUT[@]}" switch --tenant "$t" -q
  run_cutover "${CUT[@]}" rollback --tenant "$t" --json
  assert_eq "$engine: switched and rolled back again, purge pending" "0 true" \
    "$CODE $(jq -r .purge_pending <<<"$OUT")"
  run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist -q
  assert_eq "$engine: migrate purges it first, then leaves it syncing" "0 syncing" \
    "$CODE $(q "$DEMO/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$t'")"
  [[ $CODE -eq 0 ]] || echo "$ERR" | tail -5
  run_cutover "${CUT[@]}" verify --tenant "$t" -q
  assert_eq "$engine: and the reloaded tenant verifies" 0 "$CODE"
  # rollback --purge: the purge in the same command.
  run_cutover "${CUT[@]}" switch --tenant "$t" -q
  run_cutover "${CUT[@]}" rollback --tenant "$t" --purge --json
  assert_eq "$engine: rollback --purge purges in the same command" "0 false true rolled_back 0" \
    "$CODE $(jq -r '"\(.purge_pending) \(.purge_seconds >= 0)"' <<<"$OUT") $(q "$DEMO/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$t'") $(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t")"
  recover_pending "$engine" "$t"
}

# recover_pending ENGINE TENANT: the journal lost while the tenant's purge
# waits (rolled back by reverse sync): recover-journal rebuilds it as
# purge_pending, route old, read share 0, never switched nor in flight; the
# purge under the rebuilt journal removes its rows by their tenant column
# and ends it; the rows found through id maps (not among the traces) are
# named, and the journal that has them purges them.
recover_pending() {
  local engine=$1 t=$2 rebuilt=sqlite:$WORK/$engine-rebuilt.db teams teams_t
  run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist -q
  run_cutover "${CUT[@]}" switch --tenant "$t" -q
  run_cutover "${CUT[@]}" rollback --tenant "$t" --json
  assert_eq "$engine: switched and rolled back by reverse sync: purge pending" "0 true" \
    "$CODE $(jq -r .purge_pending <<<"$OUT")"
  teams=$(tgt_q "SELECT count(*) FROM contact_teams")
  teams_t=$(tgt_q "SELECT count(*) FROM contact_teams WHERE contact_id IN (SELECT id FROM contacts WHERE account_id = $t)")
  run_cutover "${CUT[@]}" --state "$rebuilt" recover-journal --json
  assert_eq "$engine: recover-journal rebuilds a tenant whose purge waits as purge_pending, route old" \
    "0 purge_pending old false true" \
    "$CODE $(jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | "\(.state) \(.route) \(.captured) \(.on_target)"' <<<"$OUT")"
  assert_eq "$engine: and names the entities whose rows its purge finds through id maps, not in the traces" \
    contact_teams "$(jq -r '.id_map_entities | join(",")' <<<"$OUT")"
  run_cutover "${CUT[@]}" --state "$rebuilt" status --json
  assert_eq "$engine: the rebuilt journal says purge_pending, reads and writes old" \
    "purge_pending old old 0" \
    "$(jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | .state' <<<"$OUT") $("$CUTOVER" "${CUT[@]}" --state "$rebuilt" route "$t" --json | jq -r '"\(.writes) \(.reads) \(.read_share)"')"
  run_cutover "${CUT[@]}" --state "$rebuilt" purge --tenant "$t" --json
  assert_eq "$engine: its purge under the rebuilt journal ends it: rolled_back, no rows by tenant, the target writable, no reverse mark" \
    "0 true 0 0 0 0" \
    "$CODE $(jq -r .purged <<<"$OUT") $(tgt_q "SELECT count(*) FROM engagements WHERE account_id = $t") $(tgt_q "SELECT count(*) FROM contacts WHERE account_id = $t") $(tgt_write "$t"; echo $?) $(reverse_marks "$t")"
  assert_eq "$engine: the rows found through the id maps stay, as recover-journal said" "$teams" \
    "$(tgt_q "SELECT count(*) FROM contact_teams")"
  run_cutover "${CUT[@]}" purge --tenant "$t" -q
  assert_eq "$engine: the journal with the id maps purges what they name (contact_teams)" \
    "0 true $((teams - teams_t))" \
    "$CODE $( ((teams_t > 0)) && echo true || echo false) $(tgt_q "SELECT count(*) FROM contact_teams")"
}

# reverse_kill ENGINE TENANT (switched with reverse sync): kill -9 inside a
# reverse batch (its rows and the reverse mark written on the source, not
# committed): nothing applied; the next round applies each change once, and
# the mark counts exactly the changes the target captured. Sets ev, the
# first of the events it makes in the new system.
reverse_kill() {
  local engine=$1 t=$2 before marked code
  ev=$(( $(src_q "SELECT max(id) FROM events") + 1000 ))
  for k in 1 2 3; do
    tgt_q "INSERT INTO engagements (id, account_id, contact_id, campaign_id, kind, occurred_at)
           SELECT $ev + $k, account_id, contact_id, campaign_id, 'read', occurred_at FROM engagements
           WHERE account_id = $t LIMIT 1" >/dev/null
  done
  tgt_q "UPDATE engagements SET kind = 'bounce' WHERE id = $ev + 1" >/dev/null
  before=$(src_q "SELECT count(*) FROM events")
  marked=$(rev_mark "$t")
  CUTOVER_KILL_AT_POINT=reverse-batch "$CUTOVER" "${CUT[@]}" sync --tenant "$t" --once -q 2>/dev/null
  code=$?
  assert_eq "$engine: kill -9 inside a reverse batch: killed, nothing applied, the mark unmoved" \
    "137 $before $marked" "$code $(src_q "SELECT count(*) FROM events") $(rev_mark "$t")"
  run_cutover "${CUT[@]}" sync --tenant "$t" --once --json
  assert_eq "$engine: the next reverse round applies every change once" \
    "0 reverse $((before + 3)) bounce $(tgt_q "SELECT count(*) FROM cutover_changes WHERE tenant = '$t'")" \
    "$CODE $(jq -r .direction <<<"$OUT") $(src_q "SELECT count(*) FROM events") $(src_q "SELECT kind FROM events WHERE id = $ev + 1") $(rev_mark "$t")"
  assert_eq "$engine: 4 writes in the new system (3 inserts, an update), 4 changes applied" 4 \
    "$(jq -r .applied <<<"$OUT")"
  run_cutover "${CUT[@]}" sync --tenant "$t" --once --json
  assert_eq "$engine: and nothing twice: the round after applies none" "0 0" "$CODE $(jq -r .applied <<<"$OUT")"
}
rev_mark() { src_q "SELECT applied FROM cutover_reverse_mark WHERE tenant = '$1'"; }

# ---- SQLite ----
DEMO=$WORK/demo
"$CUTOVER" demo init "$DEMO" --scale 0.002 --seed 23 -q >/dev/null
sed -i 's/^options:/options:\n  purge_chunk_rows: 40/' "$DEMO/cutover.yaml"
sqlite3 "$DEMO/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
CUT=(-p "$DEMO/cutover.yaml")
TRAFFIC=()
src_q() { q "$DEMO/legacy.db" "$1"; }
tgt_q() { q "$DEMO/crm.db" "$1"; }
src_write() { sqlite3 -cmd ".timeout 5000" "$DEMO/legacy.db" "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }
src_set_title() { sqlite3 -cmd ".timeout 5000" "$DEMO/legacy.db" "UPDATE contacts SET title = '$2' WHERE id = $1"; }
tgt_write() { sqlite3 -cmd ".timeout 5000" "$DEMO/crm.db" "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }
mapfile -t T < <(src_q "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")

run_cutover "${CUT[@]}" switch --tenant "${T[1]}"
assert_eq "SQLite: only a syncing tenant is switched (13)" 13 "$CODE"
assert_contains "SQLite: saying its state" "tenant ${T[1]} is new" "$ERR"
scenario SQLite "${T[0]}"
deferred_purge SQLite "${T[1]}"

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

reverse_kill SQLite "$t"
# Without reverse capture (here its mark gone), the rollback falls back to
# the carry-back and says why.
q "$DEMO/legacy.db" "DELETE FROM cutover_reverse_mark WHERE tenant = '$t'"
run_cutover "${CUT[@]}" rollback --tenant "$t" --json
assert_eq "without reverse capture the rollback carries back, saying why" "0 false true" \
  "$CODE $(jq -r '"\(.reverse_synced) \(.carried_back > 0)"' <<<"$OUT")"
assert_contains "saying why" "has no reverse capture" "$(jq -r .carry_reason <<<"$OUT")"
assert_eq "and the carried-back source holds the new system's rows" 1 \
  "$(src_q "SELECT count(*) FROM events WHERE id = $ev + 3")"

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
sed -i 's/^options:/options:\n  purge_chunk_rows: 40/' "$DEMO/pg.yaml"
# The demo's reverse mappings (examples/crm/cutover.yaml), for reverse sync.
sed -i -e '/^  - name: contacts$/a\    reverse: { table: contacts, key: { id: id }, columns: { account_id: account_id, kind: kind, first_name: first_name, last_name: last_name, email: email, title: title, updated_at: updated_at }, insert: { team_id: "(SELECT min(team_id) FROM contact_teams WHERE contact_id = contacts.id)", company_domain: company_domain, created_at: created_at } }' \
  -e '/^  - name: engagements$/a\    reverse: { table: events, key: { id: id }, columns: { campaign_id: campaign_id, contact_id: contact_id, kind: kind, occurred_at: occurred_at } }' \
  "$DEMO/pg.yaml"
CUT=(-p "$DEMO/pg.yaml" --source "$PG_BASE/legacy" --target "$PG_BASE/crm")
TRAFFIC=(--source "$PG_BASE/legacy")
src_q() { pgsql legacy -c "$1"; }
tgt_q() { pgsql crm -c "$1"; }
src_write() { pgsql legacy -c "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }
src_set_title() { pgsql legacy -c "UPDATE contacts SET title = '$2' WHERE id = $1" >/dev/null; }
tgt_write() { pgsql crm -c "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }
mapfile -t T < <(src_q "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")
scenario PostgreSQL "${T[0]}"
deferred_purge PostgreSQL "${T[1]}"
# The reverse kill point on PostgreSQL too, on the smallest tenant.
t=${T[-1]}
run_cutover "${CUT[@]}" migrate --tenant "$t" --skip-rehearsal --coexist -q
run_cutover "${CUT[@]}" switch --tenant "$t" -q
assert_eq "PostgreSQL: the smallest tenant switched with reverse sync" "0 new" \
  "$CODE $("$CUTOVER" "${CUT[@]}" route "$t" --json | jq -r .writes)"
reverse_kill PostgreSQL "$t"
finish
