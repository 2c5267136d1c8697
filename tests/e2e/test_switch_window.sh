# test_switch_window.sh: two SIGKILLs and what the next run makes of them.
# 1. A switch killed after the target and the capture are marked "switched"
# but before the journal writes the route (the fault point
# CUTOVER_KILL_AT_POINT=switch-marked, src/util/fault.h). The route never
# said new, so no write of the new system can be in the target: status shows
# the tenant frozen by a process that is gone, interrupted; the next migrate
# of the same journal takes the tenant up like a lapsed freeze, exits 0 and
# switches it, verified, with the same rows as a run never killed.
# 2. A copy killed at a commit leaves its run "running" in the journal:
# status, the report and the dashboard's API say interrupted, never running,
# of a process that is gone, and the run that takes the tenant over journals
# it interrupted.
# One job, small tenants: deterministic, seconds.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.001 --seed 7 -q
state=$demo/.cutover/state.db
co() { "$CUTOVER" -p "$demo/cutover.yaml" "$@"; }
mapfile -t T < <(q "$demo/legacy.db" "SELECT account_id FROM contacts GROUP BY 1 ORDER BY count(*), 1")
t=${T[0]}
writes() { sqlite3 -cmd '.timeout 3000' "$demo/legacy.db" "UPDATE contacts SET title = 'x' WHERE account_id = $1" 2>&1; }

# The reference: the same tenant, never killed.
cp -r "$demo" "$WORK/ref"
"$CUTOVER" -p "$WORK/ref/cutover.yaml" migrate --tenant "$t" --skip-rehearsal -q || fail "the reference run"
reference=$(db_checksum "$WORK/ref/crm.db")

CUTOVER_KILL_AT_POINT=switch-marked co migrate --tenant "$t" --skip-rehearsal -q >/dev/null 2>&1
assert_eq "killed after the switch's marks, before its route: SIGKILL" 137 "$?"
assert_eq "the window: target and capture marked switched, the route old" "switched switched old" \
  "$(q "$demo/crm.db" "SELECT state FROM cutover_journal_mark WHERE tenant = '$t'") $(q "$demo/legacy.db" \
    "SELECT state FROM cutover_journal_mark WHERE tenant = '$t'") $(co route "$t" 2>&1)"
assert_contains "the sealed freeze refuses the customer's writes" "is frozen" "$(writes "$t")"
run_cutover -p "$demo/cutover.yaml" status --json
assert_eq "status: frozen, by a process that is gone, interrupted" "frozen false true" \
  "$(jq -r ".tenants[] | select(.tenant == \"$t\") | \"\(.state) \(.process.alive) \(.interrupted)\"" <<<"$OUT")"

run_cutover -p "$demo/cutover.yaml" migrate --tenant "$t" --skip-rehearsal --json
assert_eq "the next migrate takes it up like a lapsed freeze and switches it" "0 switched" \
  "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
assert_eq "route new, journaled switched" "new switched" \
  "$(co route "$t" 2>&1) $(co status --json | jq -r ".tenants[] | select(.tenant == \"$t\") | .state")"
run_cutover -p "$demo/cutover.yaml" verify --tenant "$t"
assert_eq "verify passes" 0 "$CODE"
assert_eq "the target equals a run never killed" "$reference" "$(db_checksum "$demo/crm.db")"

# 2. Killed during the copy (its 8th commit: the journal's run has begun).
u=${T[1]}
CUTOVER_KILL_AT_COMMIT=8 co migrate --tenant "$u" --skip-rehearsal -q >/dev/null 2>&1
assert_eq "killed during the copy: SIGKILL" 137 "$?"
killed_run=$(q "$state" "SELECT max(id) FROM runs WHERE tenant = '$u'")
assert_eq "the journal says running (the process died without a word)" running \
  "$(q "$state" "SELECT status FROM runs WHERE id = $killed_run")"
run_cutover -p "$demo/cutover.yaml" status --json
assert_eq "status: the run interrupted, its process gone" "$killed_run interrupted false true" \
  "$(jq -r ".tenants[] | select(.tenant == \"$u\") | \"\(.last_run.id) \(.last_run.status) \(.process.alive) \(.interrupted)\"" <<<"$OUT")"
run_cutover -p "$demo/cutover.yaml" report -o "$WORK/report.html"
html=$(cat "$WORK/report.html")
assert_contains "the report's timeline: the run interrupted" "</span>, interrupted in " "$html"
[[ $html == *"</span>, running in "* ]] && fail "the report says running of a process that is gone" \
  || pass "the report does not say running of a process that is gone"
# The dashboard's document of the run says so too, before any takeover.
co serve --listen 127.0.0.1:0 > "$WORK/serve.out" 2>"$WORK/serve.err" &
server=$!
for _ in $(seq $((100 * ${CUTOVER_TEST_SLOWDOWN:-1}))); do
  grep -q '^token' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1
done
url=$(sed -n 's/^cutover: serving \(http[^ ]*\) .*/\1/p' "$WORK/serve.out")
assert_eq "the dashboard's /api/runs/N: the run interrupted, not running" "$killed_run interrupted" \
  "$(curl -s "${url}api/runs/$killed_run" | jq -r '"\(.run.id) \(.run.status)"')"
kill "$server"; wait "$server" 2>/dev/null
run_cutover -p "$demo/cutover.yaml" migrate --tenant "$u" --skip-rehearsal --json
assert_eq "the next migrate switches it" "0 switched" "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
assert_eq "the killed run is journaled interrupted, taken over by the next" "interrupted 1" \
  "$(q "$state" "SELECT status, error LIKE '%is gone; taken over by pid %' FROM runs WHERE id = $killed_run" | tr '|' ' ')"
assert_eq "no run of the journal says running" 0 "$(q "$state" "SELECT count(*) FROM runs WHERE status = 'running'")"
finish
