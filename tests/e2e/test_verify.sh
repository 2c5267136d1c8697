# test_verify.sh: verification after a clean migration finds nothing; then
# faults injected into the target, one kind per tenant, are each detected,
# classified rightly and located by key. Chinook (money as REAL in NUMERIC
# columns) verifies with zero findings.
source "$(dirname "$0")/lib.sh"
export CUTOVER_NOW=2026-11-15T00:00:00Z

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.005 --seed 11 -q
tgt=$demo/crm.db
# contact_teams without its primary key, so that a duplicate row can exist.
q "$tgt" "CREATE TABLE ct (contact_id INTEGER NOT NULL, team_id INTEGER NOT NULL) STRICT;
          DROP TABLE contact_teams; ALTER TABLE ct RENAME TO contact_teams;"
proj=$demo/cutover.yaml

run_cutover -p "$proj" migrate --skip-rehearsal --all --json
assert_eq "migrate --all (with verification) succeeds" 0 "$CODE"
assert_eq "every tenant verified clean" "true" "$(jq '[.tenants[].verified] | all' <<<"$OUT")"
run_cutover -p "$proj" verify --all --json
assert_eq "verify --all passes" 0 "$CODE"
assert_eq "no findings on a clean migration" 0 "$(jq '[.verifications[].findings | length] | add' <<<"$OUT")"
assert_eq "volume checked on engagements" "true" \
  "$(jq '[.verifications[].checks[] | select(.entity == "engagements" and .check == "volume")] | length > 0' <<<"$OUT")"

# Tenants by size, largest first; clean tenants have no rejects to confuse counts.
mapfile -t T < <(q "$tgt" "SELECT account_id FROM engagements GROUP BY 1 ORDER BY count(*) DESC, 1")
big=${T[0]}
finding() { # TENANT: the findings of a fresh verification, as JSON lines
  "$CUTOVER" -p "$proj" verify --tenant "$1" --json --sample 50 | jq -c '.verifications[0].findings[]'
}

# 1. A changed value, in the largest tenant: found by bisection.
id=$(q "$tgt" "SELECT min(id) FROM engagements WHERE account_id = $big AND kind = 'open'")
q "$tgt" "UPDATE engagements SET kind = 'click' WHERE id = $id"
run_cutover -p "$proj" verify --tenant "$big" --json
assert_eq "changed value: exit 12" 12 "$CODE"
f=$(jq -c '.verifications[0].findings[] | select(.check == "content")' <<<"$OUT")
assert_eq "changed value: one content finding" 1 "$(wc -l <<<"$f")"
assert_eq "changed value: located by key and column" "changed [$id] open click" \
  "$(jq -r '"\(.kind) \(.key | tojson) \(.detail.columns.kind.expected) \(.detail.columns.kind.actual)"' <<<"$f")"
content=$(jq -c '.verifications[0].checks[] | select(.entity == "engagements" and .check == "content")' <<<"$OUT")
compared=$(jq .expected <<<"$content") fetched=$(jq .fetched <<<"$content")
ok=false; (( fetched * 20 < compared )) && ok=true
assert_eq "changed value: located fetching under 5% of the rows ($fetched of $compared)" true "$ok"
q "$tgt" "UPDATE engagements SET kind = 'open' WHERE id = $id"

# 2. A deleted row.
t=${T[1]}
id=$(q "$tgt" "SELECT max(id) FROM engagements WHERE account_id = $t")
q "$tgt" "DELETE FROM engagements WHERE id = $id"
assert_eq "deleted row: missing, by key" "missing [$id]" \
  "$(finding "$t" | jq -r 'select(.check == "content") | "\(.kind) \(.key | tojson)"')"

# 3. A duplicated row (the table has no unique key).
t=${T[2]}
row=$(q "$tgt" "SELECT ct.contact_id, ct.team_id FROM contact_teams ct JOIN contacts c ON c.id = ct.contact_id WHERE c.account_id = $t LIMIT 1")
q "$tgt" "INSERT INTO contact_teams VALUES (${row%|*}, ${row#*|})"
assert_eq "duplicated row: duplicate_key, by key" "duplicate_key [${row%|*},${row#*|}] 2" \
  "$(finding "$t" | jq -r 'select(.check == "integrity") | "\(.kind) \(.key | tojson) \(.detail.rows)"')"

# 4. A truncated text.
t=${T[3]}
id=$(q "$tgt" "SELECT min(id) FROM contacts WHERE account_id = $t AND length(last_name) > 3")
full=$(q "$tgt" "SELECT last_name FROM contacts WHERE id = $id")
q "$tgt" "UPDATE contacts SET last_name = substr(last_name, 1, 2) WHERE id = $id"
assert_eq "truncated text: changed last_name, both values" "changed [$id] $full ${full:0:2}" \
  "$(finding "$t" | jq -r 'select(.check == "content") | "\(.kind) \(.key | tojson) \(.detail.columns.last_name.expected) \(.detail.columns.last_name.actual)"')"

