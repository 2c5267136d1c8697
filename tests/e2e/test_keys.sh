# test_keys.sh: keys the target assigns (target_key), as a user runs it, on a
# live SQLite target and a live PostgreSQL one (pg.sh): other tenants' rows
# and the new application's own are there first, sequences advanced past
# them. Rehearse, migrate, verify and trace through the id map; migrating
# again changes nothing and draws no key; a cutover (capture, freeze,
# switch) then a rollback that carries back a row the new system created,
# with the key the source assigns; the target's foreign keys hold after each
# step and the new system's own rows are never touched. Then reverse sync
# with those keys: a syncing tenant switched, the new system's inserts,
# edits and deletes reach the source through the id map, once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server

legacy() {
  q "$1" "PRAGMA journal_mode = WAL" >/dev/null
  q "$1" "
    CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO accounts VALUES (1, 'Acme'), (2, 'Globex');
    CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER, name TEXT, email TEXT);
    INSERT INTO customers VALUES (10, 1, 'Ann', 'ann@x.com'), (11, 1, 'Bob', 'bob@x.com'),
      (12, 1, 'Ann B', 'ANN@x.com'), (20, 2, 'Cy', 'cy@y.com');
    CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER, amount INTEGER);
    INSERT INTO orders VALUES (100, 10, 5), (101, 11, 7), (102, 12, 9), (200, 20, 11);
    CREATE TABLE notes (id INTEGER PRIMARY KEY, customer_id INTEGER, body TEXT);
    INSERT INTO notes VALUES (1000, 11, 'call back'), (1001, 12, 'vip');"
}

SQLITE_TARGET="
  CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, legacy_id INTEGER,
    account_id INTEGER NOT NULL, name TEXT, email TEXT);
  CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id), amount INTEGER);
  CREATE TABLE notes (id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
    account_id INTEGER NOT NULL, customer_id INTEGER NOT NULL REFERENCES customers(id), body TEXT);"
SQLITE_LIVE="
  INSERT INTO customers (id, account_id, name) VALUES (4990, 9, 'imported earlier');
  INSERT INTO customers (account_id, name) VALUES (9, 'made by the new app');
  UPDATE sqlite_sequence SET seq = 5000 WHERE name = 'customers';
  INSERT INTO orders VALUES (7000, 9, 4990, 1);
  INSERT INTO notes (account_id, customer_id, body) VALUES (9, 4991, 'app note');"
PG_TARGET="
  CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 4990) PRIMARY KEY,
    legacy_id integer, account_id integer NOT NULL, name text, email text);
  CREATE TABLE orders (id serial PRIMARY KEY, account_id integer NOT NULL,
    customer_id bigint NOT NULL REFERENCES customers(id), amount integer);
  CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), account_id integer NOT NULL,
    customer_id bigint NOT NULL REFERENCES customers(id), body text);
  INSERT INTO customers (account_id, name) VALUES (9, 'imported earlier'), (9, 'made by the new app');
  SELECT setval('customers_id_seq', 5000);
  SELECT setval('orders_id_seq', 6999);
  INSERT INTO orders (account_id, customer_id, amount) VALUES (9, 4990, 1);
  INSERT INTO notes (account_id, customer_id, body) VALUES (9, 4991, 'app note');"

