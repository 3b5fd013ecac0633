#!/usr/bin/env bash
# Debian packages the tests need on the machine that runs them:
#   mariadb-server-core, mariadb-client-core  a throw-away mariadbd for module unit tests
#                                             (no service is installed or started)
#   the shellcheck program                    for ansible-test's shell sanity test
#   mariadb-client-core's my_print_defaults,  the real readers that tests/unit/test_hostile_values.py
#   python3-gi and gir1.2-glib-2.0            reads config values back with: MariaDB option files,
#                                             GLib's GKeyFile (through /usr/bin/python3)
#   etcd-server, etcd-client                  a throw-away etcd (/usr/bin/etcd, random ports) for the
#                                             etcd client and dtable module unit tests; the package's
#                                             own service, where the init system starts it, is not used
#   default-jre-headless                      java.util.Properties, the real reader and writer of the
#                                             java_properties module's unit tests (single-file source launch)
set -euo pipefail
wanted=(mariadb-server-core mariadb-client-core shellcheck python3-gi gir1.2-glib-2.0 etcd-server etcd-client default-jre-headless)
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Install these Debian packages first: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
