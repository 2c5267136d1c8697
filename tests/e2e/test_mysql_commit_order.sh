# test_mysql_commit_order.sh: on a MariaDB source, AUTO_INCREMENT order is
# not commit order, and the catch-up mark must not pass a change whose
# transaction is still open. Two sessions, interleaved deterministically:
# A updates an event of the tenant and keeps its transaction open (its
# changes take the lower seq); B updates another event and commits; the
# catch-up's horizon then waits for A (LOCK TABLES on the change log) and A
# commits only while it waits. The switched target must hold A's change:
# migrate exits 0, verify finds nothing. (A mark read as the largest seq
# would have passed A's change, which would never reach the target.)
# Then the freeze's heartbeat: a SIGKILL inside another tenant's freeze
# leaves its writes refused only until options.freeze_heartbeat_seconds, and
# the next migrate switches it with the write made after the kill. And the
# source's connections gone in the middle of the copy, then the target's:
# the tenant is rolled back, the error names the side, a rerun completes.
# Last, the server stopped mid-copy and restarted: the next migrate finishes
# the rollback and switches the tenant.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mysql.sh"

my_test_server
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures
cut() { MYSQL_PWD=$MY_PASSWORD "$CUTOVER" "$@"; }

demo=$WORK/demo
mysqlc mysql -e "CREATE DATABASE legacy CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin; CREATE DATABASE crm"
mysqlc crm <"$FIX/crm-target-mysql.sql"
cut demo init "$demo" --scale 0.001 --seed 5 --source "$MY_BASE/legacy" >/dev/null 2>&1
assert_eq "the demo's legacy CRM is in MariaDB" 0 "$?"
TARGET=(-p "$demo/cutover.yaml" --target "$MY_BASE/crm")
t=$(mysqlc legacy -e "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
mapfile -t E < <(mysqlc legacy -e "SELECT e.id FROM events e JOIN campaigns c ON c.id = e.campaign_id
                                    WHERE c.account_id = $t AND e.kind <> 'bounce' ORDER BY e.id LIMIT 2")
a_row=${E[0]} b_row=${E[1]}

# session NAME DB: a root client on DB held open (sql_session); `say NAME SQL` sends.
session() { sql_session "$1" mariadb --no-defaults -uroot --socket="$MY_SOCKET" -N -B --unbuffered "$2"; }
# await WHAT SQL: waits (up to 60 s by the clock) until the query answers 1.
await() {
  local until=$((SECONDS + 60))
  while ((SECONDS < until)); do
    [[ $(mysqlc mysql -e "$2" 2>/dev/null) == 1 ]] && return 0
    sleep 0.1
  done
  fail "$1 (timed out)"
  return 1
}
# said NAME WORD: waits (up to 60 s) until session NAME printed WORD.
said() {
  local until=$((SECONDS + 60))
  while ((SECONDS < until)); do
    grep -q "$2" "$WORK/$1.out" && return 0
    sleep 0.1
  done
  fail "session $1 printed $2 (timed out): $(head -c 300 "$WORK/$1.out")"
  return 1
}
# SQL: 1 when a statement of cutover's (user cutover) starting with PREFIX
# waits for a metadata lock.
waits_for_lock() {
  echo "SELECT count(*) > 0 FROM information_schema.PROCESSLIST WHERE USER = 'cutover'
        AND STATE LIKE 'Waiting for table metadata lock%' AND INFO LIKE '$1%'"
}

# L holds the target's teams table: the copy, which starts after capture is
# on, waits there, so that A and B write while captured.
session L crm
say L "LOCK TABLES teams WRITE; SELECT 'locked';"
said L locked

cut "${TARGET[@]}" migrate --tenant "$t" --skip-rehearsal --json >"$WORK/migrate.out" 2>"$WORK/migrate.err" &
migrating=$!
await "capture is on for the tenant" "SELECT count(*) = 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'cutover_capture_legacy' AND TABLE_NAME = 'cutover_tenants'"
await "the tenant is captured" "SELECT count(*) = 1 FROM cutover_capture_legacy.cutover_tenants WHERE tenant = '$t'"
await "the copy waits for the target" "SELECT count(*) > 0 FROM information_schema.PROCESSLIST WHERE USER = 'cutover' AND DB = 'crm' AND STATE LIKE 'Waiting for table metadata lock%'"

# A: the lower seq, transaction left open.
session A legacy
say A "START TRANSACTION; UPDATE events SET kind = 'bounce' WHERE id = $a_row; SELECT 'updated';"
said A updated
# B: the higher ones, committed.
mysqlc legacy -e "UPDATE events SET kind = 'bounce' WHERE id = $b_row"
assert_eq "B's change is committed and captured (an update, one change), A's is not visible" 1 \
  "$(mysqlc legacy -e "SELECT count(*) FROM cutover_capture_legacy.cutover_changes WHERE tenant = '$t'")"
assert_eq "A took the lower seq" 1 \
  "$(mysqlc legacy -e "SELECT min(seq) > 1 FROM cutover_capture_legacy.cutover_changes WHERE tenant = '$t'")"

say L "UNLOCK TABLES;"
# The copy runs; the catch-up's horizon then waits for A, which commits only now.
await "the catch-up's horizon waits for A's transaction" "$(waits_for_lock 'LOCK TABLES')"
say A "COMMIT;"
wait "$migrating"
code=$?
eval "exec {fd_A}>&- {fd_L}>&-"

assert_eq "migrate exits 0 and switches the tenant" "0 switched" \
  "$code $(jq -r '.tenants[0].status' "$WORK/migrate.out" 2>/dev/null)"
[[ $code -eq 0 ]] || grep -v ' rows in ' "$WORK/migrate.err" | head -n 10
assert_eq "A's change, committed while the mark waited for it, is in the target" "bounce bounce" \
  "$(mysqlc crm -e "SELECT concat((SELECT kind FROM engagements WHERE id = $a_row), ' ', (SELECT kind FROM engagements WHERE id = $b_row))")"
MYSQL_PWD=$MY_PASSWORD run_cutover "${TARGET[@]}" verify --tenant "$t"
assert_eq "a later verify finds nothing" 0 "$CODE"
[[ $CODE -eq 0 ]] || echo "$OUT" | sed -n 1,10p

# SIGKILL inside the freeze of another tenant: the triggers refuse its
# writes only while the heartbeat is fresh (3 s here).
t2=$(mysqlc legacy -e "SELECT account_id FROM contacts WHERE account_id <> $t GROUP BY 1 ORDER BY 1 LIMIT 1")
heartbeat_project "$demo/cutover.yaml" "$demo/hb.yaml"
mywrite() { mysqlc legacy -e "UPDATE contacts SET title = '$2' WHERE account_id = $1" 2>&1 >/dev/null; }
killed_in_freeze "$demo" MariaDB mywrite "$t2" "tenant $t2 is frozen" \
  env MYSQL_PWD="$MY_PASSWORD" "$CUTOVER" --target "$MY_BASE/crm" -p "$demo/hb.yaml"
assert_eq "with the write made after the kill" "After the kill" \
  "$(mysqlc crm -e "SELECT DISTINCT title FROM contacts WHERE account_id = $t2 AND title = 'After the kill'")"

# kill_of DB: kills cutover's connections to database DB.
kill_of() {
  local id
  for id in $(mysqlc mysql -e "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'cutover' AND DB = '$1'"); do
    mysqlc mysql -e "KILL $id"
  done
}
# shut_down: stops the server (its session gone, nothing can be sent to it).
shut_down() {
  mysqlc mysql -e "SHUTDOWN"
  stopped=1
}
# interrupt NAME TENANT CMD...: migrates TENANT (its errors in $WORK/NAME.err)
# while a root session NAME holds the target's teams table, so that the copy
# waits for it; then runs CMD, lets the table go (unless CMD shut the server
# down) and waits: code gets migrate's exit code.
interrupt() {
  local name=$1 tenant=$2 migrating
  shift 2
  session "$name" crm
  say "$name" "LOCK TABLES teams WRITE; SELECT 'locked';"
  said "$name" locked
  cut --target "$MY_BASE/crm" -p "$demo/hb.yaml" migrate --tenant "$tenant" --skip-rehearsal --json \
    >"$WORK/$name-migrate.out" 2>"$WORK/$name.err" &
  migrating=$!
  await "the copy waits for the target" "SELECT count(*) > 0 FROM information_schema.PROCESSLIST WHERE USER = 'cutover' AND DB = 'crm' AND STATE LIKE 'Waiting for table metadata lock%'"
  "$@"
  [[ -n ${stopped:-} ]] || say "$name" "UNLOCK TABLES;"
  wait "$migrating"
  code=$?
  eval "exec {fd_$name}>&-"
}

# The source's connections go away in the middle of the copy (killed while
# the copy waits for the target): the tenant is rolled back, the error names
# the side, and a rerun completes.
t3=$(mysqlc legacy -e "SELECT account_id FROM campaigns WHERE account_id NOT IN ($t, $t2) GROUP BY 1 ORDER BY 1 LIMIT 1")
interrupt S "$t3" kill_of legacy
MYSQL_PWD=$MY_PASSWORD run_cutover --target "$MY_BASE/crm" -p "$demo/hb.yaml" status --json
assert_eq "a lost source connection fails the tenant with the source's exit code, rolled back" \
  "4 rolled_back" "$code $(jq -r ".tenants[] | select(.tenant == \"$t3\") | .state" <<<"$OUT")"
assert_contains "the error names the side and the lost connection" "source: " "$(cat "$WORK/S.err")"
assert_contains "and says the connection is lost" "the connection is lost" "$(cat "$WORK/S.err")"
assert_eq "nothing of the tenant in the target, its capture stopped" "0 0" \
  "$(mysqlc crm -e "SELECT count(*) FROM contacts WHERE account_id = $t3") $(mysqlc legacy -e "SELECT count(*) FROM cutover_capture_legacy.cutover_tenants WHERE tenant = '$t3'")"
MYSQL_PWD=$MY_PASSWORD run_cutover --target "$MY_BASE/crm" -p "$demo/hb.yaml" migrate --tenant "$t3" --skip-rehearsal --json
assert_eq "a rerun switches it" "0 switched" "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
MYSQL_PWD=$MY_PASSWORD run_cutover --target "$MY_BASE/crm" -p "$demo/hb.yaml" verify --tenant "$t3"
assert_eq "and verify finds nothing" 0 "$CODE"

# The target's connection goes away in the middle of the copy: the tenant is
# rolled back all the same (the store opens the connection again for the
# purge, where it used to leave the tenant rollback_incomplete), the error
# names the side, and a rerun completes.
t4=$(mysqlc legacy -e "SELECT account_id FROM campaigns WHERE account_id NOT IN ($t, $t2, $t3) GROUP BY 1 ORDER BY 1 LIMIT 1")
interrupt T "$t4" kill_of crm
MYSQL_PWD=$MY_PASSWORD run_cutover --target "$MY_BASE/crm" -p "$demo/hb.yaml" status --json
assert_eq "a lost target connection fails the tenant with the target's exit code, rolled back" \
  "5 rolled_back" "$code $(jq -r ".tenants[] | select(.tenant == \"$t4\") | .state" <<<"$OUT")"
assert_contains "the error names the target and the lost connection" "target: " "$(cat "$WORK/T.err")"
assert_contains "and says the connection is lost" "the connection is lost" "$(cat "$WORK/T.err")"
assert_eq "nothing of the tenant in the target, its capture stopped" "0 0 0" \
  "$(mysqlc crm -e "SELECT count(*) FROM teams WHERE account_id = $t4") $(mysqlc crm -e "SELECT count(*) FROM contacts WHERE account_id = $t4") $(mysqlc legacy -e "SELECT count(*) FROM cutover_capture_legacy.cutover_tenants WHERE tenant = '$t4'")"
MYSQL_PWD=$MY_PASSWORD run_cutover --target "$MY_BASE/crm" -p "$demo/hb.yaml" migrate --tenant "$t4" --skip-rehearsal --json
assert_eq "a rerun switches it" "0 switched" "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"

# The server itself stops in the middle of the copy (SHUTDOWN), source and
# target with it: the tenant fails with the side that noticed first, its
# rollback cannot reach the server either (rollback_incomplete, what remains
# said); once the server is back (restarted on the same data), the next
# migrate finishes the rollback and switches the tenant.
t5=$(mysqlc legacy -e "SELECT account_id FROM campaigns WHERE account_id NOT IN ($t, $t2, $t3, $t4) GROUP BY 1 ORDER BY 1 LIMIT 1")
mapfile -d '' server_cmd <"/proc/$(cat "$MY_DIR/mysqld.pid")/cmdline"
interrupt U "$t5" shut_down
MYSQL_PWD=$MY_PASSWORD run_cutover --target "$MY_BASE/crm" -p "$demo/hb.yaml" status --json
assert_eq "the server stopped: the tenant fails with the target's exit code, its rollback incomplete" \
  "5 rollback_incomplete" "$code $(jq -r ".tenants[] | select(.tenant == \"$t5\") | .state" <<<"$OUT")"
assert_contains "the error says the connection is lost" "the connection is lost" "$(cat "$WORK/U.err")"
assert_contains "and what remains of the rollback" "rollback incomplete: what remains" "$(cat "$WORK/U.err")"
"${server_cmd[@]}" >/dev/null 2>&1 &
await "the server is back" "SELECT 1"
MYSQL_PWD=$MY_PASSWORD run_cutover --target "$MY_BASE/crm" -p "$demo/hb.yaml" migrate --tenant "$t5" --skip-rehearsal --json
assert_eq "once it is back, the next migrate finishes the rollback and switches the tenant" "0 switched" \
  "$CODE $(jq -r '.tenants[0].status' <<<"$OUT")"
MYSQL_PWD=$MY_PASSWORD run_cutover --target "$MY_BASE/crm" -p "$demo/hb.yaml" verify --tenant "$t5"
assert_eq "and verify finds nothing" 0 "$CODE"
finish
