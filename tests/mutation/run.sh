#!/usr/bin/env bash
# Mutation runner: measures what the tests catch.
#
# Each tests/mutation/mutants/*.patch introduces one plausible bug and names,
# in its header, the rule it breaks, its kind (safety, liveness, ...) and the
# test(s) of that rule expected to catch it. For each mutant, in a scratch
# copy of this working tree, the runner applies the patch, builds, runs the
# default ctest suite and the campaign's CI sweep alone, and prints a
# Markdown table of what caught what. The suite runs without the packaging
# tests (they test the CMake package, not the protocol) and without its
# campaign test, which the runner replaces by running the same sweep on its
# own, under a time limit: a mutant may make runs slow.
#
#   tests/mutation/run.sh                      every mutant
#   tests/mutation/run.sh 19_ 05_              mutants whose names start so
#   CORAFT_MUTATION_SEEDS=1000                 campaign seeds per mutant (default: the CI sweep, 1000)
#   CORAFT_MUTATION_DIR=<dir>                  scratch directory (default: a new temporary one)
#
# A mutant counts as caught by the suite only when one of the tests its
# header names fails: the golden-trace test (traces.up_to_date) and the
# campaign test never count, since a changed trace or a lucky seed is not a
# test of the rule. A safety mutant must also be caught by the campaign
# sweep alone. Exit status 0 when every mutant meets both.
set -euo pipefail

src="$(cd "$(dirname "$0")/../.." && pwd)"
seeds="${CORAFT_MUTATION_SEEDS:-1000}"
work="${CORAFT_MUTATION_DIR:-$(mktemp -d)}"
mkdir -p "$work"
copy="$work/src"
build="$work/build"
log="$work/log"
mkdir -p "$log"

mutants=()
for p in "$src"/tests/mutation/mutants/*.patch; do
  name="$(basename "$p" .patch)"
  if (($# == 0)); then
    mutants+=("$p")
  else
    for prefix in "$@"; do
      [[ "$name" == "$prefix"* ]] && mutants+=("$p") && break
    done
  fi
done
((${#mutants[@]})) || { echo "no mutant matches: $*" >&2; exit 2; }

header() {  # header <patch> <field>
  sed -n "s/^$2: *//p" "$1" | head -n 1
}

echo "== scratch copy of $src in $work"
rm -rf "$copy"
mkdir -p "$copy"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | grep -zv '^build/' |
  tar --null -T - -cf -) | (cd "$copy" && tar -xf -)
(cd "$copy" && git init -q && git add -A && git -c user.name=mutation -c user.email=mutation@localhost \
  commit -qm base)

cmake -S "$copy" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORAFT_BUILD_BENCH=OFF \
  -DCORAFT_BUILD_EXAMPLES=OFF >"$log/configure.txt"

