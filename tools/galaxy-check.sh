#!/usr/bin/env bash
# What Galaxy and Automation Hub do on upload, then what a user does after
# `ansible-galaxy collection install`: galaxy-importer on the built tarball
# (fails on any error or warning), then a syntax check of every playbook of
# the installed collection, by its name. The aegir molecule scenario
# converges from such an installed copy (its dependency step).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/tests/output/galaxy
tarball=$("$root/tools/collection-install.sh" "$out")
echo "===== galaxy-importer $(basename "$tarball")"
(cd "$out" && python3 -m galaxy_importer.main "$tarball") 2>&1 | tee "$out/importer.log"
if grep -E '^(WARNING|ERROR)' "$out/importer.log"; then
  echo "galaxy-importer reported the lines above: Galaxy would show them on the collection's page" >&2
  exit 1
fi
grep -q 'Importer processing completed successfully' "$out/importer.log"
installed=$out/collections/ansible_collections/filesync/cluster
echo "===== syntax check of every playbook, from $installed"
cd "$out"
names=()
for playbook in "$installed"/playbooks/*.yml; do
  names+=("filesync.cluster.$(basename "$playbook" .yml)")
done
env -u ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH="$out/collections" ANSIBLE_HOST_PATTERN_MISMATCH=ignore \
  ansible-playbook --syntax-check -i localhost, "${names[@]}" >/dev/null
echo "syntax ok: ${names[*]}"
