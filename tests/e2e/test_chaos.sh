# test_chaos.sh: `cutover demo traffic` writes while `migrate --all` runs on
# the zero-downtime path, and migrate is interrupted by SIGINT, SIGTERM and
# SIGKILL at seeded points, every other one inside a freeze (an on_freeze
# hook marks it). After each interruption: SIGINT and SIGTERM exit 130 and
# 143 and leave no tenant frozen; after SIGKILL, within the heartbeat bound,
# no tenant that is not switched refuses its customer's writes; status tells
# the truth (no tenant frozen or in flight after a handled signal; after a
# kill, the tenant in flight shows interrupted). At the end a plain rerun
# switches every tenant, verify finds nothing, and every write the source
# accepted is in the target (or rejected with a reason, as the planted data
# wants). CHAOS_ROUNDS (4) and CHAOS_SEED (15) make the longer seeded variant
# (`make chaos`: 20 rounds); the figures go to stdout, and to CHAOS_REPORT.
source "$(dirname "$0")/lib.sh"

ROUNDS=${CHAOS_ROUNDS:-4}
SEED=${CHAOS_SEED:-15}
BOUND=2   # options.freeze_heartbeat_seconds
RANDOM=$SEED

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.001 --seed "$SEED" -q
sqlite3 "$demo/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
src=$demo/legacy.db tgt=$demo/crm.db state=$demo/.cutover/state.db
# The freeze hook marks each freeze and holds it a little, so that a signal
# can land inside.
cat >"$demo/frozen.sh" <<'SH'
#!/bin/sh
echo "$CUTOVER_TENANT" >>frozen.log
sleep 0.3
SH
chmod +x "$demo/frozen.sh"
proj=$demo/chaos.yaml
{ grep -v '^hooks:' "$demo/cutover.yaml" | sed "s/^options:/options:\n  freeze_heartbeat_seconds: $BOUND/"
  printf '\nhooks:\n  on_freeze: ./frozen.sh\n'; } >"$proj"
: >"$demo/frozen.log"
mapfile -t TENANTS < <(q "$src" "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id
                                  JOIN contacts k ON k.account_id = c.account_id
                                  GROUP BY 1 ORDER BY 1")
mapfile -t ALL < <(q "$src" "SELECT id FROM accounts ORDER BY id")

now() { date +%s.%N; }
switched() { q "$state" "SELECT tenant FROM routes WHERE route = 'new'" 2>/dev/null; }
writes() { sqlite3 -cmd '.timeout 5000' "$src" "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }

survived=0 interrupted=0 attempted=0 accepted=0 refused=0 longest=0
: >"$WORK/traffic.ranges"
sigs=(KILL INT TERM)  # the odd rounds aim inside a freeze: KILL, TERM, INT, ...
for ((round = 1; round <= ROUNDS; round++)); do
  sig=${sigs[$(( (round - 1) % 3 ))]}
  # the traffic goes to the next tenant migrate --all takes (on the source)
  done_=" $(switched | tr '\n' ' ') " tt=""
  for t in "${TENANTS[@]}"; do [[ $done_ == *" $t "* ]] || { tt=$t; break; }; done
  [[ -n $tt ]] || break
  "$CUTOVER" demo traffic "$demo" --tenant "$tt" --rate 200 --seconds $((round % 2 ? 5 : 2)) \
    --json >"$WORK/traffic.$round" 2>&1 &
  traffic=$!
  marks=$(wc -l <"$demo/frozen.log")
  "$CUTOVER" -p "$proj" migrate --all --skip-rehearsal -q >/dev/null 2>"$WORK/migrate.$round" &
  migrating=$!
  if (( round % 2 == 1 )); then        # inside the traffic tenant's freeze
    where="inside a freeze"
    for _ in $(seq 1 300); do
      tail -n +$((marks + 1)) "$demo/frozen.log" | grep -qx "$tt" && break
      kill -0 "$migrating" 2>/dev/null || break
      sleep 0.02
    done
    sleep 0.1
  else                                  # at a seeded time
    delay=$(( RANDOM % 1600 + 200 ))
    where="after ${delay} ms"
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  fi
  if ! kill -0 "$migrating" 2>/dev/null; then
    wait "$migrating"
    echo "round $round: migrate ended before the $sig ($where)"
    wait "$traffic"
    continue
  fi
  kill -s "$sig" "$migrating"
  signalled=$(now)
  wait "$migrating"
  code=$?
  interrupted=$((interrupted + 1))
  ok=true
  case $sig in
  INT) [[ $code -eq 130 ]] || { ok=false; echo "round $round: SIGINT: exit $code"; } ;;
  TERM) [[ $code -eq 143 ]] || { ok=false; echo "round $round: SIGTERM: exit $code"; } ;;
  KILL) [[ $code -eq 137 ]] || { ok=false; echo "round $round: SIGKILL: exit $code"; } ;;
  esac
  # No tenant on the source refuses its writes: none is frozen at once after
  # a handled signal (the freeze table, as the triggers read it), and after
  # the traffic, every one takes a write, within the heartbeat bound after a
  # kill.
  done_=" $(switched | tr '\n' ' ') "
  fresh=$(q "$src" "SELECT tenant FROM cutover_frozen WHERE beat + bound > (julianday('now') - 2440587.5) * 86400.0" 2>/dev/null)
  for t in $fresh; do
    [[ $done_ == *" $t "* || $sig == KILL ]] && continue
    ok=false
    echo "round $round: tenant $t is still frozen after SIG$sig"
  done
  wait "$traffic"
  for t in "${ALL[@]}"; do
    [[ $done_ == *" $t "* ]] && continue
    until writes "$t"; do
      if [[ $(echo "$(now) - $signalled > $BOUND + 1" | bc) == 1 ]]; then
        ok=false
        echo "round $round: tenant $t still refuses writes"
        break
      fi
      sleep 0.05
    done
  done
  # how long the customer of the tenant in flight could not write: its
  # freeze's last heartbeat + bound, after the signal
  if [[ $sig == KILL ]]; then
    left=$(q "$src" "SELECT max(beat + bound) FROM cutover_frozen WHERE bound < 1e9" 2>/dev/null)
    if [[ -n $left ]]; then
      frozen_for=$(echo "$left - $signalled" | bc)
      [[ $(echo "$frozen_for > $longest" | bc) == 1 ]] && longest=$frozen_for
    fi
  fi
  # status tells the truth
  st=$("$CUTOVER" -p "$proj" status --json)
  if [[ $sig == KILL ]]; then
    bad=$(jq -r '[.tenants[] | select((.state == "frozen" or .state == "migrating") and (.interrupted | not))] | length' <<<"$st")
    [[ $bad == 0 ]] || { ok=false; echo "round $round: a tenant in flight is not shown interrupted"; }
  else
    bad=$(jq -r '[.tenants[] | select(.state == "frozen" or .state == "migrating" or .interrupted)] | length' <<<"$st")
    [[ $bad == 0 ]] || { ok=false; echo "round $round: status shows a tenant in flight after SIG$sig"; }
    grep -q "interrupted by SIG$sig" "$WORK/migrate.$round" ||
      { ok=false; echo "round $round: no message says where the tenant stands"; }
  fi
  $ok && survived=$((survived + 1))
  echo "round $round: SIG$sig $where: exit $code, $($ok && echo survived || echo FAILED)"
