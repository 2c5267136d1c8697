# test_pg_monitor.sh: the after-the-switch tables with the journal on
# PostgreSQL: a switch that waits for a second person's approval, a note, a
# monitor check that flags a drop and alerts, and status, the report and the
# API's tenant document reading them back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"
pg_journal_demo 0.002 13
cat >> "$proj" <<'YAML'
monitor:
  volumes:
    - { entity: engagements, time: occurred_at, by: kind }
budgets:
  - { name: tenant_engagements, sql: "SELECT count(*) FROM engagements WHERE account_id = :tenant", repeat: 2 }
approvals:
  switch: all
hooks:
  on_alert: "cat > alert.json"
YAML
run() { run_cutover -p "$proj" --state "$journal" "$@"; }
t=$(q "$demo/legacy.db" "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
camp=$(q "$demo/legacy.db" "SELECT min(id) FROM campaigns WHERE account_id = $t")
con=$(q "$demo/legacy.db" "SELECT min(id) FROM contacts WHERE account_id = $t")
# 20 clicks on each of the four Mondays before the switch (Monday 1 March 2027).
q "$demo/legacy.db" "
  WITH RECURSIVE w(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM w WHERE n < 4),
       i(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM i WHERE m < 20)
  INSERT INTO events (campaign_id, contact_id, kind, occurred_at)
  SELECT $camp, $con, 'click', strftime('%Y-%m-%dT10:00:00Z', '2027-03-01', '-' || (7 * w.n) || ' days')
  FROM w, i"

export CUTOVER_NOW=2027-03-01T09:00:00Z
run migrate --tenant "$t" --skip-rehearsal --by alice -q
assert_eq "the switch waits for approval (journal on PostgreSQL)" 13 "$CODE"
run approve "$t" --step switch --by alice
assert_eq "the starter is refused" 2 "$CODE"
run approve "$t" --step switch --by bob
assert_eq "a second person approves" 0 "$CODE"
run migrate --tenant "$t" --skip-rehearsal --by alice -q
assert_eq "the tenant switches" 0 "$CODE"
assert_eq "the approvals are in PostgreSQL" "requested refused approved" \
  "$(psql -X -q -A -t "$journal" -c "SELECT string_agg(event, ' ' ORDER BY id) FROM approvals")"
run note "$t" "support: a customer misses Monday's clicks" --by ann
assert_eq "a note" 0 "$CODE"

# Monday 1 March in the new system: 2 clicks instead of 20.
q "$demo/crm.db" "
  WITH RECURSIVE i(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM i WHERE m < 2)
  INSERT INTO engagements (account_id, contact_id, campaign_id, kind, occurred_at)
  SELECT $t, $con, $camp, 'click', '2027-03-01T11:00:00Z' FROM i"
export CUTOVER_NOW=2027-03-02T06:00:00Z
run monitor --json
assert_eq "monitor flags the drop: exit 14" 14 "$CODE"
assert_eq "the flagged series: the clicks, and so the total" \
  '["2027-03-01 engagements 2 20","2027-03-01 engagements kind=click 2 20"]' \
  "$(jq -c '[.tenants[].days[] | select(.flagged) | "\(.day) \(.series) \(.actual) \(.baseline | floor)"]' <<<"$OUT")"
assert_eq "the hook got them" "engagements|engagements kind=click" "$(jq -r '[.flags[].series] | join("|")' "$demo/alert.json")"
assert_eq "the check, its days and budgets are in PostgreSQL" "2 2 1" \
  "$(psql -X -q -A -t "$journal" -c "SELECT (SELECT flags FROM monitor_checks), (SELECT count(*) FROM monitor_volumes WHERE flagged = 1), (SELECT count(*) FROM budget_results WHERE pass = 1)" | tr '|' ' ')"
run status --json
assert_eq "status reads notes and the check back" "1 2" \
  "$(jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | "\(.notes) \(.monitor.flags)"' <<<"$OUT")"
run report --tenant "$t" -o "$WORK/r.html"
assert_contains "the report shows the note" "support: a customer misses Monday&#39;s clicks" "$(cat "$WORK/r.html")"
finish
