# test_schema_fingerprint.sh: a rehearsal holds for the schemas it ran
# against. migrate refuses (exit 13) a tenant whose source or target schema
# changed since its rehearsal, naming the column and both declared types;
# an unchanged schema migrates; a new rehearsal makes the change accepted.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.002 --seed 7 -q
proj=$demo/cutover.yaml src=$demo/legacy.db tgt=$demo/crm.db

run_cutover -p "$proj" rehearse --tenant 1 --tenant 2 --tenant 3 -q
assert_eq "three tenants rehearsed" 0 "$CODE"
run_cutover -p "$proj" migrate --tenant 1 -q
assert_eq "an unchanged schema migrates" "0 new" "$CODE $("$CUTOVER" -p "$proj" route 1)"

# events.occurred_at: ISO text becomes integer epochs after the rehearsal.
sqlite3 "$src" "BEGIN;
  CREATE TABLE events_new (id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL,
    contact_id INTEGER NOT NULL, kind TEXT NOT NULL, occurred_at INTEGER NOT NULL);
  INSERT INTO events_new SELECT id, campaign_id, contact_id, kind,
    CAST(strftime('%s', occurred_at) AS INTEGER) FROM events;
  DROP TABLE events; ALTER TABLE events_new RENAME TO events; COMMIT;"
run_cutover -p "$proj" migrate --tenant 2 -q
assert_eq "a changed source column type: migrate refuses (exit 13)" 13 "$CODE"
assert_contains "naming the column and both types" \
  "source events.occurred_at TEXT not-null -> INTEGER not-null" "$ERR"
assert_eq "tenant 2 stays on the source, nothing in the target" "old 0" \
  "$("$CUTOVER" -p "$proj" route 2) $(q "$tgt" "SELECT count(*) FROM contacts WHERE account_id = 2")"

# A rehearsal against the schema as it is now is accepted again...
run_cutover -p "$proj" rehearse --tenant 2 -q
run_cutover -p "$proj" migrate --tenant 2 -q
assert_eq "rehearsed again, tenant 2 migrates" "0 new" "$CODE $("$CUTOVER" -p "$proj" route 2)"

# ...and the target counts too.
sqlite3 "$tgt" "ALTER TABLE contacts ADD COLUMN nickname TEXT"
run_cutover -p "$proj" migrate --tenant 3 -q
assert_eq "a column added to a target table: refused (exit 13)" 13 "$CODE"
assert_contains "naming it" "target contacts.nickname added (TEXT)" "$ERR"
finish