project() { # project DIR [capture]
  cat >"$1/cutover.yaml" <<'YAML'
source: sqlite:legacy.db
target: sqlite:crm.db
staging: sqlite:staging.db
tenants: SELECT id, name FROM accounts ORDER BY id
options: { batch_size: 2 }
entities:
  - name: customers
    key: id
    target_key: id
    tenant_column: account_id
    follows: { customers: { id: id } }
    reverse: { table: customers, key: { id: id }, columns: { account_id: account_id, name: name, email: email } }
    query: SELECT id, id AS legacy_id, account_id, name, email FROM customers WHERE account_id = :tenant
    merge: { on: lower(email) }
  - name: orders
    key: id
    target_key: id
    tenant_column: account_id
    follows: { orders: { id: id } }
    reverse: { table: orders, key: { id: id }, columns: { customer_id: customer_id, amount: amount } }
    query: |
      SELECT o.id, c.account_id, o.customer_id, o.amount
      FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.account_id = :tenant
    refs: { customer_id: customers }
  - name: notes
    key: legacy_note
    target_key: id
    tenant_column: account_id
    query: |
      SELECT n.id AS legacy_note, c.account_id, n.customer_id, n.body
      FROM notes n JOIN customers c ON c.id = n.customer_id WHERE c.account_id = :tenant
    refs: { customer_id: customers }
YAML
  if [[ ${2:-} == capture ]]; then
    cat >>"$1/cutover.yaml" <<'YAML'
capture:
  - { table: customers, key: id, tenant: "{row}.account_id" }
  - { table: orders, key: id, tenant: "(SELECT account_id FROM customers WHERE id = {row}.customer_id)" }
YAML
  fi
}

# tsql KIND DB SQL: one value from the target (sqlite: a file; pg: a database).
tsql() {
  if [[ $1 == pg ]]; then pgsql "$2" -c "$3"; else q "$2" "$3"; fi
}
# fk_clean KIND DB: rows whose declared foreign key has no parent.
fk_clean() {
  if [[ $1 == pg ]]; then
    pgsql "$2" -c "SELECT (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id))
                        + (SELECT count(*) FROM notes n WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = n.customer_id))"
  else
    q "$2" "SELECT count(*) FROM pragma_foreign_key_check"
  fi
}
LIVE="SELECT count(*) FROM customers WHERE account_id = 9 AND id IN (4990, 4991)"
# rows SQL: the rows of a query, one a line, in order (both engines).
rows() {
  if [[ $1 == pg ]]; then pgsql "$2" -c "$3"; else q "$2" "$3"; fi | sort
}
SNAPSHOT="SELECT id || ':' || coalesce(legacy_id, 0) || ':' || name FROM customers"
ORDERS="SELECT id || ':' || customer_id FROM orders"
NOTES="SELECT id || ':' || customer_id FROM notes"

