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
assert_eq "clean checks report no kinds of findings" 0 \
  "$(jq '[.verifications[].checks[].kinds | length] | add' <<<"$OUT")"
assert_eq "verify keeps switched tenants switched" "switched" \
  "$("$CUTOVER" -p "$proj" status --json | jq -r '[.tenants[].state] | unique | join(",")')"
run_cutover -p "$proj" verify --tenant 1
assert_contains "human summary: one line per entity with each check" \
  "engagements: reconcile ok" "$OUT"
assert_contains "human summary: content counted" "content ok" "$OUT"
run_cutover -p "$proj" verify --tenant 1 -v
assert_eq "engagements' two references probed in one statement over one read of its rows, joined to each parent's keys, its NOT NULL columns counted there too" \
  "1 0 0" "$(grep -c 'target sql: SELECT count(CASE WHEN "engagements"."contact_id" IS NOT NULL AND cutover_p0.cutover_v IS NULL THEN 1 END), count(CASE WHEN "engagements"."campaign_id" IS NOT NULL AND cutover_p1.cutover_v IS NULL THEN 1 END), count(CASE WHEN typeof("account_id") = '"'null'"' OR .* FROM (SELECT \* FROM "engagements" AS actual .*) AS "engagements" LEFT JOIN (SELECT DISTINCT parent."id" AS cutover_v FROM "contacts" AS parent WHERE parent."account_id" = :tenant) AS cutover_p0 ON cutover_p0.cutover_v = "engagements"."contact_id" LEFT JOIN' <<<"$ERR") \
$(grep -c 'target sql: SELECT count(\*) FROM (SELECT DISTINCT "campaign_id" AS v' <<<"$ERR") \
$(grep -c 'target sql: SELECT count(CASE WHEN typeof(.* FROM (SELECT \* FROM "engagements" AS actual WHERE [^)]*) AS "engagements"$' <<<"$ERR")"

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
f=$(finding "$t")
assert_eq "duplicated row: duplicate_key, by key" "duplicate_key [${row%|*},${row#*|}] 2" \
  "$(jq -r 'select(.check == "integrity") | "\(.kind) \(.key | tojson) \(.detail.rows)"' <<<"$f")"
assert_eq "duplicated row: content classifies it as duplicate, by key" "duplicate [${row%|*},${row#*|}]" \
  "$(jq -r 'select(.check == "content") | "\(.kind) \(.key | tojson)"' <<<"$f")"

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
assert_eq "foreign row: its contact is another tenant's" "foreign_tenant [90000000] $other" \
  "$(jq -r 'select(.check == "integrity" and .detail.contact_id != null) | "\(.kind) \(.key | tojson) \(.detail.parent_tenant)"' <<<"$f")"
# ... and a contact that is nobody's stays a dangling reference.
q "$tgt" "UPDATE engagements SET contact_id = 99999999 WHERE id = 90000000"
assert_eq "foreign row: a contact of no one is dangling" "dangling_ref [90000000]" \
  "$(finding "$t" | jq -r 'select(.check == "integrity" and .detail.contact_id != null) | "\(.kind) \(.key | tojson)"')"

# 7. NULL turned into ''.
t=${T[7]}
id=$(q "$tgt" "SELECT min(id) FROM contacts WHERE account_id = $t AND title IS NULL")
q "$tgt" "UPDATE contacts SET title = '' WHERE id = $id"
assert_eq "NULL to empty: changed title, null vs \"\"" "changed [$id] null \"\"" \
  "$(finding "$t" | jq -r 'select(.check == "content") | "\(.kind) \(.key | tojson) \(.detail.columns.title.expected | tojson) \(.detail.columns.title.actual | tojson)"')"

# 7b. Contacts merge (survivorship), so the whole tenant is compared by key, the target's
# rows kept as hashes and read again only for the rows that differ: a changed, an extra
# and a missing contact, each with its values.
t=${T[9]}
mapfile -t ids < <(q "$tgt" "SELECT id FROM contacts WHERE account_id = $t AND length(last_name) > 3 ORDER BY id LIMIT 2")
full=$(q "$tgt" "SELECT last_name FROM contacts WHERE id = ${ids[0]}")
gone=$(q "$tgt" "SELECT last_name FROM contacts WHERE id = ${ids[1]}")
q "$tgt" "UPDATE contacts SET last_name = 'Xx' WHERE id = ${ids[0]};
          INSERT INTO contacts SELECT 90000002, account_id, kind, first_name, 'Extra', email || '.x', company_domain, title, custom, created_at, updated_at FROM contacts WHERE id = ${ids[1]};
          DELETE FROM contacts WHERE id = ${ids[1]};"
