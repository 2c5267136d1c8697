# test_events.sh: switching a behavioural source on the demo's two tracking
# integrations (real SQLite files): the planted 30% drop in e-mail opens and
# the missing webinars stop the volume comparison while the noise passes; a
# not-similar model keeps the old mapping on and the batch running; a
# similar one is published; the batch flag stops scoring; revert works
# within the retention days and is refused after (the clock set by the test).
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.01 -q >/dev/null 2>&1 || { fail "demo init"; finish; exit 1; }
export CUTOVER_NOW=2026-11-01T00:00:00Z
P=(-p "$demo/cutover.yaml")
state=$demo/.cutover/state.db
S=$demo/scoring

run_cutover "${P[@]}" events mapping import "$S/old-mapping.csv" --event-source old --json
assert_eq "mapping import exits 0" 0 "$CODE"
assert_eq "mapping 1 is on" '{"id":1,"rules":8,"status":"on"}' "$OUT"
run_cutover "${P[@]}" events mapping duplicate old --to-source new --rename "$S/rename.csv"
assert_eq "mapping duplicate exits 0" 0 "$CODE"
assert_eq "the copy is off" "off" "$(q "$state" "SELECT status FROM event_mappings WHERE id = 2")"
assert_eq "the copy is renamed" "Email Opened|email_open|event" \
  "$(q "$state" "SELECT raw_event, canonical, kind FROM event_mapping_rules WHERE mapping_id = 2 AND canonical = 'email_open'")"
assert_eq "an event the new source lacks is excluded in the copy" "excluded" \
  "$(q "$state" "SELECT kind FROM event_mapping_rules WHERE mapping_id = 2 AND raw_event = 'webinar_attend'")"

# Volumes.
run_cutover "${P[@]}" events compare --old old --new new --json --html "$WORK/volumes.html"
assert_eq "volume compare with the planted drop exits 12" 12 "$CODE"
assert_eq "verdict stop" stop "$(jq -r .verdict <<<"$OUT")"
assert_eq "webinars missing on the new source" '["webinar"]' "$(jq -c .missing_new <<<"$OUT")"
drop=$(jq '[.rows[] | select(.event == "email_open")] | map(select(.old > 0)) | (map(.diff) | add / length)' <<<"$OUT")
assert_eq "e-mail opens about 30% lower" true "$(jq -n "$drop < -0.25 and $drop > -0.35")"
assert_eq "every month of e-mail opens flagged" true \
  "$(jq '[.rows[] | select(.event == "email_open" and .old > 0) | .beyond] | all' <<<"$OUT")"
assert_eq "the noise (about 2%) stays within tolerance" "[]" \
  "$(jq -c '[.rows[] | select(.beyond and .event != "email_open" and .event != "webinar") | .event] | unique' <<<"$OUT")"
assert_eq "the 20 cells that differ most, by person" 20 "$(jq '.worst_cells | length' <<<"$OUT")"
assert_eq "largest difference first" true \
  "$(jq '[.worst_cells[] | (.old - .new | fabs)] | . == (sort | reverse)' <<<"$OUT")"
assert_eq "a chart per event in the page" 7 "$(grep -c '<svg' "$WORK/volumes.html")"
assert_contains "the page lists those people" "The people whose counts differ most" "$(cat "$WORK/volumes.html")"
run_cutover "${P[@]}" events compare --old old --new old --months 3 --json
assert_eq "a source against itself: continue" "0 continue 0" \
  "$CODE $(jq -r .verdict <<<"$OUT") $(jq .cells_differ <<<"$OUT")"
run_cutover "${P[@]}" events compare --old old --new new --tolerance 40% --json
assert_eq "a 40% tolerance still stops for the missing event" "12 stop" "$CODE $(jq -r .verdict <<<"$OUT")"

# Models.
for m in engagement intent; do
  run_cutover "${P[@]}" model import $m "$S/$m.csv" --event-source old --percentiles -q
  assert_eq "model import $m" 0 "$CODE"
  run_cutover "${P[@]}" model duplicate $m --event-source new --json
  assert_eq "model duplicate $m leaves webinar out" 1 "$(jq .dropped <<<"$OUT")"
done
assert_eq "drafts keep weights and lifespans" "email_open|0.2|30" \
  "$(q "$state" "SELECT e.event, e.weight, e.lifespan_days FROM scoring_model_events e JOIN scoring_models m ON m.id = e.model_id WHERE m.name = 'intent-new' AND e.event = 'email_open'")"
run_cutover "${P[@]}" model compare intent intent --as-of 2026-10-02 --labels conversions --json
assert_eq "a model against itself: dAUC 0, PSI 0, Spearman 1, similar" "0 0 1 similar" \
  "$(jq -r '"\(.delta_auc) \(.psi) \(.spearman) \(.verdict)"' <<<"$OUT")"
