# test_jobs.sh: tenants in parallel (--jobs N). On the demo (SQLite source),
# --jobs 2 gives what --jobs 1 gives: the same target (checksums), the same
# journal counts, the same rejects, the same summary in the same order (the
# largest tenants started first), into a
# SQLite target (with capture: every tenant switched) and into a throwaway
# PostgreSQL one (pg.sh, a plain load). verify, rehearse, audit and
# run --cohort take --jobs too. A parallel run killed with SIGKILL at a commit
# resumes every tenant when run again, each moved once. (That two jobs never
# hold one tenant is proven on the leases themselves: unit/test_state.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

"$CUTOVER" demo init "$WORK/pristine" --scale 0.002 --seed 5 -q
ntenants=$(q "$WORK/pristine/legacy.db" "SELECT count(*) FROM accounts")

# counts DIR: the journal's counts: rejects, merges, id maps, runs by command
# and status, tenants by state.
counts() {
  q "$1/.cutover/state.db" "SELECT 'rejects', count(*) FROM rejects UNION ALL
    SELECT 'merges', count(*) FROM merges UNION ALL SELECT 'id_map',
    (SELECT count(*) FROM id_map) + (SELECT coalesce(sum(n), 0) FROM id_map_runs)" | tr '\n' ' '
  q "$1/.cutover/state.db" "SELECT command, status, count(*) FROM runs GROUP BY 1, 2 ORDER BY 1, 2;
    SELECT state, count(*) FROM tenants GROUP BY 1 ORDER BY 1" | tr '\n' ' '
}
# rejected DIR: every reject file's lines, sorted.
rejected() { cat "$1"/.cutover/rejects/*.jsonl 2>/dev/null | sort | sha256sum; }
# summary FILE: migrate --json without its timings.
summary() { jq -c '[.tenants[] | del(.seconds, .run_id, .freeze_seconds, .rejects_file)
                    | .entities |= map_values(del(.seconds))]' "$1"; }

# ---- SQLite target, with capture: --jobs 1 and --jobs 2 --------------------------
for n in 1 2; do
  cp -r "$WORK/pristine" "$WORK/j$n"
  (cd "$WORK/j$n" && "$CUTOVER" migrate --all --skip-rehearsal --json --jobs $n) \
    >"$WORK/j$n.json" 2>"$WORK/j$n.err"
  assert_eq "migrate --all --jobs $n exits 0" 0 "$?"
done
assert_eq "every tenant switched with --jobs 2" "$ntenants" \
  "$(jq '[.tenants[] | select(.status == "switched" and .verified)] | length' "$WORK/j2.json")"
assert_eq "--jobs 2: the same target as --jobs 1 (checksums)" \
  "$(db_checksum "$WORK/j1/crm.db")" "$(db_checksum "$WORK/j2/crm.db")"
assert_eq "--jobs 2: the same journal counts" "$(counts "$WORK/j1")" "$(counts "$WORK/j2")"
assert_eq "--jobs 2: the same rejects" "$(rejected "$WORK/j1")" "$(rejected "$WORK/j2")"
assert_eq "--jobs 2: the same summary, in the same order of tenants" \
  "$(summary "$WORK/j1.json")" "$(summary "$WORK/j2.json")"
# The largest tenants start first (by the rows of the last entity, the
# engagements), so that no job is left alone with a large one at the end: the
# first two runs are those of the two largest tenants (ties in list order).
largest=$(q "$WORK/j1/.cutover/state.db" "SELECT r.tenant FROM runs r JOIN steps s ON s.run_id = r.id
  WHERE r.command = 'migrate' AND s.step = 'load:engagements'
  ORDER BY s.source_rows DESC, CAST(r.tenant AS INTEGER) LIMIT 2" | sort | tr '\n' ' ')
assert_eq "--jobs 2: the two largest tenants start first" "$largest" \
  "$(q "$WORK/j2/.cutover/state.db" "SELECT tenant FROM runs WHERE command = 'migrate' ORDER BY id LIMIT 2" |
     sort | tr '\n' ' ')"
assert_eq "--jobs 2: progress lines name their job" true \
  "$(grep -q '^[0-9T:.-]*Z job 2: tenant' "$WORK/j2.err" && echo true || echo false)"
# verify --all --jobs 2 reports every tenant, in order, all passing.
(cd "$WORK/j2" && "$CUTOVER" verify --all --jobs 2 --json) >"$WORK/v2.json" 2>"$WORK/v2.err"
assert_eq "verify --all --jobs 2 exits 0" 0 "$?"
assert_eq "verify --jobs 2: every tenant, in order" \
  "$(jq -r '[.tenants[].tenant] | join(" ")' "$WORK/j1.json")" \
  "$(jq -r '[.verifications[] | select(.pass) | .tenant] | join(" ")' "$WORK/v2.json")"
run_cutover -p "$WORK/j2/cutover.yaml" verify --all --jobs 0
assert_eq "--jobs 0 is a usage error" 2 "$CODE"
assert_contains "which says what --jobs takes" "--jobs must be a number of jobs from 1 to 64" "$ERR"

# rehearse and audit with --jobs 2 give what one job gives.
cp -r "$WORK/pristine" "$WORK/r1" && cp -r "$WORK/pristine" "$WORK/r2"
for n in 1 2; do
  (cd "$WORK/r$n" && "$CUTOVER" rehearse --all --jobs $n --json) >"$WORK/r$n.json" 2>"$WORK/r$n.err"
  assert_eq "rehearse --all --jobs $n exits 0" 0 "$?"
  (cd "$WORK/r$n" && "$CUTOVER" audit --jobs $n --json) >"$WORK/a$n.json" 2>"$WORK/a$n.err"
  assert_eq "audit --jobs $n exits 0" 0 "$?"
done
assert_eq "rehearse --jobs 2: the same passes, in order" \
  "$(jq -c '[.rehearsals[] | [.tenant, .pass, .rows]]' "$WORK/r1.json")" \
  "$(jq -c '[.rehearsals[] | [.tenant, .pass, .rows]]' "$WORK/r2.json")"
assert_eq "rehearse --jobs 2: the same staging (checksums)" \
  "$(db_checksum "$WORK/r1/staging.db")" "$(db_checksum "$WORK/r2/staging.db")"
audited='[.tenants[] | {tenant, rows, bytes, size_class, entity_rows, limits, limit_rows, limits_checked, duplicates, duplicate_clusters, duplicate_rules, outlier_keys, fanouts, longest}]'
assert_eq "audit --jobs 2: the same audit of every tenant, in order" \
  "$(jq -c "$audited" "$WORK/a1.json")" "$(jq -c "$audited" "$WORK/a2.json")"

# run --cohort with --jobs: the plan's cohort moved by two jobs of one process.
(cd "$WORK/r2" && "$CUTOVER" plan -q && "$CUTOVER" run --cohort 1 --jobs 2 -q) >"$WORK/run.out" 2>&1
assert_eq "run --cohort 1 --jobs 2 exits 0" 0 "$?"
wave=$(q "$WORK/r2/.cutover/state.db" "SELECT count(*) FROM plan_tenants WHERE plan_id = (SELECT max(id) FROM plans) AND cohort = 1")
assert_eq "every tenant of the cohort switched" "$wave" \
  "$(q "$WORK/r2/.cutover/state.db" "SELECT count(*) FROM tenants WHERE state = 'switched'")"

# ---- kill -9 of a parallel run, then the same command again ------------------------
RANDOM=20261206 # seeded: the same kill points on every run
for i in 1 2; do
  at=$((RANDOM % 120 + 20))
  cp -r "$WORK/pristine" "$WORK/k$i"
  (cd "$WORK/k$i" && CUTOVER_KILL_AT_COMMIT=$at "$CUTOVER" migrate --all --skip-rehearsal -q --jobs 2) \
    >/dev/null 2>&1
  code=$?
  assert_eq "killed at commit $at: SIGKILL (137)" 137 "$code"
  (cd "$WORK/k$i" && "$CUTOVER" migrate --all --skip-rehearsal -q --jobs 2 --json) \
    >"$WORK/k$i.json" 2>"$WORK/k$i.err"
  assert_eq "killed at commit $at: the rerun exits 0" 0 "$?"
  assert_eq "killed at commit $at: every tenant switched or already, and verified" "$ntenants" \
    "$(q "$WORK/k$i/.cutover/state.db" "SELECT count(*) FROM tenants WHERE state = 'switched'")"
  assert_eq "killed at commit $at: the target equals --jobs 1's" \
    "$(db_checksum "$WORK/j1/crm.db")" "$(db_checksum "$WORK/k$i/crm.db")"
  assert_eq "killed at commit $at: the same rejects in the journal" \
    "$(q "$WORK/j1/.cutover/state.db" 'SELECT count(*) FROM rejects')" \
    "$(q "$WORK/k$i/.cutover/state.db" 'SELECT count(*) FROM rejects')"
  assert_eq "killed at commit $at: every tenant has a finished migrate run" "$ntenants" \
    "$(q "$WORK/k$i/.cutover/state.db" "SELECT count(DISTINCT tenant) FROM runs WHERE command = 'migrate' AND status = 'done'")"
  assert_eq "killed at commit $at: verify --all passes" 0 \
    "$(cd "$WORK/k$i" && "$CUTOVER" verify --all -q --jobs 2 >/dev/null 2>&1; echo $?)"
  assert_eq "killed at commit $at: no lease is left" 0 \
    "$(q "$WORK/k$i/.cutover/state.db" 'SELECT count(*) FROM leases')"
done

# ---- a PostgreSQL target: --jobs 1 and --jobs 2 (a plain load) ---------------------
pg_test_server
sed -i '/^capture:/,$d' "$WORK/pristine/cutover.yaml"
# pg_tables DB: a checksum of every table of the demo's target, rows in order.
pg_tables() {
  local t
  for t in teams companies contacts contact_teams contact_tags campaigns engagements; do
    echo "$t $(pgsql "$1" -c "SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM $t x")"
  done
}
for n in 1 2; do
  pgsql postgres -c "CREATE DATABASE crm$n" && pgsql "crm$n" -f "$CUTOVER_SOURCE_DIR/tests/fixtures/crm-target-pg.sql" >/dev/null
  cp -r "$WORK/pristine" "$WORK/pg$n"
  (cd "$WORK/pg$n" && "$CUTOVER" migrate --all --skip-rehearsal --json --jobs $n --target "$PG_BASE/crm$n") \
    >"$WORK/pg$n.json" 2>"$WORK/pg$n.err"
  assert_eq "PostgreSQL target: migrate --all --jobs $n exits 0" 0 "$?"
done
assert_eq "PostgreSQL target: every tenant migrated and verified with --jobs 2" "$ntenants" \
  "$(jq '[.tenants[] | select(.status == "migrated" and .verified)] | length' "$WORK/pg2.json")"
assert_eq "PostgreSQL target: --jobs 2 loads the same rows as --jobs 1 (checksums)" \
  "$(pg_tables crm1)" "$(pg_tables crm2)"
assert_eq "PostgreSQL target: the same journal counts" "$(counts "$WORK/pg1")" "$(counts "$WORK/pg2")"
assert_eq "PostgreSQL target: the same rejects" "$(rejected "$WORK/pg1")" "$(rejected "$WORK/pg2")"
assert_eq "PostgreSQL target: the same summary, in order" \
  "$(summary "$WORK/pg1.json")" "$(summary "$WORK/pg2.json")"
finish
