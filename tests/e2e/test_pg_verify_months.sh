# test_pg_verify_months.sh: on PostgreSQL the volume check and the months a
# verification records take the month of a timestamptz column from its type
# (co_store_month_typed_sql) and that of a text column from its text. From
# one SQLite source, a target whose time column is text and one whose column
# is timestamptz record the same months and, with rows planted missing, the
# same volume findings: NULL times, offsets that move a time into another
# month at UTC, fractions of a second, a time without a zone; text that is
# no date at all goes to the text target only (a timestamptz column refuses it)
# and has a month of its own there, "". A clean verification reads the
# table's constraints once for every tenant and its NOT NULL columns in one
# pass a tenant; a text column's month is computed once per distinct time.
# A date no calendar has ('2026-13-45') is an invalid_time finding of the
# volume check, where it used to fail the target's month query.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
export CUTOVER_NOW=2026-06-15T12:00:00Z # the volume window: 12 months back from June 2026
q "$WORK/legacy.db" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);
  INSERT INTO accounts VALUES (1, 'one'), (2, 'two');
  CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER, kind TEXT, at TEXT);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
  INSERT INTO events SELECT i, 1 + i % 2, 'k' || (i % 3),
    strftime('%Y-%m-%dT%H:%M:%SZ', 1735689600 + i * 11000, 'unixepoch') FROM n;
  INSERT INTO events VALUES (9001, 1, 'k0', NULL), (9002, 1, 'k0', '2026-01-31T23:30:00-05:00'),
    (9003, 1, 'k1', '2026-03-01T00:30:00+02:00'), (9004, 2, 'k2', '2026-04-30T23:59:59.999999Z'),
    (9005, 2, 'k0', '2026-05-31 23:00:00'), (9006, 1, 'k1', '2026-02-28T23:59:59.5Z'),
    (9007, 2, 'k2', NULL);"
odd="INSERT INTO events VALUES (9101, 1, 'k0', 'garbage'), (9102, 2, 'k1', 'soon');"
for kind in text tz; do
  mkdir -p "$WORK/$kind"
  cp "$WORK/legacy.db" "$WORK/$kind/legacy.db"
  cat > "$WORK/$kind/cutover.yaml" <<YAML
source: sqlite:legacy.db
target: sqlite:unused.db
tenants: SELECT id, name FROM accounts ORDER BY id
entities:
  - name: events
    key: id
    tenant_column: account_id
    query: SELECT id, account_id, kind, at FROM events WHERE account_id = :tenant
    volume: { by: [kind], time: at, months: 12, tolerance: 1% }
YAML
done
q "$WORK/text/legacy.db" "$odd"
pgsql postgres -c "CREATE DATABASE m_text" && pgsql postgres -c "CREATE DATABASE m_tz" &&
  pgsql m_text -c "CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL,
    kind text NOT NULL, at text)" &&
  pgsql m_tz -c "CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL,
    kind text NOT NULL, at timestamp with time zone)"
assert_eq "the PostgreSQL targets exist" 0 "$?"
cv() { local kind=$1; shift; run_cutover -p "$WORK/$kind/cutover.yaml" --target "$PG_BASE/m_$kind" "$@"; }
months() { # KIND: the months the last verification of each tenant recorded
  q "$WORK/$1/.cutover/state.db" "SELECT group_concat(tenant || ':' || month || '=' || source || '/' || target, ' ')
    FROM (SELECT tenant, month, source, target FROM volumes v
          WHERE run_id = (SELECT max(run_id) FROM volumes w WHERE w.tenant = v.tenant)
          ORDER BY tenant, month)"
}
volume() { jq -r '[.verifications[] | .tenant as $t | .findings[] | select(.check == "volume")
                  | "\($t) \(.key | tojson) \(.detail | tojson)"] | sort | join("; ")' <<<"$OUT"; }

for kind in text tz; do
  cv "$kind" migrate --all --skip-rehearsal --json
  assert_eq "$kind: migrate and its verification pass" 0 "$CODE"
done
assert_eq "the text target holds the text that is no date" "garbage soon" \
  "$(pgsql m_text -c "SELECT string_agg(at, ' ' ORDER BY id) FROM events WHERE id > 9100")"
text_months=$(months text)
tz_months=$(months tz)
assert_contains "months recorded" "1:2026-02=" "$tz_months"
# the text target's months but the "" month of its text that is no date
dated() { tr ' ' '\n' <<<"$1" | grep -v '^[12]:=' | paste -sd' '; }
assert_eq "the same months, NULLs and offsets included, but for the text that is no date" \
  "$tz_months" "$(dated "$text_months")"
assert_contains "the text that is no date: a month of its own" "1:=1/1" "$text_months"

# What a clean verification asks the target: the table's constraints once
# for both tenants (the connection keeps them), the NOT NULL columns in one
# pass over each tenant's rows rather than one query a column.
cv tz verify --all --jobs 1 -v
assert_eq "clean again" 0 "$CODE"
assert_eq "the table's constraints read once for both tenants" 1 \
  "$(grep -c 'FROM pg_catalog.pg_constraint c' <<<"$ERR")"
assert_eq "the NOT NULL columns in one pass a tenant" 2 \
  "$(grep -c 'target sql: SELECT count(CASE WHEN "account_id" IS NULL OR "kind" IS NULL THEN 1 END), 0 FROM' <<<"$ERR")"
