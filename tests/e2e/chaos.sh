# chaos.sh: the chaos scenario's rounds, shared by test_chaos.sh (a SQLite
# source) and test_pg_chaos.sh (PostgreSQL source and target); see either
# for what the scenario proves, and docs/reliability.md for its figures.
#
# Sourced after lib.sh by a script that has made the demo's legacy CRM and
# new CRM, and set:
#   ENGINE     the source's engine, for the figures' line
#   demo       the demo directory (the project, hooks and logs go there)
#   state      the journal (SQLite)
#   CUT        the cutover command line: ("$CUTOVER" -p "$proj" ...)
#   TRAFFIC    the global options that point `demo traffic` at the source
# and defined:
#   src_q SQL      the source's rows, one a line (nothing when it fails)
#   tgt_q SQL      the target's rows, one a line
#   src_write T    one write of tenant T on the source; fails when refused
#   SRC_EPOCH      the source's SQL for now, in seconds since the epoch
# chaos_project BASE PROJ writes PROJ, the project BASE with the heartbeat
# bound and an on_freeze hook that marks each freeze and holds it a little,
# so that a signal can land inside. chaos_rounds runs the rounds and the
# checks after them; its figures go to stdout, and to CHAOS_REPORT.

ROUNDS=${CHAOS_ROUNDS:-${CHAOS_CHECK_ROUNDS:-4}}
SEED=${CHAOS_SEED:-15}
BOUND=$((2 * ${CUTOVER_TEST_SLOWDOWN:-1})) # options.freeze_heartbeat_seconds (x4 under ASan)
RANDOM=$SEED

chaos_project() {
  cat >"$demo/frozen.sh" <<'SH'
#!/bin/sh
echo "$CUTOVER_TENANT" >>frozen.log
sleep 0.3
SH
  chmod +x "$demo/frozen.sh"
  { grep -v '^hooks:' "$1" | sed "s/^options:/options:\n  freeze_heartbeat_seconds: $BOUND/"
    printf '\nhooks:\n  on_freeze: ./frozen.sh\n'; } >"$2"
  : >"$demo/frozen.log"
}

