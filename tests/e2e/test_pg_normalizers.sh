# test_pg_normalizers.sh: casefold, email_norm, domain_norm and name_norm give
# the same values on every source. One project whose entity query calls them
# on a Unicode corpus (tests/fixtures/normalizers.txt: Straße and STRASSE,
# composed and decomposed accents, full-width letters, Gmail's dots and
# +tags, URLs, Punycode and Unicode domain names) is migrated from a SQLite
# source (cutover's C functions) and from a PostgreSQL source (the PL/pgSQL
# functions cutover installs in schema cutover_norm) into SQLite targets, which
# must be equal row for row. Also: the installation is idempotent and safe
# with several processes at once, and a role that cannot install them gets
# an error that says so.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

pg_test_server
CORPUS=$CUTOVER_SOURCE_DIR/tests/fixtures/normalizers.txt
export PGPASSWORD=$PG_PASSWORD
NOPW="postgresql://$PG_USER@127.0.0.1:$PG_PORT"

# The corpus as SQL both engines read: one row per line, then a NULL.
sql=$WORK/corpus.sql
{
  echo "CREATE TABLE corpus (id integer PRIMARY KEY, tenant integer NOT NULL, txt text);"
  n=0
  while IFS= read -r line; do
    n=$((n + 1))
    printf "INSERT INTO corpus VALUES (%d, 1, '%s');\n" "$n" "${line//\'/\'\'}"
  done <"$CORPUS"
  echo "INSERT INTO corpus VALUES ($((n + 1)), 1, NULL);"
} >"$sql"
ROWS=$(($(wc -l <"$CORPUS") + 1))

project() { # DIR: a project reading the corpus, into DIR/out.db
  mkdir -p "$1"
  cat >"$1/cutover.yaml" <<'YAML'
source: sqlite:corpus.db
target: sqlite:out.db
tenants: SELECT 1 AS id
entities:
  - name: norms
    key: [id]
    query: |
      SELECT id, txt, casefold(txt) AS cf, email_norm(txt) AS em,
             domain_norm(txt) AS dom, NAME_NORM (txt) AS nm
      FROM corpus
      WHERE tenant = :tenant
YAML
  sqlite3 "$1/out.db" "CREATE TABLE norms (id INTEGER PRIMARY KEY, txt TEXT, cf TEXT, em TEXT, dom TEXT, nm TEXT)"
}
migrate() { # DIR [args]: sets CODE; output in DIR/run.*
  local dir=$1
  shift
  (cd "$dir" && "$CUTOVER" migrate --all --skip-rehearsal --no-verify --json "$@") >"$dir/run.json" 2>"$dir/run.err"
  CODE=$?
  [[ $CODE -eq 0 ]] || sed -n 1,10p "$dir/run.err"
}
rows() { sqlite3 -batch -noheader -separator ' | ' -nullvalue '(null)' "$1/out.db" "SELECT * FROM norms ORDER BY id"; }

# ---- SQLite source: the C definition ----------------------------------------------------

project "$WORK/lite"
sqlite3 "$WORK/lite/corpus.db" <"$sql"
migrate "$WORK/lite"
assert_eq "SQLite source: migrate exits 0" 0 "$CODE"
assert_eq "SQLite source: every corpus row loaded" "$ROWS" "$(q "$WORK/lite/out.db" "SELECT count(*) FROM norms")"

# v COLUMN TEXT: the column's value for the corpus line TEXT, from the SQLite run.
v() { sqlite3 -batch -noheader -nullvalue '(null)' "$WORK/lite/out.db" "SELECT $1 FROM norms WHERE txt = '${2//\'/\'\'}'"; }
assert_eq "casefold: Straße, STRASSE, STRAẞE" "strasse strasse strasse" "$(v cf Straße) $(v cf STRASSE) $(v cf STRAẞE)"
assert_eq "casefold: composed and decomposed é" "1" \
  "$(q "$WORK/lite/out.db" "SELECT count(DISTINCT cf) FROM norms WHERE lower(txt) LIKE 'caf%'")"
assert_eq "casefold: full-width letters" "abc company" "$(v cf 'ＡＢＣ Ｃｏｍｐａｎｙ')"
assert_eq "casefold: final sigma, Cherokee" "σίσυφοσ ᏣᎳᎩ" "$(v cf ΣΊΣΥΦΟΣ) $(v cf ꮳꮃꭹ)"
assert_eq "name_norm: Müller-Lüdenscheidt" "muller ludenscheidt jr|muller ludenscheidt jr" \
  "$(v nm '  Müller-Lüdenscheidt, Jr.')|$(v nm 'MULLER LUDENSCHEIDT JR')"
assert_eq "name_norm: O'Brien & Sons (& is punctuation)" "o brien sons" "$(v nm "O'Brien & Sons")"
assert_eq "email_norm: Gmail's dots and +tags" "jdoe@gmail.com jdoe@gmail.com jdoe@gmail.com jdoe@gmail.com" \
  "$(v em J.Doe+News@GMAIL.com) $(v em jdoe@gmail.com) $(v em j.d.o.e+x+y@googlemail.com) $(v em JDoe@GoogleMail.com.)"
