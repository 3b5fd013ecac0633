"""Print the test summary table and the closing 'N passed, N failed' line."""

import pathlib
import sys
import xml.etree.ElementTree as ET


def main(out):
    out = pathlib.Path(out)
    passed = failed = 0
    print("\n===== summary")
    for line in (out / "stages.txt").read_text().splitlines():
        name, result, seconds = line.split()
        print("%-22s %-7s %5ss" % (name, result, seconds))
        if name == "unit":
            continue  # counted per case below
        passed += result == "passed"
        failed += result == "failed"
    for junit in sorted(out.glob("junit-*.xml")):
        cases = ET.parse(junit).getroot().iter("testcase")
        p = f = 0
        for case in cases:
            if case.find("failure") is not None or case.find("error") is not None:
                f += 1
            elif case.find("skipped") is None:
                p += 1
        print("%-22s %d passed, %d failed" % (junit.stem, p, f))
        passed += p
        failed += f
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
