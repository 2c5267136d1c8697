# test_review.sh: doubtful pairs go to a person and come back as decisions.
# People of one tenant: two share an e-mail (merged on `on`), two are nearly
# the same person (similar, merged without asking), two look alike (sent to
# review), two share an e-mail but a person keeps them apart. Decisions are
# applied from the exported CSV and honoured by migrate and verify; the
# children of merged people follow their survivor. Where the target gives
# the people their keys (target_key), the export shows both keys and a
# decision may name the rows by the keys the target gave them.
source "$(dirname "$0")/lib.sh"

src=$WORK/legacy.db tgt=$WORK/new.db
sqlite3 "$src" <<'SQL'
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE people (id INTEGER PRIMARY KEY, team_id INTEGER, first_name TEXT, last_name TEXT,
                     born TEXT, email TEXT, city TEXT);
CREATE TABLE visits (id INTEGER PRIMARY KEY, person_id INTEGER, page TEXT);
INSERT INTO teams VALUES (1, 'north'), (2, 'south');
INSERT INTO people VALUES
 (1, 1, 'Ada',     'Lovelace',  '1815-12-10', 'ada@example.org', 'London'),
 (2, 1, 'Ada',     'Lovelace',  '1815-12-10', 'ADA@example.org ', 'London'),
 (3, 1, 'Charles', 'Babbage',   '1791-12-26', 'cb@example.org',  'London'),
 (4, 1, 'Charles', 'Babbage',   '1791-12-26', 'charles@mail.example', 'London'),
 (5, 1, 'Grace',   'Hopper',    '1906-12-09', 'grace@navy.example', 'New York'),
 (6, 1, 'Gracie',  'Hoppers',   '1906-09-12', 'gh@example.org',  'Arlington'),
 (7, 1, 'Alan',    'Turing',    '1912-06-23', 'shared@example.org', 'Wilmslow'),
 (8, 1, 'Joan',    'Clarke',    '1917-06-24', 'shared@example.org', 'Headington'),
 (9, 2, 'Edsger',  'Dijkstra',  '1930-05-11', 'ewd@example.org', 'Austin');
INSERT INTO visits VALUES (1, 1, '/a'), (2, 2, '/b'), (3, 4, '/c'), (4, 6, '/d'), (5, 8, '/e'),
                          (6, 9, '/f');
SQL
sqlite3 "$tgt" <<'SQL'
CREATE TABLE people (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL, first_name TEXT,
                     last_name TEXT, born TEXT, email TEXT, city TEXT);
CREATE TABLE visits (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people (id),
                     page TEXT);
SQL
cat > "$WORK/cutover.yaml" <<'YAML'
source: sqlite:legacy.db
target: sqlite:new.db
tenants: SELECT id, name FROM teams ORDER BY id
entities:
  - name: people
    key: [id]
    tenant_column: team_id
    query: SELECT id, team_id, first_name, last_name, born, email, city FROM people WHERE team_id = :tenant
    merge:
      on: [lower(trim(email))]
      similar:
        blocks: ["lower(substr(last_name, 1, 3))"]
        compare:
          - { expr: lower(first_name), by: jaro_winkler, weight: 2, name: first name }
          - { expr: lower(last_name), by: jaro_winkler, weight: 2, name: last name }
          - { expr: born, by: date, weight: 2, scale: 365 }
          - { expr: lower(city), by: jaro_winkler, floor: none }
        review_at: 0.4
        merge_at: 0.9
  - name: visits
    key: [id]
    query: SELECT v.id, v.person_id, v.page FROM visits v JOIN people p ON p.id = v.person_id WHERE p.team_id = :tenant
    refs: { person_id: people }
YAML
p=(-p "$WORK/cutover.yaml")

run_cutover "${p[@]}" check
assert_eq "check passes" 0 "$CODE"

