# test_parity.sh: shadow reads on the demo (SQLite). The demo's parity
# questions (the contact list page, a contact's engagement history for three
# contacts, the campaign report) agree on a faithful copy of a clean syncing
# tenant, and its reads may then move; a passing run older than
# parity.max_age no longer lets them; a target row altered while it syncs is
# found by the questions that read it, journaled with sample rows of both
# sides (exit 12), the read share is refused and verify names the row; a new
# query over its budget fails its check; a planted tenant's rejected rows
# show up as the differences they are. status --json, the report and the
# dashboard's API carry each tenant's latest parity run.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.004 --seed 11 -q
proj=$demo/cutover.yaml
# A clean tenant (nothing planted) and a planted one with a rejected contact.
clean=$(jq -r '[.tenants[] | select((.duplicate_pairs | length) == 0 and (.malformed_emails | length) == 0
                 and (.invalid_utf8_names | length) == 0 and (.deleted_contacts | length) == 0)][0].id' "$demo/planted.json")
planted=$(jq -r '[.tenants[] | select((.malformed_emails | length) > 0)][0].id' "$demo/planted.json")
run_cutover -p "$proj" migrate --tenant "$clean" --skip-rehearsal --coexist -q
assert_eq "the clean tenant migrates and stays syncing" "0 syncing" \
  "$CODE $(q "$demo/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$clean'")"
run_cutover -p "$proj" migrate --tenant "$planted" --skip-rehearsal -q
assert_eq "the planted tenant migrates" 0 "$CODE"
# reads [SHARE]: sync once (a fresh lag), then ask for the read share.
reads() {
  "$CUTOVER" -p "$proj" sync --tenant "$clean" --once -q >/dev/null 2>&1
  run_cutover -p "$proj" route "$clean" --reads "$1"
}
reads 10
assert_eq "before any parity run, the read share is refused (13)" 13 "$CODE"
assert_contains "saying why" "tenant $clean has no parity run" "$ERR"

# A faithful copy: every check passes, and the run is journaled.
run_cutover -p "$proj" parity --tenant "$clean" --json
assert_eq "parity passes on a faithful copy" 0 "$CODE"
[[ $CODE -eq 0 ]] || echo "$OUT$ERR" | head -20
assert_eq "five checks: the list, three contacts' histories, the report; all pass" \
  "5 true contact_list engagement_history engagement_history engagement_history campaign_report" \
  "$(jq -r '.tenants[0] | [(.checks | length), .pass] + [.checks[].query] | join(" ")' <<<"$OUT")"
assert_eq "each history is asked for one contact of the each query" \
  "$(q "$demo/legacy.db" "SELECT id FROM contacts WHERE account_id = $clean ORDER BY id LIMIT 1")" \
  "$(jq -r '.tenants[0].checks[1].params.contact' <<<"$OUT")"
assert_eq "both sides answered with rows, and were timed" "true true" \
  "$(jq -r '.tenants[0].checks[0] | [.old_rows == .new_rows and .new_rows > 0, .old_seconds > 0 and .new_seconds > 0] | join(" ")' <<<"$OUT")"
assert_eq "the journal holds the passing run" "$clean|5|0|1" \
  "$(q "$demo/.cutover/state.db" "SELECT tenant, checks, failed, pass FROM parity_runs ORDER BY id DESC LIMIT 1")"
parity_status() { # the tenant's parity in status --json
  "$CUTOVER" -p "$proj" status --json | jq -r --arg t "$clean" \
    '.tenants[] | select(.tenant == $t) | .parity | "\(.pass) \(.checks) \(.failed) \(.mismatches) \(.at != null)"'
}
assert_eq "status --json carries the latest parity run: passed, 5 checks, none failed" \
  "true 5 0 0 true" "$(parity_status)"
assert_eq "a tenant without a parity run has none in status" null \
  "$("$CUTOVER" -p "$proj" status --json | jq -c --arg t "$planted" '.tenants[] | select(.tenant == $t) | .parity')"
reads 10
assert_eq "after a passing run, reads move: 10% new" "0 10" \
  "$CODE $("$CUTOVER" -p "$proj" route "$clean" --json | jq .read_share)"
# A passing run older than parity.max_age (3600 s) lets no share through.
CUTOVER_NOW=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ) "$CUTOVER" -p "$proj" parity --tenant "$clean" -q >/dev/null
reads 20
assert_eq "a passing run two hours old is too old (13)" 13 "$CODE"
assert_contains "saying so" "older than parity.max_age (3600 s)" "$ERR"
run_cutover -p "$proj" parity --tenant "$clean" -q

# A planted divergence while the tenant syncs: one contact of the first page
# renamed in the target,
# one event of the first history contact changed (which the campaign report
# counts too).
contact=$(q "$demo/crm.db" "SELECT id FROM contacts WHERE account_id = $clean ORDER BY last_name, first_name, id LIMIT 1 OFFSET 3")
first=$(q "$demo/legacy.db" "SELECT id FROM contacts WHERE account_id = $clean ORDER BY id LIMIT 1")
q "$demo/crm.db" "UPDATE contacts SET title = 'Planted Editor' WHERE id = $contact;
  UPDATE engagements SET kind = 'click' WHERE id = (SELECT max(id) FROM engagements WHERE contact_id = $first AND kind <> 'click')"
