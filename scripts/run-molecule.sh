#!/usr/bin/env bash
# Run `molecule test` for the named scenarios (default: all, platform first). Every scenario runs
# even when one fails; prints one line per scenario with its time and a closing summary line.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  mapfile -t scenarios < <(ls molecule/*/molecule.yml | cut -d/ -f2 | sort \
    | awk '$0 == "platform" {print; next} {rest[++n] = $0} END {for (i = 1; i <= n; i++) print rest[i]}')
fi

mkdir -p .cache/molecule-logs
passed=0 failed=0 report=()
for s in "${scenarios[@]}"; do
  if [ ! -f "molecule/$s/molecule.yml" ]; then
    echo "run-molecule: no scenario '$s' (molecule/$s/molecule.yml)" >&2
    failed=$((failed + 1)); report+=("FAIL  $s (no such scenario)"); continue
  fi
  log=.cache/molecule-logs/$s.log
  echo "== molecule test -s $s (log: $log)"
  start=$SECONDS
  if molecule test -s "$s" 2>&1 | tee "$log"; then
    passed=$((passed + 1)); report+=("PASS  $s ($((SECONDS - start))s)")
  else
    failed=$((failed + 1)); report+=("FAIL  $s ($((SECONDS - start))s)")
  fi
done
printf '%s\n' "${report[@]}"
echo "molecule: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
