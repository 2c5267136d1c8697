# test_pg_capture.sh: a cutover whose source is PostgreSQL. The PL/pgSQL
# triggers record the writes a tenant makes while it is copied, so that the
# switched target holds every one of them; once frozen, the source refuses the
# tenant's writes with a message naming it while other tenants write on; a
# rollback lets the tenant write again, and the last tenant out leaves no
# table, function or trigger of cutover behind.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server

# The demo's legacy tables, copied into PostgreSQL.
demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.004 --seed 21 -q
pg_demo_legacy "$demo"

# The PostgreSQL mapping with the demo's capture (pg.sh), and the reverse
# mappings of contacts and engagements for the rollback after the switch.
proj=$demo/pg.yaml
pg_demo_project "$proj"
sed -i -e '/^    follows: { contacts: { id: id } }$/a\    reverse: { table: contacts, key: { id: id }, columns: { title: title } }' \
    -e '/^    follows: { events: { id: id } }$/a\    reverse: { table: events, key: { id: id }, columns: { campaign_id: campaign_id, contact_id: contact_id, kind: kind, occurred_at: occurred_at } }' \
    "$proj"
mapfile -t T < <(pgsql legacy -c "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1")
big=${T[0]} other=${T[1]}

# The application keeps recording events for the big tenant during its cutover,
# until the source refuses them.
writer() {
  local i campaign contact
  campaign=$(pgsql legacy -c "SELECT min(id) FROM campaigns WHERE account_id = $big")
  contact=$(pgsql legacy -c "SELECT min(id) FROM contacts WHERE account_id = $big")
  for i in $(seq 1 400); do
    pgsql legacy -c "INSERT INTO events VALUES ((SELECT max(id) + 1 FROM events), $campaign, $contact, 'open', '2026-11-21T00:00:00Z')" \
      2>>"$WORK/writer.err" || break
    sleep 0.01
  done
  echo "$i" >"$WORK/writer.count"
}
writer &
writing=$!
sleep 0.3
run_cutover -p "$proj" --source "$PG_BASE/legacy" migrate --tenant "$big" --skip-rehearsal --json
wait "$writing"
assert_eq "the tenant migrated under writes is switched" "0 switched" "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
[[ $CODE -eq 0 ]] || echo "$ERR" | sed -n 1,10p
assert_contains "the writer was stopped by the freeze, which names the tenant" "tenant $big is frozen" \
  "$(cat "$WORK/writer.err")"
applied=$(jq '.tenants[0].changes_applied' <<<"$OUT")
if [[ $applied -gt 0 ]]; then pass "writes made during the copy were caught up ($applied)"; else fail "no change was caught up"; fi
assert_eq "every event the source accepted is loaded or rejected with a reason" \
  "$(pgsql legacy -c "SELECT count(*) FROM events e JOIN campaigns c ON c.id = e.campaign_id WHERE c.account_id = $big")" \
  "$(( $(q "$demo/crm.db" "SELECT count(*) FROM engagements WHERE account_id = $big") + $(jq '.tenants[0].load.entities.engagements.rejected // .tenants[0].entities.engagements.rejected' <<<"$OUT") ))"
assert_eq "the last event written before the freeze is in the target" \
  "$(pgsql legacy -c "SELECT max(id) FROM events")" "$(q "$demo/crm.db" "SELECT max(id) FROM engagements")"
assert_eq "another tenant still writes" 0 \
  "$(pgsql legacy -c "UPDATE contacts SET title = title WHERE account_id = $other" >/dev/null 2>&1; echo $?)"
assert_eq "the freeze is one row, not a lock" "$big" "$(pgsql legacy -c "SELECT tenant FROM cutover_frozen")"

# The new system takes writes after the switch: a contact edited, an event
# recorded, and an event dated beyond what the legacy system accepts.
x=$(q "$demo/crm.db" "SELECT min(id) FROM contacts WHERE account_id = $big")
campaign=$(q "$demo/crm.db" "SELECT min(id) FROM campaigns WHERE account_id = $big")
q "$demo/crm.db" "UPDATE contacts SET title = 'Chief Editor' WHERE id = $x;
  INSERT INTO engagements VALUES (99000001, $big, $x, $campaign, 'click', '2026-11-21T10:00:00Z');
  INSERT INTO engagements VALUES (99000002, $big, $x, $campaign, 'click', '2030-01-01T00:00:00Z')"
pgsql legacy -c "ALTER TABLE events ADD CONSTRAINT legacy_dates CHECK (occurred_at < '2030') NOT VALID"

# The journal lost: the marks on the PostgreSQL source (and the target) refuse a rerun.
mv "$demo/.cutover" "$WORK/journal.kept"
run_cutover -p "$proj" --source "$PG_BASE/legacy" migrate --all --skip-rehearsal -q
assert_eq "a lost journal is refused on a PostgreSQL source (exit 15)" 15 "$CODE"
assert_contains "naming the switched tenant's mark on the source" \
  "tenant $big on the source (switched by journal" "$ERR"
assert_eq "the new system's write is intact" "Chief Editor" \
  "$(q "$demo/crm.db" "SELECT title FROM contacts WHERE id = $x")"
rm -rf "$demo/.cutover" && mv "$WORK/journal.kept" "$demo/.cutover"

# A rollback carries them back, opens the source to the tenant again and, the
# last tenant out, removes every object cutover created.
run_cutover -p "$proj" --source "$PG_BASE/legacy" rollback --tenant "$big" --json
assert_eq "rollback succeeds" 0 "$CODE"
[[ $CODE -eq 0 ]] || echo "$ERR" | sed -n 1,10p
assert_eq "the new system's writes are carried back into the source" "Chief Editor|1" \
  "$(pgsql legacy -c "SELECT (SELECT title FROM contacts WHERE id = $x), (SELECT count(*) FROM events WHERE id = 99000001)")"
assert_eq "the row the source refuses is counted, not lost (it stays in the export)" "1 1" \
  "$(jq '.not_carried' <<<"$OUT") $(grep -c '"id":99000002' "$(jq -r '.export_file' <<<"$OUT")")"
assert_eq "the tenant writes to the source again" 0 \
  "$(pgsql legacy -c "UPDATE contacts SET title = title WHERE account_id = $big" >/dev/null 2>&1; echo $?)"
assert_eq "no cutover table, function or trigger is left" "0 0 0" \
  "$(pgsql legacy -c "SELECT (SELECT count(*) FROM pg_tables WHERE tablename LIKE 'cutover%'),
                             (SELECT count(*) FROM pg_proc WHERE proname LIKE 'cutover%'),
                             (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cutover%')" | tr '|' ' ')"
finish
