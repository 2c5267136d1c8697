# test_mysql_legacy.sh: the realities of legacy MySQL schemas, on a
# throwaway MariaDB (mysql.sh) and PostgreSQL (pg.sh). pgloader's MySQL test
# files (../shared/data/pgloader-mysql/: my.sql, f1db.circuits.my.sql,
# history.sql, db789.sql, loaded unchanged) with rows of
# tests/fixtures/mysql-legacy/rows.sql, one entity per oddity
# (mysql-legacy/cutover.yaml): audited (every oddity shown with its reason,
# the columns the queries read known), planned, rehearsed, migrated into
# SQLite and into PostgreSQL, each value moved faithfully, converted by its
# documented rule (docs/mysql.md) or rejected with its reason, and verified
# with zero findings, while a real difference is still found. Then the other
# way: SQLite and PostgreSQL into MySQL's legacy types (into-*.sql):
# booleans, BIT, YEAR, ENUM, SET, TIME, BIGINT UNSIGNED, ON UPDATE
# CURRENT_TIMESTAMP kept, a time with a zone taken; a case-insensitive
# unique key (its collisions audited before the load), a 4-byte character
# into utf8mb3, a value too long (strict mode) and a fraction into an INT
# (which MySQL would round) each refused; verified with zero findings. The
# server's password, in a URI or in MYSQL_PWD, shows nowhere.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mysql.sh"
source "$(dirname "$0")/pg.sh"

my_test_server
pg_test_server
trap 'pg_stop; my_stop; rm -rf "$WORK"' EXIT
FIX=$CUTOVER_SOURCE_DIR/tests/fixtures/mysql-legacy
NOPW="mysql://$MY_USER@127.0.0.1:$MY_PORT" # the password left to MYSQL_PWD

