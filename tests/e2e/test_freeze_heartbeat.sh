# test_freeze_heartbeat.sh: a freeze refuses writes only while cutover's
# heartbeat is fresh (options.freeze_heartbeat_seconds). A run whose own
# freeze lapsed (here: an on_freeze hook slower than the bound) notices
# before it switches, goes back to catching up and freezes again, so the
# write that went through during the lapse is in the switched target. A
# freeze that keeps lapsing is rolled back, saying why. A SIGKILL inside
# the freeze leaves the tenant refusing writes only until the bound, status
# shows it frozen by a process that is gone and the tenant interrupted (the
# report and the dashboard's JSON too), and the next migrate moves it. SIGTERM inside the freeze exits 143 with the
# tenant rolled back and writable at once. Without capture (a plain load),
# SIGINT stops migrate --all with exit 130 and no tenant left half loaded.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.001 --seed 4 -q
sqlite3 "$demo/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
src=$demo/legacy.db tgt=$demo/crm.db
mapfile -t T < <(q "$src" "SELECT account_id FROM contacts GROUP BY 1 ORDER BY 1")
# The heartbeat bound: 1 s, times CUTOVER_TEST_SLOWDOWN (ctest sets 4 for the
# ASan+UBSan build, whose steps inside a freeze take longer than a second on a
# loaded machine); the hooks' stalls scale with it.
S=${CUTOVER_TEST_SLOWDOWN:-1}
x() { echo "$1 * $S" | bc; }
# project NAME HOOK [BOUND]: the demo's project with the heartbeat bound
# (BOUND times the slowdown, default 1) and HOOK on_freeze
project() {
  { grep -v '^hooks:' "$demo/cutover.yaml" | sed "s/^options:/options:\n  freeze_heartbeat_seconds: $(x "${3:-1}")/"
    printf '\nhooks:\n  on_freeze: %s\n' "$2"; } >"$demo/$1.yaml"
  echo "$demo/$1.yaml"
}
writes() { sqlite3 -cmd '.timeout 3000' "$src" "UPDATE contacts SET title = '$2' WHERE account_id = $1" 2>&1; }

# 1. The first freeze stalls past the bound, and the tenant writes meanwhile.
cat >"$demo/stall.sh" <<SH
#!/bin/sh
[ -e stalled ] && exit 0
touch stalled
sleep $(x 1.6)
sqlite3 -cmd '.timeout 3000' legacy.db "UPDATE contacts SET title = 'During the lapse' WHERE account_id = \$CUTOVER_TENANT" 2>lapse.err
SH
chmod +x "$demo/stall.sh"
t=${T[0]}
proj=$(project stall ./stall.sh)
run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal --json
assert_eq "a freeze that lapsed: the run goes back, freezes again and switches" "0 switched" \
  "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
assert_eq "the write made during the lapse went through" "" "$(cat "$demo/lapse.err")"
assert_eq "and is in the switched target" "During the lapse" \
  "$(q "$tgt" "SELECT DISTINCT title FROM contacts WHERE account_id = $t AND title = 'During the lapse'")"
freeze=$(jq '.tenants[0].freeze_seconds' <<<"$OUT")
assert_eq "freeze_seconds counts both freezes (over the stall)" true "$(echo "$freeze > $(x 1.6)" | bc | sed 's/1/true/;s/0/false/')"
run_cutover -p "$proj" verify --tenant "$t"
assert_eq "verify finds nothing" 0 "$CODE"
assert_contains "a switched tenant stays frozen on the source (for good, not by heartbeat)" "is frozen" \
  "$(sleep "$(x 1.2)"; writes "$t" x)"

# 2. A freeze that lapses every time is rolled back, saying why.
proj=$(project slow "sleep $(x 1.3)")
t=${T[1]}
run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal --start-over
assert_eq "a freeze that keeps lapsing: rolled back, exit 13" 13 "$CODE"
assert_contains "it says why and what to do" "the freeze lapsed 3 times before the switch" "$ERR"
assert_eq "the tenant writes" "" "$(writes "$t" y)"

# 3. SIGKILL inside the freeze: refused until the bound, then written.
cat >"$demo/mark.sh" <<'SH'
#!/bin/sh
touch "frozen.$CUTOVER_TENANT"
sleep 0.5
SH
chmod +x "$demo/mark.sh"
# A bound of 3 s: the freeze is surely fresh at the kill on a loaded machine.
proj=$(project mark ./mark.sh 3)
t=${T[2]}
"$CUTOVER" -p "$proj" migrate --tenant "$t" --skip-rehearsal --start-over -q >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 500); do [[ -e $demo/frozen.$t ]] && break; sleep 0.02; done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
killed=$(date +%s.%N)
assert_contains "killed inside the freeze: the tenant's writes are refused at first" "is frozen" "$(writes "$t" z)"
run_cutover -p "$proj" status --json
assert_eq "status: frozen, by a process that is gone, interrupted" "frozen false true" \
  "$(jq -r ".tenants[] | select(.tenant == \"$t\") | \"\(.state) \(.process.alive) \(.interrupted)\"" <<<"$OUT")"
