# test_report.sh: the demo's migration report is one self-contained HTML page
# that headless Chromium renders with every tenant and its numbers; a
# screenshot of it is kept under the build tree (test-artifacts/). Values
# from the journal are escaped; an unknown tenant is refused.
source "$(dirname "$0")/lib.sh"

artifacts=${CUTOVER_ARTIFACTS:-$PWD/test-artifacts}/report
mkdir -p "$artifacts"
demo=$WORK/demo
"$CUTOVER" demo init "$demo" --scale 0.005 --seed 7 -q
proj=$demo/cutover.yaml
"$CUTOVER" -p "$proj" audit -q >/dev/null
"$CUTOVER" -p "$proj" plan >/dev/null
"$CUTOVER" -p "$proj" rehearse --all -q >/dev/null
run_cutover -p "$proj" migrate --all -q
assert_eq "the demo migrates" 0 "$CODE"
status=$("$CUTOVER" -p "$proj" status --json)
# commas N: N with a comma between groups of three digits (5896 -> 5,896).
commas() { sed -E ':a;s/([0-9])([0-9]{3})($|,)/\1,\2\3/;ta' <<<"$1"; }

page=$WORK/report.html
run_cutover -p "$proj" report -o "$page"
assert_eq "report exits 0" 0 "$CODE"
assert_contains "it says where it wrote" "report written to $page" "$OUT"
html=$(cat "$page")
assert_eq "nothing is fetched: no external URL, script, link, image or frame" "" \
  "$(grep -oiE '(src|href)="(https?:)?//[^"]*"|<script|<link|<img|<iframe' "$page" | grep -v 'xmlns' || true)"
assert_contains "charts are inline SVG" "<svg xmlns=\"http://www.w3.org/2000/svg\"" "$html"
assert_contains "the freeze window is highlighted" "Freeze window:" "$html"
assert_contains "volumes are charted per month" "engagements: rows per month" "$html"
assert_contains "rollback days are shown" "30 days of rollback left" "$html"

# Headless Chromium renders it; the rendered text holds tenants and numbers.
if ! command -v chromium >/dev/null; then
  fail "chromium is not installed (make deps installs it)"
  finish
  exit
fi
chrome() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$WORK/chrome" "$@" 2>>"$WORK/chrome.log"
}
chrome --dump-dom "file://$page" > "$WORK/dom.html"
assert_eq "chromium renders the page" 0 "$?"
# The text as rendered: tags dropped, entities decoded by the browser already.
text=$(sed -e 's/<[^>]*>/ /g' "$WORK/dom.html" | tr -s ' \n' ' ')
for t in $(jq -r '.tenants[].tenant' <<<"$status"); do
  label=$(jq -r ".tenants[] | select(.tenant == \"$t\") | .label" <<<"$status")
  loaded=$(jq -r ".tenants[] | select(.tenant == \"$t\") | .last_run.loaded" <<<"$status")
  rejected=$(jq -r ".tenants[] | select(.tenant == \"$t\") | .last_run.rejected" <<<"$status")
  assert_contains "tenant $t's section is rendered" "Tenant $t: $label" "$text"
  read=$(jq -r ".tenants[] | select(.tenant == \"$t\") | .last_run.source_rows" <<<"$status")
  # Source rows = loaded + merged + rejected: the merged duplicates are the rest
  # (counts with thousands separators, as everywhere in the report).
  assert_contains "tenant $t's loaded, merged and rejected totals" " total $(commas "$read") $(commas "$loaded") $(commas $((read - loaded - rejected))) $(commas "$rejected") " "$text"
done
assert_contains "the plan's canary is rendered" "canary 1" "$text"
chrome --window-size=1200,4000 --screenshot="$artifacts/report.png" "file://$page" >/dev/null
assert_eq "a screenshot is kept" "true" "$([[ -s $artifacts/report.png ]] && echo true || echo false)"
cp "$page" "$artifacts/report.html"

# One tenant only; an unknown one is refused.
run_cutover -p "$proj" report --tenant 3 -o "$WORK/t3.html"
assert_eq "report --tenant exits 0" 0 "$CODE"
assert_eq "it holds that tenant only" "1" "$(grep -c '<section class=tenant' "$WORK/t3.html")"
run_cutover -p "$proj" report --tenant 999 -o "$WORK/none.html"
assert_eq "an unknown tenant: exit 7" 7 "$CODE"
run_cutover -p "$proj" report
assert_eq "no -o: usage error" 2 "$CODE"

# Whatever the journal holds is escaped.
q "$demo/.cutover/state.db" "INSERT INTO tenants (tenant, label, state) VALUES ('q\"<b>', '<script>alert(\"x\")</script>', 'new')"
run_cutover -p "$proj" report -o "$WORK/hostile.html"
assert_eq "report with a hostile label exits 0" 0 "$CODE"
assert_eq "no raw script from the journal" 0 "$(grep -c '<script>alert' "$WORK/hostile.html")"
assert_contains "the label is escaped" "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" "$(cat "$WORK/hostile.html")"
assert_contains "the key is escaped" "Tenant q&quot;&lt;b&gt;" "$(cat "$WORK/hostile.html")"

finish
