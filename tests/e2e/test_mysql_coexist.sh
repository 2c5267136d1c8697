# test_mysql_coexist.sh: coexistence (docs/coexistence.md) with a MariaDB
# source (mysql.sh) and a SQLite target: the demo's legacy CRM in MariaDB,
# one tenant migrated with --coexist is left syncing; `sync --follow` keeps
# it in sync while `cutover demo traffic` writes to it and prunes the applied
# changes from the change log (cutover_capture_<db>.cutover_changes); the
# switch under traffic moves its writes; every event the old system accepted
# is in the target once, and verify finds nothing. After the switch, reverse
# sync takes the new system's update, delete and insert back into MariaDB.
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

# An update in MariaDB that keeps its row's key and tenant is one change,
# applied once.
C0=$(mysqlc legacy -e "SELECT min(id) FROM contacts WHERE account_id = $T")
mysqlc legacy -e "UPDATE contacts SET title = 'Edited in the old CRM' WHERE id = $C0"
cut sync --tenant "$T" --once --json >"$WORK/sync1.json" 2>"$WORK/sync1.err"
assert_eq "an update in MariaDB is one change, applied once" "0 1 0 Edited in the old CRM" \
  "$? $(jq -r '"\(.applied) \(.backlog)"' "$WORK/sync1.json") $(q crm.db "SELECT title FROM contacts WHERE id = $C0")"

# sync --follow under traffic: the target keeps up and the log is pruned.
cut --source "$MY_BASE/legacy" demo traffic . --tenant "$T" --rate 40 --seconds 3 --json \
  >"$WORK/traffic1.json" 2>"$WORK/traffic1.err" &
traffic=$!
# (not through cut: $! must be cutover itself, not a subshell that SIGTERM
# would end while cutover went on syncing)
MYSQL_PWD=$MY_PASSWORD "$CUTOVER" sync --tenant "$T" --follow --interval 0.2 --json \
  >"$WORK/sync.jsonl" 2>"$WORK/sync.err" &
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

# Reverse sync (docs/coexistence.md): the new system's update, delete and
# insert reach the MariaDB source, through its freeze.
C=$(q crm.db "SELECT id FROM contacts WHERE account_id = $T ORDER BY id LIMIT 1")
E=$(q crm.db "SELECT id FROM engagements WHERE account_id = $T ORDER BY id LIMIT 1")
N=$(( $(mysqlc legacy -e "SELECT max(id) FROM events") + 1000 ))
q crm.db "UPDATE contacts SET first_name = 'Reversed' WHERE id = $C;
          DELETE FROM engagements WHERE id = $E;
          INSERT INTO engagements SELECT $N, account_id, contact_id, campaign_id, 'click', '2026-12-06 12:00:00'
          FROM engagements WHERE account_id = $T ORDER BY id LIMIT 1"
cut sync --tenant "$T" --json >"$WORK/reverse.json" 2>"$WORK/reverse.err"
code=$?
assert_eq "reverse sync into MariaDB exits 0" 0 "$code"
[[ $code -eq 0 ]] || cat "$WORK/reverse.err" "$WORK/reverse.json"
assert_eq "a reverse round applied the 3 changes (an update, a delete, an insert) once, none left" "reverse true 0" \
  "$(jq -r '"\(.direction) \(.applied == 3) \(.backlog)"' "$WORK/reverse.json")"
assert_eq "the update reached the MariaDB source" Reversed \
  "$(mysqlc legacy -e "SELECT first_name FROM contacts WHERE id = $C")"
assert_eq "the delete reached it" 0 "$(mysqlc legacy -e "SELECT count(*) FROM events WHERE id = $E")"
assert_eq "the insert reached it" "click 2026-12-06 12:00:00" \
  "$(mysqlc legacy -e "SELECT CONCAT(kind, ' ', occurred_at) FROM events WHERE id = $N")"
assert_eq "the application's own writes there stay refused (the freeze holds)" 1 \
  "$(mysqlc legacy -e "UPDATE contacts SET first_name = 'App' WHERE id = $C" 2>&1 | grep -c 'is frozen')"
finish