# cv DIR ARGS...: cutover in DIR, output in OUT, exit code in CODE.
cv() {
  local dir=$1
  shift
  OUT=$(cd "$dir" && "$CUTOVER" "$@" 2>>"$WORK/stderr.log")
  CODE=$?
}
rejects() { cat "$1"/.cutover/rejects/*.jsonl 2>/dev/null | jq -r '"\(.entity) \(.key | tojson) \(.rule)"' | sort; }
findings() { jq '[.verifications[].findings[]] | length' <<<"$OUT"; }

# ---- the legacy database: pgloader's my.sql as pgloader's tests load it ------------

PGL=$SHARED/data/pgloader-mysql
mysqlc mysql -e "CREATE DATABASE legacy" && mysqlc legacy <"$PGL/my.sql" &&
  mysqlc legacy <"$PGL/f1db.circuits.my.sql" && mysqlc legacy <"$PGL/history.sql" &&
  mysqlc mysql <"$PGL/db789.sql" && mysqlc legacy <"$FIX/rows.sql"
assert_eq "pgloader's my.sql, f1db.circuits.my.sql, history.sql, db789.sql and our rows load" 0 "$?"
assert_eq "the database is latin1, as an old server made it" "latin1" \
  "$(mysqlc legacy -e "SELECT @@character_set_database")"

# ---- audit of the MySQL source ------------------------------------------------------

mkdir -p "$WORK/audit" && cp "$FIX/cutover.yaml" "$WORK/audit/"
q "$WORK/audit/target.db" ".read $FIX/target-sqlite.sql"
export MYSQL_PWD=$MY_PASSWORD
cv "$WORK/audit" audit --source "$NOPW/legacy" --json
unset MYSQL_PWD
assert_eq "audit of a MariaDB source exits 0" 0 "$CODE"
[[ $CODE -eq 0 ]] || tail -n 3 "$WORK/stderr.log"
col() { jq -c --arg t "$1" --arg c "$2" "[.columns[] | select(.table == \$t and .column == \$c)][0] | $3" <<<"$OUT"; }
assert_eq "the columns the queries read are known: races.date is mapped" true "$(col races date .mapped)"
assert_eq "races.round is read by no query" false "$(col races round .mapped)"
assert_eq "a column read only inside mojibake_fix() is mapped" true "$(col people name_latin1 .mapped)"
assert_eq "zero dates shown, with their reason" \
  '["0000-00-00","2019-00-00"] "a zero date (MySQL): a strict date column (PostgreSQL, MySQL) refuses it"' \
  "$(col races date '[.failure_examples[].value]') $(col races date '.failure_examples[0].why')"
assert_eq "UTF-8 read as latin1 shown" '"MÃ¼ller" "UTF-8 read as latin1 (mojibake): mojibake_fix() repairs it"' \
  "$(col people name_latin1 '.failure_examples[0].value') $(col people name_latin1 '.failure_examples[0].why')"
assert_eq "BIGINT UNSIGNED above 2^63-1 shown" 2 "$(col odd_numbers id .type_failures)"
assert_contains "with its reason" "a 64-bit signed column refuses it" "$(col odd_numbers id '.failure_examples[0].why')"
assert_eq "ENUM labels (\"intermédiaire\") impose no type: no failures" 0 \
  "$(jq '[.columns[] | select(.table | startswith("utilisateurs")) | .type_failures] | add' <<<"$OUT")"
assert_eq "a POINT is text (WKT), not an integer" '"text" 0' "$(col geom p .type) $(col geom p .type_failures)"

# plan and rehearse read the MariaDB source too (the rehearsal's schema
# fingerprint lists the columns the queries read).
cv "$WORK/audit" plan --source "$MY_BASE/legacy"
assert_eq "plan from the MariaDB source's audit exits 0" 0 "$CODE"
assert_contains "and plans its one tenant" "1 tenants in 1 cohorts" "$OUT"
echo "staging: sqlite:staging.db" >>"$WORK/audit/cutover.yaml"
q "$WORK/audit/staging.db" ".read $FIX/target-sqlite.sql"
cv "$WORK/audit" rehearse --all --source "$MY_BASE/legacy" --json
assert_eq "rehearse from the MariaDB source passes: 111 rows, none refused" "0 true 111 0" \
  "$CODE $(jq -r '.rehearsals[0] | "\(.pass) \(.rows) \(.rejected)"' <<<"$OUT")"

# ---- MariaDB -> SQLite --------------------------------------------------------------

mkdir -p "$WORK/tosq/.cutover" && cp "$FIX/cutover.yaml" "$WORK/tosq/"
q "$WORK/tosq/target.db" ".read $FIX/target-sqlite.sql"
cv "$WORK/tosq" migrate --all --skip-rehearsal --source "$MY_BASE/legacy" --json
assert_eq "MariaDB -> SQLite: migrate and its verification pass" 0 "$CODE"
assert_eq "nothing refused: SQLite takes every value as it is" "" "$(rejects "$WORK/tosq")"
sq() { q "$WORK/tosq/target.db" "$1"; }
assert_eq "zero dates and TIME beyond 24 h move as written" \
  "2|0000-00-00|838:59:59 3|2019-00-00|-12:30:00" \
  "$(sq "SELECT id, race_date, race_time FROM races WHERE id > 1" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "mapped by the query's rule: a zero date is NULL, its text kept beside" "|0000-00-00" \
  "$(sq "SELECT race_date, date_as_written FROM race_days WHERE id = 2")"
assert_eq "ENUM labels byte for byte" "$(mysqlc legacy -e 'SELECT hex(categorie) FROM `utilisateurs__Yvelines2013-06-28` ORDER BY anciennete')" \
  "$(sq "SELECT hex(categorie) FROM members ORDER BY anciennete")"
assert_eq "spatial values as MySQL's WKT" "$(mysqlc legacy -e 'SELECT ST_AsText(p), ST_AsText(l) FROM geom' | tr '\t' '|')" \
  "$(sq "SELECT p, l FROM shapes")"
assert_eq "BIT(1) as 0 and 1, BIT(16) as its number" "0 1 8 128" \
  "$(sq "SELECT flag FROM flags ORDER BY id; SELECT flags FROM counts ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "BIGINT UNSIGNED exact, SET, BIT(12), TIME, YEAR" "18446744073709551615|red,blue|2561|838:59:59|1999" \
  "$(sq "SELECT * FROM odd_numbers WHERE id = '18446744073709551615'")"
assert_eq "DECIMAL(18,0) key exact, DECIMAL(18,6)" "123456789012345678" \
  "$(sq "SELECT id FROM properties WHERE value > 1")"
assert_eq "TINYINT(1) and the BINARY(16) key" "0123456789ABCDEF0123456789ABCDEF|1" \
  "$(sq "SELECT hex(id), negated FROM filters WHERE type = 'host'")"
assert_eq "ON UPDATE CURRENT_TIMESTAMP columns keep their values" "2015-06-01 10:00:00|2016-01-01 00:00:01" \
  "$(sq "SELECT calc_date, update_date FROM calcs WHERE id = 1")"
assert_eq "latin1 and utf8mb3 arrive as UTF-8; mojibake moves as it is, mojibake_fix() repairs it" \
  "4A6F73C3A9|5A6FC3AB|MÃ¼ller|Müller|emoji 😀 here" \
  "$(sq "SELECT hex(p1.name_latin1), hex(p1.name_mb3), p2.name_latin1, p2.name_repaired, p3.note
         FROM people p1, people p2, people p3 WHERE p1.id = 1 AND p2.id = 2 AND p3.id = 3")"
assert_eq "a real mysqldump: all 73 circuits" 73 "$(sq "SELECT count(*) FROM circuits")"
assert_eq "non-ASCII names byte for byte (São Paulo, Nürburgring)" \
  "$(mysqlc legacy -e "SELECT circuitId, hex(name), hex(location) FROM circuits ORDER BY circuitId" | tr '\t' '|' | md5sum)" \
  "$(sq "SELECT id, hex(name), hex(location) FROM circuits ORDER BY id" | md5sum)"
assert_eq "FLOAT coordinates as MySQL writes them (Interlagos)" "-23.7036|-46.6997" \
  "$(sq "SELECT lat, lng FROM circuits WHERE id = 18")"
assert_eq "a CHAR(1) key from another database of the server" "a b c d" "$(sq "SELECT id FROM refrains ORDER BY id" | paste -sd' ')"
assert_eq "PAD SPACE: trailing spaces kept" "747261696C696E672020" "$(sq "SELECT hex(label) FROM sites WHERE id = 2")"
cv "$WORK/tosq" verify --all --source "$MY_BASE/legacy" --json
assert_eq "MariaDB -> SQLite verifies: exit 0" 0 "$CODE"
assert_eq "with zero findings" 0 "$(findings)"
sq "UPDATE odd_numbers SET id = '18446744073709551614' WHERE id = '18446744073709551615'"
cv "$WORK/tosq" verify --all --source "$MY_BASE/legacy" --json
assert_eq "a BIGINT UNSIGNED one less is found (exact, not as a double)" \
  '12 missing:["18446744073709551615"]' \
  "$CODE $(jq -r '[.verifications[].findings[] | select(.check == "content") | "\(.kind):\(.key | tojson)"] | sort | join(" ")' <<<"$OUT")"
sq "UPDATE odd_numbers SET id = '18446744073709551615' WHERE id = '18446744073709551614'; UPDATE shapes SET p = 'POINT(1 2)'"
cv "$WORK/tosq" verify --all --source "$MY_BASE/legacy" --json
assert_eq "a changed WKT is found by key" '12 changed [1] ["p"]' \
  "$CODE $(jq -r '[.verifications[].findings[] | select(.check == "content")][0] | "\(.kind) \(.key | tojson) \(.detail.columns | keys | tojson)"' <<<"$OUT")"

# ---- MariaDB -> PostgreSQL ----------------------------------------------------------

pgsql postgres -c "CREATE DATABASE legacy_t" && pgsql legacy_t -f "$FIX/target-pg.sql"
assert_eq "the PostgreSQL target schema loads" 0 "$?"
mkdir -p "$WORK/topg/.cutover" && cp "$FIX/cutover.yaml" "$WORK/topg/"
cv "$WORK/topg" migrate --all --skip-rehearsal --source "$MY_BASE/legacy" --target "$PG_BASE/legacy_t" --json
assert_eq "MariaDB -> PostgreSQL: migrate and its verification pass" 0 "$CODE"
[[ $CODE -eq 0 ]] || tail -n 5 "$WORK/stderr.log"
assert_eq "zero dates refused by a date column, and nothing else" "races [2] type races [3] type" \
  "$(rejects "$WORK/topg" | tr '\n' ' ' | sed 's/ $//')"
assert_contains "with PostgreSQL's reason" 'date/time field value out of range: \"0000-00-00\"' \
  "$(cat "$WORK"/topg/.cutover/rejects/*.jsonl)"
assert_eq "TIME beyond 24 h into an interval" "838:59:59 -838:59:59" \
  "$(pgsql legacy_t -c "SELECT string_agg(elapsed::text, ' ' ORDER BY id DESC) FROM odd_numbers WHERE id > 1")"
assert_eq "BIT(1) and TINYINT(1) into booleans" "false true|t" \
  "$(pgsql legacy_t -c "SELECT string_agg(flag::text, ' ' ORDER BY id) FROM flags")|$(pgsql legacy_t -c "SELECT negated FROM filters WHERE type = 'host'")"
assert_eq "BIGINT UNSIGNED into numeric(20,0), exact" "18446744073709551615|9223372036854775808" \
  "$(pgsql legacy_t -c "SELECT string_agg(id::text, '|' ORDER BY id DESC) FROM odd_numbers WHERE id > 1")"
assert_eq "DECIMAL(18,6) with 18 digits, exact" "123456789012.123456" \
  "$(pgsql legacy_t -c "SELECT value FROM properties WHERE id = 123456789012345678")"
assert_eq "TIMESTAMP (UTC) into timestamptz" "2015-06-01 10:00:00+00" \
  "$(pgsql legacy_t -c "SET TIME ZONE 'UTC'; SELECT calc_date FROM calcs WHERE id = 1")"
cv "$WORK/topg" verify --all --source "$MY_BASE/legacy" --target "$PG_BASE/legacy_t" --json
assert_eq "MariaDB -> PostgreSQL verifies: exit 0" 0 "$CODE"
assert_eq "with zero findings" 0 "$(findings)"
pgsql legacy_t -c "UPDATE flags SET flag = NOT flag WHERE id = 1"
cv "$WORK/topg" verify --all --source "$MY_BASE/legacy" --target "$PG_BASE/legacy_t" --json
assert_eq "a flipped BIT(1) is found by key" '12 changed [1]' \
  "$CODE $(jq -r '[.verifications[].findings[] | select(.check == "content")][0] | "\(.kind) \(.key | tojson)"' <<<"$OUT")"

# ---- SQLite and PostgreSQL -> MySQL's legacy types ------------------------------------

# into DIR SOURCE: into-source.sql's things into a fresh database "into".
into() {
  local dir=$1 source=$2
  mysqlc mysql -e "DROP DATABASE IF EXISTS \`into\`; CREATE DATABASE \`into\`" && mysqlc into <"$FIX/into-target-mysql.sql"
  mkdir -p "$dir/.cutover" && cp "$FIX/into-mysql.yaml" "$dir/cutover.yaml"
  cv "$dir" migrate --all --skip-rehearsal --source "$source" --target "$MY_BASE/into" --json
}
refusals() { cat "$1"/.cutover/rejects/*.jsonl | jq -r '"\(.key[0]) \(.rule) \(.reason)"' | sort -n; }
for from in sqlite pg; do
  dir=$WORK/into-$from
  if [[ $from == sqlite ]]; then
    mkdir -p "$dir" && q "$dir/source.db" ".read $FIX/into-source.sql"
    src=sqlite:source.db
  else
    pgsql postgres -c "CREATE DATABASE src" && pgsql src -f "$FIX/into-source.sql" >/dev/null
    src=$PG_BASE/src
  fi
  if [[ $from == sqlite ]]; then
    mysqlc mysql -e "DROP DATABASE IF EXISTS \`into\`; CREATE DATABASE \`into\`" && mysqlc into <"$FIX/into-target-mysql.sql"
    cp "$FIX/into-mysql.yaml" "$dir/cutover.yaml"
    cv "$dir" audit --target "$MY_BASE/into" --json
    assert_eq "audit before the load: cnn.com and CNN.com collide in the case-insensitive key" \
      '0 {"entity":"things","rule":"domain","key":"cnn.com","members":2,"examples":[[1],[2]]}' \
      "$CODE $(jq -c '.tenants[0].duplicates[0]' <<<"$OUT")"
    # Without the duplicates rule: the target's unique key itself, compared as
    # its collation compares (case, accents, PAD SPACE's trailing spaces).
    kd=$WORK/audit-keys
    mkdir -p "$kd/.cutover" && cp "$dir/source.db" "$kd/source.db"
    q "$kd/source.db" "CREATE TEMP TABLE x AS SELECT * FROM things WHERE id IN (3, 6);
      UPDATE x SET domain = CASE id WHEN 3 THEN 'bbc.co.uk  ' ELSE 'CAFE.FR' END, id = id + 5;
      INSERT INTO things SELECT * FROM x"
    sed '/^    # the target.s unique key/,$d' "$FIX/into-mysql.yaml" >"$kd/cutover.yaml"
    cv "$kd" audit --target "$MY_BASE/into" --json
    assert_eq "audit without a duplicates rule: the _ci unique key's collisions, by the target's collation" \
      '0 [{"entity":"things","rule":"target key domain","key":"bbc.co.uk","members":2,"examples":[[3],[8]]},{"entity":"things","rule":"target key domain","key":"café.fr","members":2,"examples":[[6],[11]]},{"entity":"things","rule":"target key domain","key":"cnn.com","members":2,"examples":[[1],[2]]}]' \
      "$CODE $(jq -c '.tenants[0].duplicates | sort_by(.key)' <<<"$OUT")"
    assert_eq "the key's rule counts its clusters" 3 \
      "$(jq '[.tenants[0].duplicate_rules[] | select(.rule == "target key domain") | .clusters] | add' <<<"$OUT")"
  fi
  into "$dir" "$src"
  assert_eq "$from -> MariaDB: migrate and its verification pass" 0 "$CODE"
  [[ $CODE -eq 0 ]] || tail -n 5 "$WORK/stderr.log"
  r=$(refusals "$dir")
  assert_contains "$from -> MariaDB: a case-insensitive unique key refuses CNN.com beside cnn.com" \
    "2 duplicate_key Duplicate entry 'CNN.com' for key 'domain' (MySQL error 1062)" "$r"
  assert_contains "$from -> MariaDB: a 4-byte character into utf8mb3 is refused" "3 type Incorrect string value" "$r"
  assert_contains "$from -> MariaDB: strict mode, a value too long is refused, not cut" \
    "4 too_big Data too long for column 'code'" "$r"
  assert_contains "$from -> MariaDB: a fraction into an INT is refused, not rounded" \
    "5 type column qty is an integer and the value has a fraction: MySQL would round it" "$r"
  assert_eq "$from -> MariaDB: only those" 4 "$(wc -l <<<"$r")"
  assert_eq "$from -> MariaDB: booleans, BIT(1), DECIMAL, YEAR, ENUM, SET, TIME, BIGINT UNSIGNED, ON UPDATE kept" \
    "1 1 0 1100.04 1999 né a,c 838:59:59 2015-06-01 10:00:00 18446744073709551615 Zoë|6 0 0 99999999.99 2155 né a,b,c -838:59:59 2038-01-19 03:14:07 9223372036854775808 trailing  " \
    "$(mysqlc into -e "SELECT CONCAT_WS(' ', id, active, flag + 0, amount, born, status, tags, took, touched_at, big, label) FROM things ORDER BY id" | paste -sd'|')"
  assert_eq "$from -> MariaDB: a time with a zone into DATETIME(3), without its zone" \
    "2024-01-05 10:00:00.250|1999-12-31 23:59:59.000" \
    "$(mysqlc into -e "SELECT at_zone FROM things ORDER BY id" | paste -sd'|')"
  assert_eq "$from -> MariaDB: the truncated row is not there" 0 "$(mysqlc into -e "SELECT count(*) FROM things WHERE id IN (4, 5)")"
  cv "$dir" verify --all --source "$src" --target "$MY_BASE/into" --json
  assert_eq "$from -> MariaDB verifies: exit 0, zero findings" "0 0" "$CODE $(findings)"
  mysqlc into -e "UPDATE things SET active = 0, touched_at = touched_at WHERE id = 1"
  cv "$dir" verify --all --source "$src" --target "$MY_BASE/into" --json
  assert_eq "$from -> MariaDB: a changed TINYINT(1) is found" '12 changed [1] ["active"]' \
    "$CODE $(jq -r '[.verifications[].findings[] | select(.check == "content")][0] | "\(.kind) \(.key | tojson) \(.detail.columns | keys | tojson)"' <<<"$OUT")"
done

# ---- the password never shows ----------------------------------------------------------

cv "$WORK/tosq" report --source "$MY_BASE/legacy" -o report.html
assert_eq "the report of the MariaDB migration is written" "0 yes" "$CODE $([[ -s $WORK/tosq/report.html ]] && echo yes)"
for d in tosq topg into-sqlite into-pg; do # the journals' tables, as text
  sqlite3 "$WORK/$d/.cutover/state.db" .dump >"$WORK/$d/journal.sql"
done

leaks=$(grep -rla -- "$MY_PASSWORD" "$WORK")
assert_eq "the password is in no output, log, report, reject file or journal table" "" "$leaks"
finish
