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
#   keepalived                                keepalived -t, the configuration test the keepalived role's
#                                             unit tests run on its keepalived.conf; the package's own
#                                             service is disabled and stopped right after it is installed
#   redis-server                              the real reader of the redis role's redis.conf: a throw-away
#                                             redis-server on a Unix socket (tests/unit/test_redis.py); the
#                                             package's own service is disabled and stopped right after it is installed
#   memcached                                 the real reader of the memcached role's memcached.conf: Debian's
#                                             systemd-memcached-wrapper starts a throw-away memcached on 127.0.0.1 and
#                                             free ports (tests/unit/test_input_guards.py); the package's own service
#                                             is disabled and stopped right after it is installed
#   haproxy                                   haproxy -c and throw-away haproxy processes (master-worker, random
#                                             ports) for the haproxy role's configuration and its reload check
#                                             (tests/unit/test_haproxy.py); the package's own service is disabled
#                                             and stopped right after it is installed
#   nftables                                  nft loads the firewall role's rules into a throw-away network
#                                             namespace (tests/unit/test_firewall.py)
set -euo pipefail
wanted=(mariadb-server-core mariadb-client-core shellcheck python3-gi gir1.2-glib-2.0 etcd-server etcd-client default-jre-headless keepalived
        redis-server memcached haproxy nftables)
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
# Only the keepalived binary is wanted here, never a running VRRP daemon on this machine.
if [[ " ${missing[*]} " == *" keepalived "* ]] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now keepalived >/dev/null 2>&1 || true
fi
# Only the redis-server binary is wanted here, never a running Redis on this machine.
if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
# Only the memcached binary and Debian's wrapper are wanted here, never a running memcached on this machine.
if [[ " ${missing[*]} " == *" memcached "* ]] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now memcached >/dev/null 2>&1 || true
fi
# Only the haproxy binary is wanted here, never a running HAProxy on this machine.
if [[ " ${missing[*]} " == *" haproxy "* ]] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now haproxy >/dev/null 2>&1 || true
fi
