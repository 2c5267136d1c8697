# test_monitor.sh: after the switch. A switch that needs a second person's
# approval waits (exit 13) until someone other than its starter approves; the
# starter's own approval is refused. A planted drop in post-switch traffic of
# one event kind is flagged against the same weekdays before the switch, the
# on_alert hook gets it as JSON on stdin and in its environment, and monitor
# exits 14 (0 once the traffic is back). Notes show in status and the report.
# A staging database that lacks the index a budgeted query needs fails the
# rehearsal, naming the query and its measured time; with the index it passes.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.004 --seed 21 -q
proj=$demo/cutover.yaml
mapfile -t T < <(q "$demo/legacy.db" "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")
big=${T[0]} small=${T[3]}

# The budgeted query: a page of contacts with their engagement counts. With
# the index on engagements(contact_id) it takes well under a millisecond;
# without it, each contact of the page scans every engagement (~0.2 s here),
# far over a 50 ms budget however loaded the machine is.
cat >> "$proj" <<'YAML'
monitor:
  days: 7
  weeks: 4
  tolerance: 50%
  min_baseline: 5
  volumes:
    - { entity: engagements, time: occurred_at, by: kind }
budgets:
  - name: contact_page_engagement
    sql: |
      SELECT c.id, (SELECT count(*) FROM engagements e WHERE e.contact_id = c.id) AS n
      FROM (SELECT id FROM contacts WHERE account_id = :tenant ORDER BY id LIMIT 100) AS c
    budget: 50ms
    repeat: 3
approvals:
  switch: all
hooks:
  on_alert: "cat > alert.json; env | grep ^CUTOVER_ | sort > alert.env"
YAML

# The small tenant's history in the source: every day of February 2027,
# 30 opens and 20 clicks (the demo's own events end in October 2026).
camp=$(q "$demo/legacy.db" "SELECT min(id) FROM campaigns WHERE account_id = $small")
con=$(q "$demo/legacy.db" "SELECT min(id) FROM contacts WHERE account_id = $small")
q "$demo/legacy.db" "
  WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 27),
       k(kind, per) AS (VALUES ('open', 30), ('click', 20)),
       i(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM i WHERE m < 30)
  INSERT INTO events (campaign_id, contact_id, kind, occurred_at)
  SELECT $camp, $con, k.kind, strftime('%Y-%m-%dT10:00:00Z', '2027-02-01', '+' || d.n || ' days')
  FROM d, k, i WHERE i.m <= k.per"

# Approvals: the switch waits for a second person.
export CUTOVER_NOW=2027-03-01T09:00:00Z
run_cutover -p "$proj" migrate --tenant "$small" --skip-rehearsal --by alice -q
assert_eq "a switch that needs approval waits: exit 13" 13 "$CODE"
assert_contains "it says whose approval it waits for" "waits for a second person's approval" "$ERR"
assert_contains "and who requested it" "requested by alice" "$ERR"
assert_eq "the tenant stays on the source" old "$("$CUTOVER" -p "$proj" route "$small")"
run_cutover -p "$proj" status --json
assert_eq "status shows the step waiting" "switch (requested by alice)" \
  "$(jq -r --arg t "$small" '.tenants[] | select(.tenant == $t) | .waiting_approval' <<<"$OUT")"
run_cutover -p "$proj" approve "$small" --step switch --by alice
assert_eq "the starter's own approval is refused (exit 2)" 2 "$CODE"
assert_contains "saying why" "alice started step switch of $small and cannot approve it" "$ERR"
CUTOVER_USER=alice run_cutover -p "$proj" approve "$small" --step switch
assert_eq "CUTOVER_USER names the approver too: alice is still refused" 2 "$CODE"
run_cutover -p "$proj" approve "$small" --step finalize --by bob
assert_eq "nothing to approve for a step not requested: exit 7" 7 "$CODE"
run_cutover -p "$proj" approve "$small" --step switch --by bob
assert_eq "a second person's approval is accepted" 0 "$CODE"
CUTOVER_USER=alice run_cutover -p "$proj" migrate --tenant "$small" --skip-rehearsal -q
assert_eq "the next run switches the tenant" "0 new" "$CODE $("$CUTOVER" -p "$proj" route "$small")"
assert_eq "every request, refusal and approval is journaled" \
  "requested|alice refused|alice refused|alice approved|bob" \
  "$(q "$demo/.cutover/state.db" "SELECT event || '|' || person FROM approvals WHERE subject = '$small' ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"

