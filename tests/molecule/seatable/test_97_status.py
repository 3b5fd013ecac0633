"""playbooks/status.yml on the SeaTable scenarios: exit 0, a row per SeaTable node and the proxy's map."""

from status_rows import healthy, hosts_of


def test_status_has_the_seatable_rows_and_exits_0(playbook, groups):
    rows = healthy(playbook("status.yml"))
    for tier in ("galera", "etcd"):
        assert hosts_of(rows, tier) == groups[tier], (tier, rows)
    assert hosts_of(rows, "seatable") == sorted(set(groups["seatable_web"] + groups["dtable_servers"] + groups["dtable_proxy"]))
    # The proxy's row: the routing map (prefix mode) or the bucket map (etcd mode).
    proxy = groups["dtable_proxy"][0]
    assert [row for row in rows if row.tier == "seatable" and row.host == proxy and row.state.startswith(("routing map", "bucket map"))], rows
