# lib.sh: what the scenario tests share: a scratch directory, the cutover
# binary, assertions that count, and the closing "N passed, N failed" line.
# Source it; call `finish` last.
set -uo pipefail

: "${CUTOVER:?CUTOVER must name the cutover binary (ctest sets it)}"
: "${CUTOVER_SOURCE_DIR:?CUTOVER_SOURCE_DIR must name the source tree}"
SHARED=${CUTOVER_SHARED:-$CUTOVER_SOURCE_DIR/../shared}
if [[ ! -d $SHARED/data ]]; then
  echo "lib.sh: no shared data at $SHARED/data (set CUTOVER_SHARED)" >&2
  exit 1
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cutover-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
  if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# assert_contains WHAT NEEDLE HAYSTACK
assert_contains() {
  if [[ "$3" == *"$2"* ]]; then pass "$1"; else fail "$1: [$2] not in [$3]"; fi
}

# run_cutover: runs cutover with the arguments; sets OUT, ERR and CODE.
run_cutover() {
  OUT=$("$CUTOVER" "$@" 2>"$WORK/stderr")
  CODE=$?
  ERR=$(cat "$WORK/stderr")
}

# q DB SQL: one value from a SQLite database.
q() { sqlite3 -batch -noheader "$1" "$2"; }

# A checksum of every row of every table of a SQLite database, but for
# cutover_journal_mark: the uuid of the journal beside a tenant's rows differs
# from one journal to the next by design (test_journal.sh checks it).
# Two sqlite3 processes whatever the number of tables (one lists the tables
# and writes the statements, one runs them): the same sum as one process a
# table, a few times faster (test_fault_nth sums some 40 files).
db_checksum() {
  local db=$1
  q "$db" "SELECT 'SELECT ''== ' || name || ''';' || char(10) || 'SELECT * FROM \"' || name
           || '\" ORDER BY ' || CASE WHEN (SELECT count(*) FROM pragma_table_info(s.name)) >= 3
           THEN '1, 2, 3' ELSE '1' END || ';' FROM sqlite_schema s WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name <> 'cutover_journal_mark' ORDER BY name" \
    | sqlite3 -batch -noheader "$db" | sha256sum | cut -d' ' -f1
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}