# reverse_keys KIND: reverse sync where the target assigns the keys. Tenant
# 1 kept in sync (migrate --coexist), then switched; the new system inserts
# a customer with an order, edits a loaded customer, deletes a loaded order,
# then edits its new customer: each round of `cutover sync` writes them into
# the source through the id map (the new rows under keys the source
# assigns, the order referring to its customer's; the edits and the delete
# on the rows' source keys), once.
reverse_keys() {
  local kind=$1 bob ann gone fresh
  (cd "$d" && "$CUTOVER" migrate --tenant 1 --again --coexist --skip-rehearsal -q "${T[@]}") >"$d/coexist.out" 2>&1
  assert_eq "$kind: tenant 1 kept in sync, keyed by the target" "0 syncing" \
    "$? $(q "$d/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '1'")"
  (cd "$d" && "$CUTOVER" switch --tenant 1 --json "${T[@]}") >"$d/switch.json" 2>"$d/switch.err"
  assert_eq "$kind: tenant 1 switched with reverse sync" "0 true" \
    "$? $(jq -r '.tenants[0].reverse_sync' "$d/switch.json")"
  bob=$(tsql $kind "$db" "SELECT id FROM customers WHERE legacy_id = 11")
  ann=$(tsql $kind "$db" "SELECT id FROM customers WHERE legacy_id = 10")
  gone=$(tsql $kind "$db" "SELECT min(id) FROM orders WHERE customer_id = $ann")
  if [[ $kind == pg ]]; then
    pgsql keys -c "WITH c AS (INSERT INTO customers (account_id, name, email) VALUES (1, 'Eve in CRM', 'eve@x.com') RETURNING id)
                   INSERT INTO orders (account_id, customer_id, amount) SELECT 1, id, 43 FROM c" >/dev/null
  else
    q "$db" "INSERT INTO customers (account_id, name, email) VALUES (1, 'Eve in CRM', 'eve@x.com');
             INSERT INTO orders (account_id, customer_id, amount) VALUES (1, last_insert_rowid(), 43)"
  fi
  tsql $kind "$db" "UPDATE customers SET name = 'Robert' WHERE id = $bob" >/dev/null
  tsql $kind "$db" "DELETE FROM orders WHERE id = $gone" >/dev/null
  (cd "$d" && "$CUTOVER" sync --tenant 1 --once --json "${T[@]}") >"$d/reverse.json" 2>"$d/reverse.err"
  # (4 writes, 4 changes: an update that leaves its row's key and tenant is one)
  assert_eq "$kind: a reverse round applies the new system's changes" "0 reverse 4" \
    "$? $(jq -r '"\(.direction) \(.applied)"' "$d/reverse.json")"
  [[ -s $d/reverse.err ]] && tail -3 "$d/reverse.err"
  fresh=$(q "$d/legacy.db" "SELECT id FROM customers WHERE name = 'Eve in CRM'")
  assert_eq "$kind: the customer the new system created has a key the source assigned, once" \
    "1 1|Eve in CRM|eve@x.com" \
    "$(q "$d/legacy.db" "SELECT count(*) FROM customers WHERE name = 'Eve in CRM'") $(q "$d/legacy.db" "SELECT account_id, name, email FROM customers WHERE name = 'Eve in CRM'")"
  assert_eq "$kind: that key is above the source's own" true \
    "$( (( fresh > 21 )) && echo true || echo false)"
  assert_eq "$kind: its order refers to that key" "$fresh|43" \
    "$(q "$d/legacy.db" "SELECT customer_id, amount FROM orders WHERE amount = 43")"
  assert_eq "$kind: the edit of a loaded customer is on its source key" "Robert" \
    "$(q "$d/legacy.db" "SELECT name FROM customers WHERE id = 11")"
  assert_eq "$kind: the deleted order is gone from the source, by its source key" "0 1" \
    "$(q "$d/legacy.db" "SELECT count(*) FROM orders WHERE id = 100") $(q "$d/legacy.db" "SELECT count(*) FROM orders WHERE id = 101")"
  # The new customer edited in the new system: the same source row, not a second one.
  tsql $kind "$db" "UPDATE customers SET email = 'eve@z.com' WHERE name = 'Eve in CRM'" >/dev/null
  (cd "$d" && "$CUTOVER" sync --tenant 1 --once --json "${T[@]}") >"$d/reverse2.json" 2>/dev/null
  assert_eq "$kind: its edit goes to the key the source gave it, no second row" "0 1 1 eve@z.com" \
    "$? $(jq -r .applied "$d/reverse2.json") $(q "$d/legacy.db" "SELECT count(*) FROM customers WHERE name = 'Eve in CRM'") $(q "$d/legacy.db" "SELECT email FROM customers WHERE id = $fresh")"
  (cd "$d" && "$CUTOVER" sync --tenant 1 --once --json "${T[@]}") >"$d/reverse3.json" 2>/dev/null
  assert_eq "$kind: and nothing twice: the round after applies none" "0 0" \
    "$? $(jq -r .applied "$d/reverse3.json")"
}