run_suite() {  # run_suite <label>: prints the names of failing tests, one per line
  ctest --test-dir "$build" -j2 --timeout 120 -E '^package\.|^Campaign\.RandomizedSweep' \
    >"$log/$1.ctest.txt" 2>&1 || true
  sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (\(Failed\|Timeout\|Exception\|SEGFAULT\|Subprocess aborted\|Child aborted\|Not Run\).*/\1/p' \
    "$log/$1.ctest.txt" | sort -u
}

run_campaign() {  # run_campaign <label>: prints "<failing seeds> <first seed>"
  local rc=0 n first
  timeout 600 "$build/tests/coraft_campaign" --seeds "$seeds" >"$log/$1.campaign.txt" 2>&1 || rc=$?
  n=$(grep -c '^FAIL seed' "$log/$1.campaign.txt" || true)
  first=$(sed -n 's/^FAIL seed \([0-9]*\).*/\1/p' "$log/$1.campaign.txt" | head -n 1)
  # A sweep cut off by the time limit after no failure is not a pass.
  ((rc == 124 && n == 0)) && first="timeout"
  echo "$n ${first:--}"
}

first_reason() {  # first_reason <label>: what the first failing seed broke ("durable commitment", ...)
  grep -m 1 '^FAIL seed' "$log/$1.campaign.txt" | sed -e 's/^FAIL seed [0-9]* ([^)]*): //' \
    -e 's/^invariant violated (seed [0-9]*, step [0-9]*): //' -e 's/^\([^:]*\).*/\1/' -e 's/ *$//'
}

echo "== baseline build and suite (unmutated)"
cmake --build "$build" -j2 >"$log/baseline.build.txt" 2>&1 || { echo "baseline build failed: $log/baseline.build.txt"; exit 1; }
base_fail="$(run_suite baseline)"
if [[ -n "$base_fail" ]]; then
  echo "the unmutated suite fails: $base_fail" >&2
  exit 1
fi
read -r base_n _ <<<"$(run_campaign baseline)"
if [[ "$base_n" != 0 ]]; then
  echo "the unmutated campaign fails $base_n seeds: $log/baseline.campaign.txt" >&2
  exit 1
fi

table="$work/results.md"
{
  echo "| mutant | rule | kind | caught by the rule's test | other failing tests | campaign ($seeds seeds): failing, first (what it broke) |"
  echo "|---|---|---|---|---|---|"
} >"$table"
bad=0
for p in "${mutants[@]}"; do
  name="$(basename "$p" .patch)"
  rule="$(header "$p" Rule)"
  kind="$(header "$p" Kind)"
  expected="$(header "$p" Caught-by)"
  echo "== $name ($kind; $rule)"
  (cd "$copy" && git checkout -q -- . && git apply "$p") || {
    echo "   does not apply"
    echo "| \`$name\` | $rule | $kind | **patch does not apply** | | |" >>"$table"
    bad=1
    continue
  }
  if ! cmake --build "$build" -j2 >"$log/$name.build.txt" 2>&1; then
    echo "   does not build: $log/$name.build.txt"
    echo "| \`$name\` | $rule | $kind | **does not build** | | |" >>"$table"
    bad=1
    continue
  fi
  failed="$(run_suite "$name")"
  read -r camp_n camp_first <<<"$(run_campaign "$name")"
  hit=()
  others=()
  while IFS= read -r t; do
    [[ -z "$t" ]] && continue
    match=0
    for e in $expected; do [[ "$t" == "$e" ]] && match=1; done
    if ((match)); then hit+=("$t"); else others+=("$t"); fi
  done <<<"$failed"
  if ((${#hit[@]})); then
    caught="yes: \`${hit[0]}\`"
  else
    caught="**no** (expected \`$expected\`)"
    bad=1
  fi
  if [[ "$camp_first" == timeout ]]; then
    camp="timed out after 600 s"
    [[ "$kind" == safety ]] && bad=1
  elif [[ "$camp_n" != 0 ]]; then
    camp="$camp_n, seed $camp_first ($(first_reason "$name"))"
  elif [[ "$kind" == safety ]]; then
    camp="**0**"
    bad=1
  else
    camp="0"
  fi
  other_text="${#others[@]}"
  if ((${#others[@]})); then
    other_text="${#others[@]}: \`${others[0]}\`"
    ((${#others[@]} > 1)) && other_text+=" ..."
  fi
  echo "   suite: ${#hit[@]} of the rule's tests failed, ${#others[@]} others; campaign: $camp_n failing seeds (first ${camp_first})"
  echo "| \`$name\` | $rule | $kind | $caught | $other_text | $camp |" >>"$table"
done
(cd "$copy" && git checkout -q -- .)

echo
cat "$table"
echo
if [[ -z "${CORAFT_MUTATION_DIR:-}" && "$bad" == 0 ]]; then
  rm -rf "$work"  # a temporary scratch directory, and every mutant met its bar
else
  echo "logs: $log"
fi
exit "$bad"
