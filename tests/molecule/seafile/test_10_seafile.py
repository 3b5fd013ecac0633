"""Seafile cluster: one configuration, shared sessions and avatars, HA."""

import json
import os
import uuid

from conftest import PROJECT, backends, http, virtual_ip, wait_until


def md5s(node, name, path):
    # __pycache__ is Python's bytecode cache (it embeds each node's file times), not configuration.
    return node(name).check_output(
        "cd %s && find . -path ./__pycache__ -prune -o -type f -print0 | sort -z | xargs -0 md5sum" % path)


def test_config_directories_are_identical_on_every_node(groups, node):
    sums = {name: md5s(node, name, "/opt/seafile/conf") for name in groups["seafile_nodes"]}
    assert len(set(sums.values())) == 1, sums
    listed = sums[groups["seafile_nodes"][0]]
    for name in ("seafile.conf", "seahub_settings.py", "seafevents.conf", "ccnet.conf"):
        assert "./" + name in listed


def test_configuration_has_the_cluster_settings(groups, node, address):
    host = node(groups["seafile_nodes"][0])
    # Active/standby (the scenario's layout): the one virtual IP keepalived moves.
    servers = ["%s:11211" % virtual_ip()]
    conf = host.file("/opt/seafile/conf/seafile.conf").content_string
    assert "[cluster]\nenabled = true\nhealth_check_port = 11001\n" in conf
    options = "memcached_options = %s --POOL-MIN=10 --POOL-MAX=100" % " ".join("--SERVER=" + s for s in servers)
    assert "[memcached]\n" + options in conf
    settings = host.file("/opt/seafile/conf/seahub_settings.py").content_string
    assert "'LOCATION': %s," % json.dumps(servers) in settings
    assert "AVATAR_FILE_STORAGE = 'seahub.base.database_storage.DatabaseStorage'" in settings
    assert 'SERVICE_URL = "http://%s"' % groups["seafile_lb"][0] in settings
    events = host.file("/opt/seafile/conf/seafevents.conf").content_string
    background = [name for name in groups["seafile_nodes"]
                  if node(name).service("seafile-background-tasks.service").is_running]
    assert "[INDEX FILES]\nenabled = true\nexternal_es_server = true\nes_host = %s\nes_port = 9200" % address(background[0]) in events
    for name in groups["seafile_nodes"]:
        conf_file = node(name).file("/opt/seafile/conf/seahub_settings.py")
        assert conf_file.mode == 0o640 and conf_file.user == "seafile"


def test_secret_key_is_stable_and_from_setup(groups, node):
    settings = node(groups["seafile_nodes"][-1]).file("/opt/seafile/conf/seahub_settings.py").content_string
    key = [line for line in settings.splitlines() if line.startswith("SECRET_KEY = ")][0]
    assert len(key) > len('SECRET_KEY = ""') + 30


def test_a_session_made_through_the_load_balancer_is_accepted_by_every_node(groups, address, py):
    lb = groups["seafile_lb"][0]
    user = "user-" + uuid.uuid4().hex[:8]
    login = http(py, lb, "s, b, c = call('POST', 'http://127.0.0.1/accounts/login/', json.dumps({'username': %r}).encode())\n"
                         "print(json.dumps([s, b, c]))" % user)
    assert login[0] == 200, login
    session = [c.split(";")[0] for c in login[2] if c.startswith("sessionid=")][0]
    assert any(c.startswith("SEAFILE_NODE=") for c in login[2]), "no sticky cookie from HAProxy"
    for name in groups["seafile_nodes"]:
        script = "print(json.dumps(call('GET', 'http://%s:8000/api2/whoami/', cookie=%r)))" % (address(name), session)
        status, body, _cookies = http(py, lb, script)
        assert status == 200 and json.loads(body) == {"node": name, "user": user}, (name, body)


