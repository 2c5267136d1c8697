# test_cli_cases.sh: runs the command-line cases kept as data files in
# tests/cli/NNN-name.case (in the manner of curl's tests/data). Each case is
# run in a scratch directory of its own; its lines are `key: value`:
#
#   name:     what the case shows (one line)
#   fixture:  project: the tiny legacy database, the new schema and a project
#             file of tests/cli/fixture, ready in the directory (default: none)
#   setup:    a shell line run first (may repeat); `cutover` runs the binary
#   run:      the command line under test (shell syntax; `cutover` as above)
#   tty:      yes: run it under a pseudo-terminal (script(1)); stdout and
#             stderr then arrive together on stdout
#   exit:     the exit code expected
#   stdout:   an extended regular expression some line of stdout matches
#   stderr:   the same for stderr        (stdout! / stderr!: no line matches)
#   json:     a jq expression that is true of stdout (which must be JSON)
#   check:    a shell line that must succeed afterwards (may repeat)
#
# Lines starting with # and blank lines are ignored.
source "$(dirname "$0")/lib.sh"

cases=$CUTOVER_SOURCE_DIR/tests/cli
fixture=$cases/fixture
export CUTOVER_BIN=$CUTOVER
cutover() { "$CUTOVER_BIN" "$@"; }
export -f cutover

# The fixture's databases are made once; each case gets a copy.
mkdir -p "$WORK/fixture"
(
  cd "$WORK/fixture" || exit 1
  cp "$fixture/cutover.yaml" "$fixture/legacy.sql" "$fixture/target.sql" .
  sqlite3 legacy.db < legacy.sql && sqlite3 target.db < target.sql && sqlite3 staging.db < target.sql
) || { fail "the fixture's databases"; finish; exit 1; }
prepare_fixture() { cp "$WORK"/fixture/* .; }

run_case() {
  local file=$1 id name='' fixture_kind=none run='' tty=no exit_expected=''
  local -a setups=() checks=() expects=()
  id=$(basename "$file" .case)
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -z ${line//[[:space:]]/} || $line == \#* ]] && continue
    local key=${line%%:*} value=${line#*:}
    value=${value# }
    case $key in
      name) name=$value ;;
      fixture) fixture_kind=$value ;;
      setup) setups+=("$value") ;;
      run) run=$value ;;
      tty) tty=$value ;;
      exit) exit_expected=$value ;;
      check) checks+=("$value") ;;
      stdout|stderr|stdout!|stderr!|json) expects+=("$key" "$value") ;;
      *) fail "$id: unknown key \"$key\""; return ;;
    esac
  done < "$file"
  if [[ -z $run || -z $exit_expected ]]; then
    fail "$id: a case needs run: and exit:"
    return
  fi
  local dir=$WORK/$id
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    [[ $fixture_kind == project ]] && prepare_fixture
    for s in "${setups[@]}"; do
      eval "$s" > /dev/null 2>&1 || { echo "setup failed: $s" > setup.err; exit 1; }
    done
    if [[ $tty == yes ]]; then
      # script(1) gives the command a terminal; its own exit code is the command's.
      script -qec "bash -c $(printf '%q' "cutover() { \"\$CUTOVER_BIN\" \"\$@\"; }; $run")" \
        /dev/null > stdout 2> stderr < /dev/null
    else
      eval "$run" > stdout 2> stderr < /dev/null
    fi
    echo $? > code
  )
  if [[ -f $dir/setup.err ]]; then
    fail "$id ($name): $(cat "$dir/setup.err")"
    return
  fi
  local code ok=1 why=''
  code=$(cat "$dir/code")
  if [[ $code != "$exit_expected" ]]; then
    ok=0 why="exit $code, expected $exit_expected"
  fi
  local i
  for ((i = 0; ok && i < ${#expects[@]}; i += 2)); do
    local kind=${expects[i]} want=${expects[i + 1]}
    case $kind in
      stdout|stderr)
        grep -qE -- "$want" "$dir/$kind" || { ok=0 why="$kind does not match /$want/"; } ;;
      stdout!|stderr!)
        ! grep -qE -- "$want" "$dir/${kind%!}" || { ok=0 why="${kind%!} matches /$want/"; } ;;
      json)
        [[ $(jq -e "$want" "$dir/stdout" 2>&1) == true ]] || { ok=0 why="json: not true: $want"; } ;;
    esac
  done
  for c in "${checks[@]}"; do
    ((ok)) || break
    (cd "$dir" && eval "$c") > /dev/null 2>&1 || { ok=0 why="check failed: $c"; }
  done
  if ((ok)); then
    pass "$id: $name"
  else
    fail "$id: $name: $why"
    echo "  --- stdout:"; head -c 1500 "$dir/stdout" | sed 's/^/  /'
    echo "  --- stderr:"; head -c 1500 "$dir/stderr" | sed 's/^/  /'
  fi
}

# The cases run four at a time (each mostly waits on its files); their
# results are printed and counted in order.
mkdir -p "$WORK/results"
count=0
for f in "$cases"/[0-9]*.case; do
  while (($(jobs -rp | wc -l) >= 4)); do wait -n; done
  run_case "$f" > "$WORK/results/$(basename "$f" .case)" 2>&1 &
  count=$((count + 1))
done
wait
for r in "$WORK"/results/*; do
  cat "$r"
  PASSED=$((PASSED + $(grep -c '^ok ' "$r")))
  FAILED=$((FAILED + $(grep -c '^FAIL ' "$r")))
done
assert_eq "the cases ran (at least 40)" true "$([[ $count -ge 40 ]] && echo true || echo false)"
finish
