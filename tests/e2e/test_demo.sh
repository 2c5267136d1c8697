# test_demo.sh: the demo CRM migrated tenant by tenant; every planted problem
# is counted exactly where it belongs (planted.json says what was planted and
# where), nothing is dropped, and running migrate again changes nothing.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
run_cutover demo init "$demo" --scale 0.005 --seed 7
assert_eq "demo init succeeds" 0 "$CODE"
assert_contains "demo init: the index build is a step, timed" "generating indexes: done in" "$ERR"
assert_eq "demo init: and not counted in rows" "" "$(grep 'indexes: .*rows' <<<"$ERR")"
generated=$(sha256sum < "$demo/legacy.db")
planted=$demo/planted.json
tgt=$demo/crm.db src=$demo/legacy.db

run_cutover -p "$demo/cutover.yaml" check
assert_eq "check passes on the demo" 0 "$CODE"

run_cutover -p "$demo/cutover.yaml" migrate --skip-rehearsal --all --json
assert_eq "migrate --all succeeds" 0 "$CODE"
result=$OUT
tenants=$(jq '.totals.tenants' "$planted")
assert_eq "every tenant switched" "$tenants" "$(jq '[.tenants[] | select(.status == "switched")] | length' <<<"$result")"
assert_eq "per tenant and entity, source rows = loaded + merged + rejected" "true" \
  "$(jq '[.tenants[].entities[] | .source_rows == .loaded + .merged + .rejected] | all' <<<"$result")"
# The planted duplicates (the same person in two teams, address in another
# case) merge: one contact each, with both memberships and all engagement.
assert_eq "every planted duplicate pair merged into its smaller id" \
  "$(jq -r '[.tenants[].duplicate_pairs[] | sort | "[\(.[1])]->[\(.[0])]"] | sort | join(",")' "$planted")" \
  "$(q "$demo/.cutover/state.db" "SELECT group_concat(m, ',') FROM (SELECT source_key || '->' || target_key AS m FROM merges WHERE entity = 'contacts' ORDER BY m)")"
assert_eq "contacts merged = planted duplicate pairs" "$(jq '.totals.duplicate_pairs' "$planted")" \
  "$(jq '[.tenants[].entities.contacts.merged] | add' <<<"$result")"

# Reject counts by entity and rule, from the journal.
rejects() { q "$demo/.cutover/state.db" "SELECT count(*) FROM rejects WHERE entity = '$1' AND rule = '$2'"; }
total() { jq "[.tenants[] | $1] | add" "$planted"; }
malformed=$(jq '.totals.malformed_emails' "$planted")
bad_utf8=$(jq '.totals.invalid_utf8_names' "$planted")
assert_eq "malformed emails rejected by the target's CHECK" "$malformed" "$(rejects contacts check)"
assert_eq "the CHECK reject names the constraint" "$malformed" \
  "$(q "$demo/.cutover/state.db" "SELECT count(*) FROM rejects WHERE rule = 'check' AND reason = 'CHECK constraint failed: email_looks_like_an_address'")"
assert_eq "invalid UTF-8 names rejected" "$bad_utf8" "$(rejects contacts invalid_utf8)"
assert_eq "contacts: no other rejects" "$((malformed + bad_utf8))" \
  "$(q "$demo/.cutover/state.db" "SELECT count(*) FROM rejects WHERE entity = 'contacts'")"
assert_eq "events of deleted contacts rejected as ref_missing" "$(jq '.totals.orphan_events' "$planted")" \
  "$(rejects engagements ref_missing)"
assert_eq "events of rejected contacts rejected as ref_rejected" \
  "$(total '.malformed_email_events + .invalid_utf8_events')" "$(rejects engagements ref_rejected)"
assert_eq "tags of rejected contacts rejected as ref_rejected" \
  "$(total '.malformed_email_tags + .invalid_utf8_tags')" "$(rejects contact_tags ref_rejected)"
assert_eq "memberships of rejected contacts rejected" "$((malformed + bad_utf8))" "$(rejects contact_teams ref_rejected)"
assert_eq "no rule outside the planted ones" 0 \
  "$(q "$demo/.cutover/state.db" "SELECT count(*) FROM rejects WHERE rule NOT IN ('check', 'invalid_utf8', 'ref_missing', 'ref_rejected')")"

