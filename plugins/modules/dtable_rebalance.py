#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ask SeaTable's dtable-server-proxy to reassign the bases' buckets to the registered dtable-servers."""

from __future__ import annotations

DOCUMENTATION = r"""
module: dtable_rebalance
short_description: Ask a SeaTable dtable-server-proxy to spread the bases over its dtable-servers
version_added: 0.1.0
description:
  - In a SeaTable Enterprise cluster of the vendor's 2022 cluster manual, the
    closed-source dtable-server-proxy (port 5550 for traffic, 5555 for
    administration) assigns the 256 buckets of base UUIDs (their first two
    hexadecimal characters) to the dtable-servers registered in etcd. After
    adding or removing a dtable-server the manual has one run the "load
    balance" step, C(curl -X POST http://<proxy>:5555/rebalance/). This module
    makes that POST, retrying while the proxy is starting.
  - The vendor does not document what the endpoint answers, nor whether
    anything moved. The module returns the answer as it came (RV(status),
    RV(body), and RV(json) when the body is JSON) and reports C(changed=true)
    whenever the POST was made, because the proxy was asked to reassign.
  - Retries on a refused or reset connection, a timeout and HTTP 502, 503
    and 504; fails at once on any other answer outside 2xx (naming the status
    and the body) and on errors such as an unknown host name or a certificate
    that does not verify.
  - With O(wait_for_servers), first waits until every listed dtable-server is
    registered in etcd under O(etcd_prefix) and serving, so the rebalance does
    not run before a new server has joined. SeaTable's own etcd keys are not
    documented either; the registration convention below is the one of this
    collection's lab stand-in, not the vendor's. A key under O(etcd_prefix)
    stands for the dtable-server named by C(node_id) when its value is a JSON
    object with a C(node_id) string, otherwise for the one named by the last
    C(/)-separated segment of the key. When that JSON object has
    C(local_node_url), the server is serving once C(GET <local_node_url>/ping/)
    (without a doubled slash) answers 2xx; without it, registered counts as
    serving.
  - Newer SeaTable (5.3 and later) routes bases by the first character of
    their UUID through nginx instead and has no such proxy; see
    M(filesync.cluster.dtable_route_check) for that layout.
  - Proxy variables of the environment (C(http_proxy)) are not used and
    redirects are not followed, as these are addresses inside the cluster.
    etcd with user and password authentication is not supported; client
    certificates are.
options:
  host:
    description:
      - Address (name or IP) of the dtable-server-proxy.
    type: str
    required: true
  port:
    description:
      - The proxy's administration port.
    type: int
    default: 5555
  path:
    description:
      - Path of the rebalance endpoint.
    type: str
    default: /rebalance/
  scheme:
    description:
      - C(http) or C(https) for the proxy.
    type: str
    choices: [http, https]
    default: http
  validate_certs:
    description:
      - Verify the certificate of the proxy (O(scheme=https)) and of the C(local_node_url) of the dtable-servers.
    type: bool
    default: true
  timeout:
    description:
      - Seconds each HTTP request (to the proxy, to etcd, to a dtable-server) may take.
    type: int
    default: 10
  retries:
    description:
      - How many more times to POST after a transient error (refused or reset connection, timeout, HTTP 502, 503 or 504).
      - C(0) tries once.
    type: int
    default: 10
  delay:
    description:
      - Seconds between two POSTs; with O(wait_for_servers), also between two looks at etcd (then at least 1).
    type: int
    default: 3
  wait_for_servers:
    description:
      - C(node_id) of every dtable-server that must be registered and serving before the POST.
      - Needs O(etcd_endpoints) and O(etcd_prefix).
    type: list
    elements: str
    default: []
  etcd_endpoints:
    description:
      - The etcd members, as C(host:port) or C(http(s)://host:port), tried in this order.
      - A C(host:port) uses https when O(etcd_ca_cert), O(etcd_client_cert) or O(etcd_client_key) is given, else http.
    type: list
    elements: str
    default: []
  etcd_prefix:
    description:
      - The etcd key prefix under which the dtable-servers register, for example C(/filesync-standin/dtable-server/nodes/).
      - There is no default because SeaTable does not document its own.
      - Required when O(wait_for_servers) is not empty.
    type: str
  etcd_ca_cert:
    description:
      - CA certificate (PEM) that etcd's certificate must verify against.
    type: path
  etcd_client_cert:
    description:
      - Client certificate (PEM) for etcd.
    type: path
  etcd_client_key:
    description:
      - Key (PEM) of O(etcd_client_cert).
    type: path
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for_servers) before failing; C(0) looks once.
    type: int
    default: 120
attributes:
  check_mode:
    support: full
    description: Makes no request at all (neither to etcd nor to the proxy) and reports that it would POST.
  diff_mode:
    support: none
    description: The proxy's assignment is not visible to the module, so there is no diff.
author:
  - filesync.cluster maintainers (@filesync)
"""

