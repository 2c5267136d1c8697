# test_bad_input.sh: bad input gets a clear message that says what and where,
# a documented exit code, and leaves the target as it was.
source "$(dirname "$0")/lib.sh"

cp "$SHARED/data/chinook/Chinook_Sqlite.sqlite" "$WORK/"
fixture=$CUTOVER_SOURCE_DIR/tests/fixtures/chinook
sqlite3 "$WORK/target.db" < "$fixture/target.sql"
good=$WORK/cutover.yaml
cp "$fixture/cutover.yaml" "$good"
tgt=$WORK/target.db
pristine=$(db_checksum "$tgt")
untouched() { assert_eq "$1: the target is untouched" "$pristine" "$(db_checksum "$tgt")"; }

# Malformed YAML: exit 3, file:line:column.
printf 'source: sqlite:Chinook_Sqlite.sqlite\ntarget: [unclosed\n' > "$WORK/malformed.yaml"
run_cutover -p "$WORK/malformed.yaml" migrate --skip-rehearsal --all
assert_eq "malformed YAML: exit 3" 3 "$CODE"
assert_contains "malformed YAML: names the file and line" "malformed.yaml:" "$ERR"
untouched "malformed YAML"

# An unknown key (a typo) is an error, never ignored.
sed 's/^    query: |$/    qeury: |/' "$good" > "$WORK/typo.yaml"
run_cutover -p "$WORK/typo.yaml" check
assert_eq "unknown key: exit 3" 3 "$CODE"
assert_contains "unknown key: names the key" "qeury" "$ERR"
assert_contains "unknown key: says where" "typo.yaml:" "$ERR"

# A project file that does not exist.
run_cutover -p "$WORK/absent.yaml" check
assert_eq "missing project file: exit 8" 8 "$CODE"
assert_contains "missing project file: names it" "absent.yaml" "$ERR"

# A missing source database.
sed 's/^source: .*/source: sqlite:gone.db/' "$good" > "$WORK/gone.yaml"
run_cutover -p "$WORK/gone.yaml" migrate --skip-rehearsal --all
assert_eq "missing source: exit 4" 4 "$CODE"
assert_contains "missing source: names the side and file" "source: no database file" "$ERR"
assert_contains "missing source: names the path" "gone.db" "$ERR"
untouched "missing source"

# A corrupt source (garbage bytes) and a corrupt target.
head -c 8192 /dev/urandom > "$WORK/garbage.db"
sed 's/^source: .*/source: sqlite:garbage.db/' "$good" > "$WORK/garbage-src.yaml"
run_cutover -p "$WORK/garbage-src.yaml" migrate --skip-rehearsal --all
assert_eq "corrupt source: exit 4" 4 "$CODE"
assert_contains "corrupt source: says so" "not a usable SQLite database" "$ERR"
untouched "corrupt source"
sed 's/^target: .*/target: sqlite:garbage.db/' "$good" > "$WORK/garbage-tgt.yaml"
run_cutover -p "$WORK/garbage-tgt.yaml" migrate --skip-rehearsal --all
assert_eq "corrupt target: exit 5" 5 "$CODE"
assert_contains "corrupt target: names the side" "target:" "$ERR"

# A query that does not prepare is caught by check, before anything moves.
sed 's/FROM Customer WHERE SupportRepId = :tenant/FROM Customers WHERE SupportRepId = :tenant/' "$good" > "$WORK/badquery.yaml"
run_cutover -p "$WORK/badquery.yaml" migrate --skip-rehearsal --all
assert_eq "failing query: exit 4" 4 "$CODE"
assert_contains "failing query: SQLite's reason" "no such table: Customers" "$ERR"
assert_contains "failing query: names the entity" "entity customers" "$ERR"
untouched "failing query"

# A query that fails while rows stream, after earlier entities loaded rows:
# the tenant leaves nothing of itself in the target.
sed "s/l\.Quantity AS quantity/CASE WHEN l.InvoiceLineId % 50 = 0 THEN json_extract('not json', '\$') ELSE l.Quantity END AS quantity/" \
  "$good" > "$WORK/midway.yaml"
rm -rf "$WORK/.cutover"
run_cutover -p "$WORK/midway.yaml" migrate --skip-rehearsal --tenant 3
assert_eq "query failing midway: exit 4" 4 "$CODE"
assert_contains "query failing midway: the reason" "malformed JSON" "$ERR"
assert_contains "query failing midway: names tenant and entity" "tenant 3, entity invoice_lines" "$ERR"
untouched "query failing midway"
assert_eq "query failing midway: no id map left" 0 \
  "$(q "$WORK/.cutover/state.db" "SELECT (SELECT count(*) FROM id_map WHERE tenant = '3')
      + (SELECT count(*) FROM id_map_runs WHERE tenant = '3')")"
run_cutover -p "$WORK/midway.yaml" status --json
assert_eq "query failing midway: the tenant is failed" failed \
  "$(jq -r '.tenants[] | select(.tenant == "3") | .state' <<<"$OUT")"
rm -rf "$WORK/.cutover"

# An unknown tenant.
run_cutover -p "$good" migrate --skip-rehearsal --tenant 999
assert_eq "unknown tenant: exit 7" 7 "$CODE"
assert_contains "unknown tenant: names it" '"999"' "$ERR"
untouched "unknown tenant"

# Bad arguments.
run_cutover -p "$good" migrate
assert_eq "neither --tenant nor --all: exit 2" 2 "$CODE"
run_cutover -p "$good" migrate --skip-rehearsal --all --bogus
assert_eq "unknown option: exit 2" 2 "$CODE"
assert_contains "unknown option: named" "--bogus" "$ERR"
run_cutover frobnicate
assert_eq "unknown command: exit 2" 2 "$CODE"

# A changed project file is refused on resume unless told to start over.
run_cutover -p "$good" migrate --skip-rehearsal --tenant 3
assert_eq "a clean migrate of tenant 3" 0 "$CODE"
printf '\n# a changed comment changes the hash\n' >> "$good"
run_cutover -p "$good" migrate --skip-rehearsal --tenant 4
assert_eq "changed project: exit 9" 9 "$CODE"
assert_contains "changed project: says what to do" "--start-over" "$ERR"
run_cutover -p "$good" migrate --skip-rehearsal --tenant 4 --start-over
assert_eq "changed project with --start-over: accepted" 0 "$CODE"

finish
