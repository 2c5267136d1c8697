# test_journal.sh: a lost journal cannot destroy the new system's writes. A
# tenant is switched and written to in the new system, the journal is lost
# (rm -rf .cutover), and `migrate --all` refuses (exit 15), naming the other
# journal's traces, with the target's rows intact; a 0-byte or non-journal
# state file is refused by name; `cutover recover-journal` rebuilds the route
# and the next migrate leaves the switched tenant alone. Whatever the journal
# says, a tenant the target marks switched is never purged without the
# rollback export. A tenant in flight (killed inside its freeze) is rebuilt
# as migrating, and rollback then lifts its freeze. route, routes and status
# answer with the source away. An older journal gets the schema steps it has
# not had when opened; one a newer cutover upgraded is refused, untouched.
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.002 --seed 7 -q
proj=$demo/cutover.yaml src=$demo/legacy.db tgt=$demo/crm.db
cd "$demo" || exit 1

run_cutover -p "$proj" migrate --tenant 1 --skip-rehearsal -q
assert_eq "tenant 1 switched" "0 new" "$CODE $("$CUTOVER" -p "$proj" route 1)"
assert_eq "its marks on the source and the target: switched" "switched switched" \
  "$(q "$src" "SELECT state FROM cutover_journal_mark WHERE tenant = '1'") $(q "$tgt" "SELECT state FROM cutover_journal_mark WHERE tenant = '1'")"
# The new system takes a write for tenant 1.
x=$(q "$tgt" "SELECT min(id) FROM contacts WHERE account_id = 1")
q "$tgt" "UPDATE contacts SET title = 'Written in the new system' WHERE id = $x"
rows=$(q "$tgt" "SELECT count(*) FROM contacts WHERE account_id = 1")

# Item 7: the routes live in the journal; the legacy database may be away.
mv "$src" "$WORK/legacy.away"
run_cutover -p "$proj" routes --json
assert_eq "routes --json answers with the source away" "0 new" \
  "$CODE $(jq -r '.routes[] | select(.tenant == "1") | .route' <<<"$OUT")"
run_cutover -p "$proj" route 1
assert_eq "route answers with the source away" "0 new" "$CODE $OUT"
run_cutover -p "$proj" status --json
assert_eq "status answers with the source away" "0 switched" \
  "$CODE $(jq -r '.tenants[] | select(.tenant == "1") | .state' <<<"$OUT")"
run_cutover -p "$proj" note 1 "the source is down for maintenance" --by ann
assert_eq "note journals with the source away" 0 "$CODE"
run_cutover -p "$proj" report -o "$WORK/report.html"
assert_eq "report writes the page with the source away" "0 yes" \
  "$CODE $([[ -s $WORK/report.html ]] && echo yes)"
run_cutover -p "$proj" route 99
assert_eq "a tenant the journal never saw still needs the source" 4 "$CODE"
mv "$WORK/legacy.away" "$src"

# The journal is lost: a rerun must not copy tenant 1 again.
rm -rf "$demo/.cutover"
run_cutover -p "$proj" migrate --all --skip-rehearsal -q
assert_eq "migrate --all with a new journal is refused (exit 15)" 15 "$CODE"
assert_contains "it names the other journal's traces" "tenant 1 on the target (switched by journal" "$ERR"
assert_contains "and how to recover" "cutover recover-journal" "$ERR"
assert_eq "the new system's write is intact" "Written in the new system $rows" \
  "$(q "$tgt" "SELECT title FROM contacts WHERE id = $x") $(q "$tgt" "SELECT count(*) FROM contacts WHERE account_id = 1")"
assert_eq "no other tenant was moved" 0 "$(q "$tgt" "SELECT count(*) FROM contacts WHERE account_id <> 1")"
err=$(sqlite3 "$src" "UPDATE contacts SET title = 'x' WHERE account_id = 1" 2>&1)
assert_contains "the source still refuses tenant 1's writes" "tenant 1 is frozen" "$err"
run_cutover -p "$proj" rollback --tenant 1
assert_eq "rollback with the new journal is refused too" 15 "$CODE"

