"""playbooks/status.yml: one table of every tier, read over the inventory's connection; non-zero when a tier is unhealthy."""

import re

from status_rows import healthy, hosts_of, status_rows


def test_a_healthy_cluster_has_a_row_per_member_and_backend_and_exits_0(playbook, groups):
    rows = healthy(playbook("status.yml"))
    for tier in ("galera", "memcached", "etcd"):
        assert hosts_of(rows, tier) == groups[tier], (tier, rows)
    # Every backend server on every load balancer: the Galera members, and on
    # the lab's Seafile load balancers (not in the molecule scenario) the
    # Seafile nodes.
    seafile = groups.get("seafile_nodes", [])
    for lb in groups["haproxy"]:
        servers = {row.state.split()[0] for row in rows if row.tier == "haproxy" and row.host == lb}
        expected = {"galera/" + name for name in groups["galera"]}
        if lb in groups.get("seafile_lb", []):
            expected |= {"%s/%s" % (backend, name) for backend in ("seahub", "seafile-fileserver") for name in seafile}
        assert servers == expected, (lb, servers)
    assert hosts_of(rows, "nfs") == sorted(groups["nfs_server"] + groups["nfs_clients"])
    assert hosts_of(rows, "seafile") == hosts_of(rows, "storage") == seafile


def test_a_stopped_memcached_is_a_fail_row_named_in_the_failure(playbook, groups, node):
    victim = groups["memcached"][-1]
    node(victim).check_output("systemctl stop memcached")
    try:
        rc, output, recap = playbook("status.yml")
    finally:
        node(victim).check_output("systemctl start memcached")
    assert rc != 0, output
    assert all(counts["changed"] == 0 for counts in recap.values()), output
    memcached = {row.host: row for row in status_rows(output) if row.tier == "memcached"}
    assert not memcached[victim].ok and memcached[victim].state.startswith("inactive"), memcached[victim]
    assert all(row.ok for host, row in memcached.items() if host != victim), memcached
    message = " ".join(output.split())
    assert re.search(r"Unhealthy \(\d+ of \d+ rows FAIL\), .*memcached %s inactive" % re.escape(victim), message), output
