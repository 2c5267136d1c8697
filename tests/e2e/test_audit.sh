# test_audit.sh: the audit counts every planted problem exactly, per tenant and
# before any copy, writes nothing to source or target; the plan is
# deterministic with a low-risk canary first; schedules and notices work and
# bad templates or tenants get clear errors. Real data: the pgloader files'
# invalid UTF-8 and text in an INTEGER column are reported with their keys.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.005 --seed 3 -q
planted=$demo/planted.json proj=$demo/cutover.yaml
cp -r "$demo" "$WORK/partial" # audited in part, below
src_before=$(sha256sum < "$demo/legacy.db") tgt_before=$(db_checksum "$demo/crm.db")

run_cutover -p "$proj" audit --json --html "$WORK/audit.html"
assert_eq "audit succeeds" 0 "$CODE"
audit=$OUT
assert_eq "audit writes nothing to the source" "$src_before" "$(sha256sum < "$demo/legacy.db")"
assert_eq "audit writes nothing to the target" "$tgt_before" "$(db_checksum "$demo/crm.db")"
assert_eq "audit records no run in the journal" 0 "$(q "$demo/.cutover/state.db" 'SELECT count(*) FROM runs')"

# custom2 is filled in about 0.6% of rows: under the 1% cut-off, with the last time it was.
assert_eq "contacts.custom2 is a zombie" true "$(jq '.zombies | index("contacts.custom2") != null' <<<"$audit")"
assert_eq "contacts.custom2 was last written at a time the audit shows" \
  "$(sqlite3 "$demo/legacy.db" "SELECT max(updated_at) FROM contacts WHERE trim(coalesce(custom2, '')) <> ''")" \
  "$(jq -r '.columns[] | select(.table == "contacts" and .column == "custom2") | .last_filled' <<<"$audit")"
for col in contacts.fax contacts.legacy_score contacts.custom3; do
  assert_eq "$col is a zombie" true "$(jq --arg c "$col" '.zombies | index($c) != null' <<<"$audit")"
  assert_eq "$col is not mapped" true "$(jq --arg c "$col" '.unmapped | index($c) != null' <<<"$audit")"
done
assert_eq "contacts.email is mapped" false "$(jq '.unmapped | index("contacts.email") != null' <<<"$audit")"
assert_eq "malformed e-mails fail the column's type" "$(jq .totals.malformed_emails "$planted")" \
  "$(jq '.columns[] | select(.table == "contacts" and .column == "email") | .type_failures' <<<"$audit")"
assert_eq "invalid UTF-8 names are counted" "$(jq .totals.invalid_utf8_names "$planted")" \
  "$(jq '.columns[] | select(.table == "contacts" and .column == "last_name") | .type_failures' <<<"$audit")"

