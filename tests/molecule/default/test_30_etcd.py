"""etcd: one healthy cluster; a key put on one member is read on another."""

import uuid


def etcdctl(host, args):
    return host.check_output("etcdctl --endpoints=http://127.0.0.1:2379 " + args)


def test_every_endpoint_is_healthy(groups, node):
    out = node(groups["etcd"][0]).run("etcdctl --endpoints=http://127.0.0.1:2379 endpoint health --cluster")
    assert out.rc == 0, out.stderr
    assert out.stderr.count("is healthy") + out.stdout.count("is healthy") == len(groups["etcd"])


def test_members_are_the_inventory_group(groups, node):
    names = sorted(line.split(", ")[2] for line in etcdctl(node(groups["etcd"][0]), "member list").splitlines())
    assert names == sorted(groups["etcd"])


def test_a_key_put_on_one_member_is_read_on_another(groups, node):
    key, value = "/verify/" + uuid.uuid4().hex, uuid.uuid4().hex
    etcdctl(node(groups["etcd"][0]), "put %s %s" % (key, value))
    assert etcdctl(node(groups["etcd"][-1]), "get --print-value-only %s" % key).strip() == value


def test_the_cluster_is_recorded_as_existing(groups, node):
    for name in groups["etcd"]:
        bootstrap = node(name).file("/etc/etcd/bootstrap.env").content_string
        assert 'ETCD_INITIAL_CLUSTER_STATE="existing"' in bootstrap
