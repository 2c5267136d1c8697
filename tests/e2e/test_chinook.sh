# test_chinook.sh: real third-party data. Chinook's customers, invoices and
# invoice lines move into a reshaped schema, one tenant per support employee;
# every row arrives and the non-ASCII names arrive byte for byte.
source "$(dirname "$0")/lib.sh"

cp "$SHARED/data/chinook/Chinook_Sqlite.sqlite" "$WORK/"
cp "$CUTOVER_SOURCE_DIR/tests/fixtures/chinook/cutover.yaml" "$WORK/"
sqlite3 "$WORK/target.db" < "$CUTOVER_SOURCE_DIR/tests/fixtures/chinook/target.sql"
src=$WORK/Chinook_Sqlite.sqlite tgt=$WORK/target.db

run_cutover -p "$WORK/cutover.yaml" check
assert_eq "check passes" 0 "$CODE"
assert_contains "check counts the three support employees" "3 tenants" "$OUT"

run_cutover -p "$WORK/cutover.yaml" migrate --skip-rehearsal --all --json
assert_eq "migrate --all succeeds" 0 "$CODE"
assert_eq "three tenants migrated" 3 "$(jq '[.tenants[] | select(.status == "migrated")] | length' <<<"$OUT")"
assert_eq "no rejects" 0 "$(jq '[.tenants[].rejected] | add' <<<"$OUT")"
assert_eq "customers: all 59" 59 "$(q "$tgt" 'SELECT count(*) FROM customers')"
assert_eq "invoices: all 412" 412 "$(q "$tgt" 'SELECT count(*) FROM invoices')"
assert_eq "invoice lines: all 2240" 2240 "$(q "$tgt" 'SELECT count(*) FROM invoice_lines')"
assert_eq "per entity, source rows = loaded + rejected" "true" \
  "$(jq '[.tenants[].entities[] | .source_rows == .loaded + .rejected] | all' <<<"$OUT")"

# Non-ASCII names, byte for byte.
expected=$(q "$src" "SELECT CustomerId, hex(FirstName), hex(LastName) FROM Customer WHERE FirstName || LastName GLOB '*[^ -~]*' ORDER BY 1")
actual=$(q "$tgt" "SELECT id, hex(first_name), hex(last_name) FROM customers WHERE first_name || last_name GLOB '*[^ -~]*' ORDER BY 1")
assert_eq "13 non-ASCII names" 13 "$(wc -l <<<"$actual")"
assert_eq "non-ASCII names arrive byte for byte" "$expected" "$actual"
assert_eq "full names are built from the same bytes" \
  "$(q "$src" "SELECT hex(FirstName || ' ' || LastName) FROM Customer WHERE CustomerId = 5")" \
  "$(q "$tgt" 'SELECT hex(full_name) FROM customers WHERE id = 5')"

# Money stored as REAL in NUMERIC(10,2) becomes exact integer cents.
assert_eq "invoice totals in cents add up" \
  "$(q "$src" 'SELECT CAST(round(sum(Total) * 100) AS INTEGER) FROM Invoice')" \
  "$(q "$tgt" 'SELECT sum(total_cents) FROM invoices')"

# Lines, which have no tenant column, are tracked through the id map.
assert_eq "id map holds every line" 2240 \
  "$(q "$WORK/.cutover/state.db" "SELECT (SELECT count(*) FROM id_map WHERE entity = 'invoice_lines')
      + (SELECT coalesce(sum(n), 0) FROM id_map_runs WHERE entity = 'invoice_lines')")"
# Consecutive lines are kept as runs; trace finds a line in the middle of one.
mid=$(q "$WORK/.cutover/state.db" "SELECT (source_lo + 1) || ' ' || tenant FROM id_map_runs
  WHERE entity = 'invoice_lines' AND n >= 3 ORDER BY source_lo LIMIT 1")
assert_eq "lines make runs" true "$([[ $mid =~ ^[0-9]+\ [0-9]+$ ]] && echo true || echo "$mid")"
run_cutover -p "$WORK/cutover.yaml" trace invoice_lines "${mid% *}" --json
assert_eq "trace: a line inside a run, loaded as itself, of its tenant" \
  "loaded [${mid% *}] ${mid#* }" \
  "$(jq -r '.steps[0] | "\(.kind) \(.target_key) \(.tenant)"' <<<"$OUT")"

# A rerun changes nothing; --again reloads to the same rows.
before=$(db_checksum "$tgt")
run_cutover -p "$WORK/cutover.yaml" migrate --skip-rehearsal --all
assert_eq "rerun succeeds" 0 "$CODE"
assert_eq "rerun leaves the target as it was" "$before" "$(db_checksum "$tgt")"
run_cutover -p "$WORK/cutover.yaml" migrate --skip-rehearsal --tenant 4 --again
assert_eq "--again succeeds" 0 "$CODE"
assert_eq "--again reloads to the same target" "$before" "$(db_checksum "$tgt")"

run_cutover -p "$WORK/cutover.yaml" status --json
assert_eq "status: every tenant verified" '["verified","verified","verified"]' \
  "$(jq -c '[.tenants[].state]' <<<"$OUT")"

finish