# After the switch the new system is written to: the same traffic, except on
# Thursday 4 March, when only 2 clicks arrive (a broken tracking link).
q "$demo/crm.db" "
  WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 6),
       k(kind, per) AS (VALUES ('open', 30), ('click', 20)),
       i(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM i WHERE m < 30)
  INSERT INTO engagements (account_id, contact_id, campaign_id, kind, occurred_at)
  SELECT $small, $con, $camp, k.kind, strftime('%Y-%m-%dT11:00:00Z', '2027-03-01', '+' || d.n || ' days')
  FROM d, k, i WHERE i.m <= CASE WHEN k.kind = 'click' AND d.n = 3 THEN 2 ELSE k.per END"

export CUTOVER_NOW=2027-03-08T06:00:00Z
run_cutover -p "$proj" monitor --json
assert_eq "a flag: monitor exits 14" 14 "$CODE"
mon=$(jq -c --arg t "$small" '.tenants[] | select(.tenant == $t)' <<<"$OUT")
assert_eq "7 complete days judged for 3 series (total, open, click)" 21 \
  "$(jq '[.days[] | select(.judged)] | length' <<<"$mon")"
assert_eq "exactly the planted drop is flagged" '["2027-03-04 engagements kind=click 2 20"]' \
  "$(jq -c '[.days[] | select(.flagged) | "\(.day) \(.series) \(.actual) \(.baseline | floor)"]' <<<"$mon")"
assert_eq "the budget query passes on the target (indexed)" true "$(jq '.budgets[0].pass' <<<"$mon")"
assert_eq "the hook saw the flag as JSON on stdin" \
  "$small volume engagements kind=click 2027-03-04 2 -0.9" \
  "$(jq -r '"\(.tenant) \(.flags[0].type) \(.flags[0].series) \(.flags[0].day) \(.flags[0].actual) \(.flags[0].deviation)"' "$demo/alert.json")"
assert_eq "one flag in the document" 1 "$(jq '.flags | length' "$demo/alert.json")"
assert_contains "and in its environment" "CUTOVER_ALERT_FLAGS=1" "$(cat "$demo/alert.env")"
assert_contains "with the tenant and phase" "CUTOVER_PHASE=on_alert" "$(cat "$demo/alert.env")"
assert_contains "and a summary" "engagements kind=click on 2027-03-04: 2 rows, baseline 20.0 (-90%)" \
  "$(cat "$demo/alert.env")"
assert_eq "the check is journaled with its flag and the hook's outcome" "1|on_alert hook ran" \
  "$(q "$demo/.cutover/state.db" "SELECT flags || '|' || alert FROM monitor_checks WHERE tenant = '$small' ORDER BY id DESC LIMIT 1")"
run_cutover -p "$proj" status
assert_contains "status shows the flag" "tenant $small: monitor 2027-03-08T06:00:00Z: FLAGGED" "$OUT"

# The clicks arrive late: no flag, exit 0, no alert.
q "$demo/crm.db" "
  WITH RECURSIVE i(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM i WHERE m < 18)
  INSERT INTO engagements (account_id, contact_id, campaign_id, kind, occurred_at)
  SELECT $small, $con, $camp, 'click', '2027-03-04T15:00:00Z' FROM i"
rm -f "$demo/alert.json"
run_cutover -p "$proj" monitor --tenant "$small" --json
assert_eq "traffic back to its baseline: exit 0" "0 0" "$CODE $(jq '.tenants[0].flags' <<<"$OUT")"
assert_eq "no alert without a flag" no "$([[ -e $demo/alert.json ]] && echo yes || echo no)"
CUTOVER_NOW=2027-03-20T06:00:00Z run_cutover -p "$proj" monitor --tenant "$small"
assert_eq "after its period the tenant is not monitored: exit 0" 0 "$CODE"
assert_contains "saying so" "monitoring period ended on 2027-03-08" "$OUT"

# Notes: journaled with time and author, shown by status and the report.
run_cutover -p "$proj" note "$small" "Sales: <b>clicks</b> looked low on Thursday" --by "Ann Sales"
assert_eq "a note is journaled" 0 "$CODE"
run_cutover -p "$proj" note 999999 "nobody" --by x
assert_eq "a note on an unknown tenant: exit 7" 7 "$CODE"
run_cutover -p "$proj" status
assert_contains "status shows the note with its time and author" \
  "1 note, latest 2027-03-08T06:00:00Z Ann Sales: Sales: <b>clicks</b> looked low on Thursday" "$OUT"
