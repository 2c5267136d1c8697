# test_pushdown.sh: SQLite -> SQLite, the entities whose rows need no
# per-row work (companies, engagements in the demo) load by one INSERT ...
# SELECT inside the target's transaction (engine/pushdown.c); the others row
# by row. Against the row path (CUTOVER_PUSHDOWN=0): the same target rows
# (checksums of every table), the same journal counts per tenant and entity,
# the same rejects (files and journal), the same id maps; verification
# passes. A target that refuses rows of a pushed-down entity (a unique index
# the demo's engagements break) undoes the statement and loads that entity
# row by row: again the same rejects, with the target's reason. A table with
# a trigger (which may drop a row) is never pushed down.
source "$(dirname "$0")/lib.sh"

LOGS=$WORK/logs
mkdir -p "$LOGS"
TABLES="teams companies contacts contact_teams contact_tags campaigns engagements"

"$CUTOVER" demo init "$WORK/ref" --scale 0.002 --seed 11 >"$LOGS/demo.out" 2>&1
assert_eq "demo init" 0 "$?"
sed -i '/^capture:/,$d' "$WORK/ref/cutover.yaml"
for d in row push row-refuse push-refuse trigger; do cp -r "$WORK/ref" "$WORK/$d"; done
for d in row-refuse push-refuse; do
  q "$WORK/$d/crm.db" "CREATE UNIQUE INDEX engagements_once ON engagements (contact_id, campaign_id, kind)"
done

# migrate NAME PUSHDOWN: cutover migrate --all in $WORK/NAME, the SQL traced (-v).
migrate() {
  (cd "$WORK/$1" && CUTOVER_PUSHDOWN=$2 "$CUTOVER" migrate --all --skip-rehearsal --no-verify --json -v) \
    >"$LOGS/$1.json" 2>"$LOGS/$1.err"
  CODE=$?
}
counts() {
  jq -r '.tenants[] | .tenant as $t | .entities | to_entries[]
         | "\($t) \(.key) \(.value.source_rows) \(.value.loaded) \(.value.merged) \(.value.rejected)"' "$1" | sort
}
rejects() {
  cat "$1"/.cutover/rejects/*.jsonl | jq -c '{entity, key, rule, reason, row}' | sort | md5sum
}
journal() { # the journal's rejects, id maps and step counts
  q "$1/.cutover/state.db" "SELECT tenant, entity, source_key, rule, reason FROM rejects ORDER BY 1, 2, 3, 4" | md5sum
  q "$1/.cutover/state.db" "SELECT tenant, entity, source_key, target_key FROM id_map ORDER BY 1, 2, 3" | md5sum
  q "$1/.cutover/state.db" "SELECT r.tenant, s.step, s.source_rows, s.loaded, s.rejected FROM steps s
                            JOIN runs r ON r.id = s.run_id ORDER BY 1, 2" | md5sum
}
sums() {
  local t
  for t in $TABLES; do echo "$t $(q "$1" "SELECT * FROM $t ORDER BY 1, 2" | md5sum)"; done
}
pushed() { # the entities loaded by INSERT ... SELECT, from the trace
  grep -o 'INSERT OR ABORT INTO cutover_target\."[a-z_]*"' "$1" | sed 's/.*\."//; s/"$//' | sort -u | tr '\n' ' '
}
same() { # WHAT ROW PUSH
  assert_eq "$1: same journal counts per tenant and entity" "$(counts "$LOGS/$2.json")" "$(counts "$LOGS/$3.json")"
  assert_eq "$1: same rejects" "$(rejects "$WORK/$2")" "$(rejects "$WORK/$3")"
  assert_eq "$1: same journal (rejects, id maps, steps)" "$(journal "$WORK/$2")" "$(journal "$WORK/$3")"
  assert_eq "$1: same target rows" "$(sums "$WORK/$2/crm.db")" "$(sums "$WORK/$3/crm.db")"
}

migrate row 0 && assert_eq "row by row: exit 0" 0 "$CODE"
migrate push 1 && assert_eq "push-down: exit 0" 0 "$CODE"
assert_eq "row by row: nothing pushed down" "" "$(pushed "$LOGS/row.err")"
assert_eq "push-down: the entities without per-row work" "companies engagements " "$(pushed "$LOGS/push.err")"
assert_eq "rows were loaded" true "$(jq '[.tenants[].entities.engagements.loaded] | add > 5000' "$LOGS/push.json")"
assert_eq "engagements were rejected (refs to rejected or missing contacts)" true \
  "$(jq '[.tenants[].entities.engagements.rejected] | add > 0' "$LOGS/push.json")"
same "push-down" row push
(cd "$WORK/push" && "$CUTOVER" verify --all -q) >"$LOGS/verify.out" 2>&1
assert_eq "push-down: verify --all passes" 0 "$?"

# The target refuses some engagements: the statement is undone, the rows go one by one.
migrate row-refuse 0 && assert_eq "refusing target, row by row: exit 0" 0 "$CODE"
migrate push-refuse 1 && assert_eq "refusing target, push-down: exit 0" 0 "$CODE"
assert_contains "refusing target: the push-down was tried" "engagements" "$(pushed "$LOGS/push-refuse.err")"
assert_eq "refusing target: duplicate_key rejects" true \
  "$(cat "$WORK/push-refuse"/.cutover/rejects/*.jsonl | jq -s 'map(select(.entity == "engagements" and .rule == "duplicate_key")) | length > 0')"
same "refusing target" row-refuse push-refuse

# A trigger that drops bounces: engagements go row by row, each bounce rejected as ignored.
q "$WORK/trigger/crm.db" "CREATE TRIGGER no_bounce BEFORE INSERT ON engagements WHEN NEW.kind = 'bounce'
                          BEGIN SELECT RAISE(IGNORE); END"
migrate trigger 1 && assert_eq "target with a trigger: exit 0" 0 "$CODE"
assert_eq "target with a trigger: engagements not pushed down" "companies " "$(pushed "$LOGS/trigger.err")"
assert_eq "target with a trigger: the dropped rows rejected" true \
  "$(cat "$WORK/trigger"/.cutover/rejects/*.jsonl | jq -s 'map(select(.entity == "engagements" and .rule == "ignored")) | length > 0')"
finish