# The same project file run from another directory: its own journal, refused.
mkdir -p "$WORK/elsewhere"
cp "$proj" "$WORK/elsewhere/cutover.yaml"
sed -i "s|sqlite:legacy.db|sqlite:$src|; s|sqlite:crm.db|sqlite:$tgt|" "$WORK/elsewhere/cutover.yaml"
run_cutover -p "$WORK/elsewhere/cutover.yaml" migrate --all --skip-rehearsal -q
assert_eq "a journal beside a copy of the project file is refused" 15 "$CODE"

# A 0-byte journal and a database that is not a journal are refused by name.
rm -rf "$demo/.cutover" && mkdir -p "$demo/.cutover" && : > "$demo/.cutover/state.db"
touch -d "1 hour ago" "$demo/.cutover/state.db" # not one another process is creating
run_cutover -p "$proj" migrate --all --skip-rehearsal -q
assert_eq "a 0-byte state.db is refused (exit 6)" 6 "$CODE"
assert_contains "naming the file" ".cutover/state.db is empty (0 bytes), not a cutover journal" "$ERR"
assert_eq "and left as it was" 0 "$(stat -c %s "$demo/.cutover/state.db")"
run_cutover -p "$proj" status --state "sqlite:$src"
assert_eq "a database that is not a journal is refused" 6 "$CODE"
assert_contains "naming it" "is not a cutover journal (it has no setup table)" "$ERR"

# recover-journal rebuilds the route from the traces; the rerun leaves tenant 1 alone.
rm -f "$demo/.cutover/state.db"
run_cutover -p "$proj" recover-journal --json
assert_eq "recover-journal rebuilds tenant 1 as switched" "0 1 new" \
  "$CODE $(jq -r '.tenants[] | "\(.tenant) \(.route)"' <<<"$OUT")"
assert_eq "route new again" new "$("$CUTOVER" -p "$proj" route 1)"
run_cutover -p "$proj" recover-journal
assert_eq "recover-journal refuses a journal with runs" 13 "$CODE"
run_cutover -p "$proj" migrate --tenant 2 --skip-rehearsal -q
assert_eq "the rebuilt journal migrates another tenant" "0 new" "$CODE $("$CUTOVER" -p "$proj" route 2)"
assert_eq "tenant 1's new-system write is still there" "Written in the new system" \
  "$(q "$tgt" "SELECT title FROM contacts WHERE id = $x")"

# Whatever the journal says, the target's switched rows are not purged unexported.
q "$demo/.cutover/state.db" "UPDATE routes SET route = 'old' WHERE tenant = '1'"
run_cutover -p "$proj" migrate --tenant 1 --again --skip-rehearsal -q
assert_eq "a journal that routes a switched tenant old: migrate refuses (exit 13)" 13 "$CODE"
assert_contains "saying why" "marked switched in the target" "$ERR"
assert_eq "the write is intact" "Written in the new system" "$(q "$tgt" "SELECT title FROM contacts WHERE id = $x")"
run_cutover -p "$proj" rollback --tenant 1 --json
assert_eq "rollback treats it as switched and exports first" "0 true" "$CODE $(jq -r .was_switched <<<"$OUT")"
assert_contains "the export holds the new system's write" "Written in the new system" \
  "$(cat "$(jq -r .export_file <<<"$OUT")")"
assert_eq "rolled back: nothing of tenant 1 in the target, its mark gone" "0 0" \
  "$(q "$tgt" "SELECT count(*) FROM contacts WHERE account_id = 1") $(q "$tgt" "SELECT count(*) FROM cutover_journal_mark WHERE tenant = '1'")"

