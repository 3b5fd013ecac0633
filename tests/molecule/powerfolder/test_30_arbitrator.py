"""An even-member Galera cluster with an arbitrator (garbd): the third vote."""

import time

from conftest import galera_status, galera_whole, wait_until


def test_the_cluster_counts_the_arbitrator(groups, node):
    members, arbitrators = groups["galera"], groups["galera_arbitrator"]
    assert len(members) % 2 == 0
    for name in arbitrators:
        assert node(name).service("garb").is_running
        assert node(name).service("garb").is_enabled
        assert not node(name).package("mariadb-server").is_installed
    for name in members:
        assert galera_status(node(name))["wsrep_cluster_size"] == str(len(members) + len(arbitrators))


def test_systemd_restarts_a_crashed_arbitrator(groups, node):
    members, arbitrator = groups["galera"], node(groups["galera_arbitrator"][0])
    before = arbitrator.check_output("systemctl show --property=MainPID --value garb")
    arbitrator.check_output("systemctl kill --signal=KILL garb")
    assert wait_until(lambda: arbitrator.check_output("systemctl show --property=MainPID --value garb") not in ("0", before),
                      timeout=30)
    # The killed garbd stays in the members' view until Galera's inactivity
    # timeout (evs.inactive_timeout, 15 s) evicts it: only after that does a
    # size of members + 1 mean the new garbd is the one counted.
    time.sleep(20)
    assert wait_until(galera_whole(node, members, len(members) + 1), timeout=60)


def test_losing_one_member_keeps_the_other_primary(groups, node):
    members = groups["galera"]
    survivor, lost = node(members[0]), node(members[-1])
    assert wait_until(galera_whole(node, members, len(members) + 1), timeout=60)
    lost.check_output("systemctl stop mariadb")
    try:
        status = galera_status(survivor)
        assert status["wsrep_cluster_status"] == "Primary", status
        assert status["wsrep_cluster_size"] == "2"
        # It still takes writes.
        survivor.check_output("mariadb --execute 'CREATE DATABASE IF NOT EXISTS arbitrator_test; "
                              "CREATE TABLE IF NOT EXISTS arbitrator_test.t (id INT PRIMARY KEY); "
                              "REPLACE INTO arbitrator_test.t VALUES (1)'")
    finally:
        lost.check_output("systemctl start mariadb")
    assert wait_until(galera_whole(node, members, len(members) + 1), timeout=120)
    assert lost.check_output("mariadb --batch --skip-column-names --execute 'SELECT id FROM arbitrator_test.t'") == "1"
    survivor.check_output("mariadb --execute 'DROP DATABASE arbitrator_test'")
