#!/usr/bin/env bash
# `make test`: lint, unit tests, every Molecule scenario, the demo (site.yml over SSH, twice) and
# the bench smoke case. Each step runs even when an earlier
# one failed, so one CI run shows everything that is wrong; exits non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
passed=0 failed=0 report=()
step() {
  local name=$1; shift
  local t=$SECONDS
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1)); report+=("PASS  $name ($((SECONDS - t))s)")
  else
    failed=$((failed + 1)); report+=("FAIL  $name ($((SECONDS - t))s)")
  fi
}
step lint scripts/lint.sh
step unit pytest -q sample_app/tests tests/unit tests/apps/flaskr/tests tests/apps/microblog/tests
step docker-and-images make --no-print-directory images
step molecule scripts/run-molecule.sh
step demo scripts/demo.sh test
step bench-smoke scripts/bench.sh --smoke
echo "=== summary ($((SECONDS - start))s)"
printf '%s\n' "${report[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
