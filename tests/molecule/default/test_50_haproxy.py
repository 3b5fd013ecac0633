"""HAProxy: the configuration checks, and every backend is UP."""

from conftest import backends, wait_until


def test_configuration_passes_haproxy_check(groups, node):
    lb = node(groups["haproxy"][0])
    out = lb.run("haproxy -c -f /etc/haproxy/haproxy.cfg")
    assert out.rc == 0, out.stdout + out.stderr
    config = lb.file("/etc/haproxy/haproxy.cfg")
    assert config.mode == 0o640
    assert "stats socket /run/haproxy/admin.sock mode 660 level admin" in config.content_string


def test_every_galera_backend_is_up_and_only_the_first_takes_writes(groups, node, py):
    lb = groups["haproxy"][0]
    assert wait_until(lambda: all(v == "UP" for v in backends(py, lb).values()), timeout=30)
    state = backends(py, lb)
    assert {k[1] for k in state if k[0] == "galera"} == set(groups["galera"])
    config = node(lb).file("/etc/haproxy/haproxy.cfg").content_string
    first, *others = groups["galera"]
    assert [l for l in config.splitlines() if "server %s " % first in l][0].count(" backup") == 0
    for name in others:
        assert [l for l in config.splitlines() if "server %s " % name in l][0].endswith(" backup")


def test_mariadb_answers_through_the_load_balancer(groups, address, py):
    lb = groups["haproxy"][0]
    code = (
        "import socket\n"
        "s = socket.create_connection((%r, 3306), timeout=5)\n"
        "print(s.recv(1024).decode(errors='replace'))\n" % address(lb)
    )
    assert "MariaDB" in py(lb, code).stdout


def test_stats_page_needs_the_password(groups, py):
    lb = groups["haproxy"][0]
    code = (
        "import urllib.request, urllib.error, base64\n"
        "def get(auth=None):\n"
        "    r = urllib.request.Request('http://127.0.0.1:8404/')\n"
        "    if auth: r.add_header('Authorization', 'Basic ' + base64.b64encode(auth.encode()).decode())\n"
        "    try:\n"
        "        return urllib.request.urlopen(r, timeout=5).status\n"
        "    except urllib.error.HTTPError as e:\n"
        "        return e.code\n"
        "print(get(), get('admin:wrong'), get('admin:lab-stats-password'))\n"
    )
    assert py(lb, code).stdout.split() == ["401", "401", "200"]


def test_a_stopped_member_is_taken_out_and_writes_move_to_a_backup(groups, node, py, address):
    lb = groups["haproxy"][0]
    first = groups["galera"][0]
    node(first).check_output("systemctl stop galera-clustercheck.socket")
    try:
        assert wait_until(lambda: backends(py, lb)[("galera", first)].startswith("DOWN"), timeout=30)
        code = (
            "import socket\n"
            "s = socket.create_connection((%r, 3306), timeout=5)\n"
            "print(s.recv(1024).decode(errors='replace'))\n" % address(lb)
        )
        assert "MariaDB" in py(lb, code).stdout
    finally:
        node(first).check_output("systemctl start galera-clustercheck.socket")
    assert wait_until(lambda: backends(py, lb)[("galera", first)] == "UP", timeout=30)
