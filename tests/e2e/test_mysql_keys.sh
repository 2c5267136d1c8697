# test_mysql_keys.sh: keys a MariaDB target assigns (target_key on an
# AUTO_INCREMENT column), SQLite -> MariaDB, against a throwaway server
# (mysql.sh). The target holds the new application's own rows first; the
# customers get keys from the table's counter, in multi-row INSERTs read back
# (RETURNING; without it, LAST_INSERT_ID() + i x @@auto_increment_increment),
# and their orders refer to those keys. A customer and an order planted bad are refused (each in the
# middle of a statement that is then split) without shifting any other row's
# key: every order's customer is still the legacy order's customer. Verify
# through the id map finds nothing; a rejected row maps to nothing. The same
# holds while the application inserts into the table all along. Runs killed
# (SIGKILL) at commits, then run again, end with the same rows, each once,
# every one in the id map (a purge finds it). A cutover, then a rollback after
# the switch that carries back a row the new system created. A key that a
# trigger of the application's sets is read back (RETURNING) in lock mode 1
# too; without RETURNING the keys are counted, in multi-row INSERTs. Under
# innodb_autoinc_lock_mode 2 (a second server) the multi-row INSERTs return
# their keys (RETURNING), right under the application's inserts too; without
# RETURNING each new row is an INSERT of its own, and the keys are as right.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mysql.sh"

my_test_server
LOGS=$WORK/logs
mkdir -p "$LOGS"

assert_eq "MariaDB's innodb_autoinc_lock_mode is 1 (consecutive) by default" 1 \
  "$(mysqlc mysql -e "SELECT @@innodb_autoinc_lock_mode")"

q "$WORK/legacy.db" "
  CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);
  INSERT INTO accounts VALUES (1, 'Acme'), (2, 'Globex');
  CREATE TABLE customers (id INTEGER PRIMARY KEY, account_id INTEGER, name TEXT);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2600)
  INSERT INTO customers SELECT 10 + i, CASE WHEN i <= 2500 THEN 1 ELSE 2 END, 'c' || i FROM n;
  UPDATE customers SET name = 'a name far too long for twenty' WHERE id = 710;
  CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount INTEGER);
  INSERT INTO orders SELECT 100000 + id * 2, id, id FROM customers;
  INSERT INTO orders SELECT 100001 + id * 2, id, id + 1 FROM customers;
  UPDATE orders SET amount = 99999999999 WHERE id = 101401;"

TARGET_SQL="
  CREATE TABLE customers (id BIGINT AUTO_INCREMENT PRIMARY KEY, legacy_id INT,
    account_id INT NOT NULL, name VARCHAR(20) NOT NULL) ENGINE=InnoDB AUTO_INCREMENT=5000;
  CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, legacy_id INT, account_id INT NOT NULL,
    customer_id BIGINT NOT NULL, amount INT, FOREIGN KEY (customer_id) REFERENCES customers (id))
    ENGINE=InnoDB AUTO_INCREMENT=70000;
  INSERT INTO customers (account_id, name) VALUES (9, 'the app''s own'), (9, 'the app''s too');
  INSERT INTO orders (account_id, customer_id, amount) VALUES (9, 5000, 1);"

