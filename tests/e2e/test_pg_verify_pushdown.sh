# test_pg_verify_pushdown.sh: with CUTOVER_SERVER_DIGESTS=1, verification on
# PostgreSQL sums row digests in SQL (co_store_digest_sum_sql): a faithful copy verifies clean SQLite ->
# PostgreSQL and PostgreSQL -> PostgreSQL reading a few summary rows, not the
# rows; planted differences (a changed value, a missing row, an extra row,
# 1.5 against 1.6 in a double precision column, a timestamp one second off)
# are each found by key on both paths, fetching only the differing ranges.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
N=20000
schema="CREATE TABLE items (id bigint PRIMARY KEY, account_id bigint NOT NULL, name text,
  price double precision, seen timestamp, seen_tz timestamp with time zone, flag boolean,
  day date, data bytea)"
# The source rows, as SQLite keeps them (numbers, flags and times as the legacy CRM wrote them).
q "$WORK/legacy.db" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);
  INSERT INTO accounts VALUES (1, 'one'), (2, 'two');
  CREATE TABLE items (id INTEGER PRIMARY KEY, account_id INTEGER, name TEXT, price REAL,
    seen TEXT, seen_tz TEXT, flag INTEGER, day TEXT, data BLOB);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
  INSERT INTO items SELECT i, 1 + i % 2, CASE WHEN i % 97 = 0 THEN NULL ELSE 'name ' || i END,
    i / 4.0, datetime(1700000000 + i * 3601, 'unixepoch'),
    datetime(1700000000 + i * 7, 'unixepoch') || '.25', i % 3 = 0,
    date(1700000000 + i * 86400, 'unixepoch'), CASE WHEN i % 5 = 0 THEN x'00ff10' END FROM n;"
pgsql postgres -c "CREATE DATABASE pd_target" && pgsql pd_target -c "$schema" &&
  pgsql postgres -c "CREATE DATABASE pd_target2" && pgsql pd_target2 -c "$schema"
assert_eq "the PostgreSQL targets exist" 0 "$?"
cat > "$WORK/cutover.yaml" <<YAML
source: sqlite:legacy.db
target: sqlite:unused.db
tenants: SELECT id, name FROM accounts ORDER BY id
entities:
  - name: items
    key: id
    tenant_column: account_id
    query: SELECT id, account_id, name, price, seen, seen_tz, flag, day, data FROM items WHERE account_id = :tenant
YAML
proj=$WORK/cutover.yaml
# The same project from a PostgreSQL source: the first target, once loaded.
sed -e "s|^source: .*|source: $PG_BASE/pd_target|" \
    -e "s|^tenants: .*|tenants: SELECT DISTINCT account_id AS id, account_id::text AS name FROM items ORDER BY 1|" \
    "$proj" > "$WORK/pg-source.yaml"
mkdir -p "$WORK/pg" && mv "$WORK/pg-source.yaml" "$WORK/pg/cutover.yaml"

run_cutover -p "$proj" --target "$PG_BASE/pd_target" migrate --all --skip-rehearsal --no-verify
assert_eq "SQLite -> PostgreSQL: migrated" 0 "$CODE"
run_cutover -p "$WORK/pg/cutover.yaml" --target "$PG_BASE/pd_target2" migrate --all --skip-rehearsal --no-verify
assert_eq "PostgreSQL -> PostgreSQL: migrated" 0 "$CODE"

fetched() { jq '[.verifications[].checks[] | select(.check == "content") | .fetched] | add' <<<"$OUT"; }
content() { jq -r '[.verifications[].findings[] | select(.check == "content")
                    | "\(.kind) \(.key | tojson)"] | sort | join(", ")' <<<"$OUT"; }

# Without CUTOVER_SERVER_DIGESTS=1 (the default), PostgreSQL's rows are read and hashed here.
run_cutover -p "$proj" --target "$PG_BASE/pd_target" verify --all --json
assert_eq "by default: a faithful copy verifies clean" 0 "$CODE"
assert_eq "by default: the PostgreSQL side's rows are read" true "$( (( $(fetched) >= N )) && echo true || echo false)"
export CUTOVER_SERVER_DIGESTS=1

check_path() { # NAME PROJECT TARGET-DB
  local name=$1 p=$2 db=$3
  run_cutover -p "$p" --target "$PG_BASE/$db" verify --all --json
  assert_eq "$name: a faithful copy verifies clean" 0 "$CODE"
  local f; f=$(fetched)
  assert_eq "$name: summaries only, computed in both databases (fetched $f)" true \
    "$( (( f <= 8 )) && echo true || echo false)"
  pgsql "$db" -c "UPDATE items SET name = 'changed' WHERE id = 10;
                  DELETE FROM items WHERE id = 20;
                  INSERT INTO items (id, account_id, name) VALUES (50000, 1, 'extra');
                  UPDATE items SET price = 1.6 WHERE id = 6;
                  UPDATE items SET seen = seen + interval '1 second' WHERE id = 30;"
  run_cutover -p "$p" --target "$PG_BASE/$db" verify --all --json
  assert_eq "$name: planted differences: exit 12" 12 "$CODE"
  assert_eq "$name: each found by key" \
    'changed [10], changed [30], changed [6], extra [50000], missing [20]' "$(content)"
  assert_eq "$name: 1.5 against 1.6" "1.5 1.6" "$(jq -r '.verifications[].findings[]
    | select(.key == [6]) | "\(.detail.columns.price.expected) \(.detail.columns.price.actual)"' <<<"$OUT")"
  f=$(fetched)
  assert_eq "$name: only the differing ranges' rows travel (fetched $f of $N)" true \
    "$( (( f * 10 < N )) && echo true || echo false)"
}
# PostgreSQL -> PostgreSQL first: its source is the first target, still faithful.
check_path "PostgreSQL -> PostgreSQL" "$WORK/pg/cutover.yaml" pd_target2
check_path "SQLite -> PostgreSQL" "$proj" pd_target
finish
