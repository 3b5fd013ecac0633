"""The status playbook's table (filter filesync.cluster.status_table)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.filesync.cluster.plugins.filter.status_table import status_table

TIERS = ["galera", "memcached", "haproxy"]


def row(tier, host, state, ok=True):
    return {"tier": tier, "host": host, "state": state, "ok": ok}


def test_rows_are_aligned_under_the_header_and_grouped_by_tier():
    lines = status_table([row("memcached", "node1", "active"), row("galera", "node1", "size 3 of 3, Synced, Primary"),
                          row("memcached", "node2", "inactive", False), row("galera", "node2", "size 3 of 3, Synced, Primary")], TIERS)
    assert lines == [
        "TIER       HOST   STATE                         HEALTH",
        "galera     node1  size 3 of 3, Synced, Primary  OK",
        "galera     node2  size 3 of 3, Synced, Primary  OK",
        "memcached  node1  active                        OK",
        "memcached  node2  inactive                      FAIL",
        "UNHEALTHY: 1 of 4 rows FAIL",
    ]


def test_tiers_not_named_come_last_in_the_order_they_come():
    lines = status_table([row("zeta", "a", "x"), row("haproxy", "lb", "galera/n1 UP"), row("alpha", "b", "y")], TIERS)
    assert [line.split()[0] for line in lines[1:-1]] == ["haproxy", "zeta", "alpha"]
    assert lines[-1] == "all tiers healthy (3 rows)"


def test_a_state_is_one_line():
    lines = status_table([row("galera", "n1", "down\n  mariadb  said\tno")])
    assert lines[1] == "galera  n1    down mariadb said no  OK"


def test_no_rows_says_so():
    assert status_table([], TIERS) == ["TIER  HOST  STATE  HEALTH", "no rows: none of the status playbook's groups has a host in this run"]


@pytest.mark.parametrize("bad", [{"tier": "galera", "host": "n1", "state": "x"}, row("galera", "n1", "x", "True"), "galera n1"])
def test_a_malformed_row_is_refused_naming_it(bad):
    with pytest.raises(AnsibleFilterError, match="row 1"):
        status_table([row("galera", "n0", "x"), bad])
