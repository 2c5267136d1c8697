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
# 3. A switch whose steps inside the freeze are each stalled for 0.6 of the
# freeze's heartbeat bound (CUTOVER_FREEZE_STEP_DELAY, a test build's hook):
# together they outlast it, each alone does not. The heartbeat is renewed
# between the steps, so the freeze never lapses: a writer hammering the
# tenant all along sees its writes refused from the freeze on and never
# accepted again (the switch seals the freeze); the switch succeeds,
# verified, and the old system's last accepted write is in the target.
# 4. A difference planted in the target while a tenant syncs is still found
# inside the freeze after the verifications made before it: the switch
# fails (12) and the tenant is back to syncing.
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
# The binary itself, not the shell function: $! must be the server's pid.
"$CUTOVER" -p "$demo/cutover.yaml" serve --listen 127.0.0.1:0 > "$WORK/serve.out" 2>"$WORK/serve.err" &
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

# 3. Slow steps inside a switch's freeze, a writer all along.
S=${CUTOVER_TEST_SLOWDOWN:-1}
v=${T[2]}
demo=$WORK/slow
"$CUTOVER" demo init "$demo" --scale 0.001 --seed 7 -q
sqlite3 "$demo/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
sed "s/^options:/options:\n  freeze_heartbeat_seconds: $((2 * S))/" "$demo/cutover.yaml" >"$demo/beat.yaml"
cob() { "$CUTOVER" -p "$demo/beat.yaml" "$@"; }
cob migrate --tenant "$v" --skip-rehearsal --coexist -q || fail "migrate --coexist of tenant $v"
cid=$(q "$demo/legacy.db" "SELECT min(id) FROM contacts WHERE account_id = $v")
: >"$WORK/writes.log"
( i=0
  while [[ ! -e $WORK/stop ]]; do
    i=$((i + 1))
    if sqlite3 -cmd '.timeout 3000' "$demo/legacy.db" \
      "UPDATE contacts SET title = 'write $i' WHERE id = $cid" >/dev/null 2>&1; then
      echo "ok $i"
    else
      echo "refused $i"
    fi
  done >>"$WORK/writes.log" ) &
writer=$!
sleep 0.3
CUTOVER_NARROW_ALWAYS=1 CUTOVER_FREEZE_STEP_DELAY=$(echo "1.2 * $S" | bc) \
  run_cutover -p "$demo/beat.yaml" switch --tenant "$v" --json
touch "$WORK/stop"
wait "$writer"
assert_eq "slow steps inside the freeze: switched, no lapse (verified again 3 times before it)" \
  "0 true 0 3" "$CODE $(jq -r '.tenants[0] | "\(.switched) \(.freeze_lapses) \(.narrowings)"' <<<"$OUT")"
assert_eq "the freeze lasted the stalls" true \
  "$(jq -r ".tenants[0].freeze_seconds > $(echo "3.6 * $S" | bc)" <<<"$OUT")"
assert_eq "the writer was refused from the freeze on" true "$(grep -q '^refused' "$WORK/writes.log" && echo true)"
assert_eq "no write accepted by the old system once the freeze began" 0 \
  "$(awk '/^refused/ { r = 1 } /^ok/ && r { n++ } END { print n + 0 }' "$WORK/writes.log")"
last=$(awk '/^ok/ { n = $2 } END { print n }' "$WORK/writes.log")
assert_eq "the old system's last accepted write is in the target" "write $last" \
  "$(q "$demo/crm.db" "SELECT title FROM contacts WHERE id = $cid")"
run_cutover -p "$demo/beat.yaml" verify --tenant "$v"
assert_eq "verify passes" 0 "$CODE"

# 4. A difference planted in the target while a tenant syncs (an engagement,
# an entity verified row by row inside the freeze): found by the whole
# verification, carried through the verifications before the freeze
# (CUTOVER_NARROW_ALWAYS: three of them, as for a large tenant under writes)
# into the freeze's, the switch fails (12), the tenant back to syncing,
# routed old, writable.
w=${T[3]}
cob migrate --tenant "$w" --skip-rehearsal --coexist -q || fail "migrate --coexist of tenant $w"
eid=$(q "$demo/crm.db" "SELECT min(id) FROM engagements WHERE account_id = $w")
sqlite3 "$demo/crm.db" "UPDATE engagements SET kind = CASE kind WHEN 'bounce' THEN 'click' ELSE 'bounce' END WHERE id = $eid" ||
  fail "the plant"
CUTOVER_NARROW_ALWAYS=1 run_cutover -p "$demo/beat.yaml" switch --tenant "$w" --json
assert_eq "a planted difference: the switch fails (12) after 3 verifications before the freeze" \
  "12 false 3 0" "$CODE $(jq -r '.tenants[0] | "\(.switched) \(.narrowings) \(.freeze_lapses)"' <<<"$OUT")"
assert_contains "saying so" "verification found differences" "$(jq -r '.tenants[0].failure' <<<"$OUT")"
assert_eq "the freeze's verification found it (engagements)" 0 \
  "$(q "$demo/.cutover/state.db" "SELECT pass FROM verifications WHERE entity = 'engagements' AND \"check\" = 'content'
     AND run_id = (SELECT max(run_id) FROM verifications WHERE tenant = '$w')")"
assert_eq "the tenant syncing, routed old, writable" "syncing old 0" \
  "$(q "$demo/.cutover/state.db" "SELECT state FROM tenants WHERE tenant = '$w'") $(cob route "$w" --json | jq -r .writes) $(sqlite3 -cmd '.timeout 3000' "$demo/legacy.db" "UPDATE contacts SET title = title WHERE account_id = $w" >/dev/null 2>&1; echo $?)"
finish
