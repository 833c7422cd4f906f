#!/usr/bin/env bash
# Compares the campaign's trace hashes of two revisions, seed by seed.
#
#   tests/sim/compare_traces.sh REV_A REV_B [SEEDS]     (default: 1000 seeds)
#
# Builds coraft_campaign at each revision in a scratch git worktree, runs
# `coraft_campaign --seeds SEEDS --hashes` on both, and prints the first
# seeds whose traces differ. A trace hash covers every event of a run in
# order (sends, deliveries, role and term changes, writes, commits,
# applies...), so identical hashes mean the revisions scheduled every seed
# identically: what a pure restructuring must keep. Exit status 0 when all
# seeds match.
set -euo pipefail
(($# >= 2)) || { echo "usage: $0 REV_A REV_B [SEEDS]" >&2; exit 2; }
src="$(cd "$(dirname "$0")/../.." && pwd)"
seeds="${3:-1000}"
work="$(mktemp -d)"
cleanup() {
  for side in a b; do git -C "$src" worktree remove --force "$work/$side" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

hashes() {  # hashes <side> <rev>
  git -C "$src" worktree add -q --detach "$work/$1" "$2"
  cmake -S "$work/$1" -B "$work/$1-build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORAFT_BUILD_BENCH=OFF \
    -DCORAFT_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$work/$1-build" -j2 --target coraft_campaign >"$work/$1-build.txt" 2>&1 ||
    { echo "$2 does not build: see $work/$1-build.txt" >&2; trap - EXIT; exit 1; }
  "$work/$1-build/tests/coraft_campaign" --seeds "$seeds" --hashes | grep '^seed ' >"$work/$1.txt" || true
}

echo "== building $1 and $2"
hashes a "$1"
hashes b "$2"
for side in a:$1 b:$2; do
  if [[ "$(wc -l <"$work/${side%%:*}.txt")" != "$seeds" ]]; then
    echo "${side#*:} printed no hash for some seeds: does its coraft_campaign know --hashes?" >&2
    exit 1
  fi
done
if diff -q "$work/a.txt" "$work/b.txt" >/dev/null; then
  echo "identical: the $seeds trace hashes of $1 and $2 match"
  exit 0
fi
echo "different traces ($1 | $2), first seeds:"
diff <(cut -d' ' -f2,3 "$work/a.txt") <(cut -d' ' -f2,3 "$work/b.txt") | grep '^[<>]' | head -10
exit 1
