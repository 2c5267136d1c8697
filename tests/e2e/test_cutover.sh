# test_cutover.sh: a tenant migrated while its application keeps writing is
# switched with every write caught up and verified; the source then refuses
# its writes, naming it; rollback before and after a switch restores the
# source exactly and keeps what the new system held; a failing hook stops its
# phase and rolls back; hooks see the tenant, phase and run.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.004 --seed 21 -q
sqlite3 "$demo/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
proj=$demo/cutover.yaml
mapfile -t T < <(q "$demo/legacy.db" "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")
big=${T[0]} u=${T[1]} v=${T[2]}

# Rollback after a switch restores the source exactly.
before=$(db_checksum "$demo/legacy.db")
run_cutover -p "$proj" migrate --tenant "$u" --skip-rehearsal --json
assert_eq "tenant $u switched" switched "$(jq -r '.tenants[0].status' <<<"$OUT")"
assert_eq "route new" new "$("$CUTOVER" -p "$proj" route "$u")"
rows=$(q "$demo/crm.db" "SELECT count(*) FROM engagements WHERE account_id = $u")
err=$(sqlite3 "$demo/legacy.db" "UPDATE contacts SET title = 'x' WHERE account_id = $u" 2>&1)
assert_contains "the switched tenant's source rows refuse writes, naming it" "tenant $u is frozen" "$err"
# The new system is written to after the switch: a contact edited, an event recorded.
x=$(q "$demo/crm.db" "SELECT min(id) FROM contacts WHERE account_id = $u")
title=$(q "$demo/legacy.db" "SELECT quote(title) FROM contacts WHERE id = $x")
campaign=$(q "$demo/crm.db" "SELECT min(id) FROM campaigns WHERE account_id = $u")
q "$demo/crm.db" "UPDATE contacts SET title = 'Chief Editor' WHERE id = $x;
  INSERT INTO engagements VALUES (99000001, $u, $x, $campaign, 'click', '2026-11-20T10:00:00Z')"
rows=$((rows + 1))
run_cutover -p "$proj" rollback --tenant "$u" --json
assert_eq "rollback succeeds" 0 "$CODE"
assert_eq "the new system's writes are carried back into the source" "Chief Editor|1" \
  "$(q "$demo/legacy.db" "SELECT (SELECT title FROM contacts WHERE id = $x), (SELECT count(*) FROM events WHERE id = 99000001)")"
# Apart from those writes, the source is as it was.
q "$demo/legacy.db" "UPDATE contacts SET title = $title WHERE id = $x; DELETE FROM events WHERE id = 99000001"
assert_eq "it was switched" true "$(jq '.was_switched' <<<"$OUT")"
export_file=$(jq -r '.export_file' <<<"$OUT")
assert_eq "the new system's rows were exported first" "$rows" \
  "$(grep -c '"entity":"engagements"' "$export_file")"
assert_eq "route old again" old "$("$CUTOVER" -p "$proj" route "$u")"
assert_eq "nothing of the tenant left in the target" 0 \
  "$(q "$demo/crm.db" "SELECT count(*) FROM engagements WHERE account_id = $u")"
assert_eq "the source is exactly as before, capture objects gone" "$before" "$(db_checksum "$demo/legacy.db")"
run_cutover -p "$proj" rollback --tenant "$u"
assert_eq "rollback again changes nothing (idempotent)" "0 $before" "$CODE $(db_checksum "$demo/legacy.db")"

# A failing hook stops its phase; before the switch that means rollback.
cp "$proj" "$demo/hooked.yaml"
cat >> "$demo/hooked.yaml" <<'YAML'
hooks:
  on_freeze: "exit 3"
  on_rollback: "echo $CUTOVER_TENANT $CUTOVER_PHASE >> hooks.log"
YAML
run_cutover -p "$demo/hooked.yaml" migrate --tenant "$v" --skip-rehearsal --start-over
assert_eq "a failing on_freeze hook: exit 13" 13 "$CODE"
assert_contains "names the hook and its status" "hook on_freeze (exit 3) exited with status 3" "$ERR"
assert_eq "the tenant stays on the source" old "$("$CUTOVER" -p "$demo/hooked.yaml" route "$v")"
assert_eq "its rows left the target" 0 "$(q "$demo/crm.db" "SELECT count(*) FROM contacts WHERE account_id = $v")"
assert_eq "its source is writable again" 0 \
  "$(sqlite3 "$demo/legacy.db" "UPDATE contacts SET title = title WHERE account_id = $v" >/dev/null 2>&1; echo $?)"