EXAMPLES = r"""
- name: Spread the bases over the dtable-servers
  filesync.cluster.dtable_rebalance:
    host: 10.0.0.20
  run_once: true

- name: Wait for both dtable-servers, then rebalance
  filesync.cluster.dtable_rebalance:
    host: 10.0.0.20
    wait_for_servers:
      - dtable-server-01
      - dtable-server-02
    etcd_endpoints: "{{ etcd_endpoints }}"
    etcd_prefix: /filesync-standin/dtable-server/nodes/
    wait_timeout: 300
  run_once: true
  register: rebalance

- name: Show what the proxy answered
  ansible.builtin.debug:
    var: rebalance.json
"""

RETURN = r"""
url:
  description: The URL posted to (or, in check mode, that would be).
  returned: always
  type: str
  sample: http://10.0.0.20:5555/rebalance/
status:
  description: HTTP status of the proxy's answer.
  returned: when the POST was made
  type: int
  sample: 200
body:
  description:
    - The proxy's answer as text. The vendor does not document it, so there is no sample.
  returned: when the POST was made
  type: str
json:
  description:
    - RV(body) parsed, when it is JSON; otherwise null.
  returned: when the POST was made
  type: raw
attempts:
  description: How many POSTs it took.
  returned: when the POST was made
  type: int
  sample: 1
servers:
  description:
    - The registrations found under O(etcd_prefix), C(node_id) to the value (parsed when it is JSON, else the text).
  returned: when O(wait_for_servers) is not empty and not in check mode
  type: dict
  sample: {"dtable-server-01": {"node_id": "dtable-server-01", "local_node_url": "http://172.18.0.3:5000/"}}
problems:
  description: Why each server of O(wait_for_servers) that was not serving at the end of the wait was not.
  returned: when the wait failed
  type: list
  elements: str
  sample: ["dtable-server-03 is not registered"]
"""

import json
import time
from urllib.error import HTTPError

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.filesync.cluster.plugins.module_utils.etcd_gateway import EtcdGateway, EtcdGatewayError, etcd_argument_spec
from ansible_collections.filesync.cluster.plugins.module_utils.http_client import REQUEST_ERRORS, error_text, is_transient, probe, request


