"""playbooks/status.yml on the Seafile scenario: exit 0, a Seafile, storage and license row per node."""

from status_rows import healthy, hosts_of


def test_status_has_the_seafile_rows_of_every_node_and_exits_0(playbook, groups):
    rows = healthy(playbook("status.yml"))
    for tier in ("galera", "memcached"):
        assert hosts_of(rows, tier) == groups[tier], (tier, rows)
    for tier in ("seafile", "storage", "license"):
        assert hosts_of(rows, tier) == groups["seafile_nodes"], (tier, rows)
