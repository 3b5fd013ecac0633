"""The firewall: every cluster port answers the hosts that need it and no
other, and Debian's nftables.service (whose configuration starts with "flush
ruleset") does not take the rules away.

A port a host may reach connects or is refused (nothing listens there now,
as for the state-transfer ports between transfers); a port it may not reach
drops the connection attempt (a timeout)."""

import json

import pytest

PROBE = (
    "import json, socket\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "def probe(target):\n"
    "    host, port = target\n"
    "    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)\n"
    "    s.settimeout(2)\n"
    "    try:\n"
    "        s.connect((host, port)); return 'open'\n"
    "    except socket.timeout:\n"
    "        return 'dropped'\n"
    "    except ConnectionRefusedError:\n"
    "        return 'refused'\n"
    "    finally:\n"
    "        s.close()\n"
    "with ThreadPoolExecutor(16) as pool:\n"
    "    print(json.dumps(list(pool.map(probe, %r))))\n"
)

# Galera, etcd and memcached on a member; NFS on the server.
MEMBER_PORTS = {3306: "galera", 4444: "galera", 4567: "galera", 4568: "galera", 9200: "galera",
                2379: "etcd", 2380: "etcd", 11211: "memcached"}
NFS_PORTS = [2049, 111]


def reach(py, source, target_address, ports):
    return dict(zip(ports, json.loads(py(source, PROBE % [(target_address, port) for port in ports]).stdout)))


@pytest.fixture(scope="module")
def hosts(groups):
    member, peer = groups["galera"][0], groups["galera"][1]
    outsider = groups["etcd_spare"][0]
    return {"member": member, "peer": peer, "lb": groups["haproxy"][0], "nfs": groups["nfs_server"][0],
            "outsider": outsider}


def test_an_outside_host_reaches_no_cluster_port(hosts, address, py):
    assert set(reach(py, hosts["outsider"], address(hosts["member"]), list(MEMBER_PORTS)).values()) == {"dropped"}
    assert set(reach(py, hosts["outsider"], address(hosts["nfs"]), NFS_PORTS).values()) == {"dropped"}
    # Nor the load balancer's Galera frontend (clients_groups), which a client
    # of it reaches.
    assert reach(py, hosts["outsider"], address(hosts["lb"]), [3306])[3306] == "dropped"
    assert reach(py, hosts["member"], address(hosts["lb"]), [3306])[3306] == "open"


def test_each_port_answers_the_hosts_that_need_it(hosts, address, py):
    from_peer = reach(py, hosts["peer"], address(hosts["member"]), list(MEMBER_PORTS))
    for port in (3306, 4567, 2379, 2380, 11211):
        assert from_peer[port] == "open", (port, from_peer)
    # State transfers listen only while one runs: not dropped is what counts.
    assert from_peer[4444] != "dropped" and from_peer[4568] != "dropped", from_peer
    # The health endpoint is for the load balancers only.
    assert from_peer[9200] == "dropped", from_peer
    from_lb = reach(py, hosts["lb"], address(hosts["member"]), [3306, 9200, 4567, 2379, 11211])
    assert from_lb[3306] == "open" and from_lb[9200] == "open", from_lb
    assert from_lb[4567] == from_lb[2379] == from_lb[11211] == "dropped", from_lb
    from_client = reach(py, hosts["member"], address(hosts["nfs"]), NFS_PORTS)
    assert from_client[2049] == "open" and from_client[111] != "dropped", from_client


def test_the_rules_survive_nftables_service(hosts, address, node, py):
    member = node(hosts["member"])
    tables = ["filesync_galera", "filesync_etcd", "filesync_memcached"]
    try:
        for action in ("enable --now", "restart", "reload", "disable --now"):
            member.check_output("systemctl %s nftables.service" % action)
            listed = member.check_output("nft list tables")
            assert all(table in listed for table in tables), (action, listed)
            assert set(reach(py, hosts["outsider"], address(hosts["member"]), [3306, 2379, 11211]).values()) == {
                "dropped"}, action
            assert reach(py, hosts["peer"], address(hosts["member"]), [3306])[3306] == "open", action
    finally:
        member.run("systemctl disable --now nftables.service")
