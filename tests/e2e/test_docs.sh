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
man_codes=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man" | sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p' | tr '\n' ' ')
highest=$(wc -w <<<"$man_codes")
assert_eq "the man page lists exit codes 0 to the highest in order (at least 14)" \
  "$(seq -s ' ' 0 $((highest > 15 ? highest - 1 : 14))) " "$man_codes"
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
finish
