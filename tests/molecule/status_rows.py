"""Rows of the table that playbooks/status.yml prints, read from its output."""

import collections
import re

TIERS = ("galera", "memcached", "haproxy", "etcd", "nfs", "seafile", "storage", "license", "seatable", "powerfolder", "aegir")
Row = collections.namedtuple("Row", "tier host state ok")
ROW = re.compile(r'^\s*"?(%s)\s+(\S+)\s+(.*?)\s+(OK|FAIL)"?,?$' % "|".join(TIERS))


def status_rows(output):
    """Every row of the table, in order (printed as a YAML block or as a JSON list of lines)."""
    table = output.split("TASK [Print the status table]", 1)[1].split("TASK [", 1)[0]
    return [Row(m.group(1), m.group(2), m.group(3), m.group(4) == "OK") for m in map(ROW.match, table.splitlines()) if m]


def recap(output):
    """The PLAY RECAP of an ansible-playbook run: host -> {ok, changed, unreachable, failed}."""
    return {
        m.group(1): dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.group(2, 3, 4, 5))))
        for m in re.finditer(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output, re.M)
    }


def hosts_of(rows, tier):
    return sorted({row.host for row in rows if row.tier == tier})


def healthy(result):
    """status.yml exited 0, changed nothing, and printed only OK rows; returns the rows."""
    rc, output, recap = result
    assert rc == 0, output
    assert recap and all(counts["changed"] == 0 for counts in recap.values()), output
    rows = status_rows(output)
    assert rows and all(row.ok for row in rows), output
    return rows