run_cutover -p "$proj" parity --tenant "$clean" --json
assert_eq "parity finds the divergence (exit 12)" 12 "$CODE"
assert_eq "the list, the first history and the report (its opens and clicks) differ, one row a side" \
  "rows 1 1|rows 1 1|pass|pass|rows 1 1" \
  "$(jq -r '[.tenants[0].checks[] | "\(.outcome)\(if .outcome == "rows" then " \(.old_only) \(.new_only)" else "" end)"] | join("|")' <<<"$OUT")"
assert_eq "the samples show the old row and the new one" "$contact Planted Editor" \
  "$(jq -r '.tenants[0].checks[0].samples | "\(.old_only[0][0]) \(.new_only[0][4])"' <<<"$OUT")"
assert_eq "the old row keeps the source's title" \
  "$(q "$demo/legacy.db" "SELECT coalesce(title, 'null') FROM contacts WHERE id = $contact")" \
  "$(jq -r '.tenants[0].checks[0].samples.old_only[0][4] // "null"' <<<"$OUT")"
assert_eq "the journal keeps the failed run and each mismatch with its sample rows" \
  "0|3|rows|1|1|1" \
  "$(q "$demo/.cutover/state.db" "SELECT r.pass, r.failed, c.outcome, c.old_only, c.new_only,
      instr(c.samples, 'Planted Editor') > 0 FROM parity_runs r JOIN parity_checks c ON c.run_id = r.id
      WHERE r.id = (SELECT max(id) FROM parity_runs) AND c.query = 'contact_list'")"
assert_eq "the history's mismatch names its contact" "{\"contact\":$first}" \
  "$(q "$demo/.cutover/state.db" "SELECT params FROM parity_checks WHERE run_id = (SELECT max(id) FROM parity_runs) AND outcome = 'rows' AND query = 'engagement_history'")"
run_cutover -p "$proj" parity --tenant "$clean"
assert_contains "the text output says what differs" "1 rows only in the old answer, 1 only in the new" "$OUT"
assert_contains "and shows the sample rows" "Planted Editor" "$OUT"
# The failed run in status, the report and the dashboard's API.
assert_eq "status --json: the latest run failed, 3 of 5 checks, 6 rows on one side only" \
  "false 5 3 6 true" "$(parity_status)"
run_cutover -p "$proj" status
assert_contains "status says so" "parity: run $(q "$demo/.cutover/state.db" "SELECT max(id) FROM parity_runs") FAILED at" "$OUT"
run_cutover -p "$proj" report --tenant "$clean" -o -
assert_contains "the report shows the failed parity run" \
  "failed at <span class=t>$(q "$demo/.cutover/state.db" "SELECT at FROM parity_runs ORDER BY id DESC LIMIT 1")</span>, 3 of 5 checks failed, 6 rows on one side only." "$OUT"
"$CUTOVER" -p "$proj" serve --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
server=$!
for _ in $(seq 100); do grep -q '^token' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^cutover: serving \(http[^ ]*\) .*/\1/p' "$WORK/serve.out")
assert_eq "/api/tenants: the failed parity run" "false 3 6" \
  "$(curl -s "${url}api/tenants" | jq -r --arg t "$clean" '.tenants[] | select(.tenant == $t) | .parity | "\(.pass) \(.failed) \(.mismatches)"')"
assert_eq "/api/tenants/T: the same in the tenant's document" "false 5" \
  "$(curl -s "${url}api/tenants/$clean" | jq -r '.status.parity | "\(.pass) \(.checks)"')"
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
reads 20
assert_eq "after a failing run the read share is refused (13)" 13 "$CODE"
assert_contains "saying how many checks failed" "failed 3 of its 5 checks" "$ERR"
assert_eq "and stays as it was" 10 "$("$CUTOVER" -p "$proj" route "$clean" --json | jq .read_share)"
run_cutover -p "$proj" verify --tenant "$clean" --json
assert_eq "verify names the altered contact" "12 true" \
  "$CODE $(jq --argjson id "$contact" '[.. | objects | select(.entity? == "contacts") | .. | numbers | select(. == $id)] | length > 0' <<<"$OUT")"

# A budget the new query cannot meet fails its check with outcome budget.
sed 's/budget: 500ms/budget: 0.000001/' "$proj" >"$demo/tight.yaml"
run_cutover -p "$demo/tight.yaml" --state "sqlite:$WORK/tight-state.db" parity --tenant "$planted" --json
assert_eq "a question over its budget fails (exit 12)" "12 budget" \
  "$CODE $(jq -r '.tenants[0].checks[0].outcome' <<<"$OUT")"
assert_contains "naming its time and budget" "over its budget of 0.000 s" \
  "$(jq -r '.tenants[0].checks[0].detail' <<<"$OUT")"

# The planted tenant: the events of its contact with a malformed address were
# rejected with it, and the campaign report counts them on the old side only.
run_cutover -p "$proj" parity --tenant "$planted" --json
assert_eq "the planted tenant's rejected rows are differences" "12 rows" \
  "$CODE $(jq -r '.tenants[0].checks[] | select(.query == "campaign_report") | .outcome' <<<"$OUT")"
finish
