"""Membership changes on the running clusters (Galera's rolling restart, one
member at a time: test_15_galera_tls.py's switch to plain and back)."""

import uuid

from conftest import etcdctl


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
