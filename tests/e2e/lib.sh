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
run_cutover() { run_cmd "$CUTOVER" "$@"; }
# run_cmd CMD...: the same for any command (a function that runs cutover).
run_cmd() {
  OUT=$("$@" 2>"$WORK/stderr")
  CODE=$?
  ERR=$(cat "$WORK/stderr")
}

# q DB SQL: one value from a SQLite database, waiting up to 5 s for a lock,
# as an application would (a cutover sync running beside may hold one).
q() { sqlite3 -batch -noheader -cmd ".timeout 5000" "$1" "$2"; }

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

# ---- the demo migrated whole, one run compared with another ----
# (test_pg_migrate.sh, test_mysql_migrate.sh, test_overlap.sh, test_pushdown.sh)
LOGS=$WORK/logs # each run's JSON and stderr, by the run's name
mkdir -p "$LOGS"
DEMO_TABLES="teams companies contacts contact_teams contact_tags campaigns engagements"

# demo_plain DIR SEED: `cutover demo init` at scale 0.002 into DIR, its
# project file without capture (the plain migration).
demo_plain() {
  "$CUTOVER" demo init "$1" --scale 0.002 --seed "$2" >"$LOGS/demo.out" 2>&1
  assert_eq "demo init" 0 "$?"
  sed -i '/^capture:/,$d' "$1/cutover.yaml"
}

# plant_duplicates DIR N: N more contacts in the legacy database of the demo
# in DIR, in its account with the most contacts, each a copy of one of its
# contacts with an address (not one of the names planted.json lists as
# invalid UTF-8), the address in capitals (the same after lower(trim()) or
# email_norm()), with a copy of each of that contact's events: a tenant whose
# events refer to N contacts that merge into others. Prints the account, then
# the new contacts' ids.
plant_duplicates() {
  local invalid
  invalid=$(jq -r '[.tenants[].invalid_utf8_names[]] + [0] | join(",")' "$1/planted.json")
  q "$1/legacy.db" "
    CREATE TEMP TABLE pick AS
      SELECT c.id AS old, (SELECT max(id) FROM contacts) + row_number() OVER (ORDER BY c.id) AS new
      FROM contacts c
      WHERE c.account_id = (SELECT account_id FROM contacts GROUP BY account_id ORDER BY count(*) DESC, account_id LIMIT 1)
        AND c.email LIKE '%_@_%._%' AND c.email NOT LIKE '% %' AND c.email NOT LIKE '%@%@%'
        AND upper(c.email) <> c.email AND c.id NOT IN ($invalid)
        AND EXISTS (SELECT 1 FROM events e WHERE e.contact_id = c.id)
      ORDER BY c.id LIMIT $2;
    INSERT INTO contacts (id, account_id, team_id, kind, first_name, last_name, email, company_name,
                          company_domain, title, tags, custom1, custom2, custom3, fax, legacy_score,
                          created_at, updated_at)
      SELECT p.new, account_id, team_id, kind, first_name, last_name, upper(email), company_name,
             company_domain, title, tags, custom1, custom2, custom3, fax, legacy_score, created_at, updated_at
      FROM contacts JOIN pick p ON p.old = contacts.id;
    CREATE TEMP TABLE copies AS
      SELECT (SELECT max(id) FROM events) + row_number() OVER (ORDER BY e.id) AS id, e.campaign_id,
             p.new AS contact_id, e.kind, e.occurred_at
      FROM events e JOIN pick p ON p.old = e.contact_id;
    INSERT INTO events (id, campaign_id, contact_id, kind, occurred_at)
      SELECT id, campaign_id, contact_id, kind, occurred_at FROM copies;
    SELECT (SELECT account_id FROM contacts WHERE id = (SELECT min(new) FROM pick)) || ' ' ||
           (SELECT group_concat(new, ' ') FROM (SELECT new FROM pick ORDER BY new));"
}

