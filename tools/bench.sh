#!/usr/bin/env bash
# Benchmark, per lab (the Seafile lab, the SeaTable lab, the PowerFolder lab): converge from
# fresh containers, re-run it (idempotent), then time a floor playbook with the
# same hosts and the same number of tasks per host, each a no-op module call
# (ansible.builtin.ping). Writes bench/results.json: one entry per lab.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=bench
mkdir -p "$out" tests/output

timed() {
  local log=$1
  shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$log"
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 2))"
}

# bench_lab NAME SCENARIO INVENTORY PREPARE PLAYBOOK
bench_lab() {
  local name=$1 scenario=$2 inventory=$3 prepare=$4 playbook=$5
  local log=tests/output/bench/$name
  mkdir -p "$log"
  SCENARIO=$scenario tools/lab.sh destroy
  SCENARIO=$scenario tools/lab.sh up
  ansible-playbook "$prepare" -i "$inventory" >"$log/prepare.log"
  local converge rerun floor
  converge=$(timed "$log/converge.log" ansible-playbook "$playbook" -i "$inventory")
  rerun=$(timed "$log/rerun.log" ansible-playbook "$playbook" -i "$inventory")
  python3 tools/bench.py floor-playbook "$log/rerun.log" "$log/floor.yml"
  floor=$(timed "$log/floor.log" ansible-playbook "$log/floor.yml" -i "$inventory")
  python3 tools/bench.py results "$log/rerun.log" "$converge" "$rerun" "$floor" >"$log/results.json"
  SCENARIO=$scenario tools/lab.sh destroy
}

# BENCH_LABS picks labs (default: all); results of labs not run this time
# are kept from the last run that measured them.
labs=${BENCH_LABS:-seafile seatable powerfolder}
for lab in $labs; do
  case $lab in
    seafile) bench_lab seafile default inventories/lab molecule/shared/prepare.yml site.yml ;;
    seatable) bench_lab seatable seatable inventories/lab-seatable molecule/shared/prepare-seatable.yml playbooks/seatable.yml ;;
    powerfolder) bench_lab powerfolder powerfolder inventories/lab-powerfolder molecule/shared/prepare-powerfolder.yml playbooks/powerfolder.yml ;;
    *) echo "unknown lab $lab" >&2; exit 2 ;;
  esac
done
python3 -c "import json, os, sys; print(json.dumps({n: json.load(open('tests/output/bench/%s/results.json' % n)) for n in sys.argv[1:]
             if os.path.exists('tests/output/bench/%s/results.json' % n)}, indent=2, sort_keys=True))" \
  seafile seatable powerfolder >"$out/results.json"
cat "$out/results.json"