run_cutover "${P[@]}" model sample intent intent-new --as-of 2026-10-02 --html "$WORK/sample.html" --seed 7
assert_eq "sample page written" 0 "$CODE"
assert_eq "sample page: 10 people per segment" 40 "$(grep -c '<tr><td\|<tr class="moved"><td' "$WORK/sample.html")"
cp "$WORK/sample.html" "$WORK/sample1.html"
"$CUTOVER" "${P[@]}" model sample intent intent-new --as-of 2026-10-02 --html "$WORK/sample.html" --seed 7 -q
assert_eq "the same seed gives the same sample" "$(sha256sum <"$WORK/sample1.html")" "$(sha256sum <"$WORK/sample.html")"

# The batch flag: scoring waits while it is stopped.
run_cutover "${P[@]}" events batch stop
run_cutover "${P[@]}" model score intent --as-of 2026-10-02
assert_eq "model score refused while the batch is stopped (exit 10)" 10 "$CODE"
assert_contains "and says why" "batch is stopped" "$ERR"
run_cutover "${P[@]}" events batch start
run_cutover "${P[@]}" model score intent --as-of 2026-10-02 --json
assert_eq "model score runs again" 0 "$CODE"

# A switch that is not similar: the old mapping stays on, the batch runs.
run_cutover "${P[@]}" events switch --model engagement --draft engagement-new --as-of 2026-10-02 --labels conversions --json
assert_eq "not similar: exit 12" 12 "$CODE"
assert_eq "not similar: nothing published" "false not similar" \
  "$(jq -r '"\(.published) \(.comparison.verdict)"' <<<"$OUT")"
assert_eq "old mapping on, new off" "1|on 2|off" \
  "$(q "$state" "SELECT id || '|' || status FROM event_mappings ORDER BY id" | paste -sd' ')"
assert_eq "batch running" 1 "$(q "$state" "SELECT running FROM scoring_batch")"
assert_eq "engagement still published, its draft still a draft" "published draft" \
  "$(q "$state" "SELECT status FROM scoring_models WHERE name IN ('engagement', 'engagement-new') ORDER BY name" | paste -sd' ')"
assert_eq "each step journaled" "stop batch,switch mappings,load draft,check events,compare,restore mappings,restart batch" \
  "$(q "$state" "SELECT step FROM scoring_switch_steps WHERE switch_id = 1 ORDER BY seq" | paste -sd,)"
assert_eq "the batch's stop time recorded" 2026-11-01T00:00:00Z \
  "$(q "$state" "SELECT batch_stopped_at FROM scoring_switches WHERE id = 1")"

# A switch killed after switching the mappings (as the journal would show it):
# scoring and a new switch wait; recover puts the old mapping back.
q "$state" "INSERT INTO scoring_switches (old_model, draft_model, old_mapping, new_mapping, as_of,
  batch_stopped_at, started_at) SELECT o.id, d.id, 1, 2, '2026-10-02', '2026-11-01T00:00:00Z',
  '2026-11-01T00:00:00Z' FROM scoring_models o, scoring_models d
  WHERE o.name = 'intent' AND d.name = 'intent-new';
  INSERT INTO scoring_switch_steps SELECT max(id), 1, 'stop batch', 'done', '', '2026-11-01T00:00:00Z' FROM scoring_switches;
  INSERT INTO scoring_switch_steps SELECT max(id), 2, 'switch mappings', 'done', '', '2026-11-01T00:00:00Z' FROM scoring_switches;
  UPDATE event_mappings SET status = CASE id WHEN 1 THEN 'off' ELSE 'on' END;
  UPDATE scoring_batch SET running = 0;"
run_cutover "${P[@]}" events switch --model intent --draft intent-new --as-of 2026-10-02 --labels conversions
assert_eq "a switch while another is unfinished: exit 10" 10 "$CODE"
run_cutover "${P[@]}" events recover --json
assert_eq "recover exits 0, not published" '0 {"switch":2,"published":false}' "$CODE $OUT"
assert_eq "recover: old mapping on, new off, batch running" "1|on 2|off 1" \
  "$(q "$state" "SELECT id || '|' || status FROM event_mappings ORDER BY id" | paste -sd' ') $(q "$state" "SELECT running FROM scoring_batch")"
assert_eq "recover: the switch ended, kept old" "kept old" "$(q "$state" "SELECT outcome FROM scoring_switches WHERE id = 2")"
run_cutover "${P[@]}" events recover
assert_eq "nothing left to recover (exit 7)" 7 "$CODE"