# Export: only the look-alike pair (5, 6) is doubtful.
run_cutover "${p[@]}" review export --all -o "$WORK/pairs.csv"
assert_eq "export succeeds" 0 "$CODE"
assert_contains "export says how many pairs" "1 doubtful pairs" "$ERR"
assert_eq "header, then one pair" 2 "$(wc -l <"$WORK/pairs.csv")"
header=$(head -n 1 "$WORK/pairs.csv")
assert_contains "header names the columns to fill" "tenant,entity,key_a,key_b,score,agree,decision" "$header"
assert_contains "both rows side by side" "first_name (a),first_name (b)" "$header"
pair=$(sed -n 2p "$WORK/pairs.csv")
assert_contains "the pair is Grace and Gracie" '1,people,[5],[6],' "$pair"
assert_contains "with both names" "Grace,Gracie" "$pair"
score=$(cut -d, -f5 <<<"$pair")
assert_eq "its score lies between review_at and merge_at" "true" \
  "$(awk -v s="$score" 'BEGIN { print (s >= 0.4 && s < 0.9) ? "true" : "false" }')"
run_cutover "${p[@]}" review export --tenant 2 --json -o "$WORK/none.csv"
assert_eq "a tenant without doubtful pairs exports none" 0 "$(jq .pairs <<<"$OUT")"

# A bad decisions file is refused whole, named by file and line.
cp "$WORK/pairs.csv" "$WORK/bad.csv"
echo '1,people,7,8,,,perhaps' >>"$WORK/bad.csv"
sed -i '2s/,people,\[5\],\[6\],\([^,]*\),\([^,]*\),,/,people,[5],[6],\1,\2,merge,/' "$WORK/bad.csv"
run_cutover "${p[@]}" review apply "$WORK/bad.csv"
assert_eq "an unknown decision is a usage error" 2 "$CODE"
assert_contains "named by file and line" "bad.csv:3" "$ERR"
assert_eq "nothing was written" 0 "$(q "$WORK/.cutover/state.db" 'SELECT count(*) FROM merge_decisions')"

# The person merges 5 and 6, and keeps 7 and 8 apart although they share an e-mail.
sed '2s/,people,\[5\],\[6\],\([^,]*\),\([^,]*\),,/,people,[5],[6],\1,\2,merge,/' "$WORK/pairs.csv" >"$WORK/decided.csv"
echo '1,people,8,7,,,keep apart' >>"$WORK/decided.csv"
run_cutover "${p[@]}" review apply "$WORK/decided.csv" --json
assert_eq "apply succeeds" 0 "$CODE"
assert_eq "one merge, one apart" '1 1 0' "$(jq -r '"\(.merge) \(.apart) \(.undecided)"' <<<"$OUT")"
run_cutover "${p[@]}" review export --all -o "$WORK/after.csv"
assert_eq "a decided pair is not exported again (an empty file)" 0 "$(wc -l <"$WORK/after.csv")"

run_cutover "${p[@]}" migrate --all --skip-rehearsal --json
assert_eq "migrate succeeds (and verifies)" 0 "$CODE"
assert_eq "people merged: 2 into 1, 4 into 3, 6 into 5" 3 \
  "$(jq '.tenants[] | select(.tenant == "1") | .entities.people.merged' <<<"$OUT")"
assert_eq "the target holds 1, 3, 5, 7, 8 and 9" "1 3 5 7 8 9" \
  "$(q "$tgt" 'SELECT group_concat(id, " ") FROM (SELECT id FROM people ORDER BY id)')"
assert_eq "visits follow their survivor" "1:1 2:1 3:3 4:5 5:8 6:9" \
  "$(q "$tgt" "SELECT group_concat(id || ':' || person_id, ' ') FROM (SELECT * FROM visits ORDER BY id)")"

run_cutover "${p[@]}" trace people 4 --json
assert_eq "trace: 4 merged into 3 as similar" 'merged [3] similar' \
  "$(jq -r '.steps[0] | "\(.kind) \(.target_key) \(.how)"' <<<"$OUT")"
