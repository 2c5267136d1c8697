# test_mysql_coexist.sh: coexistence (docs/coexistence.md) with a MariaDB
# source (mysql.sh) and a SQLite target: the demo's legacy CRM in MariaDB,
# one tenant migrated with --coexist is left syncing; `sync --follow` keeps
# it in sync while `cutover demo traffic` writes to it and prunes the applied
# changes from the change log (cutover_capture_<db>.cutover_changes); the
# switch under traffic moves its writes; every event the old system accepted
# is in the target once, and verify finds nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mysql.sh"

my_test_server
cut() { MYSQL_PWD=$MY_PASSWORD "$CUTOVER" "$@"; } # cutover.yaml holds no password

mysqlc mysql -e "CREATE DATABASE legacy CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
cut demo init "$WORK/my" --scale 0.001 --seed 13 --source "$MY_BASE/legacy" >"$WORK/init.out" 2>&1
assert_eq "the demo's legacy CRM is in MariaDB" 0 "$?"
cd "$WORK/my" || exit 1
T=$(mysqlc legacy -e "SELECT c.account_id FROM campaigns c JOIN events e ON e.campaign_id = c.id
                      GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
changes() { mysqlc cutover_capture_legacy -e "SELECT count(*) FROM cutover_changes WHERE tenant = '$T'"; }

cut migrate --tenant "$T" --skip-rehearsal --coexist --json >"$WORK/migrate.json" 2>"$WORK/migrate.err"
assert_eq "migrate --coexist leaves the MariaDB tenant syncing, verified" "0 syncing true" \
  "$? $(jq -r '.tenants[0] | "\(.status) \(.verified)"' "$WORK/migrate.json")"

# sync --follow under traffic: the target keeps up and the log is pruned.
cut --source "$MY_BASE/legacy" demo traffic . --tenant "$T" --rate 40 --seconds 3 --json \
  >"$WORK/traffic1.json" 2>"$WORK/traffic1.err" &
traffic=$!
cut sync --tenant "$T" --follow --interval 0.2 --json >"$WORK/sync.jsonl" 2>"$WORK/sync.err" &
sync=$!
wait "$traffic"
for _ in $(seq 1 50); do
  [[ $(jq -s 'last | .backlog == 0 and .applied == 0' "$WORK/sync.jsonl" 2>/dev/null) == true ]] && break
  sleep 0.2
done
kill -TERM "$sync"
wait "$sync"
assert_eq "sync --follow stops on SIGTERM (143)" 143 "$?"
assert_eq "the traffic wrote to the old system" true "$(jq '.inserted > 0 and .refused == 0' "$WORK/traffic1.json")"
assert_eq "sync applied its writes and left no backlog" "true 0" \
  "$(jq -s 'map(.applied) | add > 0' "$WORK/sync.jsonl") $(jq -s 'last.backlog' "$WORK/sync.jsonl")"
pruned=$(jq -s 'map(.pruned) | add' "$WORK/sync.jsonl")
assert_eq "and pruned the applied changes from MariaDB's change log ($pruned; at most its newest row left)" \
  "true true" "$( ((pruned > 0)) && echo true || echo false) $( (($(changes) <= 1)) && echo true || echo false)"
cut verify --tenant "$T" -q >"$WORK/verify.out"
assert_eq "the target equals the MariaDB source while it syncs (verify)" 0 "$?"

# The switch while the application writes.
cut --source "$MY_BASE/legacy" demo traffic . --tenant "$T" --rate 40 --seconds 6 --json \
  >"$WORK/traffic2.json" 2>"$WORK/traffic2.err" &
traffic=$!
sleep 1
cut switch --tenant "$T" --json >"$WORK/switch.json" 2>"$WORK/switch.err"
assert_eq "the switch under traffic succeeds" "0 true" "$? $(jq -r '.tenants[0].switched' "$WORK/switch.json")"
wait "$traffic"
assert_eq "the old system took writes before the switch and refused them after" true \
  "$(jq '.inserted > 0 and .refused > 0' "$WORK/traffic2.json")"
assert_eq "writes and reads go to the new system" "new new" \
  "$(cut route "$T" --json | jq -r '"\(.writes) \(.reads)"')"
cut verify --tenant "$T" -q >"$WORK/verify.out"
assert_eq "every write the old system accepted is in the target (verify)" 0 "$?"
assert_eq "none twice: every accepted event is loaded once or rejected once" \
  "$(mysqlc legacy -e "SELECT count(*) FROM events e JOIN campaigns c ON c.id = e.campaign_id WHERE c.account_id = $T")" \
  "$(( $(q crm.db "SELECT count(*) FROM engagements WHERE account_id = $T") + $(q .cutover/state.db "SELECT count(*) FROM rejects WHERE tenant = '$T' AND entity = 'engagements'") ))"
finish
