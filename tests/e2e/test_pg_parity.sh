# test_pg_parity.sh: shadow reads with PostgreSQL as the source and as the
# target. The demo's legacy CRM and the new CRM both on the test server; the
# parity questions in PostgreSQL's SQL, the new history giving its times as
# timestamptz (another spelling of the same moments, equal once `types` says
# so). A faithful copy passes; a target row altered afterwards fails the
# question that reads it, journaled with sample rows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures
demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.002 --seed 13 -q >/dev/null
pg_demo_legacy "$demo"
pgsql postgres -c "CREATE DATABASE crm" && pgsql crm -f "$FIX/crm-target-pg.sql" >/dev/null
proj=$demo/pg.yaml
pg_demo_project "$proj"
cat >>"$proj" <<'YAML'

parity:
  max_age: 600s
  queries:
    - name: contact_list
      old: SELECT id, first_name, last_name, email, title FROM contacts WHERE account_id = :tenant ORDER BY last_name, first_name, id LIMIT 50
      new: SELECT id, first_name, last_name, email, title FROM contacts WHERE account_id = :tenant ORDER BY last_name, first_name, id LIMIT 50
      budget: 2s
    - name: engagement_history
      each: SELECT id AS contact FROM contacts WHERE account_id = :tenant ORDER BY id LIMIT 2
      old: |
        SELECT e.id, e.kind, e.occurred_at FROM events e JOIN campaigns c ON c.id = e.campaign_id
        WHERE c.account_id = :tenant AND e.contact_id = :contact ORDER BY e.occurred_at, e.id
      new: |
        SELECT id, kind, occurred_at::timestamptz AS occurred_at FROM engagements
        WHERE account_id = :tenant AND contact_id = :contact ORDER BY occurred_at, id
      types: { occurred_at: timestamptz }
    - name: campaign_report
      old: |
        SELECT c.id, c.subject, count(e.id) AS events, sum(CASE WHEN e.kind = 'open' THEN 1 ELSE 0 END) AS opens
        FROM campaigns c LEFT JOIN events e ON e.campaign_id = c.id WHERE c.account_id = :tenant GROUP BY c.id, c.subject
      new: |
        SELECT c.id, c.subject, count(g.id) AS events, sum(CASE WHEN g.kind = 'open' THEN 1 ELSE 0 END) AS opens
        FROM campaigns c LEFT JOIN engagements g ON g.campaign_id = c.id WHERE c.account_id = :tenant GROUP BY c.id, c.subject
YAML
clean=$(jq -r '[.tenants[] | select((.duplicate_pairs | length) == 0 and (.malformed_emails | length) == 0
                 and (.invalid_utf8_names | length) == 0 and (.deleted_contacts | length) == 0)][0].id' "$demo/planted.json")
pg=(-p "$proj" --source "$PG_BASE/legacy" --target "$PG_BASE/crm")
run_cutover "${pg[@]}" migrate --tenant "$clean" --skip-rehearsal -q
assert_eq "the clean tenant moves from PostgreSQL to PostgreSQL" 0 "$CODE"
[[ $CODE -eq 0 ]] || echo "$ERR" | head -5

run_cutover "${pg[@]}" parity --tenant "$clean" --json
assert_eq "parity passes on a faithful copy" "0 4 true" \
  "$CODE $(jq -r '.tenants[0] | "\(.checks | length) \(.pass)"' <<<"$OUT")"
[[ $CODE -eq 0 ]] || echo "$OUT$ERR" | head -20
assert_eq "the new side's timestamptz answers the same moments as the old side's text" "pass pass" \
  "$(jq -r '[.tenants[0].checks[] | select(.query == "engagement_history") | .outcome] | join(" ")' <<<"$OUT")"

# Without the declared type, the two spellings differ: types is what makes them one.
sed 's/      types: { occurred_at: timestamptz }//' "$proj" >"$demo/untyped.yaml"
run_cutover -p "$demo/untyped.yaml" --source "$PG_BASE/legacy" --target "$PG_BASE/crm" \
  --state "sqlite:$WORK/untyped.db" parity --tenant "$clean" --json
assert_eq "undeclared, the spellings differ" "12 rows" \
  "$CODE $(jq -r '.tenants[0].checks[1].outcome' <<<"$OUT")"

contact=$(pgsql crm -c "SELECT id FROM contacts WHERE account_id = $clean ORDER BY last_name, first_name, id LIMIT 1")
pgsql crm -c "UPDATE contacts SET email = 'planted@example.org' WHERE id = $contact"
run_cutover "${pg[@]}" parity --tenant "$clean" --json
assert_eq "a target row altered is found by the contact list (exit 12)" "12 rows 1 1" \
  "$CODE $(jq -r '.tenants[0].checks[0] | "\(.outcome) \(.old_only) \(.new_only)"' <<<"$OUT")"
assert_eq "the other questions still pass" "pass pass pass" \
  "$(jq -r '[.tenants[0].checks[1:][] | .outcome] | join(" ")' <<<"$OUT")"
assert_eq "the sample shows both rows" "$contact $contact planted@example.org" \
  "$(jq -r '.tenants[0].checks[0].samples | "\(.old_only[0][0]) \(.new_only[0][0]) \(.new_only[0][3])"' <<<"$OUT")"
assert_eq "the journal keeps the mismatch with its samples" "0|1" \
  "$(q "$demo/.cutover/state.db" "SELECT r.pass, instr(c.samples, 'planted@example.org') > 0
      FROM parity_runs r JOIN parity_checks c ON c.run_id = r.id
      WHERE r.id = (SELECT max(id) FROM parity_runs) AND c.seq = 1")"
finish
