#!/usr/bin/env bash
# The local lab: six systemd containers on a private Docker network, named
# as in inventories/lab/hosts.yml. Seed 002's layout: lab-node1..3 run
# Galera, memcached and etcd and mount the NFS share; lab-lb1 runs HAProxy
# and the NFS server; lab-node4 and lab-node5 are spare etcd hosts.
# SCENARIO=seatable: the SeaTable lab of inventories/lab-seatable (Debian 13
# containers; st-node1..3 run Docker inside).
# SCENARIO=powerfolder: the PowerFolder lab of inventories/lab-powerfolder
# (pf-node1..3: Galera and PowerFolder; pf-lb1: HAProxy and the NFS server).
# SCENARIO=aegir: the Aegir Pack lab of inventories/lab-aegir (ag-master
# exports the platforms; ag-web1 and ag-web2 are the web slaves).
#   [SCENARIO=seatable|powerfolder|aegir] tools/lab.sh up | status | destroy
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scenario=${SCENARIO:-default}
if [ "$scenario" = seatable ]; then
  image=filesync/debian-systemd:trixie
  network=filesync-lab-seatable
  nodes=(st-node1 st-node2 st-node3 st-lb1)
  inventory=$root/inventories/lab-seatable/hosts.yml
elif [ "$scenario" = powerfolder ]; then
  image=filesync/debian-systemd:bookworm
  network=filesync-lab-powerfolder
  nodes=(pf-node1 pf-node2 pf-node3 pf-lb1)
  inventory=$root/inventories/lab-powerfolder/hosts.yml
elif [ "$scenario" = aegir ]; then
  image=filesync/debian-systemd:bookworm
  network=filesync-lab-aegir
  nodes=(ag-master ag-web1 ag-web2)
  inventory=$root/inventories/lab-aegir/hosts.yml
else
  image=filesync/debian-systemd:bookworm
  network=filesync-lab
  nodes=(lab-node1 lab-node2 lab-node3 lab-node4 lab-node5 lab-lb1)
  inventory=$root/inventories/lab/hosts.yml
fi

create() {
  local name=$1
  # NET_ADMIN: the Seafile nodes load their nftables rules.
  local extra=(--cap-add NET_ADMIN)
  if [ "$scenario" = seatable ]; then
    # Docker inside: every capability but CAP_SYS_RESOURCE, which this
    # machine's Docker cannot grant.
    case "$name" in st-node*) extra+=(--cap-add ALL --cap-drop SYS_RESOURCE) ;; esac
  elif [ "$scenario" = aegir ]; then
    # The platforms: one Docker volume on every Pack host stands in for the
    # NFS mount (ext4 underneath: NFS-Ganesha on the master can export it).
    extra+=(-v "$network-shared:/var/aegir/platforms")
    if [ "$name" = ag-master ]; then extra+=(--cap-add DAC_READ_SEARCH); fi
  elif [ "${name#*-}" != lb1 ]; then
    # The shared mount of the application nodes: the containers cannot mount
    # NFS, so one Docker volume stands in for it (the export is proved with
    # NFS-Ganesha on the lb1 container).
    extra+=(-v "$network-shared:/srv/filesync")
  fi
  if [ "${name#*-}" = lb1 ] && [ "$scenario" != seatable ]; then
    # NFS-Ganesha's VFS backend needs file handles (tmpfs has them,
    # overlayfs does not) and CAP_DAC_READ_SEARCH for open_by_handle_at.
    extra+=(--cap-add DAC_READ_SEARCH --tmpfs /srv/nfs)
  fi
  docker run -d --name "$name" --hostname "$name" --network "$network" \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp -v /sys/fs/cgroup:/sys/fs/cgroup:rw --cgroupns host \
    "${extra[@]}" "$image" /lib/systemd/systemd >/dev/null
}

up() {
  docker network inspect "$network" >/dev/null 2>&1 || docker network create "$network" >/dev/null
  for name in "${nodes[@]}"; do
    if docker container inspect "$name" >/dev/null 2>&1; then
      state=$(docker container inspect -f '{{.State.Status}}' "$name")
    else
      state=missing
    fi
    case "$state" in
      running) ;;
      missing) create "$name" ;;
      *) docker start "$name" >/dev/null ;;
    esac
  done
  for name in "${nodes[@]}"; do
    for _ in $(seq 1 30); do
      state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
  done
  echo "lab containers up: ${nodes[*]}"
}

destroy() {
  docker rm -f "${nodes[@]}" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  docker volume rm "$network-shared" >/dev/null 2>&1 || true
  echo "lab removed"
}

# One table of every tier, non-zero when one is unhealthy: the read-only
# playbook that real servers use, over the lab inventory's connection.
status() {
  cd "$root"
  PATH=$root/.venv/bin:$PATH ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$root/ansible.cfg} \
    exec ansible-playbook playbooks/status.yml -i "$inventory"
}

case "${1:-}" in
  up) up ;;
  destroy) destroy ;;
  status) status ;;
  *) echo "usage: $0 up|status|destroy" >&2; exit 2 ;;
esac