def test_tls_ends_at_the_load_balancer_with_a_certificate_of_the_lab_ca(groups, py):
    """https through the load balancer, verified against the lab's CA (and
    refused without it): a login there holds on the next request."""
    lb = groups["seafile_lb"][0]
    ca = (PROJECT / "tests/output/pki" / os.environ.get("MOLECULE_SCENARIO_NAME", "lab") / "ca.crt").read_text()
    script = (
        "import json, ssl, urllib.request\n"
        "jar = urllib.request.HTTPCookieProcessor()\n"
        "def opener(context):\n"
        "    return urllib.request.build_opener(jar, urllib.request.HTTPSHandler(context=context))\n"
        "trusted = opener(ssl.create_default_context(cadata=%r))\n"
        "login = trusted.open(urllib.request.Request('https://127.0.0.1/accounts/login/', method='POST',\n"
        "                     data=json.dumps({'username': 'tls-user'}).encode()), timeout=10)\n"
        "me = json.loads(trusted.open('https://127.0.0.1/api2/whoami/', timeout=10).read())\n"
        "try:\n"
        "    opener(ssl.create_default_context()).open('https://127.0.0.1/api2/whoami/', timeout=10)\n"
        "    untrusted = 'accepted'\n"
        "except urllib.error.URLError as e:\n"
        "    untrusted = type(e.reason).__name__\n"
        "print(json.dumps([login.status, me['user'], untrusted]))\n" % ca
    )
    assert json.loads(py(lb, script).stdout) == [200, "tls-user", "SSLCertVerificationError"]


def test_an_avatar_stored_through_one_node_is_read_through_another(groups, address, py):
    lb = groups["seafile_lb"][0]
    first, last = groups["seafile_nodes"][0], groups["seafile_nodes"][-1]
    name, data = "avatar-%s.png" % uuid.uuid4().hex[:8], uuid.uuid4().hex
    put = http(py, lb, "print(json.dumps(call('PUT', 'http://%s:8000/avatar/%s', %r.encode())))" % (address(first), name, data))
    assert put[0] == 200, put
    got = http(py, lb, "print(json.dumps(call('GET', 'http://%s:8000/avatar/%s')))" % (address(last), name))
    assert got[0] == 200 and got[1] == data, got


def test_license_is_identical_everywhere_and_not_world_readable(groups, node):
    sums = set()
    for name in groups["seafile_nodes"]:
        license_file = node(name).file("/opt/seafile/seafile-license.txt")
        assert license_file.mode == 0o640 and license_file.user == "seafile"
        sums.add(license_file.md5sum)
    assert len(sums) == 1


def test_exactly_one_node_runs_the_background_tasks(groups, node):
    active = [name for name in groups["seafile_nodes"]
              if node(name).run("systemctl is-active seafile-background-tasks.service").stdout.strip() == "active"]
    assert active == [groups["seafile_nodes"][0]]


def test_health_port_answers_the_load_balancer_only(groups, address, py):
    lb, first, other = groups["seafile_lb"][0], groups["seafile_nodes"][0], groups["seafile_nodes"][1]
    script = "print(json.dumps(call('GET', 'http://%s:11001/', timeout=3)))" % address(first)
    assert http(py, lb, script)[0] == 200
    assert http(py, other, script)[0] == 0  # dropped by the node's nftables rules


def test_memcached_answers_the_seafile_nodes_only(groups, address, py):
    code = ("import socket\ntry:\n    socket.create_connection((%r, 11211), timeout=3)\n    print('open')\n"
            "except OSError:\n    print('closed')\n" % address(groups["memcached"][0]))
    assert py(groups["seafile_nodes"][1], code).stdout.strip() == "open"
    assert py(groups["seafile_lb"][0], code).stdout.strip() == "closed"


def test_requests_through_the_load_balancer_survive_a_stopped_node(groups, node, py):
    lb, victim = groups["seafile_lb"][0], groups["seafile_nodes"][0]
    ping = "print(json.dumps([call('GET', 'http://127.0.0.1/api2/ping/')[0] for _ in range(10)]))"
    node(victim).check_output("systemctl stop seahub.service seafile.service")
    try:
        assert wait_until(lambda: backends(py, lb)[("seahub", victim)] == "DOWN", timeout=30)
        assert http(py, lb, ping) == [200] * 10
    finally:
        node(victim).check_output("systemctl start seafile.service seahub.service")
    assert wait_until(lambda: http(py, lb, ping) == [200] * 10, timeout=60)
