#!/usr/bin/env bash
# Make sure a Docker engine answers. When none does and we are root on Debian,
# install docker.io and start dockerd in the background (no systemd needed).
set -euo pipefail
log=${DOCKERD_LOG:-/var/log/filesync-dockerd.log}

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "No Docker engine answers and this is not root: start Docker (or run as root) and retry." >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
# dockerd from a previous session may have left a stale pid file behind.
rm -f /var/run/docker.pid
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see $log" >&2
exit 1
