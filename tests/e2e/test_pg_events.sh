# test_pg_events.sh: an event source on PostgreSQL. The demo's new tracking
# integration is copied into a PostgreSQL table (timestamptz times) and read
# as a third source; volumes and scores through it must equal those of the
# same rows read from SQLite. Then the whole switch with the journal on
# PostgreSQL.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
export PGPASSWORD=$PG_PASSWORD
demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.005 -q >/dev/null 2>&1 || { fail "demo init"; finish; exit 1; }
export CUTOVER_NOW=2026-11-01T00:00:00Z

pgsql postgres -c "CREATE DATABASE tracking" >/dev/null
pgsql tracking -c "CREATE TABLE tracking_new (person_id bigint, account_id bigint, event text,
                   occurred_at timestamptz, properties jsonb)" >/dev/null
sqlite3 -batch -csv "$demo/behaviour.db" "SELECT * FROM tracking_new" >"$WORK/new.csv"
pgsql tracking -c "\\copy tracking_new FROM '$WORK/new.csv' WITH (FORMAT csv)"
assert_eq "rows copied into PostgreSQL" "$(q "$demo/behaviour.db" "SELECT count(*) FROM tracking_new")" \
  "$(pgsql tracking -c "SELECT count(*) FROM tracking_new")"

# A third source: the same rows, on PostgreSQL.
events_through_server "$demo" pg "$PG_BASE/tracking" PostgreSQL "$PG_PASSWORD"

# The journal on PostgreSQL: mappings, models, a switch and its revert.
pgsql postgres -c "CREATE DATABASE journal" >/dev/null
S=$demo/scoring
J=(-p "$demo/cutover.yaml" --state "$PG_BASE/journal")
"$CUTOVER" "${J[@]}" events mapping import "$S/old-mapping.csv" --event-source old -q
"$CUTOVER" "${J[@]}" events mapping duplicate old --to-source pgnew --rename "$S/rename.csv" -q
"$CUTOVER" "${J[@]}" model import intent "$S/intent.csv" --event-source old --percentiles -q
"$CUTOVER" "${J[@]}" model duplicate intent --event-source pgnew -q
run_cutover "${J[@]}" events switch --model intent --draft intent-pgnew --as-of 2026-10-02 --labels conversions
assert_eq "switch with a PostgreSQL journal: published" 0 "$CODE"
assert_eq "journal: models" "intent|archived intent-pgnew|published" \
  "$(pgsql journal -c "SELECT name || '|' || status FROM scoring_models ORDER BY name" | paste -sd' ')"
assert_eq "journal: steps" "stop batch,switch mappings,load draft,check events,compare,publish,restart batch" \
  "$(pgsql journal -c "SELECT step FROM scoring_switch_steps ORDER BY seq" | paste -sd,)"
CUTOVER_NOW=2026-11-05T00:00:00Z run_cutover "${J[@]}" events revert
assert_eq "revert with a PostgreSQL journal" "0 on" \
  "$CODE $(pgsql journal -c "SELECT status FROM event_mappings WHERE source = 'old'")"
finish