assert_eq "with its score" "true" "$(jq '.steps[0].score >= 0.9' <<<"$OUT")"
run_cutover "${p[@]}" trace people 6 --json
assert_eq "trace: 6 merged into 5 as decided" 'merged [5] decided' \
  "$(jq -r '.steps[0] | "\(.kind) \(.target_key) \(.how)"' <<<"$OUT")"
run_cutover "${p[@]}" trace people 8 --json
assert_eq "trace: 8 kept apart, loaded as itself" 'loaded [8]' \
  "$(jq -r '.steps[0] | "\(.kind) \(.target_key)"' <<<"$OUT")"
run_cutover "${p[@]}" verify --all
assert_eq "verify passes with the decisions" 0 "$CODE"

# The same people where the target gives the keys (AUTOINCREMENT from 1000).
K=$WORK/keyed
mkdir -p "$K"
cp "$src" "$K/legacy.db"
sqlite3 "$K/new.db" <<'SQL'
CREATE TABLE people (id INTEGER PRIMARY KEY AUTOINCREMENT, team_id INTEGER NOT NULL,
                     first_name TEXT, last_name TEXT, born TEXT, email TEXT, city TEXT);
CREATE TABLE visits (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people (id),
                     page TEXT);
INSERT INTO people (id, team_id, first_name) VALUES (1000, 9, 'made by the new app');
SQL
sed 's/^    key: \[id\]$/&/; /^  - name: people$/a\    target_key: id' "$WORK/cutover.yaml" >"$K/cutover.yaml"
k=(-p "$K/cutover.yaml")
run_cutover "${k[@]}" review export --all -o "$K/before.csv"
assert_eq "keyed: export before migrating" 0 "$CODE"
assert_contains "keyed: the header has both keys" \
  "tenant,entity,key_a,key_b,target_key_a,target_key_b,score,agree,decision" "$(head -n 1 "$K/before.csv")"
assert_contains "keyed: no target keys before migrating" '1,people,[5],[6],,,' "$(sed -n 2p "$K/before.csv")"
run_cutover "${k[@]}" migrate --all --skip-rehearsal -q
assert_eq "keyed: migrate" 0 "$CODE"
# Where 5 and 6 went, as trace tells (the id map keeps consecutive keys as runs).
t5=$("$CUTOVER" "${k[@]}" trace people 5 --json | jq -r '.steps[] | select(.kind == "loaded") | .target_key')
t6=$("$CUTOVER" "${k[@]}" trace people 6 --json | jq -r '.steps[] | select(.kind == "loaded") | .target_key')
assert_eq "keyed: 5 and 6 got keys above 1000" "true" \
  "$([[ $t5 == '['10* && $t6 == '['10* && $t5 != "$t6" ]] && echo true || echo "$t5 $t6")"
run_cutover "${k[@]}" review export --all -o "$K/pairs.csv"
assert_contains "keyed: the export shows the target keys" "1,people,[5],[6],$t5,$t6," "$(sed -n 2p "$K/pairs.csv")"
# A person names the pair by the keys the new system shows.
{ head -n 1 "$K/pairs.csv"; echo "1,people,,,${t5//[\[\]]/},${t6//[\[\]]/},,,merge"; } >"$K/decided.csv"
run_cutover "${k[@]}" review apply "$K/decided.csv" --json
assert_eq "keyed: apply by target keys" 0 "$CODE"
assert_eq "keyed: recorded by source keys" "[5]|[6]|merge" \
  "$(q "$K/.cutover/state.db" "SELECT key_a || '|' || key_b || '|' || decision FROM merge_decisions")"
echo "1,people,,,999999,${t6//[\[\]]/},,,merge" >>"$K/decided.csv"
run_cutover "${k[@]}" review apply "$K/decided.csv"
assert_eq "keyed: an unknown target key is a usage error" 2 "$CODE"
assert_contains "keyed: named" "target key [999999] of tenant 1 is not in the id map of entity people" "$ERR"
finish
