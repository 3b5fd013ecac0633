# Copyright: filesync.cluster maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status playbook's one table: a row per tier and host, aligned, and a
last line that says whether every row is healthy."""

from ansible.errors import AnsibleFilterError

HEADER = ("TIER", "HOST", "STATE", "HEALTH")
KEYS = ("tier", "host", "state", "ok")


def _cells(row, index):
    if not isinstance(row, dict) or any(key not in row for key in KEYS):
        raise AnsibleFilterError("status_table: row %d is not a dict with %s: %r" % (index, ", ".join(KEYS), row))
    if not isinstance(row["ok"], bool):
        raise AnsibleFilterError("status_table: row %d (%s %s) has ok=%r, not true or false" % (index, row["tier"], row["host"], row["ok"]))
    # One line per row: newlines and runs of spaces in a state become one space.
    return tuple(" ".join(str(row[key]).split()) for key in KEYS[:3]) + ("OK" if row["ok"] else "FAIL",)


def status_table(rows, tiers=None):
    """The lines of the table: a header, the rows grouped by tier in the order
    of `tiers` (tiers not named there after them, in the order they come), each
    group in the order its rows come, and a summary line."""
    cells = [_cells(row, index) for index, row in enumerate(rows or [])]
    order = {tier: position for position, tier in enumerate(tiers or [])}
    cells = [cell for _index, cell in sorted(enumerate(cells), key=lambda pair: (order.get(pair[1][0], len(order)), pair[0]))]
    widths = [max(len(cell[column]) for cell in [HEADER] + cells) for column in range(3)]
    lines = ["  ".join(cell[column].ljust(widths[column]) for column in range(3)) + "  " + cell[3] for cell in [HEADER] + cells]
    failed = sum(1 for cell in cells if cell[3] == "FAIL")
    if not cells:
        lines.append("no rows: none of the status playbook's groups has a host in this run")
    elif failed:
        lines.append("UNHEALTHY: %d of %d rows FAIL" % (failed, len(cells)))
    else:
        lines.append("all tiers healthy (%d rows)" % len(cells))
    return lines


class FilterModule:
    def filters(self):
        return {"status_table": status_table}
