#!/usr/bin/env bash
# The demo behind `make demo`: generate the legacy CRM, check the mapping,
# audit it and plan cohorts, rehearse every tenant on staging, migrate every
# tenant with progress and verification, then show the journal.
# Usage: tools/demo.sh CUTOVER_BINARY DIR SCALE
set -euo pipefail
cutover=$1 dir=$2 scale=$3
run() { echo; echo "== cutover $*"; "$cutover" -p "$dir/cutover.yaml" "$@"; }

rm -rf "$dir"
echo "== cutover demo init $dir --scale $scale"
"$cutover" demo init "$dir" --scale "$scale"
run check
run audit --html "$dir/audit.html" | sed -n "1,16p"
echo "  (per tenant: the rows the target would refuse, duplicates, sizes: see $dir/audit.html)"
run plan | sed -n "1,12p"
run rehearse --all -q
echo "every tenant rehearsed on staging and verified"
run migrate --all
run status
echo
echo "Rejected rows, one JSON line each, for example:"
first=$(ls "$dir"/.cutover/rejects/*.jsonl 2>/dev/null | head -n 1 || true)
if [[ -n "$first" ]]; then
  head -n 3 "$first" | cut -c 1-240
fi
echo
echo "The audit as a page: $dir/audit.html"
echo "Explore: $cutover -p $dir/cutover.yaml verify --tenant 5"

# Behavioural data (docs/scoring.md): switch the scoring from the old tracking
# integration to the new one. The volumes stop the switch (e-mail opens 30%
# fewer, webinars missing); the "engagement" model, which leans on them, is
# not similar on the new source and stays; "intent" is similar and switches.
echo
echo "== behavioural source switch (as of 2026-10-02; clock set to the demo's now)"
export CUTOVER_NOW=2026-11-01T00:00:00Z
run events mapping import "$dir/scoring/old-mapping.csv" --event-source old -q
run events mapping duplicate old --to-source new --rename "$dir/scoring/rename.csv"
run events compare --old old --new new --html "$dir/volumes.html" || true
for m in engagement intent; do
  "$cutover" -p "$dir/cutover.yaml" model import $m "$dir/scoring/$m.csv" --event-source old --percentiles -q
  "$cutover" -p "$dir/cutover.yaml" model duplicate $m --event-source new -q
done
run model compare intent intent-new --as-of 2026-10-02 --labels conversions | grep -E "^== |^ +(old|new) +AUC|AUC difference|verdict" || true
run model sample intent intent-new --as-of 2026-10-02 --html "$dir/sample.html"
run events switch --model engagement --draft engagement-new --as-of 2026-10-02 --labels conversions || true
run events switch --model intent --draft intent-new --as-of 2026-10-02 --labels conversions || true
unset CUTOVER_NOW
echo "Volumes: $dir/volumes.html   Sample page: $dir/sample.html"
