# test_jobs_sqlite.sh: --jobs 2 into a SQLite target, a plain load (no capture),
# where a job holds the target's write token while it loads a tenant and the
# other verifies the tenant it loaded beside it. migrate --all --jobs 2
# gives what --jobs 1 gives (the same target, journal counts, rejects,
# verifications), no "database is locked" on the way; a run killed with
# SIGKILL at a commit resumes every tenant. (The token itself: unit/test_store.)
source "$(dirname "$0")/lib.sh"

"$CUTOVER" demo init "$WORK/pristine" --scale 0.002 --seed 7 -q
sed -i '/^capture:/,$d' "$WORK/pristine/cutover.yaml"
ntenants=$(q "$WORK/pristine/legacy.db" "SELECT count(*) FROM accounts")

# counts DIR: the journal's counts: rejects, id maps, runs and tenants by state,
# the verifications' checks that passed and failed.
counts() {
  q "$1/.cutover/state.db" "SELECT 'rejects', count(*) FROM rejects UNION ALL SELECT 'id_map',
    (SELECT count(*) FROM id_map) + (SELECT coalesce(sum(n), 0) FROM id_map_runs);
    SELECT command, status, count(*) FROM runs GROUP BY 1, 2 ORDER BY 1, 2;
    SELECT state, count(*) FROM tenants GROUP BY 1 ORDER BY 1;
    SELECT pass, count(*) FROM verifications GROUP BY 1 ORDER BY 1" | tr '\n' ' '
}
rejected() { cat "$1"/.cutover/rejects/*.jsonl 2>/dev/null | sort | sha256sum; }

for n in 1 2; do
  cp -r "$WORK/pristine" "$WORK/j$n"
  (cd "$WORK/j$n" && "$CUTOVER" migrate --all --skip-rehearsal --json --jobs $n) \
    >"$WORK/j$n.json" 2>"$WORK/j$n.err"
  assert_eq "migrate --all --jobs $n (verifying) exits 0" 0 "$?"
done
assert_eq "--jobs 2: every tenant migrated and verified" "$ntenants" \
  "$(jq '[.tenants[] | select(.status == "migrated" and .verified)] | length' "$WORK/j2.json")"
assert_eq "--jobs 2: the same target as --jobs 1 (checksums)" \
  "$(db_checksum "$WORK/j1/crm.db")" "$(db_checksum "$WORK/j2/crm.db")"
assert_eq "--jobs 2: the same journal counts and verifications" "$(counts "$WORK/j1")" "$(counts "$WORK/j2")"
assert_eq "--jobs 2: the same rejects" "$(rejected "$WORK/j1")" "$(rejected "$WORK/j2")"
assert_eq "--jobs 2: no job met a locked database" 0 "$(grep -ci 'locked' "$WORK/j2.err")"
assert_eq "--jobs 2: no lease is left" 0 "$(q "$WORK/j2/.cutover/state.db" 'SELECT count(*) FROM leases')"

# Killed at a commit (the journal's or the target's), then run again.
RANDOM=20261207 # seeded: the same kill points on every run
for i in 1 2; do
  at=$((RANDOM % 100 + 10))
  cp -r "$WORK/pristine" "$WORK/k$i"
  (cd "$WORK/k$i" && CUTOVER_KILL_AT_COMMIT=$at "$CUTOVER" migrate --all --skip-rehearsal -q --jobs 2) \
    >/dev/null 2>&1
  assert_eq "killed at commit $at: SIGKILL (137)" 137 "$?"
  (cd "$WORK/k$i" && "$CUTOVER" migrate --all --skip-rehearsal -q --jobs 2) >/dev/null 2>"$WORK/k$i.err"
  assert_eq "killed at commit $at: the rerun exits 0" 0 "$?"
  assert_eq "killed at commit $at: the target equals --jobs 1's" \
    "$(db_checksum "$WORK/j1/crm.db")" "$(db_checksum "$WORK/k$i/crm.db")"
  assert_eq "killed at commit $at: the same rejects in the journal" \
    "$(q "$WORK/j1/.cutover/state.db" 'SELECT count(*) FROM rejects')" \
    "$(q "$WORK/k$i/.cutover/state.db" 'SELECT count(*) FROM rejects')"
  # A tenant killed after its load and before its verification is not
  # loaded again by the rerun, but it is verified: every tenant ends verified.
  assert_eq "killed at commit $at: every tenant verified by the rerun" "$ntenants" \
    "$(q "$WORK/k$i/.cutover/state.db" "SELECT count(*) FROM tenants WHERE state = 'verified'")"
  assert_eq "killed at commit $at: verify --all --jobs 2 passes" 0 \
    "$(cd "$WORK/k$i" && "$CUTOVER" verify --all -q --jobs 2 >/dev/null 2>&1; echo $?)"
  assert_eq "killed at commit $at: no job met a locked database" 0 "$(grep -ci 'locked' "$WORK/k$i.err")"
  assert_eq "killed at commit $at: no lease is left" 0 \
    "$(q "$WORK/k$i/.cutover/state.db" 'SELECT count(*) FROM leases')"
done
finish
