"""Seafile 12 -> 13 with Redis, the cache the vendor recommends for 13: the
upgrade script runs once, the cache and the database move to conf/.env, and
Redis (password, cluster address only) keeps the sessions of every node."""

import hashlib
import uuid

from conftest import accepted_everywhere, http, login, py_sha1, upgrades

# Where tests/molecule/seafile/test_70_add_node.py left the cluster: four nodes.
TO = {"seafile_node_version": "13.0.1", "seafile_node_cache_provider": "redis"}


def test_upgrade_to_13_with_redis(groups, node, address, playbook, py):
    lb, new, redis = groups["seafile_lb"][0], groups["seafile_spare"][0], groups["redis"][0]
    nodes = {"seafile_nodes": groups["seafile_nodes"] + [new], "seafile_lb": [lb]}
    name, data = "before-13-%s.bin" % uuid.uuid4().hex[:8], uuid.uuid4().bytes * 500
    put = http(py, lb, "print(json.dumps(call('PUT', 'http://127.0.0.1/seafhttp/files/%s', %r)))" % (name, data))
    assert put[0] == 200, put
    rc, output, _recap = playbook("seafile.yml", extra_vars=TO,
                                  extra_inventory={"all": {"children": {"seafile_nodes": {"hosts": {new: {}}}}}})
    assert rc == 0, output
    assert upgrades(node, groups) == ["upgrade_11.0_12.0.sh", "upgrade_12.0_13.0.sh"]
    for host in nodes["seafile_nodes"]:
        env = node(host).file("/opt/seafile/conf/.env").content_string
        assert "CACHE_PROVIDER=redis\n" in env and "REDIS_HOST=%s\n" % address(redis) in env and "REDIS_PASSWORD=" in env
        conf = node(host).file("/opt/seafile/conf/seafile.conf").content_string
        assert "[memcached]" not in conf and "[database]" not in conf
        assert node(host).file("/opt/seafile/seafile-server-latest").linked_to == "/opt/seafile/seafile-pro-server-13.0.1"
    # Sessions live in Redis now: one made through the load balancer is
    # accepted by every node; a file stored before is still served.
    user, session = login(py, lb)
    assert accepted_everywhere(nodes, address, py, user, session)
    assert py_sha1(py, lb, "http://127.0.0.1/seafhttp/files/%s" % name) == hashlib.sha1(data).hexdigest()


def test_redis_wants_its_password_and_listens_on_the_cluster_address_only(groups, node, address):
    redis = node(groups["redis"][0])
    assert redis.socket("tcp://%s:6379" % address(groups["redis"][0])).is_listening
    assert not redis.socket("tcp://0.0.0.0:6379").is_listening
    assert "NOAUTH" in redis.run("redis-cli -h %s PING" % address(groups["redis"][0])).stdout
