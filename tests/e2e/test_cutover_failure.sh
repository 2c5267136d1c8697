# test_cutover_failure.sh: a tenant whose cutover (a project with capture)
# fails while its rows stream, on the source side or the target side, is
# rolled back: migrate exits with the failure's own code (4 source, 5
# target), the target holds none of the tenant's rows, the source takes the
# tenant's writes again, and the summary, --json and status show it rolled
# back, with no rows counted as loaded. Once migrated, the summary's
# per-entity lines add up.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.002 --seed 7 -q
sqlite3 "$demo/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
proj=$demo/cutover.yaml tgt=$demo/crm.db src=$demo/legacy.db state=$demo/.cutover/state.db
t=$(q "$src" "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
before=$(db_checksum "$tgt")

# rolled_back TENANT WHAT: the tenant left nothing behind and can be written to.
rolled_back() {
  assert_eq "$2: the target is as it was" "$before" "$(db_checksum "$tgt")"
  assert_eq "$2: none of the tenant's rows in the target" "0 0 0" \
    "$(q "$tgt" "SELECT (SELECT count(*) FROM contacts WHERE account_id = $1) || ' ' ||
                        (SELECT count(*) FROM campaigns WHERE account_id = $1) || ' ' ||
                        (SELECT count(*) FROM engagements WHERE account_id = $1)")"
  assert_eq "$2: the source takes the tenant's writes again" 0 \
    "$(sqlite3 "$src" "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; echo $?)"
  assert_eq "$2: the route stays old" old "$("$CUTOVER" -p "$proj" route "$1")"
  run_cutover -p "$proj" status --json
  assert_eq "$2: status says rolled back, nothing loaded" "rolled_back failed 0 true" \
    "$(jq -r ".tenants[] | select(.tenant == \"$1\") |
       \"\(.state) \(.last_run.status) \(.last_run.loaded) \(.last_run.rolled_back > 0)\"" <<<"$OUT")"
  run_cutover -p "$proj" status
  assert_contains "$2: the status table says rolled back instead of the rows" "rolled back" \
    "$(grep -E "^$1 " <<<"$OUT")"
}

# A source query that fails while the engagements stream, after the earlier
# entities loaded: exit 4, as without capture.
sed "s/e\.kind, e\.occurred_at/CASE WHEN e.id % 500 = 0 THEN json_extract('not json', '\$') ELSE e.kind END AS kind, e.occurred_at/" \
  "$proj" > "$demo/source-fails.yaml"
assert_eq "the failing query is in place" 1 "$(grep -c "not json" "$demo/source-fails.yaml")"
proj=$demo/source-fails.yaml
run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal
assert_eq "source error mid-load: exit 4" 4 "$CODE"
assert_contains "source error mid-load: says rolled back and why" \
  "tenant $t rolled back, still on the source: source: query failed: malformed JSON" "$ERR"
line=$(grep -E "^$t " <<<"$OUT")
assert_contains "source error mid-load: the summary shows the tenant rolled back" \
  "ROLLED BACK, nothing of it in the target" "$line"
assert_eq "source error mid-load: the summary counts none of its rows" "" \
  "$(grep -E '^(teams|contacts|engagements) ' <<<"$OUT")"
loaded=$(q "$state" "SELECT sum(loaded) FROM steps WHERE run_id = (SELECT max(id) FROM runs WHERE tenant = '$t')")
assert_eq "source error mid-load: rows had been loaded before the error" true \
  "$( (( loaded > 0 )) && echo true || echo false)"
rolled_back "$t" "source error mid-load"

# The same through --json: the status and the entities say so.
run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal --json
assert_eq "source error, --json: exit 4" 4 "$CODE"
assert_eq "source error, --json: status rolled_back, nothing loaded, some rolled back" "rolled_back 0 true" \
  "$(jq -r '.tenants[0] | "\(.status) \([.entities[].loaded] | add) \([.entities[].rolled_back] | add > 0)"' <<<"$OUT")"
assert_contains "source error, --json: the error" "malformed JSON" "$(jq -r '.tenants[0].error' <<<"$OUT")"

# A target that fails while the engagements load (a trigger that errs at
# run time, not a constraint): exit 5.
proj=$demo/cutover.yaml
q "$tgt" "CREATE TRIGGER fails AFTER INSERT ON engagements WHEN NEW.id % 500 = 0
          BEGIN SELECT json_extract('not json', '\$'); END"
before=$(db_checksum "$tgt")
run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal --start-over --json
assert_eq "target error mid-load: exit 5" 5 "$CODE"
assert_contains "target error mid-load: says rolled back and why" \
  "tenant $t rolled back, still on the source: target: insert into engagements: malformed JSON" "$ERR"
assert_eq "target error mid-load: --json status" rolled_back "$(jq -r '.tenants[0].status' <<<"$OUT")"
rolled_back "$t" "target error mid-load"

# Once the cause is gone the tenant migrates and switches.
q "$tgt" "DROP TRIGGER fails"
run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal
assert_eq "with the cause gone: switched" "0 new" "$CODE $("$CUTOVER" -p "$proj" route "$t")"
# The summary shows, per entity, source rows = loaded + merged + rejected,
# as the journal counted them.
run=$(q "$state" "SELECT max(id) FROM runs WHERE tenant = '$t' AND command = 'migrate'")
assert_eq "the summary's per-entity lines match the journal" \
  "$(q "$state" "SELECT entity || ' ' || source_rows || ' ' || loaded || ' ' || (source_rows - loaded - rejected) || ' ' || rejected || ' yes' FROM steps WHERE run_id = $run ORDER BY rowid")" \
  "$(sed -n '/^entity  *source rows/,/^$/p' <<<"$OUT" | sed 1d | tr -d , | awk 'NF == 6 {print $1, $2, $3, $4, $5, $6}')"
assert_eq "and some contacts merged on this tenant" true \
  "$(awk '$1 == "contacts" {gsub(",", ""); print ($4 > 0) ? "true" : "false"}' <<<"$OUT")"
# On a terminal, the progress bar is cleared before the line that says the
# tenant switched (it used to end "... ETA 0stenant N: switched").
u=$(q "$src" "SELECT id FROM accounts WHERE id <> $t ORDER BY id LIMIT 1")
script -qec "\"$CUTOVER\" -p \"$proj\" migrate --tenant $u --skip-rehearsal" "$WORK/tty.log" >/dev/null 2>&1
assert_contains "on a terminal the tenant switches" "tenant $u: switched" "$(cat "$WORK/tty.log")"
assert_eq "and the line starts clean, the bar cleared first" "" \
  "$(grep -a "tenant $u: switched" "$WORK/tty.log" | grep -av -e "^tenant $u: switched" -e $'\033\\[Ktenant '"$u: switched")"
finish