done
for ((round = 1; round <= ROUNDS; round++)); do
  [[ -s $WORK/traffic.$round ]] || continue
  j=$(cat "$WORK/traffic.$round")
  i=$(jq .inserted <<<"$j") u=$(jq .updated <<<"$j") r=$(jq .refused <<<"$j")
  attempted=$((attempted + i + u + r)) accepted=$((accepted + i + u)) refused=$((refused + r))
  (( i > 0 )) && echo "$(jq .first_event <<<"$j") $(jq .last_event <<<"$j")" >>"$WORK/traffic.ranges"
done

assert_eq "every interruption survived ($survived of $interrupted)" "$interrupted" "$survived"
run_cutover -p "$proj" migrate --all --skip-rehearsal -q
assert_eq "the rerun switches every tenant" 0 "$CODE"
[[ $CODE -eq 0 ]] || echo "$ERR" | tail -5
run_cutover -p "$proj" verify --all -q
assert_eq "verify finds nothing" 0 "$CODE"
# Every event the source accepted is in the target, or rejected with a reason.
lost=0
while read -r first last; do
  n=$(sqlite3 "$src" "ATTACH '$tgt' AS t; ATTACH '$state' AS s;
        SELECT count(*) FROM events e WHERE e.id BETWEEN $first AND $last
           AND NOT EXISTS (SELECT 1 FROM t.engagements g WHERE g.id = e.id)
           AND NOT EXISTS (SELECT 1 FROM s.rejects r WHERE r.entity = 'engagements' AND r.source_key = '[' || e.id || ']')")
  lost=$((lost + n))
done <"$WORK/traffic.ranges"
assert_eq "no accepted write is lost" 0 "$lost"
run_cutover -p "$proj" status --json
assert_eq "status: every tenant switched, none interrupted" "switched false" \
  "$(jq -r '[.tenants[].state] | unique | join(",")' <<<"$OUT") $(jq -r '[.tenants[].interrupted] | any' <<<"$OUT")"
freeze=$(q "$state" "SELECT printf('%.2f', max(freeze_seconds)) FROM routes WHERE route = 'new'")
figures="chaos (seed $SEED, $ROUNDS rounds, SQLite source, heartbeat bound ${BOUND}s): interrupts survived $survived/$interrupted; writes attempted $attempted, accepted $accepted, refused $refused, lost $lost; longest a customer stayed frozen after an interruption: $(printf '%.2f' "$longest") s (0 after SIGINT and SIGTERM); longest freeze of a switch: $freeze s"
echo "$figures"
[[ -n ${CHAOS_REPORT:-} ]] && echo "$figures" >>"$CHAOS_REPORT"
finish