run_cutover -p "$proj" status
assert_contains "the status table says interrupted and frozen since when, by whom" "frozen since" "$OUT"
assert_contains "and how to go on" "interrupted: migrate, pid $pid" "$OUT"
# The report and the dashboard's JSON say the same.
run_cutover -p "$proj" report -o "$WORK/report.html"
html=$(cat "$WORK/report.html")
assert_contains "the report's table: frozen, interrupted" "<td class=state>frozen (interrupted)</td>" "$html"
assert_contains "the report: frozen since when, by which process, gone" "by migrate, pid $pid on" "$html"
assert_contains "the report: the freeze lapses" "(gone: its freeze lapses within options.freeze_heartbeat_seconds)" "$html"
assert_contains "the report: interrupted, and how to go on" \
  "is gone. Run <code>cutover migrate --tenant $t</code> to go on." "$html"
assert_contains "the report: since when" "Frozen since <span class=t>$(jq -r ".tenants[] | select(.tenant == \"$t\") | .frozen_since" <<<"$("$CUTOVER" -p "$proj" status --json)")" "$html"
run_cutover -p "$proj" status --json
assert_eq "the JSON (status, the dashboard's API): the command that goes on" "cutover migrate --tenant $t" \
  "$(jq -r ".tenants[] | select(.tenant == \"$t\") | .finish_with" <<<"$OUT")"
until [[ -z $(writes "$t" z) ]]; do
  [[ $(echo "$(date +%s.%N) - $killed > $(x 4.5)" | bc) == 1 ]] && break
  sleep 0.1
done
assert_eq "within the heartbeat bound the tenant writes again" "" "$(writes "$t" "After the kill")"
run_cutover -p "$proj" migrate --tenant "$t" --skip-rehearsal --json
assert_eq "the next migrate switches it" "0 switched" "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
assert_eq "with the write made after the kill" "After the kill" \
  "$(q "$tgt" "SELECT DISTINCT title FROM contacts WHERE account_id = $t AND title = 'After the kill'")"

# 4. SIGTERM inside the freeze: exit 143, rolled back, writable at once.
t=${T[3]}
"$CUTOVER" -p "$proj" migrate --tenant "$t" --skip-rehearsal 2>"$WORK/term.err" >/dev/null &
pid=$!
for _ in $(seq 1 500); do [[ -e $demo/frozen.$t ]] && break; sleep 0.02; done
kill -TERM "$pid"
wait "$pid"
assert_eq "SIGTERM inside the freeze: exit 143" 143 "$?"
assert_contains "the message says where the tenant stands" \
  "interrupted by SIGTERM: tenant $t was rolled back: still on the source" "$(cat "$WORK/term.err")"
assert_eq "the tenant writes at once" "" "$(writes "$t" w)"
assert_eq "the journal says the run was interrupted" interrupted \
  "$(q "$demo/.cutover/state.db" "SELECT status FROM runs WHERE tenant = '$t' AND command = 'migrate' ORDER BY id DESC LIMIT 1")"
# 5. A plain load (no capture list), interrupted by SIGINT.
plain=$WORK/plain
"$CUTOVER" demo init "$plain" --scale 0.001 --seed 4 -q
sed -i '/^capture:/,$d' "$plain/cutover.yaml"
"$CUTOVER" -p "$plain/cutover.yaml" migrate --all --skip-rehearsal -q >/dev/null 2>"$WORK/plain.err" &
pid=$!
# Once a tenant's run began: a background job of this shell starts with
# SIGINT ignored until cutover sets its handler (slow under ASan).
for _ in $(seq 1 600); do
  [[ $(q "$plain/.cutover/state.db" "SELECT count(*) FROM runs WHERE status = 'running'" 2>/dev/null) -gt 0 ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
kill -INT "$pid"
wait "$pid"
assert_eq "a plain load interrupted by SIGINT: exit 130" 130 "$?"
assert_contains "the last line says where it stopped" "cutover: migrate: interrupted by SIGINT" \
  "$(tail -1 "$WORK/plain.err")"
run_cutover -p "$plain/cutover.yaml" status --json
assert_eq "no tenant is left in flight" "" \
  "$(jq -r '.tenants[] | select(.state == "migrating" or .interrupted) | .tenant' <<<"$OUT")"
for x in $(jq -r '.tenants[] | select(.state == "failed") | .tenant' <<<"$OUT"); do
  assert_eq "tenant $x, stopped: nothing of it in the target" 0 \
    "$(q "$plain/crm.db" "SELECT (SELECT count(*) FROM contacts WHERE account_id = $x) + (SELECT count(*) FROM engagements WHERE account_id = $x)")"
done
run_cutover -p "$plain/cutover.yaml" migrate --all --skip-rehearsal -q
assert_eq "the next migrate loads the rest, verified" 0 "$CODE"
finish
