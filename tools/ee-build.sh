#!/usr/bin/env bash
# The execution environment of execution-environment.yml, built as a user
# builds it, but with the collections from local directories instead of Galaxy
# (unreachable here): this collection installed from its tarball, its
# dependencies (galaxy.yml) from the ansible package of the virtualenv.
#   tools/ee-build.sh TAG
# The base image (the lab's, tools/build-image.sh bookworm) must exist. The
# build trusts this machine's CA bundle (its TLS to PyPI may go through a
# proxy with its own CA), as the lab's nodes do.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tag=$1
out=$root/tests/output/ee
rm -rf "$out"
mkdir -p "$out/context"
tarball=$("$root/tools/collection-install.sh" "$out/installed")
echo "collection: $(basename "$tarball")"
python3 - "$root" "$out" <<'PY'
import importlib.util
import json
import pathlib
import shutil
import sys

import yaml

root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
galaxy = yaml.safe_load((root / "galaxy.yml").read_text())
site = pathlib.Path(importlib.util.find_spec("ansible_collections").submodule_search_locations[0])
sources = {f"{galaxy['namespace']}.{galaxy['name']}": out / "installed" / "collections" / "ansible_collections" / galaxy["namespace"] / galaxy["name"]}
# galaxy.yml's dependencies, and theirs (each installed collection's MANIFEST.json).
wanted = list(galaxy["dependencies"])
while wanted:
    name = wanted.pop()
    if name not in sources:
        sources[name] = site.joinpath(*name.split("."))
        manifest = json.loads((sources[name] / "MANIFEST.json").read_text())
        wanted += manifest["collection_info"]["dependencies"] or []
requirements = []
for name, path in sorted(sources.items()):
    shutil.copytree(path, out / "collections" / name, symlinks=True)
    requirements.append({"name": f"/build/collections/{name}", "type": "dir"})
(out / "requirements.yml").write_text(yaml.safe_dump({"collections": requirements}))
ee = yaml.safe_load((root / "execution-environment.yml").read_text())
ee["dependencies"]["galaxy"] = "requirements.yml"
ee["additional_build_files"] = [{"src": "collections", "dest": "collections"},
                               {"src": "/etc/ssl/certs/ca-certificates.crt", "dest": "host-ca"}]
ee["additional_build_steps"]["prepend_base"].insert(
    0, "COPY _build/host-ca/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt")
(out / "execution-environment.yml").write_text(yaml.safe_dump(ee, sort_keys=False))
PY
cd "$out"
ansible-builder build --container-runtime docker -f execution-environment.yml -c context -t "$tag" \
  --build-arg ANSIBLE_GALAXY_CLI_COLLECTION_OPTS=--offline -v 3
