"""Prefix mode: each base goes to the dtable-server its first character names; a routing change restarts every server, one at a time."""

import os
import uuid

import pytest

from conftest import http, wait_until

pytestmark = pytest.mark.skipif(os.environ.get("FILESYNC_SEATABLE_MODE", "prefix") != "prefix", reason="prefix mode only")

ROUTER = "http://127.0.0.1:5000"
# Through the routing proxy on the web node, with a token dtable-web signs:
# which server answers for a base whose UUID starts with each character.
SERVED_BY = (
    "import json, urllib.request\n"
    "out = {}\n"
    "for char in '0123456789abcdef':\n"
    "    base = char + %r[1:]\n"
    "    req = urllib.request.Request('%s/dtables/%%s/content/' %% base, method='GET')\n"
    "    try:\n"
    "        r = urllib.request.urlopen(req, timeout=5); out[char] = [r.status, r.headers.get('X-Dtable-Server')]\n"
    "    except urllib.error.HTTPError as e:\n"
    "        out[char] = [e.code, e.headers.get('X-Dtable-Server')]\n"
    "    except OSError as e:\n"
    "        out[char] = [0, None]\n"
    "print(json.dumps(out))\n"
)


def served_by(py, groups):
    """char -> (status, server): 403 (no token) still names the server that answered; 502 means none did."""
    return {char: tuple(v) for char, v in http(py, groups["seatable_web"][0], SERVED_BY % (str(uuid.uuid4()), ROUTER)).items()}


def expected_routes(groups):
    servers = groups["dtable_servers"]
    return {char: servers[(i * len(servers)) // 16] for i, char in enumerate("0123456789abcdef")}


def started_at(node, name):
    return node(name).check_output("docker inspect -f '{{.State.StartedAt}}' seatable-server")


def test_a_base_is_served_by_the_server_its_first_character_names(groups, py):
    routes = expected_routes(groups)
    for char, (status, server) in served_by(py, groups).items():
        assert server == routes[char], (char, status, server)


def test_a_stopped_server_fails_only_its_own_prefixes(groups, node, py):
    stopped = groups["dtable_servers"][-1]
    routes = expected_routes(groups)
    node(stopped).check_output("docker stop seatable-server")
    try:
        seen = served_by(py, groups)
        for char, (status, server) in seen.items():
            if routes[char] == stopped:
                assert status in (502, 504) and server is None, (char, status, server)
            else:
                assert server == routes[char], (char, status, server)
    finally:
        node(stopped).check_output("docker start seatable-server")
        assert wait_until(lambda: node(stopped).run("python3 -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/ping/')\"").rc == 0, 120)


def test_a_routing_change_restarts_every_server_one_at_a_time(groups, node, py, playbook):
    servers = groups["dtable_servers"]
    before = {name: started_at(node, name) for name in servers}
    new = {"0123": servers[0], "456789abcdef": servers[-1]}
    rc, output, recap = playbook("seatable.yml", extra_vars={"seatable_prefix_routes": new})
    assert rc == 0, output
    after = {name: started_at(node, name) for name in servers}
    assert all(after[name] != before[name] for name in servers), (before, after)
    # One at a time: each server answered before the next one was recreated.
    order = [line for line in output.splitlines() if line.startswith("TASK [") and ("Recreate" in line or "Wait until the components" in line)]
    assert len(order) == 2 * len(servers), order
    for i, name in enumerate(servers):
        assert name in order[2 * i] and "Recreate" in order[2 * i], order
        assert name in order[2 * i + 1] and "Wait until" in order[2 * i + 1], order
    for char, (status, server) in served_by(py, groups).items():
        wanted = servers[0] if char in "0123" else servers[-1]
        assert server == wanted, (char, status, server)
    # Back to the inventory's map (spread in order), again one at a time.
    rc, output, recap = playbook("seatable.yml")
    assert rc == 0, output
    routes = expected_routes(groups)
    for char, (status, server) in served_by(py, groups).items():
        assert server == routes[char], (char, status, server)


def test_route_check_reports_the_map(groups, node):
    host = node(groups["seatable_web"][0])
    out = host.run("grep -c '\"~^' /etc/seatable-router/nginx.conf")
    assert out.stdout.strip() == "16"