assert_eq "and not a query a column" 0 \
  "$(grep -cE 'target sql: SELECT "id", "(account_id|kind)" FROM' <<<"$ERR")"
# The rows match: the target's months are counted from the rows the content
# check reads (cutover computes each month, the server says which rows are
# in the window), with no month query of their own.
window="CASE WHEN \"at\" >= '2025-07-01' THEN 1 ELSE 0 END FROM ("
assert_eq "a timestamptz column's months counted from the content check's read" \
  "2 0 0" "$(grep -c "target sql: SELECT \"id\", \"account_id\", \"kind\", \"at\", $window" <<<"$ERR") $(grep -c 'AS month' <<<"$ERR") $(grep -c 'AS times' <<<"$ERR")"
cv text verify --all --jobs 1 -v
assert_eq "so are a text column's, but for the times no month is certain of here" "2 0" \
  "$(grep -c "target sql: SELECT \"id\", \"account_id\", \"kind\", \"at\", $window" <<<"$ERR") $(grep -c 'AS month, sum(cutover_n)' <<<"$ERR")"
assert_eq "those ('garbage', 'soon', one per tenant) asked of the server by the month SQL" 2 \
  "$(grep -c "target sql: SELECT cutover_x, (CASE WHEN (\"at\")::text LIKE '____-__-__%' .* FROM (VALUES (" <<<"$ERR")"

# Text that starts with a date no calendar has failed the target's month
# query (and so the verification) before: now each such time is a finding of
# the volume check that names it, its table and column; its rows count in no
# month, as SQLite's. On both sides alike (the content matches): the months
# recorded name it.
bad="INSERT INTO events VALUES (9201, 1, 'k0', '2026-13-45'), (9202, 2, 'k1', '2026-02-29T10:00:00Z'),
  (9203, 2, 'k1', '2026-02-29T10:00:00Z');"
q "$WORK/text/legacy.db" "$bad" && pgsql m_text -c "$bad"
cv text verify --all --json
assert_eq "a date no calendar has: a finding, not a failed verification" 12 "$CODE"
invalid() { jq -r '[.verifications[] | .tenant as $t | .findings[] | select(.kind == "invalid_time")
                   | "\($t) \(.check) \(.key) \(.detail | tojson)"] | sort | join("; ")' <<<"$OUT"; }
assert_eq "each time no calendar has, named with its table, column, side and rows" \
  '1 volume ["2026-13-45"] {"side":"target","table":"events","column":"at","value":"2026-13-45","rows":1}; 2 volume ["2026-02-29T10:00:00Z"] {"side":"target","table":"events","column":"at","value":"2026-02-29T10:00:00Z","rows":2}' \
  "$(invalid)"
assert_eq "the content matches" "pass pass" \
  "$(jq -r '[.verifications[].checks[] | select(.check == "content") | if .pass then "pass" else "fail" end] | join(" ")' <<<"$OUT")"
assert_eq "the volume check fails on them alone" "1 1" \
  "$(jq -r '[.verifications[].checks[] | select(.check == "volume") | .kinds.invalid_time] | join(" ")' <<<"$OUT")"
assert_contains "their rows in no month (the month \"\", beside the text that is no date)" \
  "1:=2/2 " "$(months text)"
assert_contains "... of either tenant" "2:=3/3 " "$(months text)"
q "$WORK/text/legacy.db" "DELETE FROM events WHERE id > 9200" && pgsql m_text -c "DELETE FROM events WHERE id > 9200"

# Rows planted missing: the content fails, the volume check runs on both sides.
for kind in text tz; do
  pgsql "m_$kind" -c "DELETE FROM events WHERE id BETWEEN 3000 AND 3100 AND kind = 'k1';
                      DELETE FROM events WHERE id = 9002"
  cv "$kind" verify --all --json -v
  assert_eq "$kind: rows missing: exit 12" 12 "$CODE"
  assert_eq "$kind: rows differ: the months counted by the month query on both sides" true \
    "$( (( $(grep -c 'source sql: .* AS month' <<<"$ERR") >= 2 && $(grep -c 'target sql: .* AS month' <<<"$ERR") >= 2 )) && echo true || echo false)"
  eval "${kind}_volume=\$(volume)"
done
assert_contains "volume findings name the group and month" '2 ["k1","2026-01"] {"expected":41,"actual":24' "$tz_volume"
assert_contains "the row moved into February at UTC counts there" '["k0","2026-02"]' "$tz_volume"
assert_eq "the same volume findings from a text and a timestamptz column" "$text_volume" "$tz_volume"
assert_eq "the same months again" "$(months tz)" "$(dated "$(months text)")"
# ... and a date no calendar has in the target alone, where the content
# differs and both sides' months are counted: named there too.
pgsql m_text -c "INSERT INTO events VALUES (9204, 1, 'k2', '2026-04-31 08:00:00')"
cv text verify --tenant 1 --json
assert_eq "text: a date no calendar has beside missing rows: exit 12" 12 "$CODE"
assert_eq "named as the target's, once" \
  '1 volume ["2026-04-31 08:00:00"] {"side":"target","table":"events","column":"at","value":"2026-04-31 08:00:00","rows":1}' \
  "$(invalid)"
finish
