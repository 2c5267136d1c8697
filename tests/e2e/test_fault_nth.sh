# test_fault_nth.sh: the Nth store call fails, for N = 1, 2, 3, ... (by a
# stride past the first calls, docs/testing.md), in a migration with capture
# (copy, catch-up, freeze, verify, switch) and in the rollback of a switched
# tenant. Every run ends with a documented exit code and a journal that tells
# the truth; a plain rerun then completes and verifies, and the target (or,
# after a rollback, the source) equals a clean run's: nothing lost, nothing
# doubled. Needs a test build (CUTOVER_FAIL_AT_CALL, src/util/fault.h).
# The probes run two at a time (CUTOVER_TEST_JOBS). SQLite files on a RAM
# disk when there is one: some 40 runs must take seconds.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
source "$(dirname "$0")/lib.sh"

"$CUTOVER" demo init "$WORK/pristine" --scale 0.001 --seed 7 -q
t=$(q "$WORK/pristine/legacy.db" "SELECT account_id FROM contacts GROUP BY 1 ORDER BY count(*), 1 LIMIT 1")
source_before=$(db_checksum "$WORK/pristine/legacy.db")
documented=" 0 4 5 6 12 "  # success, source, target, state, verify (docs/cutover.1)

# cutover in a copy DIR of the demo: co DIR ARGS...
co() { local dir=$1; shift; "$CUTOVER" -p "$dir/cutover.yaml" "$@"; }
state_of() { co "$1" status --json | jq -r --arg t "$t" '.tenants[] | select(.tenant == $t) | .state'; }
target_rows() { q "$1/crm.db" "SELECT count(*) FROM contacts WHERE account_id = $t"; }
# The N to try: 1..DENSE, every STRIDE-th, the last few, and one well past
# the end (a run's count of calls varies by a few with timing: the catch-up's
# rounds, the freeze's heartbeats).
points() {
  local calls=$1 dense=$2 parts=$3
  { seq 1 "$dense"; seq "$(( calls / parts ))" "$(( calls / parts > 0 ? calls / parts : 1 ))" "$calls"
    seq "$(( calls > 1 ? calls - 1 : 1 ))" "$calls"; echo "$(( calls * 2 ))"; } | sort -n -u
}

# The clean runs: how many store calls each makes, and what they leave.
ref=$WORK/ref
cp -r "$WORK/pristine" "$ref"
CUTOVER_FAULT_CALLS=$WORK/calls co "$ref" migrate --tenant "$t" --skip-rehearsal -q >/dev/null 2>&1
assert_eq "the clean migration of tenant $t switches it" "0 switched" "$? $(state_of "$ref")"
migrate_calls=$(cat "$WORK/calls")
target_after=$(db_checksum "$ref/crm.db")
rows=$(target_rows "$ref")
cp -r "$ref" "$WORK/switched"
CUTOVER_FAULT_CALLS=$WORK/calls co "$ref" rollback --tenant "$t" -q >/dev/null 2>&1
assert_eq "the clean rollback restores the source" "0 $source_before" "$? $(db_checksum "$ref/legacy.db")"
rollback_calls=$(cat "$WORK/calls")
echo "store calls: migrate $migrate_calls, rollback $rollback_calls"

# The probes run side by side, CUTOVER_TEST_JOBS at a time (2 by default:
# the machine's cores), each in a copy of its own with its own call count and
# log; their assertions are counted in probe order once all have ended.
jobs_max=${CUTOVER_TEST_JOBS:-2}
probes=()
# probe NAME FUNCTION ARGS...: FUNCTION ARGS in the background, its output
# (ok/FAIL lines) into $WORK/NAME.log, then "probe done" when it returned.
probe() {
  local name=$1; shift
  while (( $(jobs -rp | wc -l) >= jobs_max )); do wait -n; done
  probes+=("$name")
  { "$@"; echo "probe done"; } >"$WORK/$name.log" 2>&1 &
}