assert_eq "on_rollback ran with the tenant and phase" "$v on_rollback" "$(cat "$demo/hooks.log")"
assert_eq "the journal's migrate run failed with the hook, not done at the copy's end" "failed 1" \
  "$(q "$demo/.cutover/state.db" "SELECT status, error LIKE '%hook on_freeze%' FROM runs
      WHERE tenant = '$v' AND command = 'migrate' ORDER BY id DESC LIMIT 1" | tr '|' ' ')"

# Hooks see the tenant, phase and run.
cp "$proj" "$demo/env.yaml"
printf 'hooks:\n  on_switch: "env | grep ^CUTOVER_ | sort > switch.env"\n' >> "$demo/env.yaml"
printf '  on_freeze: "sqlite3 .cutover/state.db \\"SELECT status FROM runs WHERE id = $CUTOVER_RUN_ID\\" > freeze.run"\n' \
  >> "$demo/env.yaml"
run_cutover -p "$demo/env.yaml" migrate --tenant "$v" --skip-rehearsal --start-over
assert_eq "with a passing hook the tenant switches" 0 "$CODE"
assert_contains "the hook saw the tenant" "CUTOVER_TENANT=$v" "$(cat "$demo/switch.env")"
assert_contains "and the phase" "CUTOVER_PHASE=on_switch" "$(cat "$demo/switch.env")"
assert_contains "and the run" "CUTOVER_RUN_ID=" "$(cat "$demo/switch.env")"
# The migrate run lasts until the switch: running in the freeze, done after.
run=$(sed -n 's/^CUTOVER_RUN_ID=//p' "$demo/switch.env")
assert_eq "the migrate run is running in the freeze, done once switched" "running migrate done" \
  "$(cat "$demo/freeze.run") $(q "$demo/.cutover/state.db" "SELECT command, status FROM runs WHERE id = $run" | tr '|' ' ')"

# Migrate while the application writes: nothing written before the freeze is lost.
run_cutover -p "$demo/env.yaml" rehearse --tenant "$big"
assert_eq "rehearse the big tenant" 0 "$CODE"
# The traffic lasts past the copy: 4 s, times the build's slowdown (ASan).
"$CUTOVER" demo traffic "$demo" --tenant "$big" --rate 150 --seconds $((4 * ${CUTOVER_TEST_SLOWDOWN:-1})) \
  --json > "$WORK/traffic.json" &
traffic=$!
sleep 0.5
run_cutover -p "$demo/env.yaml" migrate --tenant "$big" --json
migrated=$OUT
wait "$traffic"
assert_eq "migrated under traffic: switched" switched "$(jq -r '.tenants[0].status' <<<"$migrated")"
assert_eq "and verified" true "$(jq '.tenants[0].verified' <<<"$migrated")"
applied=$(jq '.tenants[0].changes_applied' <<<"$migrated")
ok=false; (( applied > 0 )) && ok=true
assert_eq "writes during the copy were captured and caught up ($applied)" true "$ok"
first=$(jq .first_event "$WORK/traffic.json") last=$(jq .last_event "$WORK/traffic.json")
in_source=$(q "$demo/legacy.db" "SELECT count(*) FROM events WHERE id BETWEEN $first AND $last")
# The traffic writes about any contact of the tenant, and the demo plants
# contacts the target refuses: an event about one of them is refused too
# (ref_rejected), journaled by key. Every event is in the target or among
# those rejects, never both, never neither.
in_target=$(q "$demo/crm.db" "SELECT count(*) FROM engagements WHERE id BETWEEN $first AND $last")
refused=$(q "$demo/.cutover/state.db" "SELECT count(DISTINCT source_key) FROM rejects WHERE tenant = '$big' AND entity = 'engagements' AND json_extract(source_key, '\$[0]') BETWEEN $first AND $last")
assert_eq "every event the application wrote before the freeze is in the target or refused by rule ($refused refused)" \
  "$in_source" "$((in_target + refused))"
assert_eq "no event is both in the target and refused, none is neither" "0 0" \
  "$(sqlite3 -batch -noheader "$demo/legacy.db" "ATTACH '$demo/crm.db' AS t; ATTACH '$demo/.cutover/state.db' AS s;
     CREATE TEMP TABLE refused AS SELECT DISTINCT json_extract(source_key, '\$[0]') AS id FROM s.rejects
       WHERE tenant = '$big' AND entity = 'engagements';
     SELECT (SELECT count(*) FROM t.engagements g JOIN refused r ON r.id = g.id WHERE g.id BETWEEN $first AND $last)
       || ' ' || (SELECT count(*) FROM events e WHERE e.id BETWEEN $first AND $last
                  AND e.id NOT IN (SELECT id FROM t.engagements) AND e.id NOT IN (SELECT id FROM refused))")"
assert_eq "every event the application inserted is in the source (the refused ones never were)" \
  "$(( $(jq .inserted "$WORK/traffic.json") ))" "$in_source"