# 5. An event moved into another month: a changed timestamp and two volume groups.
t=${T[4]}
row=$(q "$tgt" "SELECT id, occurred_at FROM engagements WHERE account_id = $t AND occurred_at >= '2026-07-01' ORDER BY id LIMIT 1")
id=${row%|*} at=${row#*|}
q "$tgt" "UPDATE engagements SET occurred_at = datetime(occurred_at, '-2 months') WHERE id = $id"
f=$(finding "$t")
assert_eq "moved event: changed occurred_at" "changed [$id] $at" \
  "$(jq -r 'select(.check == "content") | "\(.kind) \(.key | tojson) \(.detail.columns.occurred_at.expected)"' <<<"$f")"
assert_eq "moved event: two volume groups out of tolerance" 2 "$(jq -r 'select(.check == "volume")' <<<"$f" | jq -s length)"
assert_eq "moved event: the old month lost one" "-1" \
  "$(jq -r "select(.check == \"volume\" and .key[2] == \"${at:0:7}\") | .detail.difference" <<<"$f")"

# 6. A row of another tenant inserted into this one.
t=${T[5]} other=${T[6]}
q "$tgt" "INSERT INTO engagements SELECT 90000000, $t, contact_id, campaign_id, kind, occurred_at FROM engagements WHERE account_id = $other LIMIT 1"
f=$(finding "$t")
assert_eq "foreign row: extra, by key" "extra [90000000]" \
  "$(jq -r 'select(.check == "content") | "\(.kind) \(.key | tojson)"' <<<"$f")"
assert_eq "foreign row: its contact is not this tenant's" "dangling_ref [90000000]" \
  "$(jq -r 'select(.check == "integrity" and .detail.contact_id != null) | "\(.kind) \(.key | tojson)"' <<<"$f" | sort -u | head -n 1)"

# 7. NULL turned into ''.
t=${T[7]}
id=$(q "$tgt" "SELECT min(id) FROM contacts WHERE account_id = $t AND title IS NULL")
q "$tgt" "UPDATE contacts SET title = '' WHERE id = $id"
assert_eq "NULL to empty: changed title, null vs \"\"" "changed [$id] null \"\"" \
  "$(finding "$t" | jq -r 'select(.check == "content") | "\(.kind) \(.key | tojson) \(.detail.columns.title.expected | tojson) \(.detail.columns.title.actual | tojson)"')"

# The journal keeps results; status shows them.
run_cutover -p "$proj" status --json
assert_eq "status: the tenant with a NULL turned '' failed verification" "false" \
  "$(jq ".tenants[] | select(.tenant == \"$t\") | .verification.pass" <<<"$OUT")"
stored=$(q "$demo/.cutover/state.db" 'SELECT count(DISTINCT run_id) FROM findings')
ok=false; (( stored >= 7 )) && ok=true
assert_eq "findings of each failed verification are in the journal ($stored runs)" true "$ok"

# Chinook: REAL money in NUMERIC columns, non-ASCII text: zero findings.
ch=$WORK/chinook
mkdir -p "$ch"
cp "$SHARED/data/chinook/Chinook_Sqlite.sqlite" "$CUTOVER_SOURCE_DIR/tests/fixtures/chinook/cutover.yaml" "$ch/"
sqlite3 "$ch/target.db" < "$CUTOVER_SOURCE_DIR/tests/fixtures/chinook/target.sql"
run_cutover -p "$ch/cutover.yaml" migrate --skip-rehearsal --all --no-verify -q
assert_eq "chinook: migrate" 0 "$CODE"
run_cutover -p "$ch/cutover.yaml" verify --all --json
assert_eq "chinook: verify passes" 0 "$CODE"
assert_eq "chinook: zero findings" 0 "$(jq '[.verifications[].findings | length] | add' <<<"$OUT")"
q "$ch/target.db" "UPDATE invoice_lines SET unit_price = unit_price + 0.001 WHERE id = 7"
run_cutover -p "$ch/cutover.yaml" verify --all --json
assert_eq "chinook: a change below verify.round's 2 decimals is tolerated" 0 "$CODE"
q "$ch/target.db" "UPDATE invoice_lines SET unit_price = unit_price + 0.01 WHERE id = 7"
run_cutover -p "$ch/cutover.yaml" verify --all --json
assert_eq "chinook: a change of one cent is found" "changed [7]" \
  "$(jq -r '.verifications[].findings[] | "\(.kind) \(.key | tojson)"' <<<"$OUT")"

finish
