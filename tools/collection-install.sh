#!/usr/bin/env bash
# The collection as a user gets it from Galaxy: build the tarball and install
# it into an empty collections path (its dependencies come from the ansible
# package, as collections/requirements.yml would bring them).
#   tools/collection-install.sh OUT_DIR
# -> OUT_DIR/filesync-cluster-VERSION.tar.gz and
#    OUT_DIR/collections/ansible_collections/filesync/cluster; prints the tarball.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
rm -rf "$out"
mkdir -p "$out/collections"
ansible-galaxy collection build --output-path "$out" "$root" >/dev/null
tarball=$(ls "$out"/filesync-cluster-*.tar.gz)
ANSIBLE_COLLECTIONS_PATH="$out/collections" \
  ansible-galaxy collection install --no-deps -p "$out/collections" "$tarball" >/dev/null
echo "$tarball"
