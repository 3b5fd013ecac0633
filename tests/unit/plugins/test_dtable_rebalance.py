"""dtable_rebalance and its etcd client (module_utils/etcd_gateway) against a real etcd and local HTTP servers."""

import base64
import http.server
import json
import socket
import threading
import uuid

import pytest

from ansible_collections.filesync.cluster.plugins.module_utils.etcd_gateway import EtcdGateway, EtcdGatewayError
from ansible_collections.filesync.cluster.plugins.modules import dtable_rebalance as module


class Fake(object):
    """A local HTTP server answering each request with the next of `answers` (status, body); the last one repeats."""

    def __init__(self, answers):
        self.answers, self.requests = list(answers), []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                fake.requests.append((self.command, self.path))
                status, body = fake.answers[min(len(fake.requests), len(fake.answers)) - 1]
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fakes():
    started = []

    def start(*answers):
        started.append(Fake(answers))
        return started[-1]

    yield start
    for fake in started:
        fake.close()


def dead_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def prefix():
    return "/filesync-standin/dtable-server/%s/nodes/" % uuid.uuid4().hex


def args(fake, **more):
    return dict(dict(host="127.0.0.1", port=fake.port, delay=0), **more)


# The etcd client


def test_gateway_round_trips_any_text_and_keeps_to_the_prefix(etcd, prefix):
    gateway = EtcdGateway([etcd["endpoint"]])
    odd = {prefix + "dtable-sérver-ü 01": '{"node_id": "ü", "url": "http://x/?a=1&b=\\"2\\""}',
           prefix + "quote\"back\\slash\nnewline": "tab\tand 😀 emoji",
           prefix + "empty": ""}
    for key, value in odd.items():
        gateway.put(key, value)
    gateway.put(prefix.rstrip("/") + "0", "just past the prefix")
    gateway.put(prefix[:-1], "the prefix without its slash")
    assert gateway.get_prefix(prefix) == odd
    assert gateway.get_prefix(prefix + "nothing-here") == {}


def test_gateway_fails_over_from_a_dead_endpoint_and_names_every_endpoint_when_all_are_dead(etcd, prefix):
    dead = "127.0.0.1:%d" % dead_port()
    gateway = EtcdGateway([dead, etcd["url"] + "/"])
    assert gateway.endpoints == ["http://" + dead, etcd["url"]]
    gateway.put(prefix + "a", "1")
    assert gateway.get_prefix(prefix) == {prefix + "a": "1"}
    with pytest.raises(EtcdGatewayError) as error:
        EtcdGateway([dead, "http://127.0.0.1:%d" % dead_port()], timeout=2).get_prefix(prefix)
    assert "No etcd endpoint answered" in error.value.msg and dead in error.value.msg
    assert [attempt[1] for attempt in error.value.tried] == ["connection refused", "connection refused"]


def test_gateway_refuses_a_bad_endpoint_and_takes_https_for_host_port_with_tls_files():
    with pytest.raises(EtcdGatewayError, match="not host:port"):
        EtcdGateway(["unix:///run/etcd.sock"])
    with pytest.raises(EtcdGatewayError, match="etcd_endpoints"):
        EtcdGateway([])
    assert EtcdGateway(["10.0.0.1:2379"], ca_cert="/etc/ca.pem").endpoints == ["https://10.0.0.1:2379"]


def test_gateway_grants_a_lease_and_puts_a_key_on_it(etcd, prefix):
    gateway = EtcdGateway([etcd["endpoint"]])
    lease = gateway.lease_grant(60)
    assert isinstance(lease, int) and lease > 0
    gateway.put(prefix + "leased", "v", lease=lease)
    assert gateway.get_prefix(prefix) == {prefix + "leased": "v"}
    kv = gateway.call("/v3/kv/range", {"key": base64.b64encode((prefix + "leased").encode()).decode()})
    assert int(kv["kvs"][0]["lease"]) == lease
    with pytest.raises(EtcdGatewayError, match="lease not found"):
        gateway.put(prefix + "orphan", "v", lease=lease + 1)


