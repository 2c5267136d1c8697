# test_pushdown.sh: SQLite -> SQLite, the entities whose rows need no
# per-row work (companies, engagements in the demo) load by one INSERT ...
# SELECT inside the target's transaction (engine/pushdown.c); the others row
# by row. Against the row path (CUTOVER_PUSHDOWN=0): the same target rows
# (checksums of every table), the same journal counts per tenant and entity,
# the same rejects (files and journal), the same id maps; verification
# passes. A target that refuses rows of a pushed-down entity (a unique index
# the demo's engagements break) undoes the statement and loads that entity
# row by row: again the same rejects, with the target's reason. A table with
# a trigger (which may drop a row) is never pushed down. With a small
# batch_size (and no options.pushdown_chunk_rows) an entity goes in chunks (a key range each, its own target
# transaction): again the same rows, counts, rejects and journal as the row
# path, with a refusing target too; --jobs 2 gives what --jobs 1 gives; a run
# killed at a commit between chunks, run again, gives the same. A reference
# that arrives as text ('42') or a real (42.0), both found by their canonical
# key [42], or as '042' (found by none) ends as the row path ends it, though
# the parents' integer keys are looked up by rowid.
source "$(dirname "$0")/lib.sh"


demo_plain "$WORK/ref" 11
for d in row push row-refuse push-refuse trigger row-typed push-typed; do cp -r "$WORK/ref" "$WORK/$d"; done
for d in push-chunk push-chunk-refuse jobs2 kill1 kill2; do
  cp -r "$WORK/ref" "$WORK/$d"
  # no pushdown_chunk_rows (the demo's is 250000): a chunk is then batch_size rows
  sed -i -e 's/^  batch_size: .*$/  batch_size: 1000/' -e '/^  pushdown_chunk_rows:/d' "$WORK/$d/cutover.yaml"
  grep -q '^  batch_size: 1000$' "$WORK/$d/cutover.yaml" || printf 'options:\n  batch_size: 1000\n' >>"$WORK/$d/cutover.yaml"
done
for d in row-refuse push-refuse push-chunk-refuse; do
  q "$WORK/$d/crm.db" "CREATE UNIQUE INDEX engagements_once ON engagements (contact_id, campaign_id, kind)"
done

