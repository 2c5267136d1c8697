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