now() { date +%s.%N; }
# handling PID: the process is cutover and catches SIGINT. A background job
# of this script starts with SIGINT ignored until cutover sets its handler: a
# SIGINT before that is lost, and the sanitized build takes a second or more
# to get there on a loaded machine (test_pg_chaos saw migrate finish, exit 0).
handling() {
  local caught
  [[ $(cat "/proc/$1/comm" 2>/dev/null) == cutover ]] || return 1
  caught=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
  (( (16#${caught:-0} >> 1) & 1 )) # bit 1: signal 2, SIGINT
}
switched() { q "$state" "SELECT tenant FROM routes WHERE route = 'new'" 2>/dev/null; }

chaos_rounds() {
  local round sig t tt done_ traffic marks before migrating where delay code ok fresh left frozen_for st bad
  local survived=0 interrupted=0 attempted=0 accepted=0 refused=0 longest=0 signalled lost=0
  local -a TENANTS ALL sigs=(KILL INT TERM) # the odd rounds aim inside a freeze: KILL, TERM, INT, ...
  mapfile -t TENANTS < <(src_q "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id
                                JOIN contacts k ON k.account_id = c.account_id
                                GROUP BY 1 ORDER BY 1")
  mapfile -t ALL < <(src_q "SELECT id FROM accounts ORDER BY id")
  : >"$WORK/traffic.ranges"
  for ((round = 1; round <= ROUNDS; round++)); do
    sig=${sigs[$(( (round - 1) % 3 ))]}
    # the traffic goes to the next tenant migrate --all takes (on the source)
    done_=" $(switched | tr '\n' ' ') " tt=""
    for t in "${TENANTS[@]}"; do [[ $done_ == *" $t "* ]] || { tt=$t; break; }; done
    [[ -n $tt ]] || break
    "$CUTOVER" "${TRAFFIC[@]}" demo traffic "$demo" --tenant "$tt" --rate 200 \
      --seconds $((round % 2 ? 5 : 2)) --json >"$WORK/traffic.$round" 2>&1 &
    traffic=$!
    marks=$(wc -l <"$demo/frozen.log")
    before=$("${CUT[@]}" status --json | jq -c '[.tenants[] | select(.state == "frozen" or .state == "migrating" or .interrupted) | {tenant, state, interrupted}]')
    "${CUT[@]}" migrate --all --skip-rehearsal -q >/dev/null 2>"$WORK/migrate.$round" &
    migrating=$!
    for _ in $(seq 1 1500); do handling "$migrating" && break; kill -0 "$migrating" 2>/dev/null || break; sleep 0.02; done
    if (( round % 2 == 1 )); then        # inside the traffic tenant's freeze
      where="inside a freeze"
      for _ in $(seq 1 300); do
        tail -n +$((marks + 1)) "$demo/frozen.log" | grep -qx "$tt" && break
        kill -0 "$migrating" 2>/dev/null || break
        sleep 0.02
      done
      sleep 0.1
    else                                  # at a seeded time after cutover's start
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
    fresh=$(src_q "SELECT tenant FROM cutover_frozen WHERE beat + bound > $SRC_EPOCH")
    for t in $fresh; do
      [[ $done_ == *" $t "* || $sig == KILL ]] && continue
      ok=false
      echo "round $round: tenant $t is still frozen after SIG$sig"
    done
    wait "$traffic"
    for t in "${ALL[@]}"; do
      [[ $done_ == *" $t "* ]] && continue
      until src_write "$t"; do
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
      left=$(src_q "SELECT max(beat + bound) FROM cutover_frozen WHERE bound < 1e9")
      if [[ -n $left ]]; then
        frozen_for=$(echo "$left - $signalled" | bc)
        [[ $(echo "$frozen_for > $longest" | bc) == 1 ]] && longest=$frozen_for
      fi
    fi
    # status tells the truth
    st=$("${CUT[@]}" status --json)
    if [[ $sig == KILL ]]; then
      bad=$(jq -r '[.tenants[] | select((.state == "frozen" or .state == "migrating") and (.interrupted | not))] | length' <<<"$st")
      [[ $bad == 0 ]] || { ok=false; echo "round $round: a tenant in flight is not shown interrupted"; }
    else
      # none in flight, or, when the signal came before the run took up any
      # tenant, those an earlier kill left, as they were
      bad=$(jq -c '[.tenants[] | select(.state == "frozen" or .state == "migrating" or .interrupted) | {tenant, state, interrupted}]' <<<"$st")
      [[ $bad == "[]" ]] || { [[ $bad == "$before" ]] && grep -q "no tenant was started" "$WORK/migrate.$round"; } ||
        { ok=false; echo "round $round: status shows a tenant in flight after SIG$sig"; }
      grep -q "interrupted by SIG$sig" "$WORK/migrate.$round" ||
        { ok=false; echo "round $round: no message says where the tenant stands"; }
    fi
    $ok && survived=$((survived + 1))
    $ok || { tail -n 4 "$WORK/migrate.$round"; jq -c '[.tenants[] | {tenant, state, interrupted}]' <<<"$st"; } | sed 's/^/    /'
    echo "round $round: SIG$sig $where: exit $code, $($ok && echo survived || echo FAILED)"
  done
  local j i u r
  for ((round = 1; round <= ROUNDS; round++)); do
    [[ -s $WORK/traffic.$round ]] || continue
    j=$(cat "$WORK/traffic.$round")
    if ! i=$(jq -e .inserted <<<"$j" 2>/dev/null); then
      fail "round $round: the traffic ran: $j"
      continue
    fi
    u=$(jq .updated <<<"$j") r=$(jq .refused <<<"$j")
    attempted=$((attempted + i + u + r)) accepted=$((accepted + i + u)) refused=$((refused + r))
    (( i > 0 )) && echo "$(jq .first_event <<<"$j") $(jq .last_event <<<"$j")" >>"$WORK/traffic.ranges"
  done

  assert_eq "every interruption survived ($survived of $interrupted)" "$interrupted" "$survived"
  if (( attempted > 0 )); then pass "the traffic wrote ($accepted of $attempted accepted)"; else fail "the traffic wrote nothing"; fi
  run_cutover "${CUT[@]:1}" migrate --all --skip-rehearsal -q
  assert_eq "the rerun switches every tenant" 0 "$CODE"
  [[ $CODE -eq 0 ]] || echo "$ERR" | tail -5
  run_cutover "${CUT[@]:1}" verify --all -q
  assert_eq "verify finds nothing" 0 "$CODE"
  # Every event the source accepted is in the target, or rejected with a reason.
  local first last
  q "$state" "SELECT trim(source_key, '[]') FROM rejects WHERE entity = 'engagements'" >"$WORK/rejected.ids"
  while read -r first last; do
    src_q "SELECT id FROM events WHERE id BETWEEN $first AND $last" | sort >"$WORK/accepted.ids"
    { tgt_q "SELECT id FROM engagements WHERE id BETWEEN $first AND $last"; cat "$WORK/rejected.ids"; } |
      sort -u >"$WORK/landed.ids"
    lost=$((lost + $(comm -23 "$WORK/accepted.ids" "$WORK/landed.ids" | wc -l)))
  done <"$WORK/traffic.ranges"
  assert_eq "no accepted write is lost" 0 "$lost"
  run_cutover "${CUT[@]:1}" status --json
  assert_eq "status: every tenant switched, none interrupted" "switched false" \
    "$(jq -r '[.tenants[].state] | unique | join(",")' <<<"$OUT") $(jq -r '[.tenants[].interrupted] | any' <<<"$OUT")"
  local freeze figures
  freeze=$(q "$state" "SELECT printf('%.2f', max(freeze_seconds)) FROM routes WHERE route = 'new'")
  figures="chaos (seed $SEED, $ROUNDS rounds, $ENGINE, heartbeat bound ${BOUND}s): interrupts survived $survived/$interrupted; writes attempted $attempted, accepted $accepted, refused $refused, lost $lost; longest a customer stayed frozen after an interruption: $(printf '%.2f' "$longest") s (0 after SIGINT and SIGTERM); longest freeze of a switch: $freeze s"
  echo "$figures"
  [[ -n ${CHAOS_REPORT:-} ]] && echo "$figures" >>"$CHAOS_REPORT"
  return 0
}