# A run killed inside the freeze, then the journal lost: the tenant in flight is rebuilt.
# The freeze must outlast recover-journal (seconds under ASan on a loaded
# machine): a heartbeat bound of a minute; the rollback lifts it.
sed 's/^options:/options:\n  freeze_heartbeat_seconds: 60/' "$proj" >"$demo/kill.yaml"
printf 'hooks:\n  on_freeze: "kill -9 $PPID"\n' >> "$demo/kill.yaml"
run_cutover -p "$demo/kill.yaml" migrate --tenant 3 --skip-rehearsal --start-over -q
assert_eq "killed inside tenant 3's freeze" 137 "$CODE"
rm -rf "$demo/.cutover"
run_cutover -p "$demo/kill.yaml" recover-journal --json
assert_eq "recover-journal: tenant 2 switched, tenant 3 in flight with capture" \
  "0 2 new switched true|3 old migrating true" \
  "$CODE $(jq -r '[.tenants[] | "\(.tenant) \(.route) \(.state) \(.captured)"] | join("|")' <<<"$OUT")"
assert_eq "tenant 3 is still frozen on the source" 19 \
  "$(sqlite3 "$src" "UPDATE contacts SET title = title WHERE account_id = 3" >/dev/null 2>&1; echo $?)"
run_cutover -p "$demo/kill.yaml" rollback --tenant 3
assert_eq "rollback with the rebuilt journal lifts the freeze" "0 0" \
  "$CODE $(sqlite3 "$src" "UPDATE contacts SET title = title WHERE account_id = 3" >/dev/null 2>&1; echo $?)"
assert_eq "tenant 3 left the target, tenant 2 stays" "0 new" \
  "$(q "$tgt" "SELECT count(*) FROM contacts WHERE account_id = 3") $("$CUTOVER" -p "$demo/kill.yaml" route 2)"

# A journal made by a cutover before sync rounds had a direction gets the
# column when it is opened: its tenants' undo is not lost to an upgrade. Such
# a journal recorded no steps (schema_migrations came with the versioned
# steps) and says schema_version 1; one made since records its steps.
journal=$demo/.cutover/state.db
has_direction() { q "$journal" "SELECT count(*) FROM pragma_table_info('sync_rounds') WHERE name = 'direction'"; }
assert_eq "a journal records the steps of its schema, and its setup row their last" "1,2 2" \
  "$(q "$journal" "SELECT group_concat(version) FROM (SELECT version FROM schema_migrations ORDER BY version)") $(q "$journal" "SELECT schema_version FROM setup")"
sqlite3 "$journal" 'ALTER TABLE sync_rounds DROP COLUMN direction; DROP TABLE schema_migrations;
  UPDATE setup SET schema_version = 1'
run_cutover -p "$demo/kill.yaml" status --json
assert_eq "an older journal opens, and its sync rounds have a direction again" "0 1" \
  "$CODE $(has_direction)"
assert_eq "it now records the steps, and says version 2" "1,2 2" \
  "$(q "$journal" "SELECT group_concat(version) FROM (SELECT version FROM schema_migrations ORDER BY version)") $(q "$journal" "SELECT schema_version FROM setup")"
# A journal of version 1 that recorded it gets step 2 alone.
sqlite3 "$journal" "ALTER TABLE sync_rounds DROP COLUMN direction; DELETE FROM schema_migrations WHERE version = 2"
run_cutover -p "$demo/kill.yaml" status --json
assert_eq "a journal of version 1 opens with the direction of its sync rounds" "0 1 2" \
  "$CODE $(has_direction) $(q "$journal" "SELECT max(version) FROM schema_migrations")"
# A journal a newer cutover upgraded is refused, by name and version, untouched.
sqlite3 "$journal" "INSERT INTO schema_migrations VALUES (99, '2031-01-01T00:00:00Z')"
before=$(sqlite3 "$journal" .dump | md5sum)
run_cutover -p "$demo/kill.yaml" status --json
assert_eq "a journal of a newer cutover is refused (exit 11, not supported)" 11 "$CODE"
assert_contains "the refusal says the journal's version and this cutover's" \
  "is of schema version 99, made by a newer cutover; this cutover knows versions up to 2" "$ERR$OUT"
assert_eq "the refused journal is left as it was" "$before" "$(sqlite3 "$journal" .dump | md5sum)"
finish