run_cutover -p "$proj" status --json
assert_eq "status --json counts it" 1 "$(jq --arg t "$small" '.tenants[] | select(.tenant == $t) | .notes' <<<"$OUT")"
run_cutover -p "$proj" report --tenant "$small" -o "$WORK/report.html"
assert_eq "the report is written" 0 "$CODE"
report=$(cat "$WORK/report.html")
assert_contains "the report shows the note (escaped) by its author" \
  "<td>Ann Sales</td><td>Sales: &lt;b&gt;clicks&lt;/b&gt; looked low on Thursday</td>" "$report"
assert_contains "and the monitor's flag" \
  "<td class=\"n bad\">1</td><td>1 flagged: engagements kind=click on 2027-03-04: 2 rows, baseline 20.0 (-90%)</td><td>on_alert hook ran</td>" "$report"
assert_contains "and the latest check's daily volumes" \
  "<td>engagements kind=click</td><td class=t>2027-03-04</td><td class=n>20</td><td class=n>20.0</td>" "$report"
assert_contains "and the approvals" "<td>approved</td><td>bob</td>" "$report"
run_cutover -p "$proj" report -o "$WORK/all.html"
assert_contains "the overview lists the tenant after the switch, with its note" \
  "<tr><td>$small</td><td class=t>2027-03-08T06:00:00Z</td><td class=n>0</td>" "$(cat "$WORK/all.html")"

# The dashboard's API has the same.
"$CUTOVER" -p "$proj" serve --listen 127.0.0.1:0 > "$WORK/serve.out" 2>"$WORK/serve.err" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q '^token' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^cutover: serving \(http[^ ]*\) .*/\1/p' "$WORK/serve.out")
api=$(curl -s "${url}api/monitor")
assert_eq "/api/monitor: the latest check of the tenant, with no flag" "$small 0" \
  "$(jq -r '.checks[0] | "\(.tenant) \(.flags)"' <<<"$api")"
assert_eq "/api/monitor: the latest budget result" "contact_page_engagement 1" \
  "$(jq -r '.budgets[0] | "\(.query) \(.pass)"' <<<"$api")"
assert_eq "/api/monitor: the note" "Ann Sales" "$(jq -r '.notes[0].author' <<<"$api")"
tenant_doc=$(curl -s "${url}api/tenants/$small")
assert_eq "/api/tenants/T: notes, checks (newest first), approvals" "1 1 0 4" \
  "$(jq -r '"\(.notes | length) \(.monitor_checks[1].flags) \(.monitor_checks[0].flags) \(.approvals | length)"' <<<"$tenant_doc")"
kill $server 2>/dev/null

# Query budgets in rehearsal: staging lacks the index the query needs.
unset CUTOVER_NOW
q "$demo/staging.db" "DROP INDEX engagements_contact"
run_cutover -p "$proj" rehearse --tenant "$big"
assert_eq "a query over its budget fails the rehearsal: exit 12" 12 "$CODE"
assert_contains "naming the query and its measured time" \
  "query budgets broken on staging: query contact_page_engagement took " "$OUT"
assert_contains "against its budget" "over its budget of 0.050 s" "$OUT"
measured=$(q "$demo/.cutover/state.db" "SELECT printf('%.3f', p95) FROM budget_results WHERE tenant = '$big' AND phase = 'rehearsal' ORDER BY id DESC LIMIT 1")
assert_contains "the time named is the one measured and journaled" "took $measured s" "$OUT"
assert_eq "and it is over the budget" 1 "$(q "$demo/.cutover/state.db" "SELECT p95 > 0.05 FROM budget_results WHERE tenant = '$big' ORDER BY id DESC LIMIT 1")"
run_cutover -p "$proj" migrate --tenant "$big" --by alice -q
assert_eq "migrate refuses the tenant whose rehearsal failed" 13 "$CODE"
assert_contains "for want of a passing rehearsal" "no passing rehearsal" "$ERR"
q "$demo/staging.db" "CREATE INDEX engagements_contact ON engagements(contact_id)"
run_cutover -p "$proj" rehearse --tenant "$big"
assert_eq "with the index the rehearsal passes" 0 "$CODE"
run_cutover -p "$proj" budgets --tenant "$big" --on-staging --json
assert_eq "cutover budgets times the queries on staging" "0 true 3" \
  "$CODE $(jq -r '.tenants[0].budgets[0] | "\(.pass) \(.runs)"' <<<"$OUT")"
finish
