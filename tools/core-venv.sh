#!/usr/bin/env bash
# A virtualenv with an older ansible-core of tests/core-versions.txt and what
# the unit tests need: tools/core-venv.sh 2.16 -> .venv-2.16 (prints its path).
# Made again when tests/core-versions.txt or requirements-test.txt changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
release=$1
read -r -a pins <<<"$(awk -v r="$release" '$1 == r { $1 = ""; print }' "$root/tests/core-versions.txt")"
if [ "${#pins[@]}" -eq 0 ]; then
  echo "ansible-core $release is not in tests/core-versions.txt" >&2
  exit 1
fi
venv=$root/.venv-$release
stamp=$venv/.installed
if [ ! -f "$stamp" ] || [ "$root/tests/core-versions.txt" -nt "$stamp" ] || [ "$root/requirements-test.txt" -nt "$stamp" ]; then
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}" -r "$root/requirements-test.txt" >&2
  touch "$stamp"
fi
echo "$venv"
