"""Print the test summary table and the closing 'N passed, N failed' line.

Every stage counts once (passed or failed), and every pytest case of the
junit files counts too. A stage that failed without a failing case in its
junit file (it crashed, or never wrote the file) counts as a failure of its
own, so a crash can never end in '0 failed'.
"""

import pathlib
import sys
import xml.etree.ElementTree as ET


def junit_counts(path):
    passed = failed = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is None:
            passed += 1
    return passed, failed


def main(out):
    out = pathlib.Path(out)
    passed = failed = 0
    print("\n===== summary")
    stages = out / "stages.txt"
    lines = stages.read_text().splitlines() if stages.exists() else []
    if not lines:
        print("no stage recorded its result")
        failed += 1
    total = 0
    for line in lines:
        name, result, seconds = line.split()
        total += int(seconds)
        junit = out / ("junit-%s.xml" % name)
        p, f = junit_counts(junit) if junit.exists() else (0, 0)
        note = "%d passed, %d failed" % (p, f) if junit.exists() else ("no junit file" if name == "unit" else "")
        print("%-22s %-7s %6ss  %s" % (name, result, seconds, note))
        passed += p
        failed += f
        if name == "unit":
            # Counted per case; a crash without a failing case is one failure.
            failed += result == "failed" and f == 0
        else:
            passed += result == "passed"
            failed += result == "failed"
    print("%-22s %-7s %6ss  (%d min %02d s)" % ("sum of stages", "", total, total // 60, total % 60))
    setup = out / "setup.txt"
    for line in setup.read_text().splitlines() if setup.exists() else []:
        name, seconds = line.split()
        label = "wall clock" if name == "wall" else "set-up " + name
        print("%-22s %-7s %6ss  (%d min %02d s)" % (label, "", seconds, int(seconds) // 60, int(seconds) % 60))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
