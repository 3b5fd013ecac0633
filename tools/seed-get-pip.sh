#!/usr/bin/env bash
# ansible-test bootstraps pip into each of its virtual environments with a
# get-pip.py that it downloads from a host this network cannot reach. Seed its
# cache with a stand-in that bootstraps pip with ensurepip (shipped with
# CPython) and installs the requested pip version from PyPI.
set -euo pipefail
python=${PYTHON:-python3}
cache="${HOME}/.ansible/test/cache"
mkdir -p "$cache"
versions=$("$python" - <<'PY'
import inspect, re
import ansible_test._internal.python_requirements as r
print(" ".join(sorted(set(re.findall(r"pip='([0-9.]+)'", inspect.getsource(r))))))
PY
)
for version in $versions; do
  cat >"$cache/get_pip_${version//./_}.py" <<'PY'
"""Stand-in for get-pip.py: ensurepip, then pip installs what was asked."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
packages = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
# ansible-test runs this with a stripped environment; keep the system CA
# bundle (which may hold a proxy's CA) in use.
cert = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
options = ["--cert", cert] if os.path.exists(cert) else []
if packages:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q"] + options + packages)
PY
done