# Per tenant, exactly what migration will refuse, before any copy.
limit() { jq "[.tenants[] | select(.tenant == \"$1\") | .limits[] | select(.entity == \"$2\" and .rule == \"$3\") | .rows] | add // 0" <<<"$audit"; }
rule() { jq ".tenants[] | select(.tenant == \"$1\") | .duplicate_rules[] | select(.rule == \"$2\") | .clusters" <<<"$audit"; }
ok=true
for t in $(jq -r '.tenants[].id' "$planted"); do
  exp_mail=$(jq "[.tenants[] | select(.id == $t) | .malformed_emails[]] | length" "$planted")
  exp_utf8=$(jq "[.tenants[] | select(.id == $t) | .invalid_utf8_names[]] | length" "$planted")
  exp_orph=$(jq ".tenants[] | select(.id == $t) | .orphan_events" "$planted")
  exp_dups=$(jq "[.tenants[] | select(.id == $t) | .duplicate_pairs[]] | length" "$planted")
  # Each planted pair spells its company's domain in another case (cnn.com, CNN.com):
  # one cluster per company of the pairs.
  ids=$(jq -r "[.tenants[] | select(.id == $t) | .duplicate_pairs[][]] | [0] + . | join(\",\")" "$planted")
  exp_doms=$(sqlite3 "$demo/legacy.db" "SELECT count(DISTINCT lower(trim(company_domain))) FROM contacts WHERE id IN ($ids) AND trim(coalesce(company_domain, '')) <> ''")
  got="$(limit "$t" contacts check) $(limit "$t" contacts invalid_utf8) $(limit "$t" engagements ref_missing) $(rule "$t" person) $(rule "$t" domain)"
  if [[ "$got" != "$exp_mail $exp_utf8 $exp_orph $exp_dups $exp_doms" ]]; then
    ok=false
    echo "tenant $t: expected $exp_mail $exp_utf8 $exp_orph $exp_dups $exp_doms, got $got"
  fi
  # Every many-tags contact: its key and its number of tags, as rows per contact_id.
  for c in $(jq -r ".tenants[] | select(.id == $t) | .many_tags[] | \"\(.contact):\(.tags)\"" "$planted"); do
    if [[ "$(jq ".tenants[] | select(.tenant == \"$t\") | [.fanouts[] | select(.entity == \"contact_tags\" and .column == \"contact_id\") | .examples[] | select(.key == ${c%%:*} and .rows == ${c##*:})] | length" <<<"$audit")" != 1 ]]; then
      ok=false
      echo "tenant $t: the contact ${c%%:*} with ${c##*:} tags is not among the outliers"
    fi
  done
done
assert_eq "every tenant: malformed e-mails, bad UTF-8, orphan events, duplicate people and companies, many-tags contacts, exactly" true "$ok"
assert_eq "every planted many-tags contact is flagged, and nothing else" \
  "$(jq '[.tenants[].many_tags[]] | length' "$planted")" "$(jq '[.tenants[].outlier_keys] | add' <<<"$audit")"
assert_contains "the text output names the many-tags contact" \
  "contact_tags.contact_id $(jq -r '[.tenants[].many_tags[]][0].contact' "$planted"): $(jq -r '[.tenants[].many_tags[]][0].tags' "$planted") rows" \
  "$("$CUTOVER" -p "$proj" audit 2>/dev/null)"
clean=$(jq -r '[.tenants[] | select(.clean)][0].id' "$planted")
assert_eq "a clean tenant has no findings" "0 0 0" \
  "$(jq -r ".tenants[] | select(.tenant == \"$clean\") | \"\(.limit_rows) \(.duplicate_clusters) \(.outlier_keys)\"" <<<"$audit")"
example=$(jq -c "[.tenants[] | select(.tenant == \"$clean\" | not) | .limits[] | select(.rule == \"ref_missing\")][0].examples[0]" <<<"$audit")
assert_eq "findings carry example keys" true "$(jq 'type == "array"' <<<"$example")"
html=$(cat "$WORK/audit.html")
assert_contains "the HTML report is written" "<h2>Rows the target would refuse</h2>" "$html"
assert_contains "HTML: rows per entity" "<h2>Rows per entity</h2>" "$html"
assert_contains "HTML: size class bounds" "S below 10,000 rows" "$html"
assert_contains "HTML: the estimate's basis" "default 50,000 rows/s" "$html"
assert_contains "HTML: duplicate clusters with example keys" "<h2>Duplicate clusters</h2>" "$html"
assert_contains "HTML: the many-tags contact with its rows" \
  "$(jq -r '[.tenants[].many_tags[]][0] | "\(.contact) (\(.tags))"' "$planted")" "$html"
assert_contains "HTML: null rates as percentages" "<td class=n>100.0%</td>" "$html"

# A tenant of its own, and one that does not exist.
run_cutover -p "$proj" audit --tenant "$clean" --json
assert_eq "audit of one tenant" 1 "$(jq '.tenants | length' <<<"$OUT")"
run_cutover -p "$proj" audit --tenant "$clean"
assert_contains "says its column profiles cover the whole source" \
  "column profiles: whole source (not only the tenants chosen with --tenant)" "$OUT"
assert_contains "a column line: null share, flags" "contacts.fax" "$(grep 'unmapped zombie' <<<"$OUT")"
assert_contains "progress counts the tenant's rows" \
  "audit tenant $clean (1 of 1): $(jq -r ".tenants[] | select(.tenant == \"$clean\") | .rows" <<<"$audit" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') rows" "$ERR"
run_cutover -p "$proj" audit --tenant 424242
assert_eq "an unknown tenant: exit 7" 7 "$CODE"

# The plan: deterministic, canary first, waves that grow.
run_cutover -p "$proj" plan --json
assert_eq "plan succeeds" 0 "$CODE"
first=$(jq -c '[.cohorts[] | [.tenants[].tenant]]' <<<"$OUT")
run_cutover -p "$proj" plan --json
assert_eq "the same audit gives the same plan" "$first" "$(jq -c '[.cohorts[] | [.tenants[].tenant]]' <<<"$OUT")"
plan=$OUT
n=$(jq '.tenants | length' <<<"$audit")
assert_eq "every tenant is planned once" "$n" "$(jq '[.cohorts[].tenants[]] | length' <<<"$plan")"
assert_eq "the canary holds about 1% (at least one)" 1 "$(jq '.cohorts[0].tenants | length' <<<"$plan")"
canary=$(jq -r '.cohorts[0].tenants[0].tenant' <<<"$plan")
assert_eq "the canary has no audit findings" "0 0" \
  "$(jq -r ".tenants[] | select(.tenant == \"$canary\") | \"\(.limit_rows) \(.duplicate_clusters)\"" <<<"$audit")"
assert_eq "waves grow" true "$(jq '[.cohorts[].tenants | length] | . as $s | [range(1; length - 1)] | all(. as $i | $s[$i] >= $s[$i - 1])' <<<"$plan")"
assert_contains "risk is explained" "rows the target would refuse" "$(jq -r '.cohorts[-1].tenants[-1].why' <<<"$plan")"
run_cutover -p "$proj" plan show --json
assert_eq "plan show prints the stored plan" "$first" "$(jq -c '[.cohorts[] | [.tenants[].tenant]]' <<<"$OUT")"

# A plan leaves out, and names, the tenants without an audit of this project file.
part=$WORK/partial/cutover.yaml
sed -i 's/^options:$/options:\n  retention_days: 45/' "$part"
run_cutover -p "$part" audit --tenant 1,2 -q
run_cutover -p "$part" plan --json
assert_eq "a plan of the audited tenants only" '["1","2"]' "$(jq -c '[.cohorts[].tenants[].tenant] | sort' <<<"$OUT")"
assert_eq "lists the others as unaudited, in key order" \
  "$(jq -c '[.tenants[].id | tostring] - ["1", "2"]' "$planted")" "$(jq -c '[.unaudited[].tenant]' <<<"$OUT")"
assert_contains "and warns, naming them" "warning: $(( $(jq '.tenants | length' "$planted") - 2 )) tenants left out" "$ERR"
assert_contains "with why" "3 (not audited)" "$ERR"
printf '# changed\n' >> "$part"
run_cutover -p "$part" audit --tenant 2 -q
run_cutover -p "$part" plan --json
assert_eq "after a change of the project file, only the tenant audited since is planned" '["2"]' \
  "$(jq -c '[.cohorts[].tenants[].tenant]' <<<"$OUT")"
assert_eq "the other is stale" "audited under another version of the project file" \
  "$(jq -r '.unaudited[] | select(.tenant == "1") | .why' <<<"$OUT")"

# Schedules and notices, with the clock set.
export CUTOVER_NOW=2026-11-15T08:00:00Z
run_cutover -p "$proj" schedule "$canary" --at "2026-12-01 09:30" --window 90m --json
assert_eq "schedule a tenant" 0 "$CODE"
assert_eq "schedule --json" "2026-12-01T09:30:00Z 90" "$(jq -r '"\(.at) \(.window_minutes)"' <<<"$OUT")"
run_cutover -p "$proj" schedule 424242 --at "2026-12-01 09:30"
assert_eq "schedule an unknown tenant: exit 7" 7 "$CODE"
run_cutover -p "$proj" schedule "$canary" --at "tomorrow"
assert_eq "schedule with a bad date: exit 2" 2 "$CODE"
run_cutover -p "$proj" schedule "$canary" --at "2026-11-14 09:30"
assert_eq "schedule in the past: exit 2" 2 "$CODE"
assert_contains "says so" "is in the past (it is now 2026-11-15T08:00:00Z UTC)" "$ERR"
run_cutover -p "$proj" notices --outbox "$WORK/outbox" --contact "Ana <ana@example.com>" --json
assert_eq "notices written" "0 1" "$CODE $(jq .written <<<"$OUT")"
label=$(jq -r ".tenants[] | select(.id == $canary) | .name" "$planted")
notice=$(cat "$WORK/outbox/$canary.txt")
assert_contains "the notice names the customer and date" "Dear $label" "$notice"
assert_contains "and the time" "2026-12-01 09:30" "$notice"
assert_contains "the window, as people say it" "window of
1 hour 30 minutes" "$notice"
assert_contains "the duration, as people say it" "to take under a minute" "$notice"
assert_contains "what changes, from the project's target tables" \
  "teams, companies, contacts, contact teams, contact tags, campaigns and engagements" "$notice"
assert_contains "the retention days of the project" "for 30 days" "$notice"
CUTOVER_NOW=2026-11-15T08:00:00Z run_cutover -p "$part" schedule 2 --at "2026-12-02 10:00"
run_cutover -p "$part" notices --outbox "$WORK/outbox3"
assert_contains "another project's retention days" "for 45 days" "$(cat "$WORK/outbox3/2.txt")"
run_cutover -p "$part" schedule 3 --at "2026-12-03 10:00"
run_cutover -p "$part" notices --outbox "$WORK/outbox4"
assert_eq "a scheduled tenant never audited: no notices, exit 13" "13 no" \
  "$CODE $([[ -e $WORK/outbox4/2.txt ]] && echo yes || echo no)"
assert_contains "naming it" "1 scheduled tenant is never audited (3)" "$ERR"
unset CUTOVER_NOW
assert_contains "the HTML notice escapes what it quotes" "Ana &lt;ana@example.com&gt;" "$(cat "$WORK/outbox/$canary.html")"
printf 'Hello {{customer}},\nsee you on {{dat}}.\n' > "$WORK/bad.tpl"
run_cutover -p "$proj" notices --template "$WORK/bad.tpl" --outbox "$WORK/outbox2"
assert_eq "a template with an unknown placeholder: exit 3" 3 "$CODE"
assert_contains "names the placeholder and line" "bad.tpl:2: unknown placeholder {{dat}}" "$ERR"
run_cutover -p "$proj" notices --template "$WORK/absent.tpl"
assert_eq "an unreadable template: exit 8" 8 "$CODE"

# What the audit said the target would refuse is what the migration rejects.
run_cutover -p "$proj" migrate --skip-rehearsal --all --json
assert_eq "migrate after the audit" 0 "$CODE"
assert_eq "per tenant, rows the audit said would be refused = rows the migration rejected" \
  "$(jq -c '[.tenants[] | {tenant, rows: .limit_rows}] | sort_by(.tenant)' <<<"$audit")" \
  "$(jq -c '[.tenants[] | {tenant, rows: .rejected}] | sort_by(.tenant)' <<<"$OUT")"

# pgloader's files: invalid UTF-8 and text in an INTEGER column, with keys.
pg=$WORK/pg
mkdir -p "$pg"
cp "$SHARED/data/pgloader-sqlite/bad-utf8.db" "$SHARED/data/pgloader-sqlite/type-mismatch.db" "$pg/"
sqlite3 "$pg/t.db" "CREATE TABLE files (id INTEGER PRIMARY KEY, filename TEXT) STRICT; CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL) STRICT;"
printf 'source: sqlite:bad-utf8.db\ntarget: sqlite:t.db\ntenants: SELECT 1\nentities:\n  - name: files\n    key: id\n    query: SELECT id, filename FROM files\n' > "$pg/utf8.yaml"
run_cutover -p "$pg/utf8.yaml" audit --json
assert_eq "bad-utf8.db: audit succeeds" 0 "$CODE"
assert_eq "bad-utf8.db: the bad file name is found by rowid" 2 \
  "$(jq '.columns[] | select(.column == "filename") | .failure_examples[0].rowid' <<<"$OUT")"
# The bad name is stored as a BLOB: a STRICT TEXT column refuses it.
assert_eq "bad-utf8.db: and the target would refuse it, with its key" '[2]' \
  "$(jq -c '.tenants[0].limits[] | select(.rule == "type") | .examples[0]' <<<"$OUT")"
printf 'source: sqlite:type-mismatch.db\ntarget: sqlite:t.db\ntenants: SELECT 1\nentities:\n  - name: products\n    key: id\n    query: SELECT id, name, qty FROM products\n' > "$pg/type.yaml"
run_cutover -p "$pg/type.yaml" audit --json
assert_eq "type-mismatch.db: the text in an INTEGER column is found by rowid" 2 \
  "$(jq '.columns[] | select(.column == "qty") | .failure_examples[0].rowid' <<<"$OUT")"
assert_eq "type-mismatch.db: and the STRICT target would refuse it" '[2]' \
  "$(jq -c '.tenants[0].limits[] | select(.rule == "type") | .examples[0]' <<<"$OUT")"
finish
