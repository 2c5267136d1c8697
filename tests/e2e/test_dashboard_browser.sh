# test_dashboard_browser.sh: the dashboard driven in a real headless
# Chromium (browser.py, through the DevTools protocol): the token typed once
# survives the page's refreshes, and so does a confirmation being typed;
# a cohort is paused and resumed from its form; a tenant is rolled back from
# its page (after a wrong token is refused); a foreign Host is refused (421)
# even when its name resolves to loopback. Screenshots of the dashboard and
# of the report are kept under the build tree (test-artifacts/dashboard/)
# for a person to look at.
source "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null || ! command -v python3 >/dev/null; then
  fail "chromium and python3 are needed (make deps installs them)"
  finish
  exit
fi
artifacts=${CUTOVER_ARTIFACTS:-$PWD/test-artifacts}/dashboard
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png

# The canary and wave 1 migrated; the later waves have tenants left.
demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.003 --seed 7 -q
proj=$demo/cutover.yaml
"$CUTOVER" -p "$proj" audit -q >/dev/null
"$CUTOVER" -p "$proj" plan >/dev/null
run_cutover -p "$proj" run --cohort canary --skip-rehearsal -q
assert_eq "the canary migrates" 0 "$CODE"
run_cutover -p "$proj" run --cohort 1 --skip-rehearsal -q
assert_eq "wave 1 migrates" 0 "$CODE"
cohorts=$("$CUTOVER" -p "$proj" status --json)
tenant=$(jq -r '[.tenants[] | select(.state == "switched")][0].tenant' <<<"$cohorts")
# One tenant's target changed behind cutover's back: its verification fails,
# so the report shows failing checks and their differences.
other=$(jq -r '[.tenants[] | select(.state == "switched")][-1].tenant' <<<"$cohorts")
q "$demo/crm.db" "UPDATE contacts SET first_name = 'Changed' WHERE id = (SELECT min(id) FROM contacts WHERE account_id = $other)"
run_cutover -p "$proj" verify --tenant "$other" -q
assert_eq "its verification fails" 12 "$CODE"
run_cutover -p "$proj" report -o "$WORK/report.html"
assert_eq "the report is written" 0 "$CODE"

"$CUTOVER" -p "$proj" serve --listen 127.0.0.1:0 --refresh 1 > "$WORK/serve.out" 2>"$WORK/serve.err" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q '^token' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^cutover: serving \(http[^ ]*\) .*/\1/p' "$WORK/serve.out")
token=$(sed -n 's/^token for rollback and pause: //p' "$WORK/serve.out")
wave=$(curl -s "${url}api/cohorts" | jq '[.cohorts[] | select(.cohort > 1)][0].cohort')

# A foreign Host header, as curl sends it.
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example" "${url}api/tenants")
assert_eq "a foreign Host header: 421" 421 "$status"

python3 "$(dirname "$0")/browser.py" "$url" "$token" "$tenant" "$wave" "$WORK/report.html" \
  "$artifacts" "$CUTOVER" "$proj" "$other" > "$WORK/browser.out" 2>&1
code=$?
cat "$WORK/browser.out"
PASSED=$((PASSED + $(grep -c '^ok ' "$WORK/browser.out")))
FAILED=$((FAILED + $(grep -c '^FAIL ' "$WORK/browser.out")))
assert_eq "the browser's script ends cleanly" 0 "$code"
for shot in dashboard dashboard-paused dashboard-tenant report report-failing-tenant; do
  assert_eq "a screenshot $shot.png is kept" true \
    "$([[ -s $artifacts/$shot.png ]] && echo true || echo false)"
done
echo "     (screenshots in $artifacts)"

kill "$server"
wait "$server"
assert_eq "the server stops cleanly" 0 "$?"
finish
