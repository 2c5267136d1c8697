# test_pg_verify_refs.sh: on a PostgreSQL target, the integrity check finds
# every reference that names no row of the tenant, read once for all of an
# entity's references (each joined to its parent's keys of the tenant): an
# entity with one reference and one with two, whose rows are found through a
# reference (no tenant column). A reference to no row is dangling_ref, to
# another tenant's row foreign_tenant (with that tenant); a NULL reference
# is none; the target declares no foreign key, so nothing but verify checks.
# The same read counts the rows that break a NOT NULL, a length or a CHECK
# (no pass of their own), even where a CHECK names a column "v"; a CHECK
# broken is then found by key.
# The rows of no tenant are looked for once per command in each table with a
# tenant column: by a skip scan where an index leads with that column
# (members), by SELECT DISTINCT where none does (teams); a member of account
# 999 is found either way.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
q "$WORK/legacy.db" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);
  INSERT INTO accounts VALUES (1, 'one'), (2, 'two');
  CREATE TABLE teams (id INTEGER PRIMARY KEY, account_id INTEGER, name TEXT);
  INSERT INTO teams VALUES (10, 1, 'a'), (11, 1, 'b'), (20, 2, 'c');
  CREATE TABLE members (id INTEGER PRIMARY KEY, account_id INTEGER, team_id INTEGER, name TEXT);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
  INSERT INTO members SELECT i, 1 + i % 2, CASE i % 2 WHEN 0 THEN 10 + i % 4 / 2 ELSE 20 END, 'm' || i FROM n;
  UPDATE members SET team_id = NULL WHERE id = 7;
  CREATE TABLE links (member_id INTEGER, team_id INTEGER, PRIMARY KEY (member_id, team_id));
  INSERT INTO links SELECT id, team_id FROM members WHERE team_id IS NOT NULL;"
cat > "$WORK/cutover.yaml" <<'YAML'
source: sqlite:legacy.db
target: sqlite:unused.db
tenants: SELECT id, name FROM accounts ORDER BY id
entities:
  - name: teams
    key: id
    tenant_column: account_id
    query: SELECT id, account_id, name FROM teams WHERE account_id = :tenant
  - name: members
    key: id
    tenant_column: account_id
    refs: { team_id: teams }
    query: SELECT id, account_id, team_id, name FROM members WHERE account_id = :tenant
  - name: links
    key: [member_id, team_id]
    refs: { member_id: members, team_id: teams }
    query: |
      SELECT l.member_id, l.team_id FROM links l JOIN members m ON m.id = l.member_id
      WHERE m.account_id = :tenant
YAML
pgsql postgres -c "CREATE DATABASE refs" &&
  pgsql refs -c "CREATE TABLE teams (id bigint PRIMARY KEY, account_id bigint NOT NULL, name text);
    CREATE TABLE members (id bigint PRIMARY KEY, account_id bigint NOT NULL, team_id bigint, name text,
      v bigint CONSTRAINT member_v CHECK (v IS NULL OR v > 0));
    CREATE INDEX members_account ON members (account_id, name);
    CREATE TABLE links (member_id bigint NOT NULL, team_id bigint NOT NULL, PRIMARY KEY (member_id, team_id))"
assert_eq "the PostgreSQL target exists" 0 "$?"
cv() { run_cutover -p "$WORK/cutover.yaml" --target "$PG_BASE/refs" "$@"; }
refs() { # the integrity findings of the last verification, one a line
  jq -r '[.verifications[] | .tenant as $t | .findings[] | select(.check == "integrity")
         | "\($t) \(.entity) \(.kind) \(.key | tojson) \(.detail | del(.name) | tojson)"] | sort | join("; ")' <<<"$OUT"
}

