#!/usr/bin/env bash
# The demo behind `make demo`: generate the legacy CRM, check the mapping,
# migrate every tenant with progress, then show the journal.
# Usage: tools/demo.sh CUTOVER_BINARY DIR SCALE
set -euo pipefail
cutover=$1 dir=$2 scale=$3

rm -rf "$dir"
echo "== cutover demo init $dir --scale $scale"
"$cutover" demo init "$dir" --scale "$scale"
echo
echo "== cutover check"
"$cutover" -p "$dir/cutover.yaml" check
echo
echo "== cutover migrate --all"
"$cutover" -p "$dir/cutover.yaml" migrate --all
echo
echo "== cutover status"
"$cutover" -p "$dir/cutover.yaml" status
echo
echo "Rejected rows, one JSON line each, for example:"
first=$(ls "$dir"/.cutover/rejects/*.jsonl 2>/dev/null | head -n 1 || true)
if [[ -n "$first" ]]; then
  head -n 3 "$first" | cut -c 1-240
fi
echo
echo "Explore: $cutover -p $dir/cutover.yaml status --json"
