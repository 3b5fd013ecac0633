"""Membership changes and rolling restarts on the running clusters."""

import re
import uuid

from conftest import etcdctl, galera_status, wait_until


def test_etcd_member_with_wiped_data_rejoins_the_existing_cluster(playbook, groups, node):
    first, last = node(groups["etcd"][0]), node(groups["etcd"][-1])
    cluster_id = etcdctl(first, "endpoint status --write-out=fields").split("ClusterID\" : ")[1].split()[0]
    old_id = [l.split(", ")[0] for l in etcdctl(first, "member list").splitlines() if groups["etcd"][-1] in l][0]
    key, value = "/verify/" + uuid.uuid4().hex, uuid.uuid4().hex
    etcdctl(first, "put %s %s" % (key, value))

    last.check_output("systemctl stop etcd")
    last.check_output("rm -rf /var/lib/etcd/filesync")
    rc, output, recap = playbook("etcd.yml")
    assert rc == 0, output
    assert "Remove the stale entry of %s" % groups["etcd"][-1] in output

    members = etcdctl(first, "member list").splitlines()
    assert len(members) == len(groups["etcd"])
    assert all(", started, " in m for m in members)
    new_id = [l.split(", ")[0] for l in members if groups["etcd"][-1] in l][0]
    assert new_id != old_id
    # Same cluster, not a new one; the rejoined member has the old data.
    assert etcdctl(last, "endpoint status --write-out=fields").split("ClusterID\" : ")[1].split()[0] == cluster_id
    assert etcdctl(last, "get --print-value-only %s" % key).strip() == value
    # And a second run changes nothing.
    rc, output, recap = playbook("etcd.yml")
    assert rc == 0 and all(c["changed"] == 0 for c in recap.values()), output


def test_galera_config_change_restarts_one_member_at_a_time(playbook, groups, node):
    members = groups["galera"]
    rc, output, recap = playbook("galera.yml", extra_vars={"galera_max_connections": 501})
    assert rc == 0, output
    # One member at a time: the cluster whole before, drained on the load
    # balancer, restarted, Synced again, put back; then the next member.
    events = re.findall(r"^TASK \[filesync\.cluster\.(?:galera|haproxy) : (Restart MariaDB on|Wait until the member "
                        r"reports Synced,|Drain or put back on the load balancers) (\S+)\]", output, re.M)
    wait, drain = "Wait until the member reports Synced,", "Drain or put back on the load balancers"
    expected = []
    for name in members:
        expected += [(wait, name), (drain, name), ("Restart MariaDB on", name), (wait, name), (drain, name)]
    assert events == expected, output
    for name in members:
        status = galera_status(node(name))
        assert status["wsrep_local_state_comment"] == "Synced"
        assert status["wsrep_cluster_size"] == str(len(members))
    # Put the configuration back (another rolling restart) so idempotence holds.
    rc, output, recap = playbook("galera.yml")
    assert rc == 0, output
    assert wait_until(lambda: all(galera_status(node(n))["wsrep_local_state_comment"] == "Synced" for n in members))
