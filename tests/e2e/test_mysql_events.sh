# test_mysql_events.sh: an event source on MariaDB. The demo's new tracking
# integration is copied into a MariaDB table (DATETIME times, a JSON
# properties column) and read as a third source: volumes per event and month,
# scores and the model comparison through it equal those of the same rows
# read from SQLite. The server's password (from MYSQL_PWD) shows in no
# output, log or journal.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mysql.sh"

my_test_server
demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.005 -q >/dev/null 2>&1 || { fail "demo init"; finish; exit 1; }
export CUTOVER_NOW=2026-11-01T00:00:00Z

mysqlc mysql -e "CREATE DATABASE tracking; SET GLOBAL local_infile = 1" &&
  mysqlc tracking -e "CREATE TABLE tracking_new (person_id BIGINT NOT NULL, account_id BIGINT NOT NULL,
                      event VARCHAR(64) NOT NULL, occurred_at DATETIME NOT NULL, properties JSON)"
sqlite3 -batch -csv "$demo/behaviour.db" \
  "SELECT person_id, account_id, event, replace(replace(occurred_at, 'T', ' '), 'Z', ''), properties
   FROM tracking_new" >"$WORK/new.csv"
mysqlc tracking --local-infile=1 -e "LOAD DATA LOCAL INFILE '$WORK/new.csv' INTO TABLE tracking_new
  FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY ''"
assert_eq "rows copied into MariaDB" "$(q "$demo/behaviour.db" "SELECT count(*) FROM tracking_new")" \
  "$(mysqlc tracking -e "SELECT count(*) FROM tracking_new")"

# A third source: the same rows, on MariaDB; and one whose table is missing.
# The password comes from MYSQL_PWD: the project file names none.
export MYSQL_PWD=$MY_PASSWORD
uri="mysql://$MY_USER@127.0.0.1:$MY_PORT/tracking"
sed -i "s|^  sources:$|  sources:\n    mynew: { uri: \"$uri\", table: tracking_new, person: person_id, account: account_id }\n    mybad: { uri: \"$uri\", table: nosuch }|" \
  "$demo/cutover.yaml"
P=(-p "$demo/cutover.yaml")
S=$demo/scoring
run_cutover "${P[@]}" check
assert_eq "the project with a MariaDB event source checks" 0 "$CODE"
"$CUTOVER" "${P[@]}" events mapping import "$S/old-mapping.csv" --event-source old -q
for src in new mynew mybad; do
  "$CUTOVER" "${P[@]}" events mapping duplicate old --to-source $src --rename "$S/rename.csv" -q
done

run_cutover "${P[@]}" events compare --old old --new new --json
sqlite_rows=$(jq -c .rows <<<"$OUT")
run_cutover "${P[@]}" events compare --old old --new mynew --json
assert_eq "volumes through MariaDB: stop (exit 12), as through SQLite" "12 stop" "$CODE $(jq -r .verdict <<<"$OUT")"
assert_eq "volumes through MariaDB equal SQLite's, per event and month" "$sqlite_rows" "$(jq -c .rows <<<"$OUT")"
run_cutover "${P[@]}" events compare --old old --new mybad
assert_eq "a missing MariaDB table: the source's exit code (4)" 4 "$CODE"
assert_contains "the error names the event source" "event source mybad" "$(cat "$WORK/stderr")"

"$CUTOVER" "${P[@]}" model import intent "$S/intent.csv" --event-source old --percentiles -q
for src in new mynew; do
  "$CUTOVER" "${P[@]}" model duplicate intent --event-source $src -q
done
run_cutover "${P[@]}" model score intent-new --as-of 2026-10-02 --json
a=$(jq -c '[.scored, .events_read, .score_sum, .segments]' <<<"$OUT")
run_cutover "${P[@]}" model score intent-mynew --as-of 2026-10-02 --json
assert_eq "scores through MariaDB equal SQLite's" "$a" "$(jq -c '[.scored, .events_read, .score_sum, .segments]' <<<"$OUT")"
run_cutover "${P[@]}" model compare intent intent-new --as-of 2026-10-02 --labels conversions --json
a=$(jq -c 'del(.limits)' <<<"$OUT")
run_cutover "${P[@]}" model compare intent intent-mynew --as-of 2026-10-02 --labels conversions --json
assert_eq "the comparison through MariaDB equals SQLite's" "$a" "$(jq -c 'del(.limits)' <<<"$OUT")"

leaks=$(grep -rla -- "$MY_PASSWORD" "$WORK")
assert_eq "the password is in no output, log or journal" "" "$leaks"
finish
