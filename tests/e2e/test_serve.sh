# test_serve.sh: the dashboard. Its JSON API agrees with `cutover status
# --json` and `cutover routes --json`; a rollback or a pause without the token
# is refused (403) and with it and a confirmation succeeds; a paused cohort
# stops `cutover run`; the server keeps answering while a migration runs in
# another process; hostile requests get clean errors and nothing unescaped; a
# Host header that does not name the server is refused (421, DNS rebinding),
# and so is a change from another Origin (403).
source "$(dirname "$0")/lib.sh"

demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.005 --seed 11 -q
proj=$demo/cutover.yaml
"$CUTOVER" -p "$proj" audit -q >/dev/null
"$CUTOVER" -p "$proj" plan >/dev/null
run_cutover -p "$proj" migrate --all --skip-rehearsal -q
assert_eq "the demo migrates" 0 "$CODE"

run_cutover -p "$proj" serve --listen 10.1.2.3:8080
assert_eq "a non-loopback address is refused without --allow-remote" 2 "$CODE"
assert_contains "saying why" "not a loopback address" "$ERR"
run_cutover -p "$proj" serve --listen nonsense
assert_eq "a bad address is a usage error" 2 "$CODE"

"$CUTOVER" -p "$proj" serve --listen 127.0.0.1:0 > "$WORK/serve.out" 2>"$WORK/serve.err" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q '^token' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^cutover: serving \(http[^ ]*\) .*/\1/p' "$WORK/serve.out")
token=$(sed -n 's/^token for rollback and pause: //p' "$WORK/serve.out")
assert_contains "it listens on loopback" "http://127.0.0.1:" "$url"
assert_eq "the token is 48 hex digits" 48 "$(tr -dc 0-9a-f <<<"$token" | wc -c)"

