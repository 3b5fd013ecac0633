#!/usr/bin/env bash
# Build a lab base image (Debian with systemd and python3) when it is missing:
#   tools/build-image.sh [bookworm|trixie]   (default bookworm)
# The SeaTable nodes run trixie, whose packages include Docker Compose v2. No registry is needed: debootstrap from the Debian mirror this
# machine already uses, then `docker import`.
set -euo pipefail
suite=${1:-bookworm}
image=filesync/debian-systemd:$suite

if docker image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ') || true
fi
mirror=${mirror:-http://deb.debian.org/debian}
rootfs=$(mktemp -d /tmp/filesync-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "building $image from $mirror" >&2
debootstrap --variant=minbase \
  --include=python3,python3-apt,systemd,systemd-sysv,dbus,iproute2,procps,ca-certificates \
  "$suite" "$rootfs" "$mirror" >/dev/null
cat >"$rootfs/etc/apt/sources.list" <<SRC
deb $mirror $suite main
deb $mirror $suite-updates main
SRC
# Units that make no sense in a container and slow its boot.
for unit in systemd-remount-fs.service getty.target console-getty.service \
    systemd-logind.service systemd-udevd.service systemd-udev-trigger.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
chroot "$rootfs" apt-get update -qq
rm -f "$rootfs/etc/machine-id" && : >"$rootfs/etc/machine-id"
tar -C "$rootfs" -c . | docker import --change 'CMD ["/lib/systemd/systemd"]' - "$image" >/dev/null
echo "built $image" >&2
