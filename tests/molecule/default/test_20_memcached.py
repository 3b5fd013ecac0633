"""Memcached: every node serves on its cluster address, TCP only."""

import uuid

MEMCACHE = (
    "import socket, sys\n"
    "s = socket.create_connection((%r, 11211), timeout=5)\n"
    "s.sendall(%r.encode())\n"
    "data = b''\n"
    "while not (data.endswith(b'END\\r\\n') or data.endswith(b'STORED\\r\\n')):\n"
    "    chunk = s.recv(4096)\n"
    "    if not chunk: break\n"
    "    data += chunk\n"
    "sys.stdout.write(data.decode())\n"
)


def test_a_key_set_from_one_node_is_read_from_another(groups, address, py):
    nodes = groups["memcached"]
    key, value = "verify-" + uuid.uuid4().hex[:8], uuid.uuid4().hex
    for server in nodes:
        set_cmd = "set %s 0 60 %d\r\n%s\r\n" % (key, len(value), value)
        assert py(nodes[0], MEMCACHE % (address(server), set_cmd)).stdout.strip() == "STORED"
        got = py(nodes[-1], MEMCACHE % (address(server), "get %s\r\n" % key)).stdout
        assert value in got, (server, got)


def test_listens_on_the_cluster_address_only_and_never_udp(groups, node, address):
    for name in groups["memcached"]:
        host = node(name)
        tcp = host.check_output("ss -Htln 'sport = :11211'")
        assert address(name) + ":11211" in tcp
        assert "0.0.0.0:11211" not in tcp and "*:11211" not in tcp
        assert host.check_output("ss -Huln 'sport = :11211'").strip() == ""
        config = host.file("/etc/memcached.conf").content_string
        assert "-U 0" in config and "-m 256" in config