# project DIR DB: a project migrating legacy.db into database DB.
project() {
  mkdir -p "$1"
  cp "$WORK/legacy.db" "$1/legacy.db"
  cat >"$1/cutover.yaml" <<YAML
source: sqlite:legacy.db
target: $MY_BASE/$2
tenants: SELECT id, name FROM accounts ORDER BY id
options: { batch_size: 1500 }
entities:
  - { name: customers, key: id, target_key: id, tenant_column: account_id,
      follows: { customers: { id: id } },
      reverse: { table: customers, key: { id: id }, columns: { account_id: account_id, name: name } },
      query: "SELECT id, id AS legacy_id, account_id, name FROM customers WHERE account_id = :tenant ORDER BY id" }
  - { name: orders, key: id, target_key: id, tenant_column: account_id, refs: { customer_id: customers },
      follows: { orders: { id: id } },
      reverse: { table: orders, key: { id: id }, columns: { customer_id: customer_id, amount: amount } },
      query: "SELECT o.id, o.id AS legacy_id, c.account_id, o.customer_id, o.amount FROM orders o
              JOIN customers c ON c.id = o.customer_id WHERE c.account_id = :tenant ORDER BY o.id" }
YAML
  mysqlc mysql -e "CREATE DATABASE $2" && mysqlc "$2" -e "$TARGET_SQL"
}
# The legacy pairs (order, its customer) that should arrive, and those that did.
WANT=$(q "$WORK/legacy.db" "SELECT o.id || ' ' || o.customer_id FROM orders o
                            WHERE o.customer_id <> 710 AND o.id <> 101401 ORDER BY o.id")
pairs() {
  mysqlc "$1" -e "SELECT CONCAT(o.legacy_id, ' ', c.legacy_id) FROM orders o
                  JOIN customers c ON c.id = o.customer_id WHERE o.account_id IN (1, 2) ORDER BY o.legacy_id"
}
# What a target holds of the tenants: each customer once, by legacy key.
CUSTOMERS="SELECT CONCAT(legacy_id, ' ', name) FROM customers WHERE account_id IN (1, 2) ORDER BY legacy_id"

# INSERT statements the server has run so far.
inserts() { mysqlc mysql -e "SHOW GLOBAL STATUS LIKE 'Com_insert'" | cut -f2; }

project "$WORK/one" crm
n0=$(inserts)
(cd "$WORK/one" && "$CUTOVER" migrate --all --skip-rehearsal --no-verify --json) \
  >"$LOGS/one.json" 2>"$LOGS/one.err"
code=$?
n1=$(inserts)
assert_eq "SQLite -> MariaDB with target_key exits 0" 0 "$code"
[[ $code -eq 0 ]] || sed -n 1,20p "$LOGS/one.err"
assert_eq "customers: 2599 loaded, 1 rejected; orders: 5197 loaded, 3 rejected" "2599 1 5197 3" \
  "$(jq -r '[([.tenants[].entities.customers.loaded] | add), ([.tenants[].entities.customers.rejected] | add),
             ([.tenants[].entities.orders.loaded] | add), ([.tenants[].entities.orders.rejected] | add)] | join(" ")' "$LOGS/one.json")"
assert_eq "the customers' keys come from the table's counter, above the app's rows" "1 2599" \
  "$(mysqlc crm -e "SELECT CONCAT(min(id) > 5001, ' ', count(*)) FROM customers WHERE account_id IN (1, 2)")"
assert_eq "every order refers to its legacy customer's target row (no key shifted)" "$WANT" "$(pairs crm)"
assert_eq "the rows went in multi-row INSERTs (7,800 rows, fewer than 60 statements)" 1 "$(( n1 - n0 < 60 ))"
assert_eq "the orders' keys come from their table's counter" 0 \
  "$(mysqlc crm -e "SELECT count(*) FROM orders WHERE account_id IN (1, 2) AND id < 70001")"
assert_eq "the app's own rows are untouched" "2 1" \
  "$(mysqlc crm -e "SELECT CONCAT((SELECT count(*) FROM customers WHERE account_id = 9), ' ',
                                  (SELECT count(*) FROM orders WHERE account_id = 9))")"
rules=$(cat "$WORK"/one/.cutover/rejects/*.jsonl | jq -r '"\(.entity) \(.key) \(.rule)"' | sort)
assert_eq "the planted rows are refused for their reasons" \
  "customers [710] too_big
orders [101401] type
orders [101420] ref_rejected
orders [101421] ref_rejected" "$(echo "$rules" | sort)"

(cd "$WORK/one" && "$CUTOVER" verify --all --json) >"$LOGS/verify.json" 2>"$LOGS/verify.err"
code=$?
assert_eq "verify through the id map passes" 0 "$code"
[[ $code -eq 0 ]] || tail -n 5 "$LOGS/verify.err"
assert_eq "with zero findings" 0 "$(jq '[.verifications[].findings | length] | add' "$LOGS/verify.json")"
c11=$(mysqlc crm -e "SELECT id FROM customers WHERE legacy_id = 11")
assert_contains "trace shows both keys" "customers [11] loaded as [$c11]" \
  "$(cd "$WORK/one" && "$CUTOVER" trace customers 11 2>&1)"
assert_eq "the refused customer maps to nothing" "" \
  "$(cd "$WORK/one" && "$CUTOVER" trace customers 710 2>&1 | grep 'loaded as')"

mysqlc crm -e "UPDATE orders SET amount = 7 WHERE legacy_id = 100500"
(cd "$WORK/one" && "$CUTOVER" verify --tenant 1 --json) >"$LOGS/verify2.json" 2>/dev/null
assert_eq "a changed row is found, by its target key" \
  "changed [$(mysqlc crm -e "SELECT id FROM orders WHERE legacy_id = 100500")]" \
  "$(jq -r '[.verifications[].findings[] | select(.check == "content")][0] | "\(.kind) \(.key)"' "$LOGS/verify2.json")"
mysqlc crm -e "UPDATE orders SET amount = 250 WHERE legacy_id = 100500"

# Migrating again: the same rows with the same keys (the id map's), none twice.
before=$(mysqlc crm -e "SELECT CONCAT(id, ' ', legacy_id) FROM customers ORDER BY id"; pairs crm)
(cd "$WORK/one" && "$CUTOVER" migrate --all --again --skip-rehearsal --no-verify -q) >"$LOGS/again.out" 2>&1
assert_eq "migrating again exits 0" 0 "$?"
assert_eq "migrating again keeps every key" "$before" \
  "$(mysqlc crm -e "SELECT CONCAT(id, ' ', legacy_id) FROM customers ORDER BY id"; pairs crm)"

# The application inserts into the same table all along (single- and
# multi-row INSERTs on a session of its own): its rows take values between
# cutover's statements, and every key cutover reads back is still its row's.
# busy_migrate DIR DB: migrate --all in DIR while the application inserts
# into DB's customers all along; code is migrate's exit status.
busy_migrate() {
  local app
  rm -f "$WORK/busy.done"
  ( i=0
    while [[ ! -e $WORK/busy.done ]]; do
      i=$((i + 1))
      echo "INSERT INTO customers (account_id, name) VALUES (9, 'a$i'), (9, 'b$i'), (9, 'c$i');"
      echo "INSERT INTO customers (account_id, name) VALUES (9, 'd$i');"
    done ) | mysqlc "$2" &
  app=$!
  (cd "$1" && "$CUTOVER" migrate --all --skip-rehearsal -q) >"$LOGS/$(basename "$1").out" 2>&1
  code=$?
  touch "$WORK/busy.done"
  wait "$app"
}
project "$WORK/busy" crm_busy
busy_migrate "$WORK/busy" crm_busy
assert_eq "under the application's inserts: migrate and verify pass" 0 "$code"
[[ $code -eq 0 ]] || tail -n 5 "$LOGS/busy.out"
assert_eq "under the application's inserts: every order refers to its legacy customer" "$WANT" "$(pairs crm_busy)"
assert_eq "under the application's inserts: each customer once" "$(mysqlc crm -e "$CUSTOMERS")" \
  "$(mysqlc crm_busy -e "$CUSTOMERS")"
assert_eq "the application's rows took keys among cutover's (the inserts interleaved)" 1 \
  "$(mysqlc crm_busy -e "SELECT count(*) > 0 FROM customers WHERE account_id = 9 AND id BETWEEN
                         (SELECT min(id) FROM customers WHERE account_id = 1) AND
                         (SELECT max(id) FROM customers WHERE account_id = 1)")"

# Killed at commits (one job, so that they come in one order), two pairs of
# consecutive ones in the batches, so that one of each pair falls between a
# batch's journal commit (its id map rows) and the target's, whatever commits
# come before: the id map then names keys the target never kept, which the
# reload gives the same rows. Then run again.
reference=$(mysqlc crm -e "$CUSTOMERS")
# mapped DIR DB: id map entries of the tenants, and their rows in the target.
mapped() {
  echo "$(q "$1/.cutover/state.db" "SELECT (SELECT count(*) FROM id_map) + (SELECT coalesce(sum(n), 0) FROM id_map_runs)")" \
    "$(mysqlc "$2" -e "SELECT (SELECT count(*) FROM customers WHERE account_id IN (1, 2))
                              + (SELECT count(*) FROM orders WHERE account_id IN (1, 2))")"
}
ahead=0
for at in 4 8 9 12 13; do
  db=crm_k$at
  project "$WORK/k$at" "$db"
  (cd "$WORK/k$at" && CUTOVER_KILL_AT_COMMIT=$at "$CUTOVER" migrate --all --jobs 1 --skip-rehearsal --no-verify -q) \
    >"$LOGS/k$at.out" 2>&1
  killed=$?
  read -r ids rows <<<"$(mapped "$WORK/k$at" "$db")"
  [[ $ids -gt $rows ]] && ahead=$((ahead + 1))
  (cd "$WORK/k$at" && "$CUTOVER" migrate --all --skip-rehearsal -q) >"$LOGS/k$at-rerun.out" 2>&1
  code=$?
  assert_eq "killed at commit $at (exit $killed): the rerun migrates and verifies" 0 "$code"
  [[ $code -eq 0 ]] || tail -n 5 "$LOGS/k$at-rerun.out"
  assert_eq "killed at commit $at: each customer once, as in an uninterrupted run" "$reference" \
    "$(mysqlc "$db" -e "$CUSTOMERS")"
  assert_eq "killed at commit $at: every order refers to its legacy customer" "$WANT" "$(pairs "$db")"
  # Every target row of the tenants is in the id map: a purge leaves none.
  (cd "$WORK/k$at" && "$CUTOVER" rollback --all -q) >"$LOGS/k$at-rollback.out" 2>&1
  assert_eq "killed at commit $at: after a rollback no row of the tenants is left" "0 0" \
    "$(mysqlc "$db" -e "SELECT CONCAT((SELECT count(*) FROM customers WHERE account_id IN (1, 2)), ' ',
                                      (SELECT count(*) FROM orders WHERE account_id IN (1, 2)))")"
done
assert_eq "two kills fell between a batch's journal commit and the target's" 2 "$ahead"

# A cutover of tenant 2 (capture, freeze, switch), then a rollback after the
# switch: the new system's customer and its order go back to the source with
# the key the source gives, an edit goes back, nothing of tenant 2 stays.
cat >>"$WORK/one/cutover.yaml" <<'YAML'
capture:
  - { table: customers, key: id, tenant: "{row}.account_id" }
  - { table: orders, key: id, tenant: "(SELECT account_id FROM customers WHERE id = {row}.customer_id)" }
YAML
others=$(mysqlc crm -e "SELECT CONCAT(id, ' ', legacy_id) FROM customers WHERE account_id <> 2 ORDER BY id")
(cd "$WORK/one" && "$CUTOVER" migrate --tenant 2 --skip-rehearsal --start-over -q --json) \
  >"$LOGS/cutover.json" 2>"$LOGS/cutover.err"
assert_eq "tenant 2 cut over into MariaDB" "0 switched" "$? $(jq -r '.tenants[0].status' "$LOGS/cutover.json")"
mysqlc crm -e "INSERT INTO customers (account_id, name) VALUES (2, 'New in CRM');
               INSERT INTO orders (account_id, customer_id, amount) VALUES (2, LAST_INSERT_ID(), 777777);
               UPDATE customers SET name = 'Renamed' WHERE legacy_id = 2520"
(cd "$WORK/one" && "$CUTOVER" rollback --tenant 2 --json) >"$LOGS/rollback.json" 2>"$LOGS/rollback.err"
assert_eq "rollback exits 0, every row carried back" "0 0" "$? $(jq '.not_carried' "$LOGS/rollback.json")"
assert_eq "the new system's customer has a key the source gave; its order refers to it" \
  "2611|2|New in CRM 2611" \
  "$(q "$WORK/one/legacy.db" "SELECT * FROM customers WHERE name = 'New in CRM'") $(q "$WORK/one/legacy.db" "SELECT customer_id FROM orders WHERE amount = 777777")"
assert_eq "the edit is back in the source" Renamed "$(q "$WORK/one/legacy.db" "SELECT name FROM customers WHERE id = 2520")"
assert_eq "nothing of tenant 2 left in the target" "0 0" \
  "$(mysqlc crm -e "SELECT CONCAT((SELECT count(*) FROM customers WHERE account_id = 2), ' ',
                                  (SELECT count(*) FROM orders WHERE account_id = 2))")"
assert_eq "tenant 1 and the app's rows untouched" "$others" \
  "$(mysqlc crm -e "SELECT CONCAT(id, ' ', legacy_id) FROM customers WHERE account_id <> 2 ORDER BY id")"
(cd "$WORK/one" && "$CUTOVER" migrate --tenant 2 --skip-rehearsal -q) >"$LOGS/cutover2.out" 2>&1
assert_eq "tenant 2 cut over again, with the carried-back rows" "0 101 201" \
  "$? $(mysqlc crm -e "SELECT CONCAT((SELECT count(*) FROM customers WHERE account_id = 2), ' ',
                                    (SELECT count(*) FROM orders WHERE account_id = 2))")"

# Lock mode 1 reads the keys back with RETURNING too (MariaDB >= 10.5): a
# key that a trigger of the application's sets in the middle of a statement
# is the one the orders refer to (counted from LAST_INSERT_ID() it would
# be another). Without RETURNING (MySQL, older MariaDB; here
# CUTOVER_MYSQL_RETURNING=0) the keys are counted, in multi-row INSERTs too,
# and right where no trigger sets them. The server's general log shows which
# way each run went.
# returning_inserts: INSERT ... RETURNING statements the general log holds.
returning_inserts() {
  mysqlc mysql -e "SELECT count(*) FROM mysql.general_log WHERE command_type = 'Query'
                   AND argument LIKE 'INSERT INTO%' AND argument LIKE '% RETURNING %'"
}
mysqlc mysql -e "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1"
project "$WORK/one-trigger" crm_trigger
mysqlc crm_trigger -e "CREATE TRIGGER own_key BEFORE INSERT ON customers FOR EACH ROW
                       SET NEW.id = IF(NEW.legacy_id = 2520, 800000, NEW.id)"
(cd "$WORK/one-trigger" && "$CUTOVER" migrate --all --skip-rehearsal -q) >"$LOGS/one-trigger.out" 2>&1
code=$?
assert_eq "lock mode 1, a trigger that sets a key: migrate and verify pass" 0 "$code"
[[ $code -eq 0 ]] || tail -n 5 "$LOGS/one-trigger.out"
assert_eq "lock mode 1: the keys are read back by INSERT ... RETURNING" 1 "$(( $(returning_inserts) > 0 ))"
assert_eq "lock mode 1: the key a trigger gave customer 2520 (800000) is the one its orders refer to" \
  "800000 800000 800000" \
  "$(mysqlc crm_trigger -e "SELECT CONCAT((SELECT id FROM customers WHERE legacy_id = 2520), ' ',
                                          GROUP_CONCAT(customer_id ORDER BY legacy_id SEPARATOR ' '))
                            FROM orders WHERE legacy_id IN (105040, 105041)")"
assert_eq "lock mode 1, a trigger that sets a key: every order refers to its legacy customer" \
  "$WANT" "$(pairs crm_trigger)"

mysqlc mysql -e "TRUNCATE mysql.general_log"
project "$WORK/one-count" crm_count
n0=$(inserts)
(cd "$WORK/one-count" && CUTOVER_MYSQL_RETURNING=0 "$CUTOVER" migrate --all --skip-rehearsal -q) \
  >"$LOGS/one-count.out" 2>&1
code=$?
n1=$(inserts)
assert_eq "lock mode 1 without RETURNING: migrate and verify pass" 0 "$code"
[[ $code -eq 0 ]] || tail -n 5 "$LOGS/one-count.out"
assert_eq "lock mode 1 without RETURNING: no INSERT ... RETURNING, multi-row INSERTs (fewer than 60)" \
  "0 1" "$(returning_inserts) $(( n1 - n0 < 60 ))"
assert_eq "lock mode 1 without RETURNING: every order refers to its legacy customer" "$WANT" "$(pairs crm_count)"
assert_eq "lock mode 1 without RETURNING: each customer once" "$reference" "$(mysqlc crm_count -e "$CUSTOMERS")"
mysqlc mysql -e "SET GLOBAL general_log = 0; TRUNCATE mysql.general_log"

# innodb_autoinc_lock_mode 2 (MySQL 8's default) does not promise a
# multi-row INSERT consecutive keys. On MariaDB >= 10.5 the INSERT returns
# them (RETURNING id, in the order of its VALUES), so the rows still go in
# multi-row INSERTs, and every key read back is the one the row was given:
# while the application inserts into the same table, and where a trigger of
# the application's gives a row a key of its own choosing in the middle of a
# statement (counting from LAST_INSERT_ID() would be wrong there). Without
# RETURNING (MySQL; here CUTOVER_MYSQL_RETURNING=0) each new row is an INSERT
# of its own.
my_stop
MY_SERVER_ARGS=--innodb-autoinc-lock-mode=2 my_test_server
assert_eq "a server with innodb_autoinc_lock_mode 2" 2 "$(mysqlc mysql -e "SELECT @@innodb_autoinc_lock_mode")"
rm -rf "$WORK/two" "$WORK/two-busy" "$WORK/two-one"
project "$WORK/two" crm
n0=$(inserts)
(cd "$WORK/two" && "$CUTOVER" migrate --all --skip-rehearsal -q) >"$LOGS/two.out" 2>&1
code=$?
n1=$(inserts)
assert_eq "lock mode 2: migrate --all and verify pass" 0 "$code"
[[ $code -eq 0 ]] || tail -n 5 "$LOGS/two.out"
assert_eq "lock mode 2: multi-row INSERT ... RETURNING (7,800 rows, fewer than 60 statements)" 1 \
  "$(( n1 - n0 < 60 ))"
assert_eq "lock mode 2: every order refers to its legacy customer" "$WANT" "$(pairs crm)"
assert_eq "lock mode 2: each customer once" "$reference" "$(mysqlc crm -e "$CUSTOMERS")"

project "$WORK/two-busy" crm_busy
mysqlc crm_busy -e "CREATE TRIGGER own_key BEFORE INSERT ON customers FOR EACH ROW
                    SET NEW.id = IF(NEW.legacy_id = 2520, 800000, NEW.id)"
busy_migrate "$WORK/two-busy" crm_busy
assert_eq "lock mode 2, under the application's inserts: migrate and verify pass" 0 "$code"
[[ $code -eq 0 ]] || tail -n 5 "$LOGS/two-busy.out"
assert_eq "lock mode 2, under the application's inserts: every order refers to its legacy customer" \
  "$WANT" "$(pairs crm_busy)"
assert_eq "lock mode 2, under the application's inserts: each customer once" "$reference" \
  "$(mysqlc crm_busy -e "$CUSTOMERS")"
assert_eq "lock mode 2: the key a trigger gave customer 2520 (800000) is the one its orders refer to" \
  "800000 800000 800000" \
  "$(mysqlc crm_busy -e "SELECT CONCAT((SELECT id FROM customers WHERE legacy_id = 2520), ' ',
                                       GROUP_CONCAT(customer_id ORDER BY legacy_id SEPARATOR ' '))
                         FROM orders WHERE legacy_id IN (105040, 105041)")"

project "$WORK/two-one" crm_one
n0=$(inserts)
(cd "$WORK/two-one" && CUTOVER_MYSQL_RETURNING=0 "$CUTOVER" migrate --tenant 2 --skip-rehearsal -q) \
  >"$LOGS/two-one.out" 2>&1
code=$?
n1=$(inserts)
assert_eq "lock mode 2 without RETURNING: tenant 2 migrates and verifies" 0 "$code"
[[ $code -eq 0 ]] || tail -n 5 "$LOGS/two-one.out"
assert_eq "lock mode 2 without RETURNING: one INSERT per row (300 rows)" 1 "$(( n1 - n0 >= 300 ))"
assert_eq "lock mode 2 without RETURNING: every order refers to its legacy customer" \
  "$(echo "$WANT" | awk '$2 > 2510')" "$(pairs crm_one)"
finish
