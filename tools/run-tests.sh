#!/usr/bin/env bash
# Every test stage, in order; each one runs even when an earlier one failed.
# The last line is "N passed, N failed": every pytest case (unit tests and the
# molecule verify suites) plus one result per stage that is not pytest
# (sanity, lint, each molecule scenario's create/converge/idempotence run).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
out=tests/output
mkdir -p "$out"
rm -f "$out"/junit-*.xml "$out"/stages.txt

stage() {
  local name=$1
  shift
  echo
  echo "===== $name: $*"
  local start=$SECONDS
  if "$@"; then
    echo "$name passed $((SECONDS - start))" >>"$out/stages.txt"
  else
    echo "$name failed $((SECONDS - start))" >>"$out/stages.txt"
  fi
}

stage unit pytest -q tests/unit --junitxml="$out/junit-unit.xml"
stage sanity tools/sanity.sh
stage lint ansible-lint
for scenario in molecule/*/molecule.yml; do
  scenario=$(basename "$(dirname "$scenario")")
  stage "molecule-$scenario" molecule test -s "$scenario"
done

exec python3 tools/test-summary.py "$out"