# faulty WHAT FROM CALLS N ARGS...: cutover ARGS in a fresh copy $run
# ($WORK/WHAT-N) of FROM with store call N failing. Returns 1 once N is past
# the CALLS a clean run makes (the run must then complete); else checks the
# exit code and sets route, state and have (the tenant's rows in the target)
# for the caller.
faulty() {
  local what=$1 from=$2 calls=$3 n=$4; shift 4
  run=$WORK/$what-$n
  cp -r "$from" "$run"
  CUTOVER_FAIL_AT_CALL=$n CUTOVER_FAULT_CALLS=$run.calls co "$run" "$@" -q >/dev/null 2>"$run.err"
  local code=$? made
  made=$(cat "$run.calls" 2>/dev/null || echo "?")
  if (( n > calls )); then
    local reached=no
    [[ $made =~ ^[0-9]+$ ]] && (( made >= n )) && reached=yes
    assert_eq "$what: call $n is never reached: the run completes" "0 no" "$code $reached"
    return 1
  fi
  [[ $documented == *" $code "* ]] && pass "$what, call $n failing: exit $code" \
    || fail "$what, call $n failing: exit $code is not documented: $(head -c 300 "$run.err")"
  route=$(co "$run" route "$t" 2>&1) state=$(state_of "$run") have=$(target_rows "$run")
}

# migrate with store call N failing.
migrate_probe() {
  local n=$1
  faulty migrate "$WORK/pristine" "$migrate_calls" "$n" migrate --tenant "$t" --skip-rehearsal || return 0
  if [[ $route == new ]]; then
    assert_eq "migrate, call $n: route new, so switched with every row" \
      "switched $target_after" "$state $(db_checksum "$run/crm.db")"
  else
    assert_eq "migrate, call $n: route old, so not switched and nothing in the target" \
      "old 0" "$route $have$([[ $state == switched ]] && echo ' but journaled switched')"
  fi
  co "$run" migrate --tenant "$t" --skip-rehearsal -q >/dev/null 2>"$run.err"
  local code=$?
  co "$run" verify --tenant "$t" -q >/dev/null 2>>"$run.err"
  assert_eq "migrate, call $n: a plain rerun completes and verifies, the target as a clean run's" \
    "0 0 new switched $target_after" \
    "$code $? $(co "$run" route "$t" 2>&1) $(state_of "$run") $(db_checksum "$run/crm.db")"
}

# rollback of the switched tenant with store call N failing.
rollback_probe() {
  local n=$1
  faulty rollback "$WORK/switched" "$rollback_calls" "$n" rollback --tenant "$t" || return 0
  if [[ $route == new ]]; then
    assert_eq "rollback, call $n: route new, so still switched with every row" \
      "switched $rows" "$state $have"
  elif (( have > 0 )); then
    assert_eq "rollback, call $n: route old with rows left in the target: journaled unfinished" \
      rollback_incomplete "$state"
  else
    assert_eq "rollback, call $n: route old, target purged, not journaled switched" \
      "old 0 no" "$route $have $([[ $state == switched ]] && echo yes || echo no)"
  fi
  co "$run" rollback --tenant "$t" -q >/dev/null 2>&1
  assert_eq "rollback, call $n: a plain rollback finishes, the source as before" \
    "0 old 0 $source_before" \
    "$? $(co "$run" route "$t" 2>&1) $(target_rows "$run") $(db_checksum "$run/legacy.db")"
}

started=$SECONDS
for n in $(points "$migrate_calls" 4 6); do probe "migrate-$n" migrate_probe "$n"; done
for n in $(points "$rollback_calls" 2 4); do probe "rollback-$n" rollback_probe "$n"; done
wait
# Each probe's assertions, counted here in probe order.
for name in "${probes[@]}"; do
  done_seen=no
  while IFS= read -r line; do
    case $line in
      "ok   "*) pass "${line#ok   }" ;;
      "FAIL "*) fail "${line#FAIL }" ;;
      "probe done") done_seen=yes ;;
      *) echo "$line" ;;
    esac
  done <"$WORK/$name.log"
  [[ $done_seen == yes ]] || fail "probe $name did not finish: $(tail -c 300 "$WORK/$name.log")"
done
echo "${#probes[@]} probes, $jobs_max at a time: $(( SECONDS - started )) s"
finish