def test_gateway_over_tls_with_a_client_certificate(etcd_tls, prefix):
    gateway = EtcdGateway([etcd_tls["endpoint"]], **tls_files(etcd_tls))
    assert gateway.endpoints == ["https://" + etcd_tls["endpoint"]]
    gateway.put(prefix + "k", "value over TLS")
    assert gateway.get_prefix(prefix) == {prefix + "k": "value over TLS"}


def test_etcd_with_client_certificates_refuses_a_client_without_one(etcd_tls, prefix):
    for gateway in (EtcdGateway([etcd_tls["endpoint"]], ca_cert=etcd_tls["ca"]), EtcdGateway(["http://" + etcd_tls["endpoint"]])):
        with pytest.raises(EtcdGatewayError) as error:
            gateway.get_prefix(prefix)
        assert etcd_tls["endpoint"] in error.value.msg


# The module


def tls_files(etcd):
    """The gateway's TLS arguments for the etcd fixture in use (none for plain etcd)."""
    return dict(ca_cert=etcd["ca"], client_cert=etcd["cert"], client_key=etcd["key"]) if etcd["ca"] else {}


def register_two_servers(etcd, prefix, ping_url):
    """dtable-server-01 by its JSON node_id (with a local_node_url), dtable-server-02 by the key's last segment."""
    gateway = EtcdGateway([etcd["endpoint"]], **tls_files(etcd))
    gateway.put(prefix + "member-a", json.dumps({"node_id": "dtable-server-01", "local_node_url": ping_url + "/"}))
    gateway.put(prefix + "dtable-server-02", "172.18.0.4:5000")


def test_waits_for_the_servers_then_posts_through_two_503s(run_module, etcd, prefix, fakes):
    pinged = fakes((200, "pong"))
    proxy = fakes((503, "starting"), (503, "starting"), (200, '{"moved": 12}'))
    register_two_servers(etcd, prefix, pinged.url)
    result = run_module(module, args(proxy, wait_for_servers=["dtable-server-01", "dtable-server-02"],
                                     etcd_endpoints=[etcd["endpoint"]], etcd_prefix=prefix, wait_timeout=5))
    assert result["changed"] is True and not result.get("failed"), result
    assert (result["status"], result["json"], result["body"], result["attempts"]) == (200, {"moved": 12}, '{"moved": 12}', 3)
    assert result["url"] == "%s/rebalance/" % proxy.url
    assert proxy.requests == [("POST", "/rebalance/")] * 3
    assert pinged.requests and set(pinged.requests) == {("GET", "/ping/")}
    assert result["servers"] == {"dtable-server-01": {"node_id": "dtable-server-01", "local_node_url": pinged.url + "/"},
                                 "dtable-server-02": "172.18.0.4:5000"}


def test_waits_for_servers_registered_in_an_etcd_that_requires_client_certificates(run_module, etcd_tls, prefix, fakes):
    pinged = fakes((200, "pong"))
    proxy = fakes((200, '{"moved": 256}'))
    register_two_servers(etcd_tls, prefix, pinged.url)
    result = run_module(module, args(proxy, wait_for_servers=["dtable-server-01", "dtable-server-02"], etcd_endpoints=[etcd_tls["endpoint"]],
                                     etcd_ca_cert=etcd_tls["ca"], etcd_client_cert=etcd_tls["cert"], etcd_client_key=etcd_tls["key"],
                                     etcd_prefix=prefix, wait_timeout=5))
    assert result["changed"] is True and not result.get("failed"), result
    assert result["json"] == {"moved": 256} and sorted(result["servers"]) == ["dtable-server-01", "dtable-server-02"]
    # Without the client certificate etcd refuses, and nothing is posted.
    proxy = fakes((200, '{"moved": 256}'))
    result = run_module(module, args(proxy, wait_for_servers=["dtable-server-01"], etcd_endpoints=[etcd_tls["endpoint"]],
                                     etcd_ca_cert=etcd_tls["ca"], etcd_prefix=prefix, wait_timeout=0))
    assert result["failed"] and etcd_tls["endpoint"] in result["msg"], result
    assert proxy.requests == []


