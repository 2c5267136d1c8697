# test_docs.sh: `cutover help`, the man page and the README speak of the same
# commands and options, and the exit codes listed by help match the man page.
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
# Exit codes: help and the man page agree on each number.
for n in $(seq 0 14); do
  if grep -qE "^ +$n  " <<<"$(cutover_help=$("$CUTOVER" help); echo "$cutover_help")" && grep -q "^\.B $n$" "$man"; then
    pass "exit code $n documented in both"
  else
    fail "exit code $n missing from help or the man page"
  fi
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
finish