# migrate NAME PUSHDOWN [ARGS]: cutover migrate --all in $WORK/NAME, the SQL traced (-v).
migrate() { CUTOVER_PUSHDOWN=$2 migrate_all "$1" "$WORK/$1" -v "${@:3}"; }
rejects() {
  cat "$1"/.cutover/rejects/*.jsonl | jq -c '{entity, key, rule, reason, row}' | sort | md5sum
}
journal() { # the journal's rejects, id maps and step counts
  q "$1/.cutover/state.db" "SELECT tenant, entity, source_key, rule, reason FROM rejects ORDER BY 1, 2, 3, 4" | md5sum
  q "$1/.cutover/state.db" "SELECT tenant, entity, source_key, target_key FROM id_map ORDER BY 1, 2, 3" | md5sum
  q "$1/.cutover/state.db" "SELECT r.tenant, s.step, s.source_rows, s.loaded, s.rejected FROM steps s
                            JOIN runs r ON r.id = s.run_id ORDER BY 1, 2" | md5sum
}
pushed() { # the entities loaded by INSERT ... SELECT, from the trace
  grep -o 'INSERT OR ABORT INTO cutover_target\."[a-z_]*"' "$1" | sed 's/.*\."//; s/"$//' | sort -u | tr '\n' ' '
}
same() { # WHAT ROW PUSH
  assert_eq "$1: same journal counts per tenant and entity" "$(tenant_counts "$LOGS/$2.json")" "$(tenant_counts "$LOGS/$3.json")"
  assert_eq "$1: same rejects" "$(rejects "$WORK/$2")" "$(rejects "$WORK/$3")"
  assert_eq "$1: same journal (rejects, id maps, steps)" "$(journal "$WORK/$2")" "$(journal "$WORK/$3")"
  assert_eq "$1: same target rows" "$(table_sums "$WORK/$2/crm.db")" "$(table_sums "$WORK/$3/crm.db")"
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
# An engagement's contact as text, as a real, as text with a leading zero
# (which SQLite's rowid lookup would take for the number) or as it is.
for d in row-typed push-typed; do
  sed -i 's/^      SELECT e.id, c.account_id, e.contact_id, e.campaign_id, e.kind, e.occurred_at$/      SELECT e.id, c.account_id, CASE e.id % 4 WHEN 0 THEN CAST(e.contact_id AS TEXT) WHEN 1 THEN e.contact_id + 0.0 WHEN 2 THEN '"'0'"' || e.contact_id ELSE e.contact_id END AS contact_id, e.campaign_id, e.kind, e.occurred_at/' "$WORK/$d/cutover.yaml"
  assert_contains "typed refs: the query changed" "CAST(e.contact_id AS TEXT)" "$(cat "$WORK/$d/cutover.yaml")"
done
migrate row-typed 0 && assert_eq "typed refs, row by row: exit 0" 0 "$CODE"
migrate push-typed 1 && assert_eq "typed refs, push-down: exit 0" 0 "$CODE"
assert_contains "typed refs: pushed down" "engagements" "$(pushed "$LOGS/push-typed.err")"
assert_eq "typed refs: most loaded, those with a leading zero rejected" true \
  "$(jq '[.tenants[].entities.engagements] | (map(.loaded) | add) > 30000 and (map(.rejected) | add) > 10000' "$LOGS/push-typed.json")"
same "typed refs" row-typed push-typed

# Chunks of 1,000 rows: several INSERTs for an entity of a tenant, the same
# result as the row path (whose result does not depend on the batch size).
migrate push-chunk 1 && assert_eq "chunks, push-down: exit 0" 0 "$CODE"
ntenants=$(q "$WORK/ref/legacy.db" "SELECT count(*) FROM accounts")
inserts=$(grep -c 'INSERT OR ABORT INTO cutover_target\."engagements"' "$LOGS/push-chunk.err")
big=$(jq '[.tenants[].entities.engagements.source_rows | select(. > 1000)] | length' "$LOGS/push-chunk.json")
assert_eq "chunks: a tenant's engagements in several statements" true \
  "$([ "$big" -gt 0 ] && [ "$inserts" -gt "$((ntenants + big))" ] && echo true || echo "$inserts for $ntenants tenants")"
same "chunks" row push-chunk
(cd "$WORK/push-chunk" && "$CUTOVER" verify --all -q) >"$LOGS/verify-chunk.out" 2>&1
assert_eq "chunks: verify --all passes" 0 "$?"

# A refusing target in chunks: the refused chunks row by row, the others pushed.
migrate push-chunk-refuse 1 && assert_eq "chunks, refusing target, push-down: exit 0" 0 "$CODE"
same "chunks, refusing target" row-refuse push-chunk-refuse

# --jobs 2 into the SQLite target, chunks pushed down by both jobs.
migrate jobs2 1 --jobs 2 && assert_eq "chunks, --jobs 2: exit 0" 0 "$CODE"
assert_contains "chunks, --jobs 2: pushed down" "engagements" "$(pushed "$LOGS/jobs2.err")"
same "chunks, --jobs 2" push-chunk jobs2
assert_eq "chunks, --jobs 2: the same target (checksums)" \
  "$(db_checksum "$WORK/push-chunk/crm.db")" "$(db_checksum "$WORK/jobs2/crm.db")"

# Killed at a commit (between two chunks or inside the row path), then run again.
for k in 1 2; do
  at=$((k * 40 + 15))
  (cd "$WORK/kill$k" && CUTOVER_KILL_AT_COMMIT=$at "$CUTOVER" migrate --all --skip-rehearsal --no-verify -q) \
    >/dev/null 2>&1
  assert_eq "chunks, killed at commit $at: SIGKILL (137)" 137 "$?"
  migrate kill$k 1 && assert_eq "chunks, killed at commit $at: the rerun exits 0" 0 "$CODE"
  assert_eq "chunks, killed at commit $at: the same target (checksums)" \
    "$(db_checksum "$WORK/push-chunk/crm.db")" "$(db_checksum "$WORK/kill$k/crm.db")"
  assert_eq "chunks, killed at commit $at: the same rejects in the journal" \
    "$(q "$WORK/push-chunk/.cutover/state.db" "SELECT tenant, entity, source_key, rule FROM rejects ORDER BY 1, 2, 3, 4" | md5sum)" \
    "$(q "$WORK/kill$k/.cutover/state.db" "SELECT tenant, entity, source_key, rule FROM rejects ORDER BY 1, 2, 3, 4" | md5sum)"
  assert_eq "chunks, killed at commit $at: every tenant migrated" "$ntenants" \
    "$(q "$WORK/kill$k/.cutover/state.db" "SELECT count(*) FROM tenants WHERE state = 'migrated'")"
done
finish
