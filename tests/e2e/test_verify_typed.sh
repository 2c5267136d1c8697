# test_verify_typed.sh: verify compares values as the target stores them and
# checks the constraints the target declares. Legacy text ('1.50', '0042',
# dates, 't') loaded into typed SQLite columns verifies clean; near misses (a
# value one step off, 'abc' kept as text in an INTEGER column, a time one
# second off) are still found; planted FOREIGN KEY, UNIQUE and CHECK
# violations are each found by key with exit 12; a failing rehearsal says
# why, with its first findings, in text, JSON and the journal.
source "$(dirname "$0")/lib.sh"

FIX=$CUTOVER_SOURCE_DIR/tests/fixtures/typed
cp "$FIX/cutover.yaml" "$WORK/"
q "$WORK/legacy.db" ".read $FIX/legacy.sql"
q "$WORK/target.db" ".read $FIX/target.sql"
q "$WORK/staging.db" ".read $FIX/target.sql"
proj=$WORK/cutover.yaml tgt=$WORK/target.db

run_cutover -p "$proj" migrate --skip-rehearsal --all --json
assert_eq "text into typed columns: migrate and its verification pass" 0 "$CODE"
# Loading enforces the declared foreign keys, as PostgreSQL does: a category
# the new system lacks is refused; a parent loaded in the same batch is not.
assert_eq "one row refused" 1 "$(jq '[.tenants[].rejected] | add' <<<"$OUT")"
assert_eq "refused for its foreign key, by key" "[104] foreign_key" \
  "$(jq -r '"\(.key | tojson) \(.rule)"' "$WORK/.cutover/rejects/2.jsonl")"
assert_contains "the reason names the key and its parent" "category_id -> categories (id)" \
  "$(jq -r .reason "$WORK/.cutover/rejects/2.jsonl")"
assert_eq "a row whose parent came later in the same batch loads" 102 \
  "$(q "$tgt" 'SELECT parent_id FROM items WHERE id = 101')"
assert_eq "the target's FK check is clean after loading" "" "$(q "$tgt" 'PRAGMA foreign_key_check')"
run_cutover -p "$proj" verify --all --json
assert_eq "typed pairs verify: exit 0" 0 "$CODE"
assert_eq "typed pairs verify: no findings" 0 "$(jq '[.verifications[].findings[]] | length' <<<"$OUT")"
assert_eq "the target holds them in its types" "real integer" \
  "$(q "$tgt" "SELECT typeof(price) || ' ' || typeof(qty) FROM items WHERE id = 100")"

# Near misses: each is a difference, found by key and column, and the typed
# pairs beside them (same key range) are not.
q "$tgt" "PRAGMA ignore_check_constraints = 1;
          UPDATE items SET price = 1.6, seen_at = '2024-01-05T10:00:01+02:00' WHERE id = 100;
          UPDATE items SET qty = 'abc' WHERE id = 103;"
run_cutover -p "$proj" verify --all --json
assert_eq "near misses: exit 12" 12 "$CODE"
changed=$(jq -r '[.verifications[].findings[] | select(.kind == "changed")
                 | "\(.key[0]):\(.detail.columns | keys | join(","))"] | sort | join(" ")' <<<"$OUT")
assert_eq "near misses: 1.5 vs 1.6, a second off, 'abc' in INTEGER; nothing else" \
  "100:price,seen_at 103:qty" "$changed"
assert_eq "near miss: the time compared at UTC" "2024-01-05 08:00:00Z 2024-01-05 08:00:01Z" \
  "$(jq -r '.verifications[].findings[] | select(.key == [100]) | .detail.columns.seen_at | "\(.expected) \(.actual)"' <<<"$OUT")"
q "$tgt" "PRAGMA ignore_check_constraints = 1;
          UPDATE items SET price = 1.5, seen_at = '2024-01-05 08:00:00+00:00' WHERE id = 100;
          UPDATE items SET qty = 1 WHERE id = 103;"
run_cutover -p "$proj" verify --all
assert_eq "set back (a time written in another zone): clean again" 0 "$CODE"

# Planted violations of what the target declares.
q "$tgt" "PRAGMA ignore_check_constraints = 1; UPDATE items SET price = -1 WHERE id = 101;"
q "$tgt" "UPDATE items SET customer_id = 99 WHERE id = 102;" # foreign_keys are off in sqlite3
# a unique index that holds a duplicate: declared non-unique while it is written
q "$tgt" "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX customers_email ON customers (email)' WHERE name = 'customers_email';"
q "$tgt" "UPDATE customers SET email = 'a@x.org' WHERE id = 12;"
q "$tgt" "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE UNIQUE INDEX customers_email ON customers (email)' WHERE name = 'customers_email';"
assert_eq "the engine's own FK check sees the planted orphan" "items|102|customers" \
  "$(q "$tgt" 'PRAGMA foreign_key_check' | cut -d'|' -f1-3)"
run_cutover -p "$proj" verify --tenant 1 --json
assert_eq "planted violations: exit 12" 12 "$CODE"
integ() { jq -r --arg k "$1" '[.verifications[].findings[] | select(.check == "integrity" and .kind == $k)
          | "\(.key | tojson) \(.detail.constraint) \(.detail.columns | tojson)"] | join(";")' <<<"$OUT"; }
assert_eq "foreign key: found by key, constraint and value" \
  '[102] FOREIGN KEY (customer_id) REFERENCES customers (id) {"customer_id":99}' "$(integ foreign_key)"
assert_eq "CHECK: found by key, its name and value" '[101] price_positive {"price":-1}' "$(integ check)"
assert_eq "UNIQUE: the tenant's row that shares its value with another" \
  '[10] customers_email {"email":"a@x.org"}' "$(integ unique)"
assert_eq "foreign key finding names the table and the parent" "items customers (id)" \
  "$(jq -r '.verifications[].findings[] | select(.kind == "foreign_key") | "\(.detail.table) \(.detail.references)"' <<<"$OUT")"
run_cutover -p "$proj" verify --tenant 2 --json
assert_eq "UNIQUE: the other tenant's row is found too" '[12] customers_email {"email":"a@x.org"}' \
  "$(integ unique)"
run_cutover -p "$proj" verify --tenant 1
assert_contains "text output names the CHECK" "items integrity check: [101]" "$OUT"

# A rehearsal that fails says why: staging changes a value on the way in.
q "$WORK/staging.db" "CREATE TRIGGER bump AFTER INSERT ON items WHEN NEW.id = 101
                      BEGIN UPDATE items SET code = 'changed' WHERE id = NEW.id; END;"
run_cutover -p "$proj" rehearse --tenant 1 --json
assert_eq "failing rehearsal: exit 12" 12 "$CODE"
assert_contains "rehearse --json: the reason" "verification found differences: items content" \
  "$(jq -r '.rehearsals[0].reasons' <<<"$OUT")"
assert_eq "rehearse --json: the first finding, with column and both values" \
  "items content changed [101] code y changed" \
  "$(jq -r '.rehearsals[0].findings[0] | "\(.entity) \(.check) \(.kind) \(.key | tojson) \(.detail.columns | keys[0]) \(.detail.columns.code.expected) \(.detail.columns.code.actual)"' <<<"$OUT")"
run_cutover -p "$proj" rehearse --tenant 1
assert_contains "rehearse text: the first findings" \
  'items content changed: [101] {"columns":{"code":{"expected":"y","actual":"changed"}}}' "$OUT"
assert_contains "the journal keeps them" '[101] {"columns":{"code"' \
  "$(q "$WORK/.cutover/state.db" "SELECT reasons FROM rehearsals ORDER BY id DESC LIMIT 1")"
finish
