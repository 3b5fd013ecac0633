"""Rolling restarts that do not finish in one run, and values MariaDB would refuse."""

import re

from conftest import backends, galera_status, galera_whole, wait_until

MARKER = "/var/lib/filesync/galera-restart-pending"
CONFIG = "/etc/mysql/mariadb.conf.d/99-filesync-galera.cnf"
DROP_IN = "/etc/systemd/system/mariadb.service.d/zz-test-slow-start.conf"


def max_connections(host):
    return host.check_output("mariadb --batch --skip-column-names --execute 'SELECT @@GLOBAL.max_connections'").strip()


def test_a_rolling_restart_killed_half_way_is_finished_by_the_next_run(playbook, groups, node, py):
    members = groups["galera"]
    first, second, third = members[0], members[1], members[2]
    lb = groups["haproxy"][0]
    # The second member's restart is held 15 s (as a slow start would be), so
    # that the run is killed while it restarts; the member is killed with it.
    node(second).check_output("mkdir -p %s && printf '[Service]\\nExecStartPre=/bin/sleep 15\\n' > %s && systemctl daemon-reload"
                              % (DROP_IN.rsplit("/", 1)[0], DROP_IN))
    try:
        rc, output, recap = playbook("galera.yml", extra_vars={"galera_max_connections": 502},
                                     stop_at=r"TASK \[filesync\.cluster\.galera : Restart MariaDB on %s\]" % second)
        assert "Restart MariaDB on %s" % second in output, output
        node(second).check_output("systemctl stop mariadb; systemctl kill --signal=KILL mariadb; systemctl stop mariadb; "
                                  "rm -f %s; systemctl daemon-reload" % DROP_IN)
        assert node(second).check_output("systemctl show --property=ActiveState --value mariadb") in ("inactive", "failed")
        # The first member runs the new value; the others have the new file
        # and the marker; the third still runs the old value; the second is
        # still drained on the load balancer.
        assert max_connections(node(first)) == "502"
        assert not node(first).file(MARKER).exists
        assert node(second).file(MARKER).exists and node(third).file(MARKER).exists
        assert max_connections(node(third)) == "500"
        assert backends(py, lb)[("galera", second)].startswith("MAINT")

        rc, output, recap = playbook("galera.yml", extra_vars={"galera_max_connections": 502, "galera_state_transfer_retries": 100})
        assert rc == 0, output
        # The stopped member starts first (state-transfer budget) and is put
        # back on the load balancer, then the third restarts; the first,
        # already done, does not restart again.
        events = re.findall(r"^TASK \[filesync\.cluster\.galera : (Start MariaDB, which joins the cluster, on|"
                            r"Restart MariaDB on) (\S+)\]", output, re.M)
        assert events == [("Start MariaDB, which joins the cluster, on", second), ("Restart MariaDB on", third)], output
        assert wait_until(galera_whole(node, members), timeout=60)
        for name in members:
            assert max_connections(node(name)) == "502"
            assert not node(name).file(MARKER).exists
        assert wait_until(lambda: not backends(py, lb)[("galera", second)].startswith("MAINT"), timeout=30)
    finally:
        node(second).run("rm -f %s; systemctl daemon-reload; systemctl start mariadb" % DROP_IN)
        assert wait_until(galera_whole(node, members), timeout=120)
        rc, output, recap = playbook("galera.yml", extra_vars={"galera_state_transfer_retries": 100})
        assert rc == 0, output
    assert wait_until(galera_whole(node, members), timeout=60)


def test_preflight_waits_for_a_member_still_in_its_state_transfer(playbook, groups, node):
    members = groups["galera"]
    joiner = node(members[-1])
    assert wait_until(galera_whole(node, members), timeout=60)
    # The member is restarted by hand and is still starting (held 20 s in
    # "activating", as a long state transfer would) when the run begins; the
    # health wait alone (2 checks, 1 s apart) would give up on it.
    joiner.check_output("mkdir -p %s && printf '[Service]\\nExecStartPre=/bin/sleep 20\\n' > %s && systemctl daemon-reload"
                        % (DROP_IN.rsplit("/", 1)[0], DROP_IN))
    try:
        joiner.check_output("systemctl stop mariadb && systemctl start --no-block mariadb")
        assert joiner.check_output("systemctl show --property=ActiveState --value mariadb") == "activating"
        rc, output, recap = playbook("galera.yml", extra_vars={"galera_synced_retries": 2, "galera_synced_delay": 1,
                                                               "galera_state_transfer_retries": 100})
        assert rc == 0, output
        # It waited with the state-transfer budget (galera_state_transfer_retries).
        assert "Wait until the member reports Synced, %s (100 retries left)" % members[-1] in output, output
        assert all(c["changed"] == 0 for c in recap.values()), output
        assert galera_status(joiner)["wsrep_local_state_comment"] == "Synced"
    finally:
        joiner.run("rm -f %s && systemctl daemon-reload" % DROP_IN)
        joiner.run("systemctl start mariadb")
    assert wait_until(galera_whole(node, members), timeout=60)


def test_a_buffer_size_mariadb_would_refuse_fails_before_any_restart(playbook, groups, node):
    members = groups["galera"]
    before = {n: node(n).file(CONFIG).content_string for n in members}
    uptime = {n: node(n).check_output("systemctl show --property=ExecMainStartTimestamp --value mariadb") for n in members}
    rc, output, recap = playbook("galera.yml", extra_vars={"galera_innodb_buffer_pool_size": "256X"})
    assert rc != 0, output
    assert "Unknown suffix 'X' used for variable 'innodb-buffer-pool-size'" in output, output
    assert "Restart MariaDB on" not in output
    assert all(c["changed"] == 0 for c in recap.values()), output
    for name in members:
        assert node(name).file(CONFIG).content_string == before[name]
        assert node(name).check_output("systemctl show --property=ExecMainStartTimestamp --value mariadb") == uptime[name]
        assert not node(name).file(MARKER).exists


def test_an_unknown_option_in_the_overrides_is_refused_the_same_way(playbook, groups, node):
    rc, output, recap = playbook("galera.yml", extra_vars={"galera_config_overrides": {"mysqld": {"innodb_bufer_pool_size": "1G"}}})
    assert rc != 0, output
    assert "unknown variable 'innodb_bufer_pool_size=1G'" in output, output
    assert "Restart MariaDB on" not in output
