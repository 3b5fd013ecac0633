#!/usr/bin/env bash
# ansible-test sanity with zero ignore entries. ansible-test wants the
# collection at ansible_collections/<namespace>/<name>: copy the tracked files
# there (without the collections/ link that lets playbooks run from a checkout).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d /tmp/filesync-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/filesync/cluster"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard | grep -v '^collections/' | tar -cf - -T -) | tar -C "$dest" -xf -
if ls "$dest"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
  echo "tests/sanity/ignore-*.txt exists: this collection keeps zero ignore entries" >&2
  exit 1
fi
# ansible-test --venv fetches get-pip from a host this network cannot reach;
# give it a get-pip that bootstraps pip with ensurepip instead.
"$root/tools/seed-get-pip.sh"
cd "$dest"
git init -q . && git add -A >/dev/null
ansible-test sanity --venv --python "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --color no --truncate 0 "$@"