def parse(text, otherwise):
    """The JSON in text, or otherwise when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return otherwise


def registrations(found):
    """node_id -> parsed value of every key found under the prefix (the lab stand-in's convention)."""
    servers = {}
    for key in sorted(found):
        value = parse(found[key], found[key])
        node_id = value.get("node_id") if isinstance(value, dict) else None
        if not isinstance(node_id, str) or not node_id:
            node_id = key.rstrip("/").rsplit("/", 1)[-1]
        servers[node_id] = value
    return servers


def not_serving(module, servers, node_id):
    """Why node_id is not serving, or None when it is."""
    if node_id not in servers:
        return "%s is not registered" % node_id
    value = servers[node_id]
    url = value.get("local_node_url") if isinstance(value, dict) else None
    if not url:
        return None
    ping = "%s/ping/" % to_text(url).rstrip("/")
    error = probe(ping, timeout=module.params["timeout"], validate_certs=module.params["validate_certs"])
    return "%s is registered but GET %s failed (%s)" % (node_id, ping, error) if error else None


def wait_for_servers(module):
    params = module.params
    prefix = params["etcd_prefix"]
    try:
        gateway = EtcdGateway.from_module(module)
    except EtcdGatewayError as error:
        module.fail_json(msg="%s" % error.msg)
    deadline = time.monotonic() + params["wait_timeout"]
    while True:
        try:
            servers = registrations(gateway.get_prefix(prefix))
        except EtcdGatewayError as error:
            module.fail_json(msg="Cannot read the dtable-server registrations under %s from etcd (%s): %s Check etcd_endpoints, "
                                 "the etcd TLS files and that etcd is running." % (prefix, ", ".join(gateway.endpoints), error.msg))
        problems = [why for why in (not_serving(module, servers, node_id) for node_id in params["wait_for_servers"]) if why]
        if not problems:
            return servers
        if time.monotonic() >= deadline:
            module.fail_json(msg="After %d s, not every dtable-server of wait_for_servers is serving: %s. Registered under %s in "
                                 "etcd: %s. Check that these dtable-servers run and register under etcd_prefix, or correct "
                                 "wait_for_servers." % (params["wait_timeout"], "; ".join(problems), prefix,
                                                        ", ".join(sorted(servers)) or "nothing"),
                             servers=servers, problems=problems)
        time.sleep(max(params["delay"], 1))


def post(module, url):
    """POST to the proxy, retrying transient errors; (attempts, status, body text)."""
    params = module.params
    attempts = 0
    while True:
        attempts += 1
        try:
            status, body = request(url, method="POST", data=b"", timeout=params["timeout"], validate_certs=params["validate_certs"])
            return attempts, status, to_text(body, errors="surrogate_or_replace")
        except REQUEST_ERRORS as error:
            text = error_text(error)
            if isinstance(error, HTTPError) and not is_transient(error):
                module.fail_json(msg="The dtable-server-proxy refused POST %s: %s. Look at the proxy's log; check host, port "
                                     "(its administration port) and path." % (url, text), url=url, status=error.code)
            if not is_transient(error):
                module.fail_json(msg="POST %s failed: %s. Check host, port, scheme and validate_certs." % (url, text), url=url)
            if attempts > params["retries"]:
                module.fail_json(msg="POST %s failed %d times, %d s apart; the last error was: %s. Check that the "
                                     "dtable-server-proxy runs on %s and listens on port %d, or raise retries or delay."
                                 % (url, attempts, params["delay"], text, params["host"], params["port"]),
                                 url=url, attempts=attempts)
        time.sleep(params["delay"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            port=dict(type="int", default=5555),
            path=dict(type="str", default="/rebalance/"),
            scheme=dict(type="str", choices=["http", "https"], default="http"),
            validate_certs=dict(type="bool", default=True),
            timeout=dict(type="int", default=10),
            retries=dict(type="int", default=10),
            delay=dict(type="int", default=3),
            wait_for_servers=dict(type="list", elements="str", default=[]),
            etcd_prefix=dict(type="str"),
            wait_timeout=dict(type="int", default=120),
            **etcd_argument_spec()
        ),
        supports_check_mode=True,
    )
    params = module.params
    for name in ("timeout", "retries", "delay", "wait_timeout"):
        if params[name] < 0 or (name == "timeout" and params[name] == 0):
            module.fail_json(msg="%s must be %s; got %d." % (name, "at least 1" if name == "timeout" else "0 or more", params[name]))
    if not params["path"].startswith("/"):
        module.fail_json(msg="path must start with /, such as /rebalance/; got %s." % params["path"])
    if params["wait_for_servers"] and not (params["etcd_prefix"] and params["etcd_endpoints"]):
        module.fail_json(msg="wait_for_servers needs etcd_endpoints (host:port of the etcd members) and etcd_prefix (where the "
                             "dtable-servers register, for example /filesync-standin/dtable-server/nodes/).")
    host = "[%s]" % params["host"] if ":" in params["host"] and not params["host"].startswith("[") else params["host"]
    url = "%s://%s:%d%s" % (params["scheme"], host, params["port"], params["path"])

    if module.check_mode:
        waiting = " after waiting for %s in etcd" % ", ".join(params["wait_for_servers"]) if params["wait_for_servers"] else ""
        module.exit_json(changed=True, url=url, msg="Would POST to %s%s (check mode asks nothing)." % (url, waiting))
    result = dict(changed=False, url=url)
    if params["wait_for_servers"]:
        result["servers"] = wait_for_servers(module)
    attempts, status, body = post(module, url)
    result.update(changed=True, status=status, body=body, json=parse(body, None), attempts=attempts)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
