# test_accounting.sh: a new project on real SQLite files, as a new user meets
# it. `cutover init --source --target` writes one entity per target table,
# parents first, unmatched columns marked TODO; check passes without a staging
# file and names what rehearse will create; rehearse creates staging's tables
# from the target's schema and passes. Every source row is accounted for:
# rows whose tenant value is NULL or names no tenant are counted exactly, with
# their keys, by audit and verify --all (exit 12), then left out by orphans
# rules with a reason; a source table the query does not tell is declared.
# The tenants query's NULL and repeated keys are counted, not a dead end.
source "$(dirname "$0")/lib.sh"

P=$WORK/p
mkdir -p "$P"
cd "$P" || exit 1
q legacy.db "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO accounts VALUES (1, 'a'), (2, 'b');
CREATE TABLE customers (id INTEGER PRIMARY KEY, account_id INTEGER, name TEXT, email TEXT, legacy_flag INT);
INSERT INTO customers VALUES (10, 1, 'x', 'x@a', 0), (11, 1, 'y', 'y@a', 0), (12, 2, 'z', 'z@b', 1),
  (13, NULL, 'n', 'n@x', 0), (14, NULL, 'm', NULL, 0), (15, 99, 'u', 'u@x', 0);
CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id INTEGER, customer_id INTEGER, total REAL);
INSERT INTO orders VALUES (100, 1, 10, 5.5), (101, 2, 12, 7), (102, 99, 15, 1), (103, 98, 15, 2);"
# The target lists orders first: init must still put customers (their parent) first.
q new.db "CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL,
  customer_id INTEGER REFERENCES customers (id), total REAL CHECK (total >= 0));
CREATE INDEX orders_customer ON orders (customer_id);
CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER NOT NULL,
  name TEXT NOT NULL, email TEXT UNIQUE, created_at TEXT DEFAULT CURRENT_TIMESTAMP,
  CHECK (length(name) > 0));"

# ---- a starter from the databases ----
run_cutover init --source sqlite:legacy.db --target sqlite:new.db
assert_eq "init from source and target: exit 0" 0 "$CODE"
Y=$(cat cutover.yaml)
assert_contains "the tenants query found in the source" "tenants: SELECT id, name FROM accounts ORDER BY id" "$Y"
assert_contains "a target column with no source column is marked TODO" \
  "# TODO: target columns with no source column of that name: created_at" "$Y"
assert_contains "a source column the target lacks is named" "(not read): legacy_flag" "$Y"
assert_contains "the query reads the matched columns, filtered by the tenant column" \
  "SELECT id, account_id, name, email
      FROM customers
      WHERE account_id = :tenant" "$Y"
assert_eq "one entity per target table, parents first" "customers orders" \
  "$(grep -o '^  - name: [a-z]*' cutover.yaml | cut -d' ' -f5 | tr '\n' ' ' | sed 's/ $//')"
assert_contains "a foreign key is pointed out" "# its foreign keys name: customers" "$Y"
run_cutover init --source sqlite:legacy.db
assert_eq "init with --source alone: usage error" 2 "$CODE"
run_cutover init --source sqlite:legacy.db --target sqlite:new.db
assert_eq "init does not overwrite without --force" 8 "$CODE"

# ---- check and rehearse, with no staging database yet ----
run_cutover check
assert_eq "check passes before staging exists" 0 "$CODE"
assert_contains "and says rehearse creates it" "staging: no database file yet: \`cutover rehearse\` creates it" "$OUT"
assert_eq "check creates nothing" no "$([[ -e staging.db ]] && echo yes || echo no)"
run_cutover rehearse --all
assert_eq "rehearse of a new project with no staging database: exit 0" 0 "$CODE"
assert_contains "says it created staging's tables" "staging: created 2 tables from the target's schema: customers, orders" "$OUT"
assert_eq "both tenants pass" "2" "$(grep -c 'PASS' <<<"$OUT")"
schema() { q "$1" "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"; }
assert_eq "staging's schema is the target's: keys, CHECKs, defaults, AUTOINCREMENT, FKs, indexes" \
  "$(schema new.db)" "$(schema staging.db)"
assert_eq "AUTOINCREMENT came along" 1 "$(q staging.db "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'")"
run_cutover rehearse --all --json
assert_eq "a second rehearsal creates nothing" "[]" "$(jq -c .staging_created <<<"$OUT")"

# check names each table staging lacks, and passes
q staging.db "DROP TABLE orders; DROP TABLE customers"
run_cutover check
assert_eq "check with staging's tables missing: exit 0" 0 "$CODE"
assert_contains "names the first" 'staging: no table "orders" (entity orders): `cutover rehearse` creates it' "$OUT"
assert_contains "names the second" 'staging: no table "customers" (entity customers)' "$OUT"
run_cutover schema create --json
assert_eq "schema create: exit 0" 0 "$CODE"
assert_eq "schema create makes them" '["customers","orders"]' "$(jq -c .created <<<"$OUT")"
run_cutover schema create
assert_contains "then has nothing to do" "every entity's table exists" "$OUT"
# the target lacking tables: each is named with the command that creates it
cp new.db new.bak
q new.db "DROP TABLE orders; DROP TABLE customers"
run_cutover check
assert_eq "check with the target's tables missing: exit 5" 5 "$CODE"
assert_contains "names customers" 'target: no table "customers" (entity customers)' "$ERR"
assert_contains "names orders, and how" 'target: no table "orders" (entity orders): the new system' "$ERR"
run_cutover schema create --into target
assert_eq "schema create --into target copies staging's" "0 $(schema new.bak)" "$CODE $(schema new.db)"
mv new.bak new.db