scoped=$(q "$demo/.cutover/state.db" "SELECT error FROM runs WHERE tenant = '$big' AND command = 'verify' ORDER BY id DESC LIMIT 1")
assert_eq "the freeze verified only what changed after the full verification" \
  "only the rows changed since verify run" "${scoped% *}"
run_cutover -p "$demo/env.yaml" verify --tenant "$big"
assert_eq "verify finds zero differences after the switch" 0 "$CODE"
freeze=$(jq '.tenants[0].freeze_seconds' <<<"$migrated")
ok=false; awk "BEGIN { exit !($freeze > 0 && $freeze < 30) }" && ok=true
assert_eq "the freeze window is measured ($freeze s)" true "$ok"
run_cutover -p "$demo/env.yaml" routes --json
assert_eq "routes lists the switched tenants" "$(printf '%s\n' "$big" "$v" | sort -n | tr '\n' ' ')" \
  "$(jq -r '[.routes[] | select(.route == "new") | .tenant] | join(" ")' <<<"$OUT") "

# Retention: archive the switched tenant's source rows; finalize waits out the window.
run_cutover -p "$demo/env.yaml" archive --tenant "$big" --json
assert_eq "archive succeeds" 0 "$CODE"
archive=$(ls "$demo"/.cutover/archive/*.jsonl.zst)
lines=$(zstd -dc "$archive" | wc -l)
assert_eq "the archive holds a header and every source row of the tenant" \
  "$(( $(jq '.rows' <<<"$OUT") + 1 ))" "$lines"
assert_contains "its header names the project file's hash" "project_hash" "$(zstd -dc "$archive" | head -n 1)"
run_cutover -p "$demo/env.yaml" finalize --tenant "$big"
assert_eq "finalize within the retention window: exit 13" 13 "$CODE"
assert_contains "says until when" "its undo stays open for 30 days, until" "$ERR"
CUTOVER_NOW=2099-01-01T00:00:00Z run_cutover -p "$demo/env.yaml" finalize --tenant "$big"
assert_eq "finalize after the window" 0 "$CODE"
assert_eq "the source takes the tenant's writes again (capture and freeze removed)" 0 \
  "$(sqlite3 "$demo/legacy.db" "UPDATE contacts SET title = title WHERE account_id = $big" >/dev/null 2>&1; echo $?)"
# Finalized is the end of the lifecycle: a rollback is refused before anything moves.
run_cutover -p "$demo/env.yaml" rollback --tenant "$big"
assert_eq "a finalized tenant is not rolled back: exit 13" 13 "$CODE"
assert_contains "naming both states" "from finalized to rolled_back" "$ERR"
assert_eq "it stays finalized, routed to the new system" "finalized new" \
  "$(q "$demo/.cutover/state.db" "SELECT t.state || ' ' || r.route FROM tenants t JOIN routes r USING (tenant) WHERE tenant = '$big'")"

# A cohort of the plan, through run.
run_cutover -p "$demo/env.yaml" audit -q
run_cutover -p "$demo/env.yaml" plan --json
canary=$(jq -r '.cohorts[0].tenants[0].tenant' <<<"$OUT")
run_cutover -p "$demo/env.yaml" run --cohort canary --skip-rehearsal --json
assert_eq "run --cohort canary" 0 "$CODE"
assert_eq "the canary's tenant is switched" "$canary switched" \
  "$(jq -r '.tenants[0] | "\(.tenant) \(.status)"' <<<"$OUT")"
run_cutover -p "$demo/env.yaml" run --cohort 99
assert_eq "an unknown cohort: exit 7" 7 "$CODE"

# A wave in two processes at once: each tenant once, all switched and verified.
run_cutover -p "$demo/env.yaml" plan show --json
wave=$(jq -r '[.cohorts[1].tenants[].tenant | select(. != "'"$big"'" and . != "'"$v"'")] | join(" ")' <<<"$OUT")
run_cutover -p "$demo/env.yaml" run --cohort 1 --parallel 2 --skip-rehearsal -q
assert_eq "run --cohort 1 --parallel 2" 0 "$CODE"
for t in $wave; do
  assert_eq "wave tenant $t switched" new "$("$CUTOVER" -p "$demo/env.yaml" route "$t")"
done
assert_eq "each wave tenant migrated once" "" \
  "$(q "$demo/.cutover/state.db" "SELECT tenant FROM runs WHERE command = 'migrate' AND tenant IN ('${wave// /\',\'}') GROUP BY tenant HAVING count(*) > 1")"
run_cutover -p "$demo/env.yaml" verify --tenant "${wave// /,}"
assert_eq "and verified clean" 0 "$CODE"
finish
