"""dtable_route_check: routing files written to tmp_path, checked through a local stand-in for the nginx proxy."""

import functools
import http.server
import threading

import pytest

from ansible_collections.filesync.cluster.plugins.modules import dtable_route_check as module

SERVERS = {"dtable-server-01": "172.18.0.3:5000", "dtable-server-02": "172.18.0.4:5000", "dtable_server.03": "[fd00::5]:5000"}
ALTERNATE = {c: "dtable-server-0%d" % (1 + i % 2) for i, c in enumerate("0123456789abcdef")}
OVERRIDE = "4f1c2d3e-0000-4000-8000-000000000001"


def routing_file(tmp_path, routes, servers=None, overrides=None, extra=()):
    """The routing file as the collection writes it (comments, the $uri map and the server block included)."""
    text = ["# Managed by filesync.cluster: dtable-server routing"]
    for name, address in (SERVERS if servers is None else servers).items():
        text += ["upstream %s {" % name, "    server %s;" % address, "}"]
    text += ["map $uri $dtable_uuid {", "    default \"\";",
             '    "~^/dtable-server/api/v1/dtables/(?<uuid>[0-9a-f-]{36})/" $uuid;', "}",
             "map $dtable_uuid $dtable_server_upstream {", '    default "";', "    # one line per first character"]
    text += ['    "~^%s" %s;' % (character, name) for character, name in routes]
    text += ['    "%s" %s;' % item for item in (overrides or {}).items()]
    text += list(extra) + ["}", "server {", "    listen 5000;", "    location ~ ^/dtable-server-node/([^/]+)/(.*)$ {",
                           "        proxy_pass http://$1/$2;", "    }", "}"]
    path = tmp_path / "dtable-routes.conf"
    path.write_text("\n".join(text) + "\n")
    return str(path)


@pytest.fixture
def proxy(tmp_path):
    """Answers GET /dtable-server-node/NAME/ping/ with 200 for the names given to it, 404 for any other."""
    root = tmp_path / "proxy"

    def start(*names):
        for name in names:
            (root / "dtable-server-node" / name / "ping").mkdir(parents=True)
            (root / "dtable-server-node" / name / "ping" / "index.html").write_text("pong")
        root.mkdir(exist_ok=True)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        servers.append(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler))
        threading.Thread(target=servers[-1].serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return "http://127.0.0.1:%d" % servers[-1].server_address[1]

    servers = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_complete_routing_passes_and_sets_facts(run_module, tmp_path, proxy, monkeypatch):
    warned = []  # in-process, Ansible's controller shows warnings itself instead of returning them
    monkeypatch.setattr(module.AnsibleModule, "warn", lambda self, warning, **kwargs: warned.append(warning))
    routes = sorted(ALTERNATE.items())
    url = proxy(*SERVERS)
    path = routing_file(tmp_path, routes, overrides={OVERRIDE: "dtable_server.03"})
    for check_mode in (False, True):
        result = run_module(module, dict(path=path, proxy_url=url + "/"), check_mode=check_mode)
        assert result["changed"] is False and not result.get("failed"), result
        assert result["routes"] == ALTERNATE and result["overrides"] == {OVERRIDE: "dtable_server.03"}
        assert result["servers"] == SERVERS
        assert result["prefixes_by_server"] == {"dtable-server-01": list("02468ace"), "dtable-server-02": list("13579bdf"),
                                                "dtable_server.03": []}
        assert result["ansible_facts"] == {"dtable_routes": {"routes": ALTERNATE, "overrides": {OVERRIDE: "dtable_server.03"},
                                                             "servers": SERVERS}}
        assert len(warned) == 1 and "Upstream dtable_server.03 in %s serves no first character" % path in warned.pop()


def test_a_gap_fails_naming_the_characters(run_module, tmp_path, proxy):
    routes = [(c, name) for c, name in sorted(ALTERNATE.items()) if c not in "3b"]
    result = run_module(module, dict(path=routing_file(tmp_path, routes), proxy_url=proxy(*SERVERS)))
    assert result["failed"] and result["problems"] == ["no route for the first characters 3, b"]
    assert "3" not in result["routes"]


def test_a_double_fails_naming_the_character_and_its_lines(run_module, tmp_path, proxy):
    routes = sorted(ALTERNATE.items()) + [("5", "dtable-server-01")]
    result = run_module(module, dict(path=routing_file(tmp_path, routes), proxy_url=proxy(*SERVERS)))
    assert result["failed"] and len(result["problems"]) == 1
    assert result["problems"][0].startswith("first character 5 is routed 2 times (lines ")
    assert result["routes"]["5"] == "dtable-server-02", "the first line wins, as in nginx"


def test_a_route_or_override_to_an_unknown_upstream_fails_naming_it(run_module, tmp_path, proxy):
    routes = sorted(dict(ALTERNATE, c="dtable-server-09").items())
    path = routing_file(tmp_path, routes, overrides={OVERRIDE: "dtable-server-10"})
    result = run_module(module, dict(path=path, proxy_url=proxy(*SERVERS)))
    assert result["failed"]
    assert any(p.startswith("first character c (line ") and "routed to dtable-server-09, which is no upstream" in p
               for p in result["problems"])
    assert "base %s is routed to dtable-server-10, which is no upstream of the file" % OVERRIDE in result["problems"]
    assert len(result["problems"]) == 2


def test_a_server_that_does_not_answer_through_the_proxy_fails_naming_it(run_module, tmp_path, proxy):
    url = proxy("dtable-server-01", "dtable_server.03")
    result = run_module(module, dict(path=routing_file(tmp_path, sorted(ALTERNATE.items())), proxy_url=url))
    assert result["failed"]
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith("dtable-server dtable-server-02 did not answer GET %s/dtable-server-node/dtable-server-02/ping/ "
                                            "(HTTP 404" % url)
    assert "dtable-server-02" in result["msg"] and "dtable-server-01" not in result["msg"].split("sound: ")[1]


def test_a_file_that_is_not_the_routing_or_is_missing_fails(run_module, tmp_path, proxy):
    url = proxy()
    other = tmp_path / "nginx.conf"
    other.write_text("events {}\nhttp {\n}\n")
    result = run_module(module, dict(path=str(other), proxy_url=url))
    assert result["failed"] and "no map $dtable_uuid $dtable_server_upstream block" in result["msg"]
    result = run_module(module, dict(path=str(tmp_path / "missing.conf"), proxy_url=url))
    assert result["failed"] and "%s does not exist" % (tmp_path / "missing.conf") in result["msg"]


def test_a_route_that_is_not_one_first_character_and_an_upstream_with_two_servers_fail(run_module, tmp_path, proxy):
    servers = dict(SERVERS, **{"dtable-server-04": "10.0.0.4:5000;\n    server 10.0.0.5:5000"})
    path = routing_file(tmp_path, sorted(ALTERNATE.items()), servers=servers, extra=['    "~^A" dtable-server-01;'])
    result = run_module(module, dict(path=path, proxy_url=proxy(*servers)))
    assert result["failed"]
    assert any(p.endswith('routes "~^A"; a route is one first character, 0-9 or a-f') for p in result["problems"])
    assert "upstream dtable-server-04 has 2 server lines; each dtable-server's upstream needs exactly one" in result["problems"]