# ---- every source row accounted for ----
run_cutover migrate --all -q
assert_eq "migrate after the rehearsals" 0 "$CODE"
run_cutover verify --all --json
assert_eq "rows of no tenant: verify --all exit 12" 12 "$CODE"
O=$(jq -c .orphans <<<"$OUT")
assert_eq "5 rows of no tenant, none left out" "5 0" "$(jq -r '"\(.rows) \(.excluded)"' <<<"$O")"
assert_eq "every tenant itself passes" "true true" "$(jq -r '[.verifications[].pass] | join(" ")' <<<"$OUT")"
assert_eq "customers: 2 rows with a NULL tenant, by key" '2 [[13],[14]]' \
  "$(jq -c '.groups[] | select(.table == "customers" and .tenant == "null") | [.rows, [.examples[].key]]' <<<"$O" | tr -d '[]' | awk -F, '{print $1" [["$2"],["$3"]]"}')"
assert_eq "customers: 1 row naming no tenant (99)" '{"rows":1,"values":1,"examples":[{"key":[15],"tenant":99}]}' \
  "$(jq -c '.groups[] | select(.table == "customers" and .tenant == "unknown") | {rows, values, examples}' <<<"$O")"
assert_eq "orders: 2 rows naming no tenant (98, 99)" '{"rows":2,"values":2}' \
  "$(jq -c '.groups[] | select(.table == "orders") | {rows, values}' <<<"$O")"
assert_eq "the tables and columns were found in the queries" "customers.account_id query 6,orders.account_id query 4" \
  "$(jq -r '[.sources[] | "\(.table).\(.column) \(.found) \(.rows)"] | join(",")' <<<"$O")"
run_cutover verify --all
assert_contains "the text output says so" "FINDING  customers.account_id: 2 rows whose tenant is NULL, e.g." "$OUT"
# The journal keeps the accounting; the report and the API show it.
assert_eq "journal: the tables read and the groups, by verify" \
  "verify customers account_id table 6 - -|verify orders account_id table 4 - -|verify customers account_id null 2 - -|verify customers account_id unknown 1 - -|verify orders account_id unknown 2 - -" \
  "$(q .cutover/state.db "SELECT group_concat(origin || ' ' || source_table || ' ' || tenant_column || ' ' || kind || ' ' || rows || ' ' || coalesce(rule, '-') || ' ' || coalesce(reason, '-'), '|') FROM (SELECT * FROM orphans ORDER BY kind <> 'table', source_table, kind, rows)")"
assert_eq "journal: the example keys" '[{"key":[13],"tenant":null},{"key":[14],"tenant":null}]' \
  "$(q .cutover/state.db "SELECT examples FROM orphans WHERE kind = 'null'")"
run_cutover report -o report.html
assert_contains "the report's overview: the rows of no tenant" \
  "5 source rows whose tenant value is NULL or names no tenant; 0 left out by an orphans rule." "$(cat report.html)"
assert_contains "with the table, the count and the keys" \
  "<tr class=bad><td>customers.account_id</td><td>NULL</td><td class=num>2</td><td><code>[{&quot;key&quot;:[13]" "$(cat report.html)"
"$CUTOVER" serve --listen 127.0.0.1:0 > serve.out 2>serve.err &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q '^token' serve.out 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^cutover: serving \(http[^ ]*\) .*/\1/p' serve.out)
api=$(curl -s "${url}api/orphans")
assert_eq "/api/orphans: counted by verify, 5 rows, none excluded, 2 tables, 3 groups" "verify 5 0 2 3" \
  "$(jq -r '"\(.origin) \(.rows) \(.excluded) \(.sources | length) \(.groups | length)"' <<<"$api")"
kill $server
wait $server 2>/dev/null
run_cutover audit --json
assert_eq "audit counts the same rows" "5 0" "$(jq -r '.orphans | "\(.rows) \(.excluded)"' <<<"$OUT")"

# Left out on purpose: NULLs of customers, and tenant 99 everywhere.
cat >> cutover.yaml <<'YAML'

orphans:
  - table: customers
    tenant_value: null
    reason: "leads never assigned to an account"
  - tenant_value: [99]
    reason: "account 99 closed in 2019"
YAML
run_cutover audit --json --html audit.html
assert_contains "the audit page shows the rows left out, with the rule's reason" \
  "rule 2: account 99 closed in 2019" "$(cat audit.html)"