assert_eq "email_norm: other domains keep both" "j.doe+news@example.com" "$(v em J.Doe+News@Example.com)"
assert_eq "email_norm: no address" "(null) (null) (null) (null)" \
  "$(v em jane@) $(v em @cnn.com) $(v em jane@localhost) $(v em 'john.doe(at)cnn.com')"
assert_eq "domain_norm: URLs" "cnn.com example.org bbc.co.uk cnn.com cnn.com" \
  "$(v dom 'https://www.CNN.com/politics?x=1') $(v dom 'http://user:pw@www.Example.org:8080/a@b.c') $(v dom www.bbc.co.uk:443) $(v dom .cnn.com..) $(v dom ＷＷＷ．ＣＮＮ．ＣＯＭ)"
assert_eq "domain_norm: Punycode and Unicode give one form" "1 münchen.de" \
  "$(q "$WORK/lite/out.db" "SELECT count(DISTINCT dom) FROM norms WHERE txt LIKE '%nchen%' OR txt LIKE '%3ya%'") $(v dom xn--mnchen-3ya.de)"
assert_eq "domain_norm: Japanese" "例え.テスト 例え.テスト" "$(v dom 例え。テスト) $(v dom xn--r8jz45g.xn--zckzah)"
assert_eq "NULL in, NULL out" "(null) | (null) | (null) | (null) | (null)" \
  "$(sqlite3 -batch -noheader -separator ' | ' -nullvalue '(null)' "$WORK/lite/out.db" "SELECT txt, cf, em, dom, nm FROM norms WHERE id = $ROWS")"

# ---- PostgreSQL source: the installed functions --------------------------------------------

pgsql postgres -c "CREATE DATABASE corpus" && pgsql corpus -f "$sql" >/dev/null
assert_eq "the corpus loads into PostgreSQL" "$ROWS" "$(pgsql corpus -c "SELECT count(*) FROM corpus")"

# Several processes open the source at once: one installs, none fails.
project "$WORK/pg"
pids=()
for i in 1 2 3; do
  (cd "$WORK/pg" && "$CUTOVER" check --source "$NOPW/corpus") >"$WORK/check$i.out" 2>&1 &
  pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
assert_eq "three checks opening the source at once all pass" 3 "$ok"
[[ $ok -eq 3 ]] || cat "$WORK"/check*.out
assert_eq "the functions are in schema cutover_norm" "casefold domain_folded domain_norm email_norm name_norm punycode_decode" \
  "$(pgsql corpus -c "SELECT string_agg(proname, ' ' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'cutover_norm'::regnamespace")"
stamp=$(pgsql corpus -c "SELECT xmin FROM pg_proc WHERE oid = 'cutover_norm.name_norm(text)'::regprocedure")

migrate "$WORK/pg" --source "$NOPW/corpus"
assert_eq "PostgreSQL source: migrate exits 0" 0 "$CODE"
assert_eq "PostgreSQL source: the same values as the SQLite source, row for row" "$(rows "$WORK/lite")" "$(rows "$WORK/pg")"
if [[ "$(rows "$WORK/lite")" != "$(rows "$WORK/pg")" ]]; then
  diff <(rows "$WORK/lite") <(rows "$WORK/pg") | head -20
fi
assert_eq "current functions are left alone" "$stamp" \
  "$(pgsql corpus -c "SELECT xmin FROM pg_proc WHERE oid = 'cutover_norm.name_norm(text)'::regprocedure")"
assert_eq "the role $PG_USER still creates its tables in public" "public" "$(pgsql corpus -c "SELECT current_schema()")"
assert_eq "the source's search_path is untouched" "\"\$user\", public" \
  "$(pgsql corpus -c "SELECT setting FROM pg_settings WHERE name = 'search_path'")"

# A stale definition is replaced.
pgsql corpus -c "COMMENT ON FUNCTION cutover_norm.name_norm(text) IS 'cutover normalizers 0'"
(cd "$WORK/pg" && "$CUTOVER" check --source "$NOPW/corpus") >/dev/null 2>&1
assert_eq "check with a stale definition passes" 0 "$?"
assert_contains "a stale definition is replaced" "cutover normalizers 1" \
  "$(pgsql corpus -c "SELECT obj_description('cutover_norm.name_norm(text)'::regprocedure, 'pg_proc')")"

# ---- a role that cannot install them ----------------------------------------------------------

pgsql postgres -c "CREATE DATABASE corpus2" && pgsql corpus2 -f "$sql" >/dev/null
pgsql corpus2 -c "CREATE ROLE reader LOGIN PASSWORD '$PG_PASSWORD'; GRANT SELECT ON corpus TO reader"
project "$WORK/ro"
migrate "$WORK/ro" --source "postgresql://reader@127.0.0.1:$PG_PORT/corpus2"
[[ $CODE -ne 0 ]] && pass "without the functions, a query that uses them fails" || fail "the migration passed without the functions"
assert_contains "the error says why they are missing" "could not install its normalizers" "$(cat "$WORK/ro/run.err" "$WORK/ro/run.json")"
assert_contains "and names the privilege" "permission denied" "$(cat "$WORK/ro/run.err" "$WORK/ro/run.json")"
finish