# get PATH: body in BODY, status in STATUS.
get() { BODY=$(curl -s -w '\n%{http_code}' "$@"); STATUS=${BODY##*$'\n'}; BODY=${BODY%$'\n'*}; }
post() { get -X POST -H 'Content-Type: application/json' "$@"; }

get "${url}api/tenants"
assert_eq "GET /api/tenants: 200" 200 "$STATUS"
assert_eq "and the same document as status --json" "$("$CUTOVER" -p "$proj" status --json | jq -S .)" "$(jq -S . <<<"$BODY")"
t=$(jq -r '[.tenants[] | select(.last_run.loaded > 0)] | max_by(.last_run.loaded) | .tenant' <<<"$BODY")
loaded=$(jq ".tenants[] | select(.tenant == \"$t\") | .last_run.loaded" <<<"$BODY")
run_id=$(jq ".tenants[] | select(.tenant == \"$t\") | .last_run.id" <<<"$BODY")
get "${url}api/tenants/$t"
assert_eq "GET /api/tenants/$t: 200" 200 "$STATUS"
assert_eq "its status is status's" "$("$CUTOVER" -p "$proj" status --json | jq -S ".tenants[] | select(.tenant == \"$t\")")" "$(jq -S .status <<<"$BODY")"
assert_eq "its steps add up to the loaded rows" "$loaded" "$(jq '[.steps[].loaded] | add' <<<"$BODY")"
assert_eq "each load step: source rows = loaded + merged + rejected" true \
  "$(jq '[.steps[] | select(.step | startswith("load:")) | .source_rows == .loaded + .merged + .rejected] | all' <<<"$BODY")"
assert_eq "rollback days left" 30 "$(jq .rollback_days_left <<<"$BODY")"
get "${url}api/runs/$run_id"
assert_eq "GET /api/runs/$run_id: 200, the tenant's run" "200 $t migrate" "$STATUS $(jq -r '.run.tenant + " " + .run.command' <<<"$BODY")"
get "${url}api/routes"
assert_eq "GET /api/routes is routes --json" "$("$CUTOVER" -p "$proj" routes --json | jq -S .)" "$(jq -S . <<<"$BODY")"
get "${url}api/cohorts"
assert_eq "GET /api/cohorts lists the plan's cohorts" "true" "$(jq '.cohorts | length > 1' <<<"$BODY")"
get "$url"
assert_eq "GET / is a page" 200 "$STATUS"
assert_eq "that does not reload itself whole (a form being filled would be lost)" 0 \
  "$(grep -c 'http-equiv="refresh"' <<<"$BODY")"
assert_contains "but updates its data regions" "id=tenants-table data-live" "$BODY"
assert_contains "by fetching the page every --refresh seconds" "setInterval(refresh,5000)" "$BODY"
assert_eq "no pause is offered while every cohort is done" 0 \
  "$(grep -c 'data-path="/api/cohorts/[^"]*/pause"' <<<"$BODY")"
get "${url}tenants/$t"
assert_contains "GET /tenants/$t shows its timeline" "<h3>Timeline</h3>" "$BODY"

# State changes need the token and a confirmation.
post "${url}api/tenants/$t/rollback" -d "{\"confirm\":\"$t\"}"
assert_eq "rollback without the token: 403" 403 "$STATUS"
# The token with its last character changed (to one it is not).
wrong=${token%?}0; [[ $wrong == "$token" ]] && wrong=${token%?}1
post "${url}api/tenants/$t/rollback" -H "Authorization: Bearer $wrong" -d "{\"confirm\":\"$t\"}"
assert_eq "with a wrong token: 403" 403 "$STATUS"
assert_eq "the tenant is still on new" new "$("$CUTOVER" -p "$proj" route "$t")"
post "${url}api/tenants/$t/rollback" -H "Authorization: Bearer $token" -d '{"confirm": '
assert_eq "a malformed JSON body: 400" 400 "$STATUS"
assert_eq "answered as JSON" true "$(jq 'has("error")' <<<"$BODY")"
post "${url}api/tenants/$t/rollback" -H "Authorization: Bearer $token" -d '{"confirm":"nope"}'
assert_eq "without the confirmation: 400" 400 "$STATUS"
get "${url}api/tenants/$t/rollback"
assert_eq "GET on an action: 405" 405 "$STATUS"
post "${url}api/tenants/$t/rollback" -H "Authorization: Bearer $token" -d "{\"confirm\":\"$t\"}"
assert_eq "with the token and confirmation: 200" 200 "$STATUS"
assert_eq "it rolled back a switched tenant" "true true" "$(jq -r '"\(.rolled_back) \(.was_switched)"' <<<"$BODY")"
assert_eq "the route is old again (as cutover rollback leaves it)" old "$("$CUTOVER" -p "$proj" route "$t")"
assert_eq "its rows left the target" 0 "$(q "$demo/crm.db" "SELECT count(*) FROM contacts WHERE account_id = $t")"
cohort_t=$(curl -s "${url}api/cohorts" | jq --arg t "$t" '.cohorts[] | select(.tenants | any(. == $t)) | .cohort')
get "$url"
assert_eq "then pause is offered for its cohort only (a tenant left)" \
  "/api/cohorts/$cohort_t/pause" "$(grep -o 'data-path="/api/cohorts/[^"]*/pause"' <<<"$BODY" | cut -d'"' -f2)"

# Only names of this server are served (DNS rebinding); a change must come
# from its own origin.
port=${url#http://127.0.0.1:}; port=${port%/}
get "${url}api/tenants" -H "Host: evil.example"
assert_eq "a foreign Host header: 421" 421 "$STATUS"
assert_contains "saying which names it answers to" "localhost:$port" "$BODY"
get "${url}" -H "Host: evil.example:$port"
assert_eq "a foreign name with the right port: 421" 421 "$STATUS"
get "${url}api/tenants" -H "Host: 127.0.0.1:$((port == 65535 ? 1 : port + 1))"
assert_eq "a loopback name with another port: 421" 421 "$STATUS"
for host in "localhost:$port" "127.0.0.1:$port" "[::1]:$port" "LOCALHOST:$port"; do
  get "${url}api/tenants" -H "Host: $host"
  assert_eq "Host $host: 200" 200 "$STATUS"
done
post "${url}api/cohorts/canary/pause" -H "Authorization: Bearer $token" \
  -H "Origin: http://evil.example" -d '{"confirm":"canary"}'
assert_eq "a pause from another origin: 403" 403 "$STATUS"
assert_contains "saying so" "another origin" "$BODY"
assert_eq "the canary is not paused" false \
  "$(curl -s "${url}api/cohorts" | jq '.cohorts[] | select(.cohort == 0) | .paused')"
post "${url}api/cohorts/canary/pause" -H "Authorization: Bearer $token" \
  -H "Origin: http://localhost:$port" -d '{"confirm":"0"}'
assert_eq "the canary confirmed by its number: 400" 400 "$STATUS"
assert_contains "naming the word to type" 'confirm by sending {\"confirm\": \"canary\"}' "$BODY"
post "${url}api/cohorts/0/pause" -H "Authorization: Bearer $token" \
  -H "Origin: http://localhost:$port" -d '{"confirm":"canary"}'
assert_eq "the canary paused from its own origin, confirmed by its name: 200" "200 true" \
  "$STATUS $(jq .paused <<<"$BODY")"
get "$url"
assert_contains "the page then offers to resume it (done or not)" \
  'data-path="/api/cohorts/canary/resume"' "$BODY"
assert_contains "asking for the word the API checks" "type <code>canary</code> to confirm" "$BODY"
post "${url}api/cohorts/canary/resume" -H "Authorization: Bearer $token" -d '{"confirm":"canary"}'
assert_eq "and resume it (no Origin: a tool such as curl)" "200 false" "$STATUS $(jq .paused <<<"$BODY")"

# Pausing a cohort: run stops before its next tenant; resume lets it go.
wave=$(jq '[.cohorts[] | select(.cohort > 0)][-1].cohort' < <(curl -s "${url}api/cohorts"))
post "${url}api/cohorts/$wave/pause" -d "{\"confirm\":\"$wave\"}"
assert_eq "pause without the token: 403" 403 "$STATUS"
post "${url}api/cohorts/$wave/pause" -H "Authorization: Bearer $token" -d "{\"confirm\":\"$wave\"}"
assert_eq "pause with it: 200" "200 true" "$STATUS $(jq .paused <<<"$BODY")"
run_cutover -p "$proj" run --cohort "$wave" --skip-rehearsal
assert_eq "run on a paused cohort stops: exit 13" 13 "$CODE"
assert_contains "saying so" "cohort $wave is paused" "$ERR"
post "${url}api/cohorts/$wave/resume" -H "Authorization: Bearer $token" -d "{\"confirm\":\"$wave\"}"
assert_eq "resume: 200" "200 false" "$STATUS $(jq .paused <<<"$BODY")"
# The same pause from the command line, seen by the API.
run_cutover -p "$proj" pause --cohort "$wave" --reason "sales asked" --json
assert_eq "cutover pause" "0 true" "$CODE $(jq .paused <<<"$OUT")"
assert_eq "the API sees the pause" true \
  "$(curl -s "${url}api/cohorts" | jq --argjson w "$wave" '.cohorts[] | select(.cohort == $w) | .paused')"
run_cutover -p "$proj" run --cohort "$wave" --skip-rehearsal
assert_contains "a paused run says how to resume" "cutover resume --cohort $wave" "$ERR"
run_cutover -p "$proj" resume --cohort "$wave"
assert_eq "cutover resume" 0 "$CODE"
assert_eq "the API sees it resumed" true \
  "$(curl -s "${url}api/cohorts" | jq --argjson w "$wave" '.cohorts[] | select(.cohort == $w) | .paused == false')"
run_cutover -p "$proj" pause --cohort tomorrow
assert_eq "a cohort that is not one: usage error" 2 "$CODE"

# The server answers while a migration runs in another process (every
# tenant rolled back first: switched tenants are not migrated again).
run_cutover -p "$proj" rollback --all -q
assert_eq "every tenant rolled back" 0 "$CODE"
"$CUTOVER" -p "$proj" migrate --all --skip-rehearsal -q > /dev/null 2>&1 &
migration=$!
answered=0 failed=0
while kill -0 "$migration" 2>/dev/null; do
  if curl -s -m 5 "${url}api/tenants" | jq -e '.tenants | length > 0' >/dev/null; then
    answered=$((answered + 1))
  else
    failed=$((failed + 1))
  fi
done
wait "$migration"
assert_eq "the migration in the other process succeeds" 0 "$?"
assert_eq "no request failed during it" 0 "$failed"
assert_eq "and some were answered during it" true "$([[ $answered -gt 0 ]] && echo true || echo false)"
echo "     ($answered answers during the migration)"
get "${url}api/tenants"
assert_eq "afterwards the API still matches status" "$("$CUTOVER" -p "$proj" status --json | jq -S .)" "$(jq -S . <<<"$BODY")"

# Hostile input: clean errors, nothing unescaped.
get "${url}$(head -c 5000 /dev/zero | tr '\0' a)"
assert_eq "a very long URL: 414" 414 "$STATUS"
get "${url}api/nothing/here"
assert_eq "an unknown API path: 404" 404 "$STATUS"
assert_eq "as JSON" true "$(jq 'has("error")' <<<"$BODY")"
get "${url}no/such/page"
assert_eq "an unknown page: 404" 404 "$STATUS"
get "${url}api/runs/abc"
assert_eq "a run that is not a number: 404" 404 "$STATUS"
get -X DELETE "${url}api/tenants"
assert_eq "another method: 405" 405 "$STATUS"
post "${url}api/tenants/$t/rollback" -H "Authorization: Bearer $token" --data-binary @<(head -c 70000 /dev/zero | tr '\0' x)
assert_eq "a body too large: 413" 413 "$STATUS"
q "$demo/.cutover/state.db" "INSERT INTO tenants (tenant, label, state) VALUES ('q\"<b>''', '<script>alert(1)</script>', 'new')"
get "${url}tenants/q%22%3Cb%3E%27"
assert_eq "a tenant with quotes and angle brackets: 200" 200 "$STATUS"
assert_eq "its label is not rendered raw" 0 "$(grep -c '<script>alert' <<<"$BODY")"
assert_contains "but escaped" "Tenant q&quot;&lt;b&gt;&#39;: &lt;script&gt;alert(1)&lt;/script&gt;" "$BODY"
get "${url}api/tenants/q%22%3Cb%3E%27"
assert_eq "its JSON is valid and names it" "q\"<b>'" "$(jq -r .status.tenant <<<"$BODY")"
get "$url"
assert_eq "the overview escapes it too" 0 "$(grep -c '<script>alert' <<<"$BODY")"
get "${url}tenants/%3Cscript%3Enope"
assert_eq "an unknown tenant's page: 404" 404 "$STATUS"
assert_eq "its name is escaped in the error" 0 "$(grep -c '<script>nope' <<<"$BODY")"

kill "$server"
wait "$server"
assert_eq "SIGTERM stops the server cleanly" 0 "$?"
finish
