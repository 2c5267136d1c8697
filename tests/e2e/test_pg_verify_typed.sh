# test_pg_verify_typed.sh: a SQLite source (numbers, dates and flags kept as
# text) into a PostgreSQL target with typed columns verifies as exactly as
# into SQLite: the typed pairs pass, near misses are found; planted
# violations of a NOT VALID foreign key, a NOT VALID CHECK and a unique
# index are each found by key with exit 12.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures/typed
cp "$FIX/cutover.yaml" "$WORK/"
q "$WORK/legacy.db" ".read $FIX/legacy.sql"
pgsql postgres -c "CREATE DATABASE typed" && pgsql typed -f "$FIX/target-pg.sql"
assert_eq "the PostgreSQL schema loads" 0 "$?"
proj=$WORK/cutover.yaml
cv() { run_cutover -p "$proj" --target "$PG_BASE/typed" "$@"; }

cv migrate --skip-rehearsal --all --json
assert_eq "SQLite text -> PostgreSQL types: migrate and its verification pass" 0 "$CODE"
assert_eq "the row without its category refused, as on SQLite" "[104] foreign_key" \
  "$(jq -r '"\(.key | tojson) \(.rule)"' "$WORK/.cutover/rejects/2.jsonl")"
assert_eq "and only it" 1 "$(jq '[.tenants[].rejected] | add' <<<"$OUT")"
cv verify --all --json
assert_eq "typed pairs verify on PostgreSQL: exit 0" 0 "$CODE"
assert_eq "typed pairs verify on PostgreSQL: no findings" 0 \
  "$(jq '[.verifications[].findings[]] | length' <<<"$OUT")"
assert_eq "PostgreSQL holds them in its types" "1.5|42|2024-01-05|t|1100.04|2024-01-05 08:00:00+00" \
  "$(pgsql typed -c "SELECT price, qty, due, active, amount, seen_at FROM items WHERE id = 100")"
assert_eq "a date with a time of 00:00:00 and 'false' arrive as a date and false" "2024-02-29|f" \
  "$(pgsql typed -c "SELECT due, active FROM items WHERE id = 101")"

# Near misses.
pgsql typed -c "UPDATE items SET price = 1.6, seen_at = seen_at + interval '1 second' WHERE id = 100;
                UPDATE items SET amount = 0.51, active = true WHERE id = 101;
                UPDATE items SET due = due + 1 WHERE id = 102;"
cv verify --all --json
assert_eq "near misses on PostgreSQL: exit 12" 12 "$CODE"
changed=$(jq -r '[.verifications[].findings[] | select(.kind == "changed")
                 | "\(.key[0]):\(.detail.columns | keys | join(","))"] | sort | join(" ")' <<<"$OUT")
assert_eq "near misses: price and time, amount at its scale and the flag, the date; nothing else" \
  "100:price,seen_at 101:active,amount 102:due" "$changed"
pgsql typed -c "UPDATE items SET price = 1.5, seen_at = seen_at - interval '1 second' WHERE id = 100;
                UPDATE items SET amount = 0.50, active = false WHERE id = 101;
                UPDATE items SET due = due - 1 WHERE id = 102;"
cv verify --all
assert_eq "set back: clean again" 0 "$CODE"

# Planted violations, under constraints PostgreSQL does not check for old rows.
pgsql typed -c "ALTER TABLE items DROP CONSTRAINT items_customer_id_fkey;
                UPDATE items SET customer_id = 99 WHERE id = 102;
                ALTER TABLE items ADD CONSTRAINT items_customer_fk FOREIGN KEY (customer_id)
                  REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED NOT VALID;
                ALTER TABLE items DROP CONSTRAINT price_positive;
                UPDATE items SET price = -1 WHERE id = 101;
                ALTER TABLE items ADD CONSTRAINT price_positive CHECK (price > 0) NOT VALID;"
# a unique index holding a duplicate (the catalog says non-unique while it is written)
pgsql typed -c "UPDATE pg_index SET indisunique = false WHERE indexrelid = 'customers_email'::regclass" \
  && pgsql typed -c "UPDATE customers SET email = 'a@x.org' WHERE id = 12" \
  && pgsql typed -c "UPDATE pg_index SET indisunique = true WHERE indexrelid = 'customers_email'::regclass"
assert_eq "a duplicate planted under the unique index" 0 "$?"
cv verify --tenant 1 --json
assert_eq "planted violations on PostgreSQL: exit 12" 12 "$CODE"
integ() { jq -r --arg k "$1" '[.verifications[].findings[] | select(.check == "integrity" and .kind == $k)
          | "\(.key | tojson) \(.detail.constraint) \(.detail.columns | tojson)"] | join(";")' <<<"$OUT"; }
assert_eq "NOT VALID, DEFERRABLE foreign key: found by key and value" \
  '[102] items_customer_fk {"customer_id":99}' "$(integ foreign_key)"
assert_eq "NOT VALID CHECK: found by key and value" '[101] price_positive {"price":-1}' "$(integ check)"
assert_eq "unique index: found by key and value" '[10] customers_email {"email":"a@x.org"}' \
  "$(integ unique)"
# The table's CHECKs counted in the NOT NULL pass over the tenant's rows,
# itself inside the read of the references, not in a pass of their own; the
# failing one then read by key.
cv verify --tenant 1 --json -v
assert_eq "NOT VALID CHECK: found again" '[101] price_positive {"price":-1}' "$(integ check)"
assert_eq "the CHECKs counted in the NOT NULL pass, in the references' read" 1 \
  "$(grep -c 'target sql: SELECT count(CASE WHEN "items"\.".*" IS NOT NULL AND cutover_p0.cutover_v IS NULL THEN 1 END), count(CASE WHEN "account_id" IS NULL THEN 1 END), count(CASE WHEN NOT (.*(price > (0)::double precision)) THEN 1 END) FROM (SELECT \* FROM "items" AS actual WHERE' <<<"$ERR")"
assert_eq "not in a pass of their own" 0 \
  "$(grep -c 'target sql: SELECT count(\*) FROM (SELECT \* FROM "items" AS actual WHERE .*) AS "items" WHERE NOT (' <<<"$ERR")"
finish
