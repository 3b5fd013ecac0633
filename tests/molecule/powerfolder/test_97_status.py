"""playbooks/status.yml on the PowerFolder scenario: exit 0, a row per PowerFolder node and per Galera voter."""

from status_rows import healthy, hosts_of


def test_status_has_the_powerfolder_rows_and_exits_0(playbook, groups):
    rows = healthy(playbook("status.yml"))
    assert hosts_of(rows, "powerfolder") == groups["powerfolder_nodes"], rows
    # The members and the arbitrator (garbd) of the even-member cluster.
    assert hosts_of(rows, "galera") == sorted(groups["galera"] + groups["galera_arbitrator"]), rows