assert_eq "journal: audit's accounting replaces verify's, with each rule" \
  "audit customers null 1 leads never assigned to an account|audit customers unknown 2 account 99 closed in 2019|audit orders unknown - -|audit orders unknown 2 account 99 closed in 2019" \
  "$(q .cutover/state.db "SELECT group_concat(origin || ' ' || source_table || ' ' || kind || ' ' || coalesce(rule, '-') || ' ' || coalesce(reason, '-'), '|') FROM (SELECT * FROM orphans WHERE kind <> 'table' ORDER BY source_table, kind, rule IS NOT NULL, rule)")"
assert_eq "audit: rules leave 4 out, 1 left (tenant 98)" "1 4" "$(jq -r '.orphans | "\(.rows) \(.excluded)"' <<<"$OUT")"
assert_eq "each group names its rule" 'customers null 1 leads never assigned to an account|customers unknown 2 account 99 closed in 2019|orders unknown - -|orders unknown 2 account 99 closed in 2019' \
  "$(jq -r '[.orphans.groups[] | "\(.table) \(.tenant) \(.rule.index // "-") \(.rule.reason // "-")"] | join("|")' <<<"$OUT")"
run_cutover report -o report.html
assert_contains "the report names the rule and its reason" \
  "excluded by orphans rule 2: account 99 closed in 2019" "$(cat report.html)"
cat >> cutover.yaml <<'YAML'
  - table: orders
    tenant_value: unknown
    reason: "orders of deleted test accounts"
YAML
run_cutover migrate --all --start-over -q
assert_eq "the journal starts over with the rules" 0 "$CODE"
run_cutover verify --all --json
assert_eq "every row of no tenant left out by a rule: verify --all exit 0" 0 "$CODE"
assert_eq "none counted as findings, 5 excluded" "0 5" "$(jq -r '.orphans | "\(.rows) \(.excluded)"' <<<"$OUT")"
run_cutover verify --all
assert_contains "the text output names the rule" "by orphans rule 1 (" "$OUT"
assert_contains "and its reason" "leads never assigned to an account" "$OUT"

# A query the table cannot be told from, then declared.
sed -i 's/      WHERE account_id = :tenant$/      WHERE CAST(account_id AS TEXT) = CAST(:tenant AS TEXT)/' cutover.yaml
run_cutover audit --json
assert_eq "an entity whose table cannot be told is said so" \
  '["customers: its query compares no one column with :tenant (declare source_table and source_tenant_column)","orders: its query compares no one column with :tenant (declare source_table and source_tenant_column)"]' \
  "$(jq -c .orphans.unaccounted <<<"$OUT")"
sed -i 's/^  - name: orders$/  - name: orders\n    source_table: orders\n    source_tenant_column: account_id/' cutover.yaml
run_cutover audit --json
assert_eq "declared, the orders are accounted for again" "0 2 orders.account_id declared" \
  "$(jq -r '.orphans | "\(.rows) \(.excluded) \(.sources[0].table).\(.sources[0].column) \(.sources[0].found)"' <<<"$OUT")"
sed -i '/^    source_tenant_column: account_id$/d' cutover.yaml
run_cutover check
assert_eq "source_table without source_tenant_column: exit 3" 3 "$CODE"
assert_contains "says they go together" "the source table and its tenant column go together" "$ERR"

# ---- the tenants query's NULL and repeated keys ----
cat > tenants.yaml <<'YAML'
source: sqlite:legacy.db
target: sqlite:new.db
state: sqlite:.cutover/tenants-state.db
tenants: SELECT account_id FROM customers
entities:
  - name: customers
    key: [id]
    query: SELECT id, account_id, name, email FROM customers WHERE account_id = :tenant
YAML
run_cutover -p tenants.yaml check --json
assert_eq "NULL and repeated tenant keys: check passes" 0 "$CODE"
assert_eq "each tenant listed once" 3 "$(jq .tenants <<<"$OUT")"
assert_eq "the NULL keys and repeats counted" "2 1" "$(jq -r '"\(.tenants_null_keys) \(.tenants_repeated)"' <<<"$OUT")"
assert_contains "the NULL keys: count and the way to leave them out" \
  "the tenants query returned 2 rows with a NULL key, left out" "$ERR"
assert_contains "the fix for NULL keys" "add WHERE account_id IS NOT NULL to the tenants query" "$ERR"
assert_contains "the repeats: count and the fix" "returned 1 repeated row (tenant 1, ...), each tenant taken once; use SELECT DISTINCT" "$ERR"
# The tenant column found however the query spells the comparison.
sed -i 's/WHERE account_id = :tenant$/WHERE :tenant = c."account_id"/; s/FROM customers WHERE/FROM customers AS c WHERE/' tenants.yaml
assert_contains "the query now reads" 'FROM customers AS c WHERE :tenant = c."account_id"' "$(cat tenants.yaml)"
run_cutover -p tenants.yaml audit --json
assert_eq "found in :tenant = c.\"account_id\"; the NULL keys' rows are rows of no tenant" \
  "customers.account_id query 2" \
  "$(jq -r '.orphans | "\(.sources[0].table).\(.sources[0].column) \(.sources[0].found) \(.rows)"' <<<"$OUT")"
finish
