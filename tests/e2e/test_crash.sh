# test_crash.sh: a migration killed (SIGKILL) at a commit chosen by a seeded
# random generator, then started again, ends in the same target as a run that
# was never interrupted: no duplicate row, no missing row, verified.
source "$(dirname "$0")/lib.sh"

"$CUTOVER" demo init "$WORK/pristine" --scale 0.003 --seed 5 -q
# Push-down chunks of batch_size rows too (the demo's pushdown_chunk_rows left out): kills
# land between them as before.
sed -i -e 's/batch_size: [0-9]*/batch_size: 700/' -e '/^  pushdown_chunk_rows:/d' "$WORK/pristine/cutover.yaml"

# The reference: one run, never interrupted.
cp -r "$WORK/pristine" "$WORK/ref"
"$CUTOVER" -p "$WORK/ref/cutover.yaml" migrate --skip-rehearsal --all -q || fail "reference run"
reference=$(db_checksum "$WORK/ref/crm.db")
rejects=$(q "$WORK/ref/.cutover/state.db" 'SELECT count(*) FROM rejects')

RANDOM=20261121 # seeded: the same kill points on every run
for i in $(seq 1 20); do
  at=$(( RANDOM % 120 + 1 ))
  run=$WORK/run$i
  cp -r "$WORK/pristine" "$run"
  CUTOVER_KILL_AT_COMMIT=$at "$CUTOVER" -p "$run/cutover.yaml" migrate --skip-rehearsal --all -q 2>/dev/null
  code=$?
  run_cutover -p "$run/cutover.yaml" migrate --skip-rehearsal --all -q
  assert_eq "killed at commit $at (exit $code), the rerun succeeds and verifies" 0 "$CODE"
  assert_eq "killed at commit $at: the target equals the uninterrupted run's" "$reference" "$(db_checksum "$run/crm.db")"
  assert_eq "killed at commit $at: the journal holds the same rejects" "$rejects" \
    "$(q "$run/.cutover/state.db" 'SELECT count(*) FROM rejects')"
  rm -rf "$run"
done
finish