# Every rejected key is in the reject files, with its reason and the row.
lines=$(cat "$demo"/.cutover/rejects/*.jsonl | wc -l)
assert_eq "reject files hold every reject" "$(q "$demo/.cutover/state.db" 'SELECT count(*) FROM rejects')" "$lines"
first_orphan_tenant=$(jq -r '[.tenants[] | select(.orphan_events > 0)][0].id' "$planted")
orphan_line=$(grep -h '"rule":"ref_missing"' "$demo/.cutover/rejects/$first_orphan_tenant.jsonl" | head -n 1)
deleted=$(jq -c "[.tenants[] | select(.id == $first_orphan_tenant) | .deleted_contacts[]]" "$planted")
assert_eq "an orphan event names a deleted contact" "true" \
  "$(jq --argjson d "$deleted" '.row.contact_id as $c | $d | index($c) != null' <<<"$orphan_line")"
assert_eq "an orphan event's reason names the column and value" "contact_id $(jq .row.contact_id <<<"$orphan_line") matches no loaded contacts row" "$(jq -r .reason <<<"$orphan_line")"
bad=$(jq -r '[.tenants[].invalid_utf8_names[]][0]' "$planted")
if [[ "$bad" != null ]]; then
  line=$(grep -h "\"key\":\\[$bad\\],\"rule\":\"invalid_utf8\"" "$demo"/.cutover/rejects/*.jsonl)
  assert_eq "the invalid name is kept byte for byte as hex" \
    "$(q "$src" "SELECT lower(hex(last_name)) FROM contacts WHERE id = $bad")" "$(jq -r .row.last_name.hex <<<"$line")"
fi

# A contact with 94 or more tags becomes that many tag rows.
jq -c '.tenants[].many_tags[]' "$planted" | while read -r m; do
  id=$(jq .contact <<<"$m") n=$(jq .tags <<<"$m")
  echo "$id $n $(q "$tgt" "SELECT count(*) FROM contact_tags WHERE contact_id = $id")"
done > "$WORK/tags.txt"
assert_eq "many-tag contacts planted" "$(jq '.totals.many_tag_contacts' "$planted")" "$(wc -l < "$WORK/tags.txt")"
assert_eq "each many-tag contact has every tag as a row" "" "$(awk '$2 != $3' "$WORK/tags.txt")"
assert_eq "one has exactly 94" "true" "$(awk '$2 == 94 && $3 == 94 {f = 1} END {print f ? "true" : "false"}' "$WORK/tags.txt")"

# Duplicates across teams with cnn.com / CNN.com become one company per domain.
pair=$(jq -c '[.tenants[].duplicate_pairs[]][0]' "$planted")
a=$(jq '.[0]' <<<"$pair") b=$(jq '.[1]' <<<"$pair")
assert_eq "a duplicate pair's domains differ in case in the source" "1" \
  "$(q "$src" "SELECT count(DISTINCT company_domain) > 1 AND count(DISTINCT lower(company_domain)) = 1 FROM contacts WHERE id IN ($a, $b)")"
assert_eq "and name one company in the target" 1 \
  "$(q "$tgt" "SELECT count(DISTINCT company_domain) FROM contacts WHERE id IN ($a, $b)")"
assert_eq "companies are unique per tenant and lower-case domain" 0 \
  "$(q "$tgt" 'SELECT count(*) FROM companies WHERE domain <> lower(domain)')"

# Clean tenants have no rejects; the never-filled columns are not mapped.
for t in $(jq '.tenants[] | select(.clean) | .id' "$planted"); do
  assert_eq "clean tenant $t has no rejects" 0 "$(jq ".tenants[] | select(.tenant == \"$t\") | .rejected" <<<"$result")"
done
assert_eq "never-filled columns are empty in the source" 0 \
  "$(q "$src" 'SELECT count(*) FROM contacts WHERE fax IS NOT NULL OR legacy_score IS NOT NULL OR custom3 IS NOT NULL')"

# Nothing lost: every source event is loaded or rejected.
assert_eq "events: loaded + rejected = source" "$(q "$src" 'SELECT count(*) FROM events')" \
  "$(( $(q "$tgt" 'SELECT count(*) FROM engagements') + $(q "$demo/.cutover/state.db" "SELECT count(*) FROM rejects WHERE entity = 'engagements'") ))"

# Running migrate again changes nothing.
before=$(db_checksum "$tgt")
run_cutover -p "$demo/cutover.yaml" migrate --skip-rehearsal --all --json
assert_eq "rerun succeeds" 0 "$CODE"
assert_eq "rerun skips every tenant" "$tenants" "$(jq '[.tenants[] | select(.status == "skipped")] | length' <<<"$OUT")"
assert_eq "rerun leaves the target as it was" "$before" "$(db_checksum "$tgt")"
# --again: a switched tenant is refused (roll it back first); once rolled
# back, it reloads through the cutover, to the same target.
big=$(jq -r '[.tenants[] | {id, contacts}] | max_by(.contacts) | .id' "$planted")
migrate_runs() { q "$demo/.cutover/state.db" "SELECT count(*) || ' ' || max(id) FROM runs WHERE tenant = '$big' AND command = 'migrate'"; }
runs_before=$(migrate_runs)
run_cutover -p "$demo/cutover.yaml" migrate --skip-rehearsal --tenant "$big" --again
assert_eq "--again on a switched tenant: exit 13" 13 "$CODE"
assert_contains "--again on a switched tenant: says to roll it back first" \
  "tenant $big is switched: roll it back first" "$ERR"
assert_eq "--again on a switched tenant: no run, target unchanged" "$runs_before $before" \
  "$(migrate_runs) $(db_checksum "$tgt")"
run_cutover -p "$demo/cutover.yaml" rollback --tenant "$big"
assert_eq "rollback of the largest tenant" 0 "$CODE"
assert_eq "its rows left the target" 0 "$(q "$tgt" "SELECT count(*) FROM contacts WHERE account_id = $big")"
run_cutover -p "$demo/cutover.yaml" migrate --skip-rehearsal --tenant "$big" --again --json
assert_eq "--again on the rolled-back tenant reloads it" "0 switched" "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
[[ $CODE -eq 0 ]] || echo "$ERR" | tail -n 3
read -r n_before last_before <<<"$runs_before"
assert_eq "--again made a new migrate run in the journal" "$((n_before + 1)) done" \
  "$(migrate_runs | cut -d' ' -f1) $(q "$demo/.cutover/state.db" "SELECT status FROM runs WHERE tenant = '$big' AND command = 'migrate' AND id > $last_before")"
assert_eq "--again leaves the same target" "$before" "$(db_checksum "$tgt")"

# Status agrees with the migration.
run_cutover -p "$demo/cutover.yaml" status --json
assert_eq "status: all switched" "$tenants" "$(jq '[.tenants[] | select(.state == "switched")] | length' <<<"$OUT")"
assert_eq "status: loaded rows add up" \
  "$(jq '[.tenants[].entities[].loaded] | add' <<<"$result")" "$(jq '[.tenants[].last_run.loaded] | add' <<<"$OUT")"

# Same seed, same data.
run_cutover demo init "$WORK/again" --scale 0.005 --seed 7 -q
assert_eq "the generator is deterministic" "$generated" "$(sha256sum < "$WORK/again/legacy.db")"

# `demo traffic DIR` with DIR relative to the working directory writes
# DIR/legacy.db (it looked for DIR/DIR/legacy.db).
events=$(q "$WORK/again/legacy.db" 'SELECT count(*) FROM events')
(cd "$WORK" && "$CUTOVER" demo traffic again --tenant "$big" --rate 50 --seconds 0.3 --json) \
  >"$WORK/traffic.json" 2>"$WORK/traffic.err"
assert_eq "demo traffic with a relative directory: exit 0, no error" "0 " "$? $(cat "$WORK/traffic.err")"
inserted=$(jq ".inserted // 0" "$WORK/traffic.json" 2>/dev/null || echo 0)
assert_eq "its events are in DIR/legacy.db" "true $((events + inserted))" \
  "$( ((inserted > 0)) && echo true || echo false) $(q "$WORK/again/legacy.db" 'SELECT count(*) FROM events')"

# The targets are in WAL mode, as the journal: the new CRM's readers (its
# application, a dashboard) read while cutover holds the file for a write,
# where a rollback journal answers them "database is locked".
assert_eq "crm.db and staging.db are in WAL mode" "wal wal" \
  "$(q "$WORK/again/crm.db" 'PRAGMA journal_mode') $(q "$WORK/again/staging.db" 'PRAGMA journal_mode')"
mkfifo "$WORK/hold"
sqlite3 "$WORK/again/crm.db" <"$WORK/hold" >/dev/null 2>&1 &
writer=$!
exec 3>"$WORK/hold"
printf 'BEGIN EXCLUSIVE;\nDELETE FROM contacts;\n.shell touch %s\n' "$WORK/locked" >&3
for _ in $(seq 100); do [[ -e $WORK/locked ]] && break; sleep 0.1; done
assert_eq "a reader of crm.db is not refused while a writer holds it" 0 \
  "$(q "$WORK/again/crm.db" 'SELECT count(*) FROM contacts' 2>&1)"
printf 'ROLLBACK;\n' >&3
exec 3>&-
wait "$writer"

finish