# Publishing can need a second person (approvals: publish_model): the similar
# draft is kept back until someone other than the one switching approves it.
cp "$demo/cutover.yaml" "$demo/approve.yaml"
printf 'approvals:\n  publish_model: all\n' >>"$demo/approve.yaml"
A=(-p "$demo/approve.yaml" --by alice)
run_cutover "${A[@]}" events switch --model intent --draft intent-new --as-of 2026-10-02 --labels conversions
assert_eq "similar but unapproved: kept (exit 12)" 12 "$CODE"
assert_contains "the journal says the approval is missing" "approval|refused" \
  "$(q "$state" "SELECT step || '|' || status FROM scoring_switch_steps WHERE step = 'approval'")"
assert_eq "intent still published" "published" "$(q "$state" "SELECT status FROM scoring_models WHERE name = 'intent'")"
run_cutover "${A[@]}" approve intent-new --step publish_model
assert_eq "alice may not approve her own switch" 2 "$CODE"
run_cutover -p "$demo/approve.yaml" approve intent-new --step publish_model --by bob
assert_eq "bob approves" 0 "$CODE"

# A similar one: published, the old model archived; the old mapping stays off
# because engagement (published) still reads the old source.
run_cutover "${A[@]}" events switch --model intent --draft intent-new --as-of 2026-10-02 --labels conversions
assert_eq "similar: exit 0" 0 "$CODE"
assert_contains "similar: says so" "published intent-new" "$OUT"
assert_eq "intent archived, intent-new published" "archived published" \
  "$(q "$state" "SELECT status FROM scoring_models WHERE name IN ('intent', 'intent-new') ORDER BY name" | paste -sd' ')"
assert_eq "the published draft's score bands are kept (10 shares summing to 1)" "10 1" \
  "$(q "$state" "SELECT draft_bands FROM scoring_switches WHERE outcome = 'published'" | jq -r '"\(length) \(add | . * 1000 | round / 1000)"')"
assert_eq "new mapping on" "1|off 2|on" \
  "$(q "$state" "SELECT id || '|' || status FROM event_mappings ORDER BY id" | paste -sd' ')"

# After the publish, monitoring tracks the model's PSI against its publish-time
# scores, day by day, for a switched tenant (monitor's probe; flagged at 0.1).
t=$("$CUTOVER" "${P[@]}" status --json | jq -r '.tenants[0].tenant')
run_cutover "${P[@]}" migrate --tenant "$t" --skip-rehearsal -q
assert_eq "a tenant switched to monitor" 0 "$CODE"
CUTOVER_NOW=2026-11-04T06:00:00Z run_cutover "${P[@]}" monitor --tenant "$t" --no-budgets --json
psi=$(jq -c '[.tenants[0].days[] | select(.series == "psi:intent-new")]' <<<"$OUT")
assert_eq "one PSI per monitored day" 3 "$(jq length <<<"$psi")"
assert_eq "against the limit of events.similar.psi" "0.1" "$(jq '.[0].baseline' <<<"$psi")"
assert_eq "a month of decay since the publish's date moves the scores: flagged, exit 14" \
  "14 true" "$CODE $(jq '[.[] | .flagged and .deviation > 0.1] | all' <<<"$psi")"

# Revert inside the 30 days.
CUTOVER_NOW=2026-11-20T00:00:00Z run_cutover "${P[@]}" events revert
assert_eq "revert within 30 days exits 0" 0 "$CODE"
assert_eq "revert restores the model" "published archived" \
  "$(q "$state" "SELECT status FROM scoring_models WHERE name IN ('intent', 'intent-new') ORDER BY name" | paste -sd' ')"
assert_eq "revert restores the mapping" "1|on 2|off" \
  "$(q "$state" "SELECT id || '|' || status FROM event_mappings ORDER BY id" | paste -sd' ')"
run_cutover "${P[@]}" events revert
assert_eq "nothing left to revert (exit 7)" 7 "$CODE"

# Publish again, then try to revert after the window.
run_cutover "${P[@]}" model duplicate intent --event-source new --as intent-new2 -q
run_cutover "${P[@]}" events switch --model intent --draft intent-new2 --as-of 2026-10-02 --labels conversions -q
assert_eq "second switch published" 0 "$CODE"
CUTOVER_NOW=2026-12-02T00:00:01Z run_cutover "${P[@]}" events revert
assert_eq "revert after 30 days refused (exit 13)" 13 "$CODE"
assert_contains "refusal names the window" "30 days" "$ERR"
assert_eq "refused revert changes nothing" "archived published" \
  "$(q "$state" "SELECT status FROM scoring_models WHERE name IN ('intent', 'intent-new2') ORDER BY name" | paste -sd' ')"

# Errors.
run_cutover "${P[@]}" events compare --old old --new nosuch
assert_eq "an unknown source: exit 7" 7 "$CODE"
printf 'a,b,weird\n' >"$WORK/bad.csv"
run_cutover "${P[@]}" events mapping import "$WORK/bad.csv" --event-source old
assert_eq "a bad mapping file: usage error with its line" "2" "$CODE"
assert_contains "the error names the line" "bad.csv:1" "$ERR"
finish
