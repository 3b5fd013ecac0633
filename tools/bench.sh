#!/usr/bin/env bash
# Benchmark: converge the lab from fresh containers, re-run it (idempotent),
# then time a floor playbook with the same hosts and the same number of tasks
# per host, each a no-op module call (ansible.builtin.ping). Writes
# bench/results.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=bench
mkdir -p "$out" tests/output
log=tests/output/bench
mkdir -p "$log"

tools/lab.sh destroy
tools/lab.sh up
ansible-playbook molecule/shared/prepare.yml -i inventories/lab >"$log/prepare.log"

timed() {
  local name=$1
  shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$log/$name.log"
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 2))"
}

converge=$(timed converge ansible-playbook site.yml -i inventories/lab)
rerun=$(timed rerun ansible-playbook site.yml -i inventories/lab)
python3 tools/bench.py floor-playbook "$log/rerun.log" "$log/floor.yml"
floor=$(timed floor ansible-playbook "$log/floor.yml" -i inventories/lab)
python3 tools/bench.py results "$log/rerun.log" "$converge" "$rerun" "$floor" >"$out/results.json"
cat "$out/results.json"
