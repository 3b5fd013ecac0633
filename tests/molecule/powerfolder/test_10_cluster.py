"""The PowerFolder cluster as its users and the vendor's guide see it: every
node's file as Java reads it, identities that never change, stickiness through
the load balancer, failover, sessions and files shared by every node."""

import json
import pathlib
import uuid

import pytest
import yaml
from conftest import HTTP, backends, http, wait_until

CONFIG = "/var/lib/powerfolder/.PowerFolder/PowerFolder.config"
READER = "/opt/powerfolder/current/lib/PropsDump.java"
LAB = yaml.safe_load((pathlib.Path(__file__).resolve().parents[3] / "inventories" / "lab-powerfolder" / "group_vars"
                      / "all" / "powerfolder.yml").read_text())
CLUSTER_KEYS = ("folders.mount.dynamic", "folder.watcher.enabled", "provider.url.httptunnel", "web.base.url",
                "database.url", "database.username", "database.password", "foldersbase")
NODE_KEYS = ("hostname", "nick", "net.bindaddress", "nodeid")


def parsed(node, name):
    """The node's PowerFolder.config as java.util.Properties reads it (the JRE on the node)."""
    return json.loads(node(name).check_output("java %s %s" % (READER, CONFIG)))


@pytest.fixture
def configs(groups, node):
    return {name: parsed(node, name) for name in groups["powerfolder_nodes"]}


def test_cluster_keys_are_equal_everywhere_and_node_keys_distinct(groups, configs, address):
    lb = groups["powerfolder_lb"][0]
    for key in CLUSTER_KEYS:
        assert len({c.get(key) for c in configs.values()}) == 1, key
    first = next(iter(configs.values()))
    assert first["folders.mount.dynamic"] == "true" and first["folder.watcher.enabled"] == "false"
    assert first["web.base.url"] == "https://%s" % lb and first["provider.url.httptunnel"] == "https://%s/rpc" % lb
    assert first["database.password"] == LAB["powerfolder_node_db_password"]
    assert first["database.url"] == "jdbc:mysql://%s:3306/powerfolder" % address(lb)
    for key in NODE_KEYS:
        assert len({c.get(key) for c in configs.values()}) == len(configs), key
    for name, config in configs.items():
        assert config["hostname"] == name and config["net.bindaddress"] == address(name)
        assert config["plugin.webinterface.port"] == "8080" and config["net.port"] == "1337"
        assert config["license.email"] == "lab@example.com" and config["license.key"] == LAB["powerfolder_node_license_key"]


def test_the_server_owns_its_file_format_and_the_file_is_the_nodes_own(groups, node):
    for name in groups["powerfolder_nodes"]:
        config = node(name).file(CONFIG)
        assert config.user == "powerfolder" and config.group == "powerfolder" and config.mode == 0o640
        lines = config.content_string.splitlines()
        # The server rewrote it: its comment, a date, sorted keys.
        assert lines[0] == "#PowerFolder configuration" and lines[1].startswith("#")
        keys = [line.split("=", 1)[0] for line in lines[2:]]
        assert keys == sorted(keys)
        maintenance = node(name).file("/var/lib/powerfolder/.PowerFolder/server_maintenance")
        assert maintenance.is_directory and not maintenance.is_symlink


def test_nodeids_survive_a_server_rewrite_and_a_second_run(groups, node, playbook, configs):
    before = {name: c["nodeid"] for name, c in configs.items()}
    first = groups["powerfolder_nodes"][0]
    old = node(first).file(CONFIG).content_string
    node(first).check_output("systemctl restart powerfolder")
    assert wait_until(lambda: node(first).file(CONFIG).content_string != old, timeout=60), "the server did not rewrite its file"
    rc, output, recap = playbook("powerfolder_nodes.yml")
    assert rc == 0, output[-3000:]
    assert all(counts["changed"] == 0 for counts in recap.values()), recap
    assert {name: parsed(node, name)["nodeid"] for name in groups["powerfolder_nodes"]} == before


# A client with a cookie jar, through the load balancer (http or https).
CLIENT = HTTP + (
    "import http.cookiejar, ssl\n"
    "jar = http.cookiejar.CookieJar()\n"
    "ctx = ssl._create_unverified_context()\n"
    "opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=ctx))\n"
    "def go(method, url, body=None):\n"
    "    r = opener.open(urllib.request.Request(url, data=body, method=method), timeout=10)\n"
    "    return json.loads(r.read().decode())\n"
)


def test_a_browser_stays_on_one_node_and_another_browser_can_land_elsewhere(groups, py):
    lb = groups["powerfolder_lb"][0]
    script = CLIENT + (
        "seen = []\n"
        "for client in range(6):\n"
        "    jar.clear()\n"
        "    login = go('POST', 'https://127.0.0.1/login', b'user%d' % client)\n"
        "    answers = [go('GET', 'https://127.0.0.1/whoami') for _ in range(8)]\n"
        "    seen.append([login['node']] + [a['node'] for a in answers] + [answers[-1]['user']])\n"
        "print(json.dumps(seen))\n")
    seen = json.loads(py(lb, script).stdout)
    for client, trail in enumerate(seen):
        nodes, user = trail[:-1], trail[-1]
        assert len(set(nodes)) == 1 and user == "user%d" % client, trail
    assert len({trail[0] for trail in seen}) >= 2, seen


