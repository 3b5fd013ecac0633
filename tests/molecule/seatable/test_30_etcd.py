"""etcd mode (seed 001): 256 buckets over the registered dtable-servers; a dead server's lease expires, rebalance moves its buckets."""

import os
import subprocess

import pytest

from conftest import PROJECT, http, wait_until

pytestmark = pytest.mark.skipif(os.environ.get("FILESYNC_SEATABLE_MODE", "prefix") != "etcd", reason="etcd mode only")

PREFIX = "/filesync-standin/dtable-server/nodes/"


def buckets(py, groups):
    return http(py, groups["dtable_proxy"][0], "print(json.dumps(json.loads(call('GET', 'http://127.0.0.1:5555/buckets/')[1])))")


def counts(mapping):
    out = {}
    for node in mapping.values():
        out[node] = out.get(node, 0) + 1
    return out


def registered(node, groups):
    out = node(groups["etcd"][0]).check_output("etcdctl --endpoints=http://127.0.0.1:2379 get --prefix --keys-only %s" % PREFIX)
    return {line.rsplit("/", 1)[-1] for line in out.split() if line}


def rebalance(inventory_file, groups):
    """The collection's module, ad hoc, on the proxy node."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"), ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"))
    inventory = str(inventory_file.parent if os.environ.get("MOLECULE_INVENTORY_FILE") else inventory_file)
    proc = subprocess.run(["ansible", groups["dtable_proxy"][0], "-i", inventory, "-m", "filesync.cluster.dtable_rebalance",
                           "-a", "host=127.0.0.1", "-o"], env=env, capture_output=True, text=True, check=False, cwd=PROJECT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_all_256_buckets_are_assigned_across_both_servers(groups, py):
    mapping = buckets(py, groups)
    assert len(mapping) == 256
    assert set(counts(mapping)) == set(groups["dtable_servers"]), counts(mapping)


def test_a_dead_server_expires_and_rebalance_moves_its_buckets(groups, node, py, inventory_file):
    survivor, victim = groups["dtable_servers"][0], groups["dtable_servers"][-1]
    node(victim).check_output("docker stop seatable-server")
    try:
        # The lease is 90 s; the key goes when it expires.
        assert wait_until(lambda: victim not in registered(node, groups), timeout=150, interval=5)
        rebalance(inventory_file, groups)
        assert counts(buckets(py, groups)) == {survivor: 256}
    finally:
        node(victim).check_output("docker start seatable-server")
    assert wait_until(lambda: victim in registered(node, groups), timeout=120, interval=3)
    before = buckets(py, groups)
    rebalance(inventory_file, groups)
    after = buckets(py, groups)
    moved = sum(1 for key in after if after[key] != before[key])
    assert set(counts(after)) == {survivor, victim} and min(counts(after).values()) >= 127, counts(after)
    # Only what evens the load moves: at most half the buckets, all to the newcomer.
    assert moved <= 129 and all(after[key] == victim for key in after if after[key] != before[key])


def test_dtable_web_sends_browsers_to_the_server_that_holds_the_base(groups, py):
    mapping = buckets(py, groups)
    script = ("st, body, cookies = call('POST', 'http://127.0.0.1/accounts/login/', json.dumps({'email': 'e@example.com', 'password': 'x'}).encode())\n"
              "cookie = next(c.split(';')[0] for c in cookies if c.startswith('sessionid='))\n"
              "uuid = %r\n"
              "call('POST', 'http://127.0.0.1/api/v2.1/dtables/', json.dumps({'name': 'b', 'uuid': uuid}).encode(), cookie)\n"
              "print(json.dumps(json.loads(call('GET', 'http://127.0.0.1/api/v2.1/dtables/%%s/access-token/' %% uuid, None, cookie)[1])))\n")
    base = "ab" + "0" * 6 + "-0000-4000-8000-000000000000"
    token = http(py, groups["seatable_lb"][0], script % base)
    assert token["dtable_server"] == "http://%s/" % mapping["ab"], token
