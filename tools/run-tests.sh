#!/usr/bin/env bash
# Every test stage; each one runs even when an earlier one failed.
# The last line is "N passed, N failed": every pytest case (unit tests and the
# molecule verify suites) plus one result per stage that is not pytest
# (sanity, lint, each molecule scenario's create/converge/idempotence run).
#
# Set-up first (host packages, the virtualenv, Docker), each step timed; the
# two base images build in the background while the unit tests, sanity and
# lint run. Each stage writes its own log (tests/output/logs/STAGE.log),
# printed whole when the stage ends; tests/output/stages.txt has each
# stage's seconds.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
out=tests/output
mkdir -p "$out/logs"
rm -f "$out"/junit-*.xml "$out"/stages.txt "$out"/setup.txt "$out"/image-*.rc "$out"/logs/*.log "$out"/logs/*.result
started=$SECONDS

setup() {
  local name=$1
  shift
  echo "===== set-up $name: $*"
  local start=$SECONDS
  if ! "$@"; then
    echo "set-up step $name failed: no test ran" >&2
    exit 1
  fi
  echo "$name $((SECONDS - start))" | tee -a "$out/setup.txt"
}

setup host-deps tools/host-deps.sh
setup venv make -s venv
# The oldest ansible-core supported (tests/core-versions.txt): its unit tests,
# syntax checks, sanity and the aegir scenario run on it too; make
# test-matrix runs every release.
oldest=$(awk '!/^#/ && NF { print $1; exit }' tests/core-versions.txt)
setup "venv-$oldest" tools/core-venv.sh "$oldest"
oldest_path="$root/.venv-$oldest/bin:$PATH"
setup docker tools/ensure-docker.sh

# Both base images build (debootstrap waits on the mirror) while the stages
# that need no container run; a molecule stage waits for them.
for suite in bookworm trixie; do
  (
    start=$SECONDS
    tools/build-image.sh "$suite" >"$out/logs/image-$suite.log" 2>&1
    rc=$?
    echo "image-$suite $((SECONDS - start))" >>"$out/setup.txt"
    echo "$rc" >"$out/image-$suite.rc"
  ) &
done

images_built() {
  local suite
  for suite in bookworm trixie; do
    while [ ! -f "$out/image-$suite.rc" ]; do sleep 2; done
    if [ "$(cat "$out/image-$suite.rc")" != 0 ]; then
      echo "the $suite image did not build:" && cat "$out/logs/image-$suite.log"
      return 1
    fi
  done
}

# run_stage NAME COMMAND...: runs one stage into its log and notes its
# result; show_stage NAME prints the stage's log whole and records its time.
run_stage() {
  local name=$1
  shift
  local start=$SECONDS result=passed
  "$@" >"$out/logs/$name.log" 2>&1 || result=failed
  echo "$name $result $((SECONDS - start)) $*" >"$out/logs/$name.result"
}

show_stage() {
  local name result seconds command
  read -r name result seconds command <"$out/logs/$1.result"
  echo "$name $result $seconds" >>"$out/stages.txt"
  echo
  echo "===== $name: $command ($result, $seconds s)"
  cat "$out/logs/$name.log"
}

stage() {
  run_stage "$@"
  show_stage "$1"
}

# The execution environment (execution-environment.yml, tools/ee-build.sh)
# builds from the bookworm image as soon as that exists, next to the stages
# below; the aegir scenario runs a job in it (ansible-runner, as AWX does).
export FILESYNC_EE_IMAGE=${FILESYNC_EE_IMAGE:-filesync-ee:test}
(
  while [ ! -f "$out/image-bookworm.rc" ]; do sleep 2; done
  if [ "$(cat "$out/image-bookworm.rc")" = 0 ]; then
    run_stage execution-environment tools/ee-build.sh "$FILESYNC_EE_IMAGE"
  else
    echo "execution-environment failed 0 tools/ee-build.sh (no bookworm image)" >"$out/logs/execution-environment.result"
  fi
) &

ee_built() {
  while [ ! -f "$out/logs/execution-environment.result" ]; do sleep 2; done
  show_stage execution-environment
}

# molecule_stage SCENARIO [PATH [VAR=VALUE...]]: PATH picks the ansible-core
# it runs on; the variables go to molecule (FILESYNC_DEBIAN: the release of the
# default scenario's nodes).
molecule_stage() {
  if images_built; then
    stage "molecule-$1" env PATH="${2:-$PATH}" "${@:3}" molecule test -s "$1"
  else
    echo "molecule-$1 failed 0" >>"$out/stages.txt"
  fi
}

# A molecule run keeps both cores busy: one at a time (two at once took as
# long in all, each twice as long). The stages that need no container run
# first, while the images build, in two lanes side by side (each stage keeps
# one core busy): the unit tests of both ansible-core releases in one, which
# take about as long as sanity, lint and the galaxy checks in the other.
(
  run_stage unit pytest -q tests/unit --junitxml="$out/junit-unit.xml"
  run_stage "unit-$oldest" tools/core-check.sh "$oldest"
) &
unit_lane=$!
run_stage "sanity-$oldest" env PATH="$oldest_path" tools/sanity.sh
run_stage sanity tools/sanity.sh
run_stage lint ansible-lint
run_stage galaxy tools/galaxy-check.sh
wait $unit_lane
for name in unit "sanity-$oldest" "unit-$oldest" sanity lint galaxy; do show_stage "$name"; done
ee_built
# The scenarios run on the oldest ansible-core, but $newest_scenario, which
# runs on the newest (the .venv's) and converges the installed tarball. The
# default scenario runs on Debian 13 (make test-matrix: on Debian 12 too); the
# SeaTable scenarios on Debian 13, the other products' on Debian 12.
newest_scenario=aegir
for scenario in molecule/*/molecule.yml; do
  scenario=$(basename "$(dirname "$scenario")")
  if [ "$scenario" = "$newest_scenario" ]; then
    molecule_stage "$scenario"
  elif [ "$scenario" = default ]; then
    molecule_stage "$scenario" "$oldest_path" FILESYNC_DEBIAN=trixie
  else
    molecule_stage "$scenario" "$oldest_path"
  fi
done
wait

echo "wall $((SECONDS - started))" >>"$out/setup.txt"
exec python3 tools/test-summary.py "$out"