# verify_planted NAME DIR SOURCE QUOTED TENANT IDS...: in DIR, migrated from
# SOURCE after plant_duplicates, verify of every tenant passes with zero
# findings; the journal records exactly the planted contacts IDS of TENANT as
# merged; and TENANT's -vv verification sends contact_id (QUOTED as the
# engine quotes it) to the survivors with one IN test of all the merged
# contacts, one per group of max(8, ceil(sqrt(n))), then a WHEN per member of
# the group. Outputs in $LOGS/NAME-verify.json and NAME-remap.err.
verify_planted() {
  local name=$1 dir=$2 source=$3 quoted=$4 tenant=$5 code keys n g remap sets thens
  shift 5
  (cd "$dir" && "$CUTOVER" verify --all --source "$source" --json) \
    >"$LOGS/$name-verify.json" 2>"$LOGS/$name-verify.err"
  code=$?
  assert_eq "$name: verify passes" 0 "$code"
  [[ $code -eq 0 ]] || tail -n 5 "$LOGS/$name-verify.err"
  assert_eq "$name: with zero findings" 0 "$(jq '[.verifications[].findings | length] | add' "$LOGS/$name-verify.json")"
  keys=$(printf "'[%s]'," "$@")
  assert_eq "$name: the $# planted duplicates merged" "$#" \
    "$(q "$dir/.cutover/state.db" "SELECT count(*) FROM merges WHERE tenant = '$tenant' AND entity = 'contacts' AND source_key IN (${keys%,})")"
  (cd "$dir" && "$CUTOVER" verify --tenant "$tenant" --source "$source" -vv) >/dev/null 2>"$LOGS/$name-remap.err"
  assert_eq "$name: verify of the tenant with the planted duplicates passes" 0 "$?"
  n=$(q "$dir/.cutover/state.db" "SELECT count(*) FROM merges WHERE tenant = '$tenant' AND entity = 'contacts'")
  g=8
  while ((g * g < n)); do g=$((g + 1)); done
  remap=$(grep -m1 -oP "CASE WHEN \Q$quoted\E IN \(.*? AS \Q$quoted\E" "$LOGS/$name-remap.err")
  sets=$(grep -o "WHEN $quoted IN (" <<<"$remap" | wc -l)
  thens=$(grep -o ' THEN ' <<<"$remap" | wc -l)
  assert_eq "$name: references to merged contacts tested by set, by group, then by member" \
    "$((1 + (n + g - 1) / g)) $n" "$sets $((thens - sets))"
}

# migrate_all NAME DIR [args...]: cutover migrate --all in DIR, without
# rehearsal or verify, as JSON: output kept in $LOGS/NAME.json and .err; sets
# CODE. Settings for the run go before it (CUTOVER_OVERLAP=0 migrate_all ...).
migrate_all() {
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && "$CUTOVER" migrate --all --skip-rehearsal --no-verify --json "$@") \
    >"$LOGS/$name.json" 2>"$LOGS/$name.err"
  CODE=$?
}

# entity_totals FILE: "entity source_rows loaded merged rejected" per entity
# of a run's JSON, summed over tenants.
entity_totals() {
  jq -r '[.tenants[].entities | to_entries[]] | group_by(.key)[]
         | "\(.[0].key) \(map(.value.source_rows) | add) \(map(.value.loaded) | add) \(map(.value.merged) | add) \(map(.value.rejected) | add)"' "$1"
}

# tenant_counts FILE: "tenant entity source_rows loaded merged rejected",
# every tenant and entity of a run's JSON.
tenant_counts() {
  jq -r '.tenants[] | .tenant as $t | .entities | to_entries[]
         | "\($t) \(.key) \(.value.source_rows) \(.value.loaded) \(.value.merged) \(.value.rejected)"' "$1" | sort
}

# table_counts DB [ONE]: "table rows" for every table of the demo's target;
# ONE DB SQL prints one value (default q: DB is a SQLite file).
table_counts() {
  local db=$1 one=${2:-q} t
  for t in $DEMO_TABLES; do echo "$t $("$one" "$db" "SELECT count(*) FROM $t")"; done
}

# table_sums DB: "table checksum" of the rows of every table of the demo's
# target in a SQLite file.
table_sums() {
  local t
  for t in $DEMO_TABLES; do echo "$t $(q "$1" "SELECT * FROM $t ORDER BY 1, 2" | md5sum)"; done
}

