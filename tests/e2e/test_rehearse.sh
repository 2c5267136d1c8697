# test_rehearse.sh: rehearsals load staging and verify it, never touching
# source or target; migrate refuses a tenant without a passing rehearsal of
# the same project file unless told, and the journal records it; a tenant is
# held by one process at a time.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.003 --seed 9 -q
proj=$demo/cutover.yaml
src=$(sha256sum < "$demo/legacy.db") tgt=$(db_checksum "$demo/crm.db")
t=$(q "$demo/legacy.db" 'SELECT min(id) FROM accounts')
t2=$(q "$demo/legacy.db" 'SELECT min(id) FROM accounts WHERE id > '"$t")

run_cutover -p "$proj" migrate --tenant "$t"
assert_eq "migrate without a rehearsal: exit 13" 13 "$CODE"
assert_contains "says what to do" "cutover rehearse --tenant $t" "$ERR"
assert_eq "and loads nothing" "$tgt" "$(db_checksum "$demo/crm.db")"

run_cutover -p "$proj" rehearse --tenant "$t" --json
assert_eq "rehearse succeeds" 0 "$CODE"
assert_eq "the rehearsal passes" true "$(jq '.rehearsals[0].pass' <<<"$OUT")"
assert_eq "rehearsal leaves the source as it was" "$src" "$(sha256sum < "$demo/legacy.db")"
assert_eq "rehearsal leaves the target as it was" "$tgt" "$(db_checksum "$demo/crm.db")"
assert_eq "staging holds the tenant" "$(q "$demo/legacy.db" "SELECT count(*) FROM teams WHERE account_id = $t")" \
  "$(q "$demo/staging.db" "SELECT count(*) FROM teams WHERE account_id = $t")"
assert_eq "the journal records the pass with its duration" "pass 1" \
  "$(q "$demo/.cutover/state.db" "SELECT status, seconds > 0 FROM rehearsals WHERE tenant = '$t' ORDER BY id DESC LIMIT 1" | tr '|' ' ')"
assert_eq "staging's id maps live in the rehearsal journal, not the target's" 0 \
  "$(q "$demo/.cutover/state.db" 'SELECT (SELECT count(*) FROM id_map) + (SELECT count(*) FROM id_map_runs)')"
run_cutover -p "$proj" migrate --tenant "$t"
assert_eq "migrate after a passing rehearsal" 0 "$CODE"

# A changed project file needs a new rehearsal.
printf '\n# changed\n' >> "$proj"
run_cutover -p "$proj" migrate --tenant "$t2" --start-over
assert_eq "a changed project file: exit 13 again" 13 "$CODE"

# A failing rehearsal: staging lacks a column the mapping loads.
q "$demo/staging.db" "ALTER TABLE campaigns DROP COLUMN subject"
run_cutover -p "$proj" rehearse --tenant "$t2"
assert_eq "a failing rehearsal: exit 12" 12 "$CODE"
assert_contains "says why" "FAIL" "$OUT"
assert_contains "names the missing column" "subject" "$OUT"
assert_eq "the journal records the failure" fail \
  "$(q "$demo/.cutover/state.db" "SELECT status FROM rehearsals WHERE tenant = '$t2' ORDER BY id DESC LIMIT 1")"
run_cutover -p "$proj" migrate --tenant "$t2"
assert_eq "migrate after a failed rehearsal: exit 13" 13 "$CODE"
run_cutover -p "$proj" migrate --tenant "$t2" --skip-rehearsal
assert_eq "--skip-rehearsal overrides" 0 "$CODE"
assert_eq "and the journal records the waiver" waived \
  "$(q "$demo/.cutover/state.db" "SELECT status FROM rehearsals WHERE tenant = '$t2' ORDER BY id DESC LIMIT 1")"

# Leases: a tenant held by a live process is refused, naming it; a lease
# whose process is gone is taken over.
sleep 30 & holder=$!
q "$demo/.cutover/state.db" "INSERT OR REPLACE INTO leases VALUES ('$t', $holder, '$(hostname)', 'migrate', '2026-11-21T00:00:00Z')"
run_cutover -p "$proj" verify --tenant "$t"
assert_eq "a held tenant: exit 10" 10 "$CODE"
assert_contains "names the holder's pid and start" "pid $holder on $(hostname) since 2026-11-21T00:00:00Z" "$ERR"
kill "$holder"; wait "$holder" 2>/dev/null
run_cutover -p "$proj" verify --tenant "$t"
assert_eq "a lease whose process is gone is taken over" 0 "$CODE"
assert_eq "and given back at the end" 0 "$(q "$demo/.cutover/state.db" 'SELECT count(*) FROM leases')"
finish