def test_the_http_tunnel_sticks_by_rpcid_in_a_table_that_outlives_five_minutes(groups, py, node):
    lb = groups["powerfolder_lb"][0]
    script = HTTP + (
        "out = {}\n"
        "for rpcid in ['r%d' % i for i in range(6)]:\n"
        "    out[rpcid] = [json.loads(call('POST', 'http://127.0.0.1/rpc?rpcid=' + rpcid, b'x')[1])['node'] for _ in range(6)]\n"
        "print(json.dumps(out))\n")
    out = json.loads(py(lb, script).stdout)
    for rpcid, nodes in out.items():
        assert len(set(nodes)) == 1, (rpcid, nodes)
    assert len({nodes[0] for nodes in out.values()}) >= 2, out
    table = py(lb, "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/run/haproxy/admin.sock')\n"
                   "s.sendall(b'show table powerfolder\\n')\nprint(s.recv(65536).decode())").stdout
    assert "# table: powerfolder, type: string" in table and "key=r0 " in table
    # Every entry (ms left) outlives the 5 minutes the guide asks for.
    expiries = [int(part[4:]) for part in table.split() if part.startswith("exp=")]
    assert len(expiries) >= 6 and min(expiries) > 5 * 60 * 1000, table
    config = node(lb).file("/etc/haproxy/haproxy.cfg").content_string
    assert "stick-table type string len 128 size 200k expire 30m" in config and "stick on url_param(rpcid)" in config


def test_sessions_live_in_the_database_any_node_accepts_them(groups, address, py):
    first, last = groups["powerfolder_nodes"][0], groups["powerfolder_nodes"][-1]
    script = ("status, body, cookies = call('POST', 'http://%s:8080/login', b'alice')\n"
              "sid = cookies[0].split(';')[0]\n"
              "print(json.dumps([json.loads(body)['node'], call('GET', 'http://%s:8080/whoami', None, sid)]))\n"
              % (address(first), address(last)))
    made_on, (status, body, _cookies) = http(py, groups["powerfolder_lb"][0], script)
    assert made_on == first and status == 200 and json.loads(body) == {"node": last, "user": "alice"}


def test_a_stopped_node_is_taken_out_and_its_clients_carry_on(groups, py, node):
    lb = groups["powerfolder_lb"][0]
    login = CLIENT + "print(json.dumps(go('POST', 'http://127.0.0.1/login', b'bob')))\n"
    victim = json.loads(py(lb, login).stdout)["node"]
    node(victim).check_output("systemctl stop powerfolder")
    try:
        assert wait_until(lambda: backends(py, lb)[("powerfolder", victim)].startswith("DOWN"), timeout=30)
        script = CLIENT + ("go('POST', 'http://127.0.0.1/login', b'carol')\n"
                           "print(json.dumps([go('GET', 'http://127.0.0.1/whoami') for _ in range(10)]))\n")
        answers = json.loads(py(lb, script).stdout)
        assert all(a["user"] == "carol" and a["node"] != victim for a in answers), answers
    finally:
        node(victim).check_output("systemctl start powerfolder")
        assert wait_until(lambda: backends(py, lb)[("powerfolder", victim)] == "UP", timeout=90)


def test_a_file_stored_through_one_node_is_served_by_every_other(groups, address, py, node):
    names = groups["powerfolder_nodes"]
    name, data = "report-%s.bin" % uuid.uuid4().hex[:8], bytes(range(256)) * 64
    put = http(py, groups["powerfolder_lb"][0],
               "print(json.dumps(call('PUT', 'http://%s:8080/files/%s', %r)))" % (address(names[0]), name, data))
    assert put[0] == 201, put
    for other in names[1:]:
        got = py(groups["powerfolder_lb"][0],
                 "import urllib.request, hashlib\nr = urllib.request.urlopen('http://%s:8080/files/%s', timeout=10)\n"
                 "print(r.headers['X-PowerFolder-Node'], hashlib.sha1(r.read()).hexdigest())" % (address(other), name)).stdout.split()
        assert got == [other, __import__("hashlib").sha1(data).hexdigest()]
    stored = node(names[-1]).file("/srv/filesync/powerfolder/" + name)
    assert stored.uid == 2000 and stored.gid == 2000


def test_one_service_user_everywhere_owning_the_share(groups, node):
    for name in groups["powerfolder_nodes"] + groups["nfs_server"]:
        assert node(name).user("powerfolder").uid == 2000 and node(name).group("powerfolder").gid == 2000
    for name in groups["powerfolder_nodes"]:
        share = node(name).file("/srv/filesync/powerfolder")
        assert share.is_directory and share.uid == 2000 and share.gid == 2000


def test_every_node_listens_on_its_data_port_with_its_identity(groups, address, py, configs):
    lb = groups["powerfolder_lb"][0]
    for name, config in configs.items():
        greeting = py(lb, "import socket\ns = socket.create_connection((%r, 1337), timeout=5)\nprint(s.recv(200).decode())"
                      % address(name)).stdout.strip()
        assert greeting == "PowerFolder %s %s" % (config["nodeid"], name)


def test_the_database_user_is_granted_to_the_cluster_addresses_only(groups, address, node):
    hosts = set(node(groups["galera"][0]).check_output(
        "mariadb --batch --skip-column-names --execute \"SELECT host FROM mysql.user WHERE user = 'powerfolder'\"").split())
    assert hosts == {address(name) for name in groups["powerfolder_nodes"] + groups["haproxy"]}
