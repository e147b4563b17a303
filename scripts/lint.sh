#!/usr/bin/env bash
# Lint everything: yamllint, ansible-lint (production profile), ruff. Runs all three, fails if any did.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
echo "== yamllint";           yamllint --strict . || rc=1
echo "== ansible-lint";       ansible-lint --profile production || rc=1
echo "== ruff check";         ruff check . || rc=1
echo "== ruff format --check"; ruff format --check . || rc=1
exit $rc
