"""tools/test-summary.py: a crashed stage is never reported as '0 failed'."""

import subprocess
import sys

from render import PROJECT

SUMMARY = str(PROJECT / "tools" / "test-summary.py")
CASE = '<testsuite><testcase name="a"/>%s</testsuite>'


def summarize(tmp_path, stages, junits=None):
    (tmp_path / "stages.txt").write_text("".join("%s %s 5\n" % stage for stage in stages))
    for name, body in (junits or {}).items():
        (tmp_path / ("junit-%s.xml" % name)).write_text(body)
    result = subprocess.run([sys.executable, SUMMARY, str(tmp_path)], capture_output=True, text=True, check=False)
    return result.returncode, result.stdout.strip().splitlines()[-1]


def test_a_unit_stage_that_crashed_without_results_fails(tmp_path):
    assert summarize(tmp_path, [("unit", "failed")]) == (1, "0 passed, 1 failed")


def test_a_failed_stage_with_only_passing_cases_still_fails(tmp_path):
    rc, last = summarize(tmp_path, [("unit", "failed")], {"unit": CASE % ""})
    assert (rc, last) == (1, "1 passed, 1 failed")


def test_a_molecule_stage_counts_its_cases_and_itself(tmp_path):
    rc, last = summarize(tmp_path, [("unit", "passed"), ("molecule-x", "passed")],
                         {"unit": CASE % "", "molecule-x": CASE % '<testcase name="b"><failure/></testcase>'})
    assert (rc, last) == (1, "3 passed, 1 failed")


def test_no_stage_at_all_fails(tmp_path):
    assert summarize(tmp_path, [])[0] == 1
