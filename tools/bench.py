"""Helpers for tools/bench.sh: the floor playbook and the results file."""

import json
import re
import sys

import ansible.release

RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def tasks_per_host(log):
    """Task results per host in a run: ok + changed + skipped."""
    counts = {}
    for host, ok, changed, _unreachable, failed, skipped in RECAP.findall(open(log).read()):
        counts[host] = int(ok) + int(changed) + int(failed) + int(skipped)
    return counts


def floor_playbook(log, path):
    counts = tasks_per_host(log)
    most = max(counts.values())
    tasks = [
        {
            "name": "No-op %d" % i,
            "ansible.builtin.ping": {},
            "when": "%d < floor_tasks[inventory_hostname]" % i,
        }
        for i in range(most)
    ]
    play = [{"name": "Floor", "hosts": ",".join(sorted(counts)), "gather_facts": False,
             "vars": {"floor_tasks": counts}, "tasks": tasks}]
    with open(path, "w") as handle:
        json.dump(play, handle, indent=1)


def results(log, converge, rerun, floor):
    counts = tasks_per_host(log)
    data = {
        "converge_seconds": float(converge),
        "idempotent_rerun_seconds": float(rerun),
        "floor_seconds": float(floor),
        "rerun_floor_ratio": round(float(rerun) / float(floor), 3),
        "target_ratio": 1.5,
        "rerun_converge_share": round(float(rerun) / float(converge), 3),
        "target_rerun_converge_share": 0.25,
        "tasks_per_host": counts,
        "target_tasks_per_host": 50,
        "hosts": len(counts),
        "ansible_core_version": ansible.release.__version__,
    }
    print(json.dumps(data, indent=2, sort_keys=True))


if __name__ == "__main__":
    if sys.argv[1] == "floor-playbook":
        floor_playbook(sys.argv[2], sys.argv[3])
    else:
        results(*sys.argv[2:6])
