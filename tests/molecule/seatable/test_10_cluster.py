"""SeaTable cluster, both modes: components, shared secrets, closed ports, the data path through the load balancer."""

import re
import uuid

from conftest import http

CONF = "/opt/seatable-server/seatable/conf"

# Log in through the load balancer, create a base with a chosen UUID, write and
# read its content: dtable-web keeps the session in Redis, checks the base in
# MariaDB (Galera) and forwards to the dtable-server that holds the base.
DATA_PATH = (
    "base = 'http://%s'\n"
    "st, body, cookies = call('POST', base + '/accounts/login/', json.dumps({'email': 'ops@example.com', 'password': 'x'}).encode())\n"
    "cookie = next((c.split(';')[0] for c in cookies if c.startswith('sessionid=')), '')\n"
    "st2, body2, _ = call('POST', base + '/api/v2.1/dtables/', json.dumps({'name': 'b', 'uuid': %r}).encode(), cookie)\n"
    "st3, body3, _ = call('PUT', base + '/api/v2.1/dtables/%s/content/', %r.encode(), cookie)\n"
    "st4, body4, _ = call('GET', base + '/api/v2.1/dtables/%s/content/', None, cookie)\n"
    "st5, body5, _ = call('GET', base + '/api/v2.1/user/', None, cookie)\n"
    "print(json.dumps([st, st2, st3, st4, body4, st5, body5]))\n"
)


def jwt_keys(node, name):
    """Every JWT key a node holds (.env from 5.3, the JSON and Python settings before)."""
    text = node(name).run("cat /opt/seatable-compose/.env %s/dtable_server_config.json %s/dtable_web_settings.py" % (CONF, CONF)).stdout
    return set(re.findall(r"^JWT_PRIVATE_KEY='([^']+)'|\"private_key\": \"([^\"]+)\"|^DTABLE_PRIVATE_KEY = \"([^\"]+)\"", text, re.M))


def test_each_node_runs_its_components(groups, py):
    web = groups["seatable_web"][0]
    for url in ("http://127.0.0.1:8000/api2/ping/", "http://127.0.0.1:7777/ping/"):
        assert http(py, web, "print(json.dumps(call('GET', %r)[:2]))" % url) == [200, "pong"]
    for name in groups["dtable_servers"]:
        assert http(py, name, "print(json.dumps(call('GET', 'http://127.0.0.1:5000/ping/')[:2]))") == [200, "pong"]
        # dtable-web and dtable-db run on the web node only.
        assert http(py, name, "print(json.dumps(call('GET', 'http://127.0.0.1:8000/api2/ping/')[0]))") == 0


def test_one_value_of_every_shared_secret_on_every_node(groups, node):
    nodes = groups["seatable_web"] + groups["dtable_servers"]
    keys = set()
    secrets = set()
    for name in nodes:
        found = {value for match in jwt_keys(node, name) for value in match if value}
        assert found, name
        keys |= found
        settings = node(name).file(CONF + "/dtable_web_settings.py")
        assert settings.mode == 0o640
        secrets |= set(re.findall(r'^SECRET_KEY = "([^"]+)"', settings.content_string, re.M))
    assert len(keys) == 1 and len(secrets) == 1, (keys, secrets)


def test_redis_needs_its_password_and_answers_the_cluster_only(groups, py, address):
    web = address(groups["seatable_web"][0])
    probe = ("import socket\n"
             "try:\n"
             "    s = socket.create_connection((%r, 6379), timeout=3)\n"
             "    s.sendall(%r); import time; time.sleep(0.5); print(s.recv(200).decode())\n"
             "except OSError as e:\n"
             "    print('unreachable', e)\n")
    server = groups["dtable_servers"][0]
    assert py(server, probe % (web, b"PING\r\n")).stdout.startswith("-NOAUTH")
    assert py(server, probe % (web, b"AUTH lab-seatable-redis-2024\r\nPING\r\n")).stdout.split() == ["+OK", "+PONG"]
    assert py(groups["seatable_lb"][0], probe % (web, b"PING\r\n")).stdout.startswith("unreachable")


def test_etcd_answers_the_cluster_only(groups, py, address):
    url = "http://%s:2379/health" % address(groups["etcd"][0])
    assert http(py, groups["dtable_servers"][0], "print(json.dumps(call('GET', %r)[0]))" % url) == 200
    assert http(py, groups["seatable_lb"][0], "print(json.dumps(call('GET', %r, timeout=3)[0]))" % url) == 0


def test_a_base_is_stored_and_served_through_the_load_balancer(groups, py):
    base = str(uuid.uuid4())
    out = http(py, groups["seatable_lb"][0], DATA_PATH % ("127.0.0.1", base, base, "rows: 1", base))
    assert out[:4] == [200, 201, 200, 200], out
    assert out[4] == "rows: 1" and out[5] == 200 and "ops@example.com" in out[6], out


def test_the_session_lives_in_redis_so_dtable_web_may_restart(groups, node, py):
    login = ("st, body, cookies = call('POST', 'http://127.0.0.1/accounts/login/', json.dumps({'email': 'a@example.com', 'password': 'x'}).encode())\n"
             "print(json.dumps(next(c.split(';')[0] for c in cookies if c.startswith('sessionid='))))\n")
    cookie = http(py, groups["seatable_lb"][0], login)
    node(groups["seatable_web"][0]).check_output("docker restart seatable-server")
    user = ("import time\n"
            "for _ in range(60):\n"
            "    st, body, _ = call('GET', 'http://127.0.0.1/api/v2.1/user/', None, %r)\n"
            "    if st == 200: break\n"
            "    time.sleep(2)\n"
            "print(json.dumps([st, body]))\n")
    status, body = http(py, groups["seatable_lb"][0], user % cookie)
    assert status == 200 and "a@example.com" in body
