# test_docs.sh: `cutover help`, the man page and the README speak of the same
# commands and options, the exit codes listed by help match the man page, and
# the man page's examples run.
source "$(dirname "$0")/lib.sh"

man=$CUTOVER_SOURCE_DIR/docs/cutover.1
readme=$CUTOVER_SOURCE_DIR/README.md
run_cutover help
assert_eq "help exits 0" 0 "$CODE"
commands=$(sed -n '/^Commands:/,/^$/p' <<<"$OUT" | awk 'NF > 1 {print $1}')
assert_eq "help lists commands" "true" "$([[ $(wc -l <<<"$commands") -ge 6 ]] && echo true || echo false)"
for c in $commands; do
  if grep -q "^\.B $c\b" "$man"; then pass "man page has command $c"; else fail "man page lacks command $c"; fi
  run_cutover help "$c"
  assert_eq "help $c exits 0" 0 "$CODE"
  for opt in $(grep -oE -- '--[a-z][a-z-]*' <<<"$OUT" | sort -u); do
    escaped=${opt//-/\\\\-}
    if grep -q -- "$escaped" "$man"; then pass "man page has $c $opt"; else fail "man page lacks $c $opt"; fi
  done
done
for c in init check migrate status; do
  assert_contains "README shows cutover $c" "cutover $c" "$(cat "$readme")"
done
# Exit codes: `cutover help`, `cutover --help` and the man page's EXIT STATUS
# list the same numbers, every one from 0 to the highest.
# Above 128: a signal's, 128 + its number (SIGHUP, SIGINT, SIGTERM).
man_codes=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man" | sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p' | tr '\n' ' ')
low_codes=$(tr ' ' '\n' <<<"$man_codes" | awk '$1 != "" && $1 < 128' | tr '\n' ' ')
highest=$(wc -w <<<"$low_codes")
assert_eq "the man page lists exit codes 0 to the highest in order (at least 14)" \
  "$(seq -s ' ' 0 $((highest > 15 ? highest - 1 : 14))) " "$low_codes"
assert_eq "then the signals' exit codes" "${low_codes}129 130 143 " "$man_codes"
for how in help --help; do
  help_codes=$("$CUTOVER" $how | sed -n '/^Exit codes:/,/^$/p' | awk '$1 ~ /^[0-9]+$/ {printf "%s ", $1}')
  assert_eq "cutover $how lists the man page's exit codes" "$man_codes" "$help_codes"
done
# The man page's EXAMPLES run as written (the demo at a small scale), each
# command succeeding.
examples=$(sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$man" | sed '1,2d;$d' | sed 's/\\-/-/g')
assert_contains "the examples rehearse before they migrate" "rehearse --all" "$examples"
(
  cd "$WORK" || exit 1
  while read -r line; do
    line=${line//cutover demo init demo/cutover demo init demo --scale 0.002}
    line=${line//cutover /\"\$CUTOVER\" }
    if eval "$line" > "$WORK/example.out" 2>&1; then
      echo "ok   man page example runs: ${line//\"\$CUTOVER\"/cutover}"
    else
      echo "FAIL man page example runs: ${line//\"\$CUTOVER\"/cutover}: exit $?: $(tail -n 3 "$WORK/example.out")"
    fi
  done <<<"$examples"
) > "$WORK/examples.log"
cat "$WORK/examples.log"
assert_eq "every man page example ran" "$(wc -l <<<"$examples")" "$(grep -c '^ok ' "$WORK/examples.log")"
assert_eq "no man page example failed" 0 "$(grep -c '^FAIL' "$WORK/examples.log")"

run_cutover version
assert_contains "version prints" "cutover " "$OUT"

# docs/getting-started.md runs as written: its files are written, its
# commands run in order in one directory, and what each prints is what the
# page shows, times, dates, hashes and spacing aside.
guide=$CUTOVER_SOURCE_DIR/docs/getting-started.md
shop=$WORK/guide/shop
mkdir -p "$shop"
normalize() {
  sed -E -e "s#${shop}#~/shop#g" \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/<time>/g' \
    -e 's/\(hash [0-9a-f]{16}\)/(hash <hash>)/' \
    -e 's/[0-9]+\.[0-9]+/<n>/g' -e 's/[[:space:]]+/ /g' -e 's/ $//'
}
guide_file='' guide_block='' guide_steps=0 guide_failed=0
expected='' command=''
check_step() {
  [[ -z $command ]] && return
  actual=$(cd "$shop" && eval "${command//cutover /\"\$CUTOVER\" }" 2>&1)
  local code=$?
  guide_steps=$((guide_steps + 1))
  if [[ $code -ne 0 ]]; then
    fail "getting-started: \$ $command exits $code: $(tail -n 3 <<<"$actual")"
  elif [[ "$(normalize <<<"$expected")" == "$(normalize <<<"$actual")" ]]; then
    pass "getting-started: \$ $command prints what the page shows"
  else
    fail "getting-started: \$ $command prints something else:"
    diff <(normalize <<<"$expected") <(normalize <<<"$actual") | head -20
  fi
  command='' expected=''
}
while IFS= read -r line; do
  if [[ -n $guide_block ]]; then
    if [[ $line == '```' ]]; then
      [[ $guide_block == console ]] && check_step
      [[ $guide_block == file ]] && printf '%s' "$file_text" > "$shop/$guide_file"
      guide_block=''
    elif [[ $guide_block == file ]]; then
      file_text+="$line"$'\n'
    elif [[ $line == '$ '* ]]; then
      check_step
      command=${line#\$ }
    else
      expected+="${expected:+$'\n'}$line"
    fi
    continue
  fi
  if [[ $line =~ ^'<!-- file: '([^ ]+)' -->'$ ]]; then
    guide_file=${BASH_REMATCH[1]}
  elif [[ $line == '```console' ]]; then
    guide_block=console
  elif [[ $line == '```'* && -n $guide_file ]]; then
    guide_block=file file_text=''
  fi
  [[ $line == '```'* && $guide_block != file ]] && guide_file=''
done < "$guide"
assert_eq "the getting-started page's commands ran (at least 12)" true \
  "$([[ $guide_steps -ge 12 ]] && echo true || echo false)"
for step in init check rehearse migrate verify trace rollback; do
  assert_contains "getting-started shows cutover $step" "\$ cutover $step" "$(cat "$guide")"
done

# Help, the man page and the docs in step: every global option and every
# subcommand that help lists is in the man page; every command has a
# completion; the man page has SEE ALSO and the environment variables.
run_cutover help --json
for opt in $(jq -r '.global_options[].name' <<<"$OUT"); do
  if grep -q -- "\\\\-\\\\-${opt//-/\\\\-}" "$man"; then pass "man page has global --$opt"; else fail "man page lacks global --$opt"; fi
done
for c in events model; do
  for sub in $(jq -r --arg c "$c" '.commands[] | select(.name == $c) | .subcommands[].name' <<<"$OUT"); do
    if grep -q "$c $sub" "$man"; then pass "man page has $c $sub"; else fail "man page lacks $c $sub"; fi
    run_cutover help "$c"
    assert_contains "help $c lists $sub" "  $sub " "$OUT"
  done
  run_cutover help --json
done
completion=$("$CUTOVER" completion bash)
for c in $(jq -r '.commands[].name' <<<"$OUT"); do
  assert_contains "bash completion knows $c" " $c) opts=" "$completion"
done
for section in "SEE ALSO" ENVIRONMENT; do
  if grep -q "^\.SH $section" "$man"; then pass "man page has $section"; else fail "man page lacks $section"; fi
done
for var in CUTOVER_PROJECT CUTOVER_LOG PGHOST PGPASSWORD MYSQL_HOST NO_COLOR; do
  if sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$man" | grep -q "$var"; then pass "ENVIRONMENT lists $var"; else fail "ENVIRONMENT lacks $var"; fi
done
assert_contains "the man page points to getting-started" "getting\\-started.md" "$(cat "$man")"
finish
