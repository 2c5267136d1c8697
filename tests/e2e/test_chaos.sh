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
# wants). A SQLite source here; test_pg_chaos.sh runs the same rounds
# (chaos.sh) on PostgreSQL. CHAOS_ROUNDS (4) and CHAOS_SEED (15) make the
# longer seeded variant (`make chaos`: 20 rounds); the figures go to stdout,
# and to CHAOS_REPORT.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chaos.sh"

ENGINE="SQLite source"
demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.001 --seed "$SEED" -q
sqlite3 "$demo/legacy.db" 'PRAGMA journal_mode = WAL' >/dev/null
src=$demo/legacy.db tgt=$demo/crm.db state=$demo/.cutover/state.db
proj=$demo/chaos.yaml
chaos_project "$demo/cutover.yaml" "$proj"
CUT=("$CUTOVER" -p "$proj")
TRAFFIC=()
SRC_EPOCH="((julianday('now') - 2440587.5) * 86400.0)"
src_q() { q "$src" "$1" 2>/dev/null; }
tgt_q() { q "$tgt" "$1"; }
src_write() { sqlite3 -cmd '.timeout 5000' "$src" "UPDATE contacts SET title = title WHERE account_id = $1" >/dev/null 2>&1; }

chaos_rounds
finish