for kind in sqlite pg; do
  d=$WORK/$kind
  mkdir -p "$d"
  legacy "$d/legacy.db"
  project "$d"
  q "$d/staging.db" "$SQLITE_TARGET $SQLITE_LIVE"
  if [[ $kind == pg ]]; then
    pgsql postgres -c "CREATE DATABASE keys" && pgsql keys -c "$PG_TARGET" >/dev/null
    db=keys
    T=(--target "$PG_BASE/keys")
    seq="SELECT last_value FROM customers_id_seq"
  else
    q "$d/crm.db" "$SQLITE_TARGET $SQLITE_LIVE"
    db=$d/crm.db
    T=()
    seq="SELECT seq FROM sqlite_sequence WHERE name = 'customers'"
  fi

  (cd "$d" && "$CUTOVER" check "${T[@]}") >"$d/check.out" 2>&1
  assert_eq "$kind: check accepts target_key (a key column the target lacks stays in the id map)" 0 "$?"
  if [[ $kind == sqlite ]]; then
    (cd "$d" && "$CUTOVER" rehearse --all -q) >"$d/rehearse.out" 2>&1
    assert_eq "$kind: rehearsal passes" 0 "$?"
    assert_eq "$kind: staging's own rows untouched" 2 "$(q "$d/staging.db" "$LIVE")"
  fi
  (cd "$d" && "$CUTOVER" migrate --all --no-verify --skip-rehearsal -q "${T[@]}") >"$d/migrate.out" 2>&1
  assert_eq "$kind: migrate exits 0" 0 "$?"
  # (PostgreSQL hands out a block of the sequence per load: gaps are normal there.)
  assert_eq "$kind: parents keyed by the target, above its own rows" "5001 3" \
    "$(tsql $kind "$db" "SELECT min(id) || ' ' || count(*) FROM customers WHERE account_id IN (1, 2)")"
  assert_eq "$kind: the merged customer is one row" 0 "$(tsql $kind "$db" "SELECT count(*) FROM customers WHERE legacy_id = 12")"
  assert_eq "$kind: children refer to the target keys (12's order to 10's row)" 2 \
    "$(tsql $kind "$db" "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.legacy_id = 10")"
  assert_eq "$kind: orders keyed above the target's own" 4 "$(tsql $kind "$db" "SELECT count(*) FROM orders WHERE id > 7000")"
  assert_eq "$kind: notes keyed by UUIDs (version 4)" "2 4" \
    "$(tsql $kind "$db" "SELECT count(*) || ' ' || min(substr(id || '', 15, 1)) FROM notes WHERE account_id = 1")"
  assert_eq "$kind: the target's foreign keys hold" 0 "$(fk_clean $kind "$db")"
  assert_eq "$kind: the new system's own rows untouched" 2 "$(tsql $kind "$db" "$LIVE")"
  (cd "$d" && "$CUTOVER" verify --all --json "${T[@]}") >"$d/verify.json" 2>"$d/verify.err"
  assert_eq "$kind: verify through the id map passes" 0 "$?"
  bob=$(tsql $kind "$db" "SELECT id FROM customers WHERE legacy_id = 11")
  assert_contains "$kind: trace shows both keys" "customers [11] loaded as [$bob]" \
    "$(cd "$d" && CUTOVER_TARGET=${T[1]:-sqlite:crm.db} "$CUTOVER" trace customers 11 2>&1)"
  assert_contains "$kind: trace --target-row finds the source row" "[11]" \
    "$(cd "$d" && CUTOVER_TARGET=${T[1]:-sqlite:crm.db} "$CUTOVER" trace customers "$bob" --target-row 2>&1)"

  tsql $kind "$db" "UPDATE orders SET amount = 99 WHERE customer_id = $bob" >/dev/null
  (cd "$d" && "$CUTOVER" verify --tenant 1 --json "${T[@]}") >"$d/verify2.json" 2>/dev/null
  assert_eq "$kind: a changed row is found, by its target key" \
    "changed [$(tsql $kind "$db" "SELECT id FROM orders WHERE amount = 99")]" \
    "$(jq -r '[.verifications[].findings[] | select(.check == "content")][0] | "\(.kind) \(.key)"' "$d/verify2.json")"
  tsql $kind "$db" "UPDATE orders SET amount = 7 WHERE customer_id = $bob" >/dev/null
  q "$d/legacy.db" "INSERT INTO customers VALUES (13, 1, 'Dee', 'dee@x.com')"
  (cd "$d" && "$CUTOVER" verify --tenant 1 --json "${T[@]}") >"$d/verify3.json" 2>/dev/null
  assert_eq "$kind: a source row the id map does not know is missing, by its source key" \
    "12 missing [\"no target key: source key [13]\"]" \
    "$? $(jq -r '[.verifications[].findings[] | select(.check == "content")][0] | "\(.kind) \(.key)"' "$d/verify3.json")"
  q "$d/legacy.db" "DELETE FROM customers WHERE id = 13"

  before="$(rows $kind "$db" "$SNAPSHOT") $(rows $kind "$db" "$ORDERS") $(rows $kind "$db" "$NOTES")"
  s1=$(tsql $kind "$db" "$seq")
  (cd "$d" && "$CUTOVER" migrate --all --again --no-verify --skip-rehearsal -q "${T[@]}") >"$d/again.out" 2>&1
  assert_eq "$kind: migrating again exits 0" 0 "$?"
  after="$(rows $kind "$db" "$SNAPSHOT") $(rows $kind "$db" "$ORDERS") $(rows $kind "$db" "$NOTES")"
  assert_eq "$kind: migrating again changes nothing" "$before" "$after"
  assert_eq "$kind: and draws no new key" "$s1" "$(tsql $kind "$db" "$seq")"
  assert_eq "$kind: the foreign keys still hold" 0 "$(fk_clean $kind "$db")"

  # A cutover of tenant 2, then a rollback after the switch.
  project "$d" capture
  others=$(rows $kind "$db" "$SNAPSHOT WHERE account_id <> 2")
  (cd "$d" && "$CUTOVER" migrate --tenant 2 --skip-rehearsal --start-over -q --json "${T[@]}") >"$d/cutover.json" 2>"$d/cutover.err"
  assert_eq "$kind: tenant 2 cut over" "0 switched" "$? $(jq -r '.tenants[0].status' "$d/cutover.json")"
  cy=$(tsql $kind "$db" "SELECT id FROM customers WHERE legacy_id = 20")
  # The new system, after the switch: a new customer with an order, an edit.
  if [[ $kind == pg ]]; then
    pgsql keys -c "WITH c AS (INSERT INTO customers (account_id, name, email) VALUES (2, 'New in CRM', 'new@y.com') RETURNING id)
                   INSERT INTO orders (account_id, customer_id, amount) SELECT 2, id, 42 FROM c" >/dev/null
  else
    q "$db" "INSERT INTO customers (account_id, name, email) VALUES (2, 'New in CRM', 'new@y.com');
             INSERT INTO orders (account_id, customer_id, amount) VALUES (2, last_insert_rowid(), 42)"
  fi
  tsql $kind "$db" "UPDATE customers SET name = 'Cyrus' WHERE id = $cy" >/dev/null
  (cd "$d" && "$CUTOVER" rollback --tenant 2 --json "${T[@]}") >"$d/rollback.json" 2>"$d/rollback.err"
  assert_eq "$kind: rollback exits 0" 0 "$?"
  assert_eq "$kind: every row carried back" "0" "$(jq '.not_carried' "$d/rollback.json")"
  assert_eq "$kind: the row the new system created has a key the source assigned" "21|2|New in CRM|new@y.com" \
    "$(q "$d/legacy.db" "SELECT * FROM customers WHERE name = 'New in CRM'")"
  assert_eq "$kind: its order refers to that key" "21|42" \
    "$(q "$d/legacy.db" "SELECT customer_id, amount FROM orders WHERE amount = 42")"
  assert_eq "$kind: the edit is back in the source" "Cyrus" "$(q "$d/legacy.db" "SELECT name FROM customers WHERE id = 20")"
  assert_eq "$kind: nothing of tenant 2 left in the target" "0 0" \
    "$(tsql $kind "$db" "SELECT (SELECT count(*) FROM customers WHERE account_id = 2) || ' ' || (SELECT count(*) FROM orders WHERE account_id = 2)")"
  assert_eq "$kind: tenant 1 and the new system's rows untouched" "$others" \
    "$(rows $kind "$db" "$SNAPSHOT WHERE account_id <> 2")"
  assert_eq "$kind: the foreign keys hold after the rollback" 0 "$(fk_clean $kind "$db")"
  (cd "$d" && "$CUTOVER" migrate --tenant 2 --skip-rehearsal -q "${T[@]}") >"$d/cutover2.out" 2>&1
  assert_eq "$kind: tenant 2 cut over again, with the carried-back rows" "0 2" \
    "$? $(tsql $kind "$db" "SELECT count(*) FROM customers WHERE account_id = 2")"
  assert_eq "$kind: the foreign keys hold" 0 "$(fk_clean $kind "$db")"
  reverse_keys "$kind"
done
finish
