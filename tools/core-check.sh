#!/usr/bin/env bash
# The unit tests and a syntax check of every playbook on an older ansible-core
# of tests/core-versions.txt: tools/core-check.sh 2.16 (its virtualenv is
# made by tools/core-venv.sh). JUnit: tests/output/junit-unit-RELEASE.xml.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
release=$1
venv=$("$root/tools/core-venv.sh" "$release")
export PATH=$venv/bin:$PATH
cd "$root"
echo "===== $(ansible --version | head -n 1)"
ANSIBLE_HOST_PATTERN_MISMATCH=ignore ansible-playbook --syntax-check -i localhost, site.yml playbooks/*.yml >/dev/null
echo "syntax ok:" site.yml playbooks/*.yml
pytest -q tests/unit --junitxml="tests/output/junit-unit-$release.xml"
