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
events_through_server "$demo" my "mysql://$MY_USER@127.0.0.1:$MY_PORT/tracking" MariaDB

leaks=$(grep -rla -- "$MY_PASSWORD" "$WORK")
assert_eq "the password is in no output, log or journal" "" "$leaks"
finish
