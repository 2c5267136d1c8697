# test_rollback_incomplete.sh: a failure during the rollback does not hide
# the first failure. A target table goes away inside the freeze: the
# verification fails (no such table), and the rollback's purge fails on the
# same table. migrate exits 7 (the first failure's) and says it first, then the
# rollback's, what remains and the command that finishes it; the freeze is
# lifted all the same; status (and the report, and the dashboard's JSON)
# shows the tenant "rollback_incomplete" with the command that finishes it; once
# the table is back, the next migrate finishes the rollback, then moves the
# tenant, verified.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.002 --seed 11 -q
sqlite3 "$demo/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
src=$demo/legacy.db tgt=$demo/crm.db
t=$(q "$src" "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")

# The fault, once: inside the freeze the target's engagements table goes away.
cat >"$demo/fault.sh" <<'SH'
#!/bin/sh
[ -e fault.done ] && exit 0
touch fault.done
sqlite3 crm.db "ALTER TABLE engagements RENAME TO engagements_away"
SH
chmod +x "$demo/fault.sh"
proj=$demo/fault.yaml
{ grep -v '^hooks:' "$demo/cutover.yaml"; printf '\nhooks:\n  on_freeze: ./fault.sh\n'; } >"$proj"

run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal
assert_eq "a missing target table inside the freeze, then in the rollback: exit 7 (the first failure's: not found)" 7 "$CODE"
first=$(grep -b -o "engagements" <<<"$ERR" | head -1 | cut -d: -f1)
then=$(grep -b -o "then its rollback failed" <<<"$ERR" | head -1 | cut -d: -f1)
assert_eq "the first failure comes first, then the rollback's" true \
  "$( [[ -n $first && -n $then ]] && (( first < then )) && echo true || echo false)"
assert_contains "it says what remains" "rollback incomplete: what remains: purging its rows from the target" "$ERR"
assert_contains "and the command that finishes it" "cutover rollback --tenant $t" "$ERR"
assert_eq "the freeze is lifted all the same: the tenant writes" 0 \
  "$(sqlite3 "$src" "UPDATE contacts SET title = 'After the fault' WHERE account_id = $t" >/dev/null 2>&1; echo $?)"
assert_eq "the route stays old" old "$("$CUTOVER" -p "$proj" route "$t")"
run_cutover -p "$proj" status --json
assert_eq "status shows the rollback incomplete" rollback_incomplete \
  "$(jq -r ".tenants[] | select(.tenant == \"$t\") | .state" <<<"$OUT")"
assert_eq "with the command that finishes it" "cutover rollback --tenant $t" \
  "$(jq -r ".tenants[] | select(.tenant == \"$t\") | .finish_with" <<<"$OUT")"
run_cutover -p "$proj" status
assert_contains "the status table too" "rollback_incomplete" "$(grep -E "^$t " <<<"$OUT")"
assert_contains "and the command" "rollback incomplete: finish it with cutover rollback --tenant $t" "$OUT"
run_cutover -p "$proj" report -o "$WORK/report.html"
html=$(cat "$WORK/report.html")
assert_contains "the report's table: rollback_incomplete" "<td class=state>rollback_incomplete</td>" "$html"
assert_contains "the report: what it means and the command that finishes it" \
  "Rollback incomplete: part of the tenant may remain in the target. Finish it with <code>cutover rollback --tenant $t</code>" "$html"
assert_eq "the tenant's other rows are still in the target (the purge stopped)" true \
  "$( (( $(q "$tgt" "SELECT count(*) FROM contacts WHERE account_id = $t") > 0 )) && echo true || echo false)"

# The table is back: the next migrate finishes the rollback first, then moves
# the tenant; the write made after the fault is in the target.
sqlite3 "$tgt" "ALTER TABLE engagements_away RENAME TO engagements"
run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal --json
assert_eq "the next migrate finishes the rollback and switches the tenant" "0 switched" \
  "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
[[ $CODE -eq 0 ]] || echo "$ERR" | sed -n 1,5p
assert_eq "the write made after the fault is in the target" "After the fault" \
  "$(q "$tgt" "SELECT DISTINCT title FROM contacts WHERE account_id = $t AND title = 'After the fault'")"
run_cutover -p "$proj" verify --tenant "$t"
assert_eq "verify finds nothing" 0 "$CODE"
finish
