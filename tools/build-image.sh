#!/usr/bin/env bash
# Build a lab base image (Debian with systemd and python3) when it is missing:
#   tools/build-image.sh [bookworm|trixie]   (default bookworm)
# The SeaTable nodes run trixie, whose packages include Docker Compose v2.
# No registry is needed: debootstrap from the Debian mirror this machine
# already uses, then `docker import`. An image of an older recipe (another
# filesync.recipe label) is rebuilt.
set -euo pipefail
suite=${1:-bookworm}
image=filesync/debian-systemd:$suite
recipe=4

if [ "$(docker image inspect -f '{{ index .Config.Labels "filesync.recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
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
  --include=python3,python3-apt,systemd,systemd-sysv,dbus,iproute2,procps,ca-certificates,openssh-server \
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
# Molecule reaches a node over SSH carried by `docker exec`: an sshd in inetd
# mode with its own settings (molecule/shared/inventory/ssh.cfg), one connection per
# node for a whole run instead of a `docker exec` per task. Root's empty
# password is accepted on that path only: the ssh service stays off (a role
# that wants it, such as aegir_web_node, turns it on with Debian's settings).
for unit in ssh.service ssh.socket; do
  chroot "$rootfs" systemctl disable -q "$unit" 2>/dev/null || true
done
chroot "$rootfs" passwd -q -d root
mkdir -p "$rootfs/etc/filesync-lab"
cat >"$rootfs/etc/filesync-lab/sshd_config" <<'SSHD'
# Lab image only: read by the sshd that `docker exec` starts for one
# connection (inetd mode); not by the ssh service.
PermitRootLogin yes
PermitEmptyPasswords yes
UsePAM no
HostKey /etc/ssh/ssh_host_ed25519_key
# Ansible copies files over SFTP (or scp, which speaks SFTP too).
Subsystem sftp internal-sftp
SSHD
# A container's disk is thrown away: dpkg need not sync every file it writes.
echo force-unsafe-io >"$rootfs/etc/dpkg/dpkg.cfg.d/filesync-lab-unsafe-io"
chroot "$rootfs" apt-get update -qq
rm -f "$rootfs/etc/machine-id" && : >"$rootfs/etc/machine-id"
tar -C "$rootfs" -c . | docker import --change 'CMD ["/lib/systemd/systemd"]' \
  --change "LABEL filesync.recipe=$recipe" - "$image" >/dev/null
echo "built $image" >&2