def test_a_body_that_is_not_json_is_returned_as_text(run_module, fakes):
    proxy = fakes((200, "rebalanced"))
    result = run_module(module, args(proxy, path="/admin/rebalance"))
    assert (result["changed"], result["body"], result["json"]) == (True, "rebalanced", None)
    assert proxy.requests == [("POST", "/admin/rebalance")]


def test_a_500_fails_at_once_with_the_body(run_module, fakes):
    proxy = fakes((500, "bucket table is locked"))
    result = run_module(module, args(proxy, retries=5))
    assert result["failed"] and result["status"] == 500
    assert "The dtable-server-proxy refused POST %s/rebalance/: HTTP 500: bucket table is locked." % proxy.url in result["msg"]
    assert proxy.requests == [("POST", "/rebalance/")]


def test_an_unreachable_proxy_fails_after_the_retries_naming_the_url(run_module):
    port = dead_port()
    result = run_module(module, dict(host="127.0.0.1", port=port, retries=1, delay=0))
    assert result["failed"] and result["attempts"] == 2
    assert "POST http://127.0.0.1:%d/rebalance/ failed 2 times" % port in result["msg"] and "connection refused" in result["msg"]


def test_check_mode_asks_nothing(run_module, fakes):
    proxy = fakes((200, "{}"))
    result = run_module(module, args(proxy, wait_for_servers=["dtable-server-01"], etcd_endpoints=["127.0.0.1:%d" % dead_port()],
                                     etcd_prefix="/nowhere/"), check_mode=True)
    assert result["changed"] is True and "Would POST to %s/rebalance/" % proxy.url in result["msg"]
    assert "status" not in result and proxy.requests == []


def test_a_missing_server_fails_naming_it_and_nothing_is_posted(run_module, etcd, prefix, fakes):
    pinged, proxy = fakes((200, "pong")), fakes((200, "{}"))
    register_two_servers(etcd, prefix, pinged.url)
    result = run_module(module, args(proxy, wait_for_servers=["dtable-server-01", "dtable-server-03"],
                                     etcd_endpoints=[etcd["endpoint"]], etcd_prefix=prefix, wait_timeout=0))
    assert result["failed"] and "dtable-server-03 is not registered" in result["msg"]
    assert "dtable-server-01" not in result["problems"][0] and len(result["problems"]) == 1
    assert "Registered under %s in etcd: dtable-server-01, dtable-server-02." % prefix in result["msg"]
    assert proxy.requests == []


def test_a_registered_server_whose_ping_fails_is_not_serving(run_module, etcd, prefix, fakes):
    pinged, proxy = fakes((500, "not ready")), fakes((200, "{}"))
    register_two_servers(etcd, prefix, pinged.url)
    result = run_module(module, args(proxy, wait_for_servers=["dtable-server-01"], etcd_endpoints=[etcd["endpoint"]],
                                     etcd_prefix=prefix, wait_timeout=1))
    assert result["failed"] and len(pinged.requests) >= 2, "looks again until wait_timeout"
    assert "dtable-server-01 is registered but GET %s/ping/ failed (HTTP 500: not ready)" % pinged.url in result["msg"]
    assert proxy.requests == []


def test_waiting_needs_a_prefix_and_a_reachable_etcd(run_module, fakes):
    proxy = fakes((200, "{}"))
    result = run_module(module, args(proxy, wait_for_servers=["dtable-server-01"], etcd_endpoints=["127.0.0.1:2379"]))
    assert result["failed"] and "etcd_prefix" in result["msg"]
    dead = "127.0.0.1:%d" % dead_port()
    result = run_module(module, args(proxy, wait_for_servers=["dtable-server-01"], etcd_endpoints=[dead], etcd_prefix="/p/"))
    assert result["failed"] and "http://%s (connection refused)" % dead in result["msg"] and "etcd_endpoints" in result["msg"]
    assert proxy.requests == []