assert_eq "merged entity: changed, extra and missing contacts, each with its values" \
  "changed [${ids[0]}] $full Xx|extra [90000002] Extra|missing [${ids[1]}] $gone" \
  "$("$CUTOVER" -p "$proj" verify --tenant "$t" --json --sample all | jq -r '.verifications[0].findings[] | select(.check == "content" and .entity == "contacts") | "\(.kind) \(.key | tojson) \(.detail.columns.last_name.expected // .detail.actual.last_name // .detail.expected.last_name)\(if .kind == "changed" then " " + .detail.columns.last_name.actual else "" end)"' | sort | paste -sd'|')"

# 8. A row of no tenant at all (account 999): reported once per command.
q "$tgt" "INSERT INTO engagements SELECT 90000001, 999, contact_id, campaign_id, kind, occurred_at FROM engagements WHERE account_id = ${T[0]} LIMIT 1"
run_cutover -p "$proj" verify --all --json --keep-going -v
assert_eq "row of no tenant: exit 12" 12 "$CODE"
assert_eq "row of no tenant: the tenants of engagements read by a skip scan of its index, once" 1 \
  "$(grep -c 'target sql: WITH RECURSIVE cutover_skip(v) AS (SELECT (SELECT "account_id" FROM "engagements"' <<<"$ERR")"
assert_eq "row of no tenant: one foreign_tenant finding in the run" "foreign_tenant [90000001] 999" \
  "$(jq -r '.verifications[].findings[] | select(.key == [90000001]) | "\(.kind) \(.key | tojson) \(.detail.account_id)"' <<<"$OUT")"
run_cutover -p "$proj" verify --tenant "${T[0]}" --json
assert_eq "row of no tenant: found by a one-tenant verify too" "foreign_tenant" \
  "$(jq -r '.verifications[].findings[] | select(.key == [90000001]) | .kind' <<<"$OUT")"
assert_eq "row of no tenant: integrity totals" 1 \
  "$(jq '.verifications[0].checks[] | select(.entity == "engagements" and .check == "integrity") | .kinds.foreign_tenant' <<<"$OUT")"
q "$tgt" "DELETE FROM engagements WHERE id = 90000001"

# 9. Totals per kind are complete whatever --sample lists.
t=${T[8]}
mapfile -t ids < <(q "$tgt" "SELECT id FROM engagements WHERE account_id = $t ORDER BY id DESC LIMIT 3")
q "$tgt" "DELETE FROM engagements WHERE id IN (${ids[0]}, ${ids[1]}, ${ids[2]})"
run_cutover -p "$proj" verify --tenant "$t" --json --sample 1
content=$(jq -c '.verifications[0].checks[] | select(.entity == "engagements" and .check == "content")' <<<"$OUT")
assert_eq "sample 1: one missing row listed, three counted" "1 3 3" \
  "$(jq -r '[.verifications[0].findings[] | select(.check == "content")] | length' <<<"$OUT") $(jq .kinds.missing <<<"$content") $(jq .differences <<<"$content")"
run_cutover -p "$proj" verify --tenant "$t"
assert_contains "human summary: totals per kind" "(3 missing)" "$OUT"
run_cutover -p "$proj" verify --tenant "$t" --json --sample all
assert_eq "sample all: every missing row listed" 3 \
  "$(jq '[.verifications[0].findings[] | select(.check == "content" and .kind == "missing")] | length' <<<"$OUT")"
run_cutover -p "$proj" verify --tenant "$t" --sample none
assert_eq "sample: a word other than all is a usage error" 2 "$CODE"
run_cutover -p "$proj" status
assert_contains "status names the failed checks" "engagements content" "$OUT"

# The journal keeps results; status shows them.
run_cutover -p "$proj" status --json
assert_eq "status: the tenant with a NULL turned '' failed verification" "false" \
  "$(jq ".tenants[] | select(.tenant == \"$t\") | .verification.pass" <<<"$OUT")"
stored=$(q "$demo/.cutover/state.db" 'SELECT count(DISTINCT run_id) FROM findings')
ok=false; (( stored >= 7 )) && ok=true
assert_eq "findings of each failed verification are in the journal ($stored runs)" true "$ok"

# Declared lengths and NOT NULL, on a copy whose contacts declare last_name
# VARCHAR(12) and title NOT NULL (SQLite enforces neither here: the first is
# a declaration only, the second is added to the schema behind its back).
cp -r "$demo" "$WORK/declared"
dt=$WORK/declared/crm.db
q "$dt" "CREATE TABLE c2 (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, kind TEXT NOT NULL,
           first_name TEXT NOT NULL, last_name VARCHAR(12) NOT NULL, email TEXT, company_domain TEXT,
           title TEXT, custom TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
         INSERT INTO c2 SELECT * FROM contacts; DROP TABLE contacts; ALTER TABLE c2 RENAME TO contacts;"
q "$dt" "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = replace(sql, 'title TEXT,', 'title TEXT NOT NULL,') WHERE name = 'contacts';"
t=$(q "$dt" "SELECT account_id FROM contacts WHERE length(last_name) > 12 AND account_id IN (SELECT account_id FROM contacts WHERE typeof(title) = 'null') ORDER BY 1 LIMIT 1")
long=$(q "$dt" "SELECT id || ' ' || length(last_name) FROM contacts WHERE account_id = $t AND length(last_name) > 12 ORDER BY id LIMIT 1")
null=$(q "$dt" "SELECT min(id) FROM contacts WHERE account_id = $t AND typeof(title) = 'null'")
f=$("$CUTOVER" -p "$WORK/declared/cutover.yaml" verify --tenant "$t" --json --sample all | jq -c '.verifications[0].findings[] | select(.entity == "contacts" and .check == "integrity")')
assert_eq "too long: the row, its length and the limit" "too_long [${long% *}] ${long#* } 12" \
  "$(jq -r 'select(.kind == "too_long")| "\(.kind) \(.key | tojson) \(.detail.length) \(.detail.limit)"' <<<"$f" | head -n 1)"
assert_eq "NOT NULL: the row with a NULL title" "null [$null]" \
  "$(jq -r 'select(.kind == "null") | "\(.kind) \(.key | tojson)"' <<<"$f" | head -n 1)"

# Chinook: REAL money in NUMERIC columns, non-ASCII text: zero findings.
ch=$WORK/chinook
mkdir -p "$ch"
cp "$SHARED/data/chinook/Chinook_Sqlite.sqlite" "$CUTOVER_SOURCE_DIR/tests/fixtures/chinook/cutover.yaml" "$ch/"
sqlite3 "$ch/target.db" < "$CUTOVER_SOURCE_DIR/tests/fixtures/chinook/target.sql"
run_cutover -p "$ch/cutover.yaml" migrate --skip-rehearsal --all --no-verify -q
assert_eq "chinook: migrate" 0 "$CODE"
# Loaded with --no-verify, never verified: a rerun that verifies does not
# load it again, but it does prove it; once verified, a rerun leaves it be.
run_cutover -p "$ch/cutover.yaml" migrate --skip-rehearsal --all --json
assert_eq "chinook: a rerun skips the unverified tenant's load and verifies it" "skipped true" \
  "$(jq -r '.tenants[] | "\(.status) \(.verified)"' <<<"$OUT" | sort -u)"
run_cutover -p "$ch/cutover.yaml" migrate --skip-rehearsal --all --json
assert_eq "chinook: a verified tenant is skipped without a verification" "skipped null" \
  "$(jq -r '.tenants[] | "\(.status) \(.verified)"' <<<"$OUT" | sort -u)"
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
# A half: 1.005 in the source, the next double up in the target. Both are
# 1.01 to the cent; round(x * 100) / 100 makes the first 1.00, so the row path
# (reached here through row 7's change in the same range) and the hash path
# must round alike.
q "$ch/Chinook_Sqlite.sqlite" "UPDATE InvoiceLine SET UnitPrice = 1.005 WHERE InvoiceLineId = 8"
q "$ch/target.db" "UPDATE invoice_lines SET unit_price = 1.0050000000000001 WHERE id = 8"
run_cutover -p "$ch/cutover.yaml" verify --all --json
assert_eq "chinook: a half rounds alike on the row path" "changed [7]" \
  "$(jq -r '.verifications[].findings[] | "\(.kind) \(.key | tojson)"' <<<"$OUT")"
q "$ch/target.db" "UPDATE invoice_lines SET unit_price = unit_price - 0.011 WHERE id = 7"
run_cutover -p "$ch/cutover.yaml" verify --all --json
assert_eq "chinook: a half rounds alike on the hash path" 0 "$CODE"

finish