# reject_rules DIR: "count entity rule" over the reject files of a demo directory.
reject_rules() {
  cat "$1"/.cutover/rejects/*.jsonl 2>/dev/null | jq -r '"\(.entity) \(.rule)"' | sort | uniq -c
}

# ---- an event source on a server (test_pg_events.sh, test_mysql_events.sh) ----
# events_through_server DEMO P URI ENGINE [PASSWORD]: the demo's new tracking
# rows, already copied into table tracking_new of URI, become a third event
# source Pnew of DEMO's project (and Pbad, a table that is not there): the
# volumes per event and month (stop, exit 12), the scores and the model
# comparison through Pnew equal those of the same rows read from SQLite;
# Pbad fails with the source's exit code (4), naming it, PASSWORD not shown.
events_through_server() {
  local demo=$1 p=$2 uri=$3 engine=$4 password=${5:-} src a
  sed -i "s|^  sources:$|  sources:\n    ${p}new: { uri: \"$uri\", table: tracking_new, person: person_id, account: account_id }\n    ${p}bad: { uri: \"$uri\", table: nosuch }|" \
    "$demo/cutover.yaml"
  local P=(-p "$demo/cutover.yaml") S=$demo/scoring
  run_cutover "${P[@]}" check
  assert_eq "the project with a $engine event source checks" 0 "$CODE"
  "$CUTOVER" "${P[@]}" events mapping import "$S/old-mapping.csv" --event-source old -q
  for src in new "${p}new" "${p}bad"; do
    "$CUTOVER" "${P[@]}" events mapping duplicate old --to-source "$src" --rename "$S/rename.csv" -q
  done

  run_cutover "${P[@]}" events compare --old old --new new --json
  a=$(jq -c .rows <<<"$OUT")
  run_cutover "${P[@]}" events compare --old old --new "${p}new" --json
  assert_eq "volumes through $engine: stop (exit 12), as through SQLite" "12 stop" "$CODE $(jq -r .verdict <<<"$OUT")"
  assert_eq "volumes through $engine equal SQLite's, per event and month" "$a" "$(jq -c .rows <<<"$OUT")"
  run_cutover "${P[@]}" events compare --old old --new "${p}bad"
  assert_eq "a missing $engine table: the source's exit code (4)" 4 "$CODE"
  assert_contains "the error names the event source" "event source ${p}bad" "$ERR"
  [[ -z $password ]] || assert_eq "the password is not printed" 0 "$(grep -c -- "$password" <<<"$OUT$ERR")"

  "$CUTOVER" "${P[@]}" model import intent "$S/intent.csv" --event-source old --percentiles -q
  for src in new "${p}new"; do
    "$CUTOVER" "${P[@]}" model duplicate intent --event-source "$src" -q
  done
  run_cutover "${P[@]}" model score intent-new --as-of 2026-10-02 --json
  a=$(jq -c '[.scored, .events_read, .score_sum, .segments]' <<<"$OUT")
  run_cutover "${P[@]}" model score "intent-${p}new" --as-of 2026-10-02 --json
  assert_eq "scores through $engine equal SQLite's" "$a" "$(jq -c '[.scored, .events_read, .score_sum, .segments]' <<<"$OUT")"
  run_cutover "${P[@]}" model compare intent intent-new --as-of 2026-10-02 --labels conversions --json
  a=$(jq -c 'del(.limits)' <<<"$OUT")
  run_cutover "${P[@]}" model compare intent "intent-${p}new" --as-of 2026-10-02 --labels conversions --json
  assert_eq "the comparison through $engine equals SQLite's" "$a" "$(jq -c 'del(.limits)' <<<"$OUT")"
}

# ---- SQL sessions held open between steps (the commit-order tests) ----
# sql_session NAME CLIENT...: CLIENT... (a database client and its options)
# reads its statements from a pipe, so that its transaction stays open
# between two steps of a test; what it prints goes to $WORK/NAME.out.
# `say NAME SQL` sends.
sql_session() {
  local name=$1
  shift
  mkfifo "$WORK/$name.in"
  "$@" <"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
  eval "exec {fd_$name}>\"\$WORK/$name.in\""
}
say() { local fd="fd_$1"; echo "$2" >&"${!fd}"; }

# ---- a migrate killed inside its freeze (test_pg_commit_order.sh, test_mysql_commit_order.sh) ----
# heartbeat_project PROJ OUT: OUT is PROJ with a freeze heartbeat of 3 s and
# an on_freeze hook (mark.sh beside OUT) that marks the frozen tenant with a
# file frozen.TENANT in the project's directory.
heartbeat_project() {
  local dir
  dir=$(dirname "$2")
  cat >"$dir/mark.sh" <<'SH'
#!/bin/sh
touch "frozen.$CUTOVER_TENANT"
sleep 0.5
SH
  chmod +x "$dir/mark.sh"
  sed 's/^options:/options:\n  freeze_heartbeat_seconds: 3/' "$1" >"$2"
  printf '\nhooks:\n  on_freeze: ./mark.sh\n' >>"$2"
}

# killed_in_freeze DEMO ENGINE WRITE TENANT REFUSED CMD...: CMD... (cutover
# and its options up to the command, with a heartbeat_project's project file
# in DEMO; a program, such as env, not a shell function, whose pid would be a
# subshell's) migrates TENANT and is killed (SIGKILL) inside the freeze. Then
# WRITE TENANT TITLE, an application's write that prints what the database
# said when it refused it, is refused with REFUSED at first and goes through
# within the heartbeat's bound (4 s); status says the tenant frozen by a
# process that is gone; the next migrate switches it (with the write).
killed_in_freeze() {
  local demo=$1 engine=$2 write=$3 tenant=$4 refused=$5 pid killed
  shift 5
  "$@" migrate --tenant "$tenant" --skip-rehearsal --start-over -q >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 1500); do [[ -e $demo/frozen.$tenant ]] && break; sleep 0.02; done
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  killed=$(date +%s.%N)
  assert_contains "killed inside the freeze: $engine refuses the tenant's writes at first" "$refused" \
    "$("$write" "$tenant" z)"
  until [[ -z $("$write" "$tenant" z) ]]; do
    [[ $(echo "$(date +%s.%N) - $killed > 4" | bc) == 1 ]] && break
    sleep 0.1
  done
  assert_eq "within the heartbeat bound the tenant writes again" "" "$("$write" "$tenant" "After the kill")"
  run_cmd "$@" status --json
  assert_eq "status: frozen by a process that is gone, interrupted" "frozen true" \
    "$(jq -r ".tenants[] | select(.tenant == \"$tenant\") | \"\(.state) \(.interrupted)\"" <<<"$OUT")"
  run_cmd "$@" migrate --tenant "$tenant" --skip-rehearsal --json
  assert_eq "the next migrate switches it" "0 switched" "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
  [[ $CODE -eq 0 ]] || echo "$ERR" | tail -3
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}