cv migrate --all --skip-rehearsal --json
assert_eq "migrate and its verification pass" 0 "$CODE"
cv verify --all --json -v
assert_eq "clean: exit 0" 0 "$CODE"
assert_eq "clean: no findings" "" "$(refs)"
assert_eq "each entity's references read in one statement joined to their parents' keys" 4 \
  "$(grep -c 'target sql: SELECT count(CASE WHEN "members"."team_id" IS NOT NULL AND cutover_p0.cutover_v IS NULL THEN 1 END), count(CASE WHEN "account_id" IS NULL THEN 1 END), count(CASE WHEN NOT (\|target sql: SELECT count(CASE WHEN "links"."member_id" IS NOT NULL AND cutover_p0.cutover_v IS NULL THEN 1 END), count(CASE WHEN "links"."team_id" IS NOT NULL AND cutover_p1.cutover_v IS NULL THEN 1 END) FROM' <<<"$ERR")"
assert_eq "members' NOT NULL and CHECKs counted in it, not in a pass of their own" "0 2" \
  "$(grep -c 'target sql: SELECT count(CASE WHEN "account_id" IS NULL THEN 1 END), count(CASE WHEN NOT (.*) FROM (SELECT \* FROM "members"' <<<"$ERR") $(grep -c 'target sql: SELECT count(CASE WHEN "account_id" IS NULL THEN 1 END), 0 FROM (SELECT \* FROM "teams"' <<<"$ERR")"
assert_eq "and no probe a reference" 0 "$(grep -c 'target sql: SELECT count(\*) FROM (SELECT DISTINCT' <<<"$ERR")"
assert_eq "tenants of members (an index leads with account_id): a skip scan, once" 1 \
  "$(grep -c 'target sql: WITH RECURSIVE cutover_skip(v) AS (SELECT (SELECT "account_id" FROM "members" WHERE "account_id" IS NOT NULL ORDER BY "account_id" LIMIT 1)' <<<"$ERR")"
assert_eq "tenants of teams (no index): SELECT DISTINCT, once" 1 \
  "$(grep -c 'target sql: SELECT DISTINCT "account_id" FROM "teams"' <<<"$ERR")"

# Planted: a member of tenant 1 in no team there is (dangling) and one in
# tenant 2's team (foreign); links of tenant 2 (by their member) to a team
# of no one and to tenant 1's team; a member's reference made NULL is none.
pgsql refs -c "UPDATE members SET team_id = 99 WHERE id = 2;
  UPDATE members SET team_id = 20 WHERE id = 4;
  UPDATE members SET team_id = NULL WHERE id = 6;
  INSERT INTO links VALUES (5, 77), (3, 10);"
cv verify --all --json
assert_eq "planted references: exit 12" 12 "$CODE"
assert_eq "each found by key, dangling or another tenant's" \
  '1 members dangling_ref [2] {"team_id":99}; 1 members foreign_tenant [4] {"team_id":20,"parent_tenant":2}; 2 links dangling_ref [5,77] {"team_id":77}; 2 links foreign_tenant [3,10] {"team_id":10,"parent_tenant":1}' \
  "$(refs)"

# A CHECK broken (added NOT VALID over the row that breaks it): found in
# the references' read, then named by key.
pgsql refs -c "ALTER TABLE members DROP CONSTRAINT member_v; UPDATE members SET v = -5 WHERE id = 8;
  ALTER TABLE members ADD CONSTRAINT member_v CHECK (v IS NULL OR v > 0) NOT VALID;
  UPDATE members SET team_id = 11 WHERE id IN (2, 6); UPDATE members SET team_id = 10 WHERE id = 4;
  DELETE FROM links WHERE (member_id, team_id) IN ((5, 77), (3, 10))"
cv verify --all --json
assert_eq "a CHECK broken: exit 12" 12 "$CODE"
assert_eq "named by key, with its columns" \
  '1 members check [8] {"table":"members","constraint":"member_v","check":"((v IS NULL) OR (v > 0))","columns":{"v":-5}}' \
  "$(refs)"
pgsql refs -c "UPDATE members SET v = NULL WHERE id = 8"

# A member of no tenant (account 999), found through the skip scan.
pgsql refs -c "INSERT INTO members VALUES (9999, 999, NULL, 'nobody')"
cv verify --all --json
assert_eq "a row of no tenant: exit 12" 12 "$CODE"
assert_contains "named once, with its tenant value" '1 members foreign_tenant [9999] {"account_id":999}' \
  "$(refs)"
assert_eq "once in the run" 1 "$(refs | grep -o '\[9999\]' | wc -l)"
finish
