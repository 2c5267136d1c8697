# test_tenant_keys.sh: tenant keys that break naive handling. A key with a
# NUL byte is refused by name at the tenants query (never cut at the NUL and
# "migrated" with none of its rows); a key with a comma works with every
# command (--tenant taken whole, repeated --tenant, run --cohort); a
# 300-character key works, its file names (rejects, rollback export,
# archive) encoded and bounded; short plain keys keep their file names.
source "$(dirname "$0")/lib.sh"

long=$(printf 'k%.0s' $(seq 1 300))
cd "$WORK" || exit 1
sqlite3 legacy.db <<SQL
CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT);
CREATE TABLE items (id INTEGER PRIMARY KEY, account TEXT NOT NULL, v TEXT);
INSERT INTO accounts VALUES ('a,b', 'comma'), ('a', 'just a'), ('b', 'just b'), ('plain', 'plain'),
  ('$long', 'long');
INSERT INTO items (account, v) SELECT id, 'x' || n FROM accounts,
  (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3);
INSERT INTO items (account, v) VALUES ('plain', NULL);
SQL
sqlite3 new.db "CREATE TABLE items (id INTEGER PRIMARY KEY, account TEXT NOT NULL, v TEXT NOT NULL)"
cp new.db staging.db
cat > cutover.yaml <<'YAML'
source: sqlite:legacy.db
target: sqlite:new.db
staging: sqlite:staging.db
tenants: SELECT id, name FROM accounts ORDER BY id
entities:
  - name: items
    key: [id]
    tenant_column: account
    query: SELECT id, account, v FROM items WHERE account = :tenant
    follows: { items: { id: id } }
    reverse:
      table: items
      key: { id: id }
      columns: { v: v }
capture:
  - { table: items, key: id, tenant: "{row}.account" }
YAML

# A key with a comma, taken whole; with others, --tenant repeated.
run_cutover rehearse --tenant 'a,b' --tenant "$long" --tenant plain -q
assert_eq "rehearse a comma key and a 300-character key" 0 "$CODE"
run_cutover migrate --tenant 'a,b' --tenant "$long" --tenant plain -q
assert_eq "migrate them" 0 "$CODE"
assert_eq "the comma key's rows, and only them, are in the target" "3 0" \
  "$(q new.db "SELECT count(*) FROM items WHERE account = 'a,b'") $(q new.db "SELECT count(*) FROM items WHERE account IN ('a', 'b')")"
assert_eq "the long key's rows too" 3 "$(q new.db "SELECT count(*) FROM items WHERE account = '$long'")"
assert_eq "route of the comma key" new "$("$CUTOVER" route 'a,b')"
assert_eq "route of the long key" new "$("$CUTOVER" route "$long")"
run_cutover status --json
assert_eq "status shows both switched" "switched switched" \
  "$(jq -r --arg l "$long" '[.tenants[] | select(.tenant == "a,b" or .tenant == $l) | .state] | join(" ")' <<<"$OUT")"
run_cutover verify --tenant 'a,b' --tenant "$long" -q
assert_eq "verify both" 0 "$CODE"
run_cutover migrate --tenant a,b -q
assert_eq "a list a,b still means the key \"a,b\" when that key exists" "0 old old" \
  "$CODE $("$CUTOVER" route a) $("$CUTOVER" route b)"

# File names derived from keys: plain ones as before, long ones bounded.
assert_eq "the plain key's rejects file keeps its name" 1 \
  "$(grep -c '"rule"' .cutover/rejects/plain.jsonl)"
assert_eq "the comma key's rejects file is encoded" yes \
  "$([[ -f .cutover/rejects/a%2Cb.jsonl ]] && echo yes)"
name=$(cd .cutover/rejects && ls | grep '^kkkk')
assert_eq "the long key's rejects file name is bounded" "yes" \
  "$([[ ${#name} -le 110 && $name == *~*.jsonl ]] && echo yes)"
run_cutover archive --tenant "$long" --json
assert_eq "archive the long key" 0 "$CODE"
archive=$(jq -r .archive <<<"$OUT" 2>/dev/null || true)
[[ -z $archive || $archive == null ]] && archive=$(ls .cutover/archive/kkkk* 2>/dev/null | head -1)
assert_eq "its archive name is bounded" yes \
  "$([[ -f $archive && $(basename "$archive" | wc -c) -le 140 ]] && echo yes)"
run_cutover rollback --tenant "$long" --tenant 'a,b' --json
assert_eq "rollback both (each exported first)" 0 "$CODE"
for f in $(jq -r .export_file <<<"$OUT"); do
  assert_eq "export file $(basename "$f" | cut -c1-20)... exists, name bounded" yes \
    "$([[ -f $f && $(basename "$f" | wc -c) -le 140 ]] && echo yes)"
done
assert_eq "both routed old, their rows out of the target" "old old 0" \
  "$("$CUTOVER" route 'a,b') $("$CUTOVER" route "$long") $(q new.db "SELECT count(*) FROM items WHERE account IN ('a,b', '$long')")"

# run --cohort: the cohort's keys travel whole, commas and all.
run_cutover audit -q
run_cutover plan -q
for cohort in canary 1 2; do
  run_cutover run --cohort $cohort --skip-rehearsal -q
done
run_cutover routes --json
assert_eq "after run over every cohort: the comma key switched whole" new \
  "$(jq -r '.routes[] | select(.tenant == "a,b") | .route' <<<"$OUT")"

# A NUL byte in a key: refused by name at the tenants query.
sqlite3 legacy.db "INSERT INTO accounts VALUES (CAST(X'7A00627A' AS TEXT), 'nul')"
before=$(db_checksum new.db)
for cmd in check "migrate --all --skip-rehearsal"; do
  run_cutover $cmd -q
  assert_eq "$cmd: a key with a NUL byte is refused" 3 "$CODE"
  assert_contains "$cmd: naming it" 'the key "z\x00bz"' "$ERR"
done
assert_eq "the target is untouched (no tenant \"z\" moved with none of its rows)" "$before" "$(db_checksum new.db)"
finish
