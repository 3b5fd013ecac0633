# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A minimal etcd v3 client over etcd's JSON gateway (HTTP through module_utils/http_client).

Only the standard library and ansible.module_utils.urls: no etcd3, grpc or
requests on the managed node. The gateway (POST /v3/kv/range, /v3/kv/put,
/v3/lease/grant, keys and values base64 in JSON) is the same on etcd 3.4
and 3.5. Clusters with etcd authentication (user and password) are not
supported; client certificates are.
"""

from __future__ import annotations

import base64
import json
from urllib.error import HTTPError

from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.filesync.cluster.plugins.module_utils.http_client import REQUEST_ERRORS, error_text, is_transient, request


def etcd_argument_spec():
    """The etcd connection options of a module (etcd_endpoints and the TLS files)."""
    return dict(
        etcd_endpoints=dict(type="list", elements="str", default=[]),
        etcd_ca_cert=dict(type="path"),
        etcd_client_cert=dict(type="path"),
        etcd_client_key=dict(type="path", no_log=False),
    )


class EtcdGatewayError(Exception):
    """No endpoint could carry out a request; `tried` holds (endpoint, error text) in the order tried."""

    def __init__(self, msg, tried=None):
        super().__init__(msg)
        self.msg = msg
        self.tried = list(tried or [])


def normalize_endpoint(endpoint, tls=False):
    """host:port (http, or https when TLS files are given) or http(s)://host:port, without a trailing slash."""
    endpoint = (endpoint or "").strip().rstrip("/")
    if "://" in endpoint:
        scheme, rest = endpoint.split("://", 1)
        if scheme not in ("http", "https") or not rest or "/" in rest:
            raise EtcdGatewayError("etcd endpoint %r is not host:port or http(s)://host:port." % endpoint)
        return endpoint
    if not endpoint or "/" in endpoint:
        raise EtcdGatewayError("etcd endpoint %r is not host:port or http(s)://host:port." % endpoint)
    return "%s://%s" % ("https" if tls else "http", endpoint)


def _b64(data):
    return to_text(base64.b64encode(to_bytes(data, errors="surrogate_or_strict")))


def prefix_range_end(prefix):
    """The range_end that makes a range request return every key starting with prefix (bytes)."""
    end = bytearray(prefix)
    while end:
        if end[-1] < 0xFF:
            end[-1] += 1
            return bytes(end)
        end.pop()
    return b"\0"  # an empty prefix (or only 0xff bytes): every key from the start key on


class EtcdGateway(object):
    """etcd v3 through its JSON gateway, trying the endpoints in order and failing over to the next when one does not answer."""

    def __init__(self, endpoints, ca_cert=None, client_cert=None, client_key=None, timeout=10, validate_certs=True):
        if not endpoints:
            raise EtcdGatewayError("No etcd endpoint given: set etcd_endpoints (host:port of each member).")
        tls = bool(ca_cert or client_cert or client_key)
        self.endpoints = [normalize_endpoint(endpoint, tls) for endpoint in endpoints]
        self.tls = dict(ca_path=ca_cert, client_cert=client_cert, client_key=client_key)
        self.timeout = timeout
        self.validate_certs = validate_certs

    @classmethod
    def from_module(cls, module, timeout=None):
        """From a module's etcd_endpoints, etcd_ca_cert, etcd_client_cert and etcd_client_key (and its timeout)."""
        params = module.params
        return cls(params["etcd_endpoints"], ca_cert=params.get("etcd_ca_cert"), client_cert=params.get("etcd_client_cert"),
                   client_key=params.get("etcd_client_key"), timeout=timeout or params.get("timeout") or 10)

    def call(self, path, payload):
        """POST payload (JSON) to path on the first endpoint that answers; the decoded JSON answer.

        Fails over to the next endpoint whenever one gives no answer (refused
        or reset connection, timeout, TLS or name resolution error) and on
        502/503/504 (a member without a leader); any other error answer is the
        cluster's answer and is raised at once.
        """
        data = to_bytes(json.dumps(payload))
        tried = []
        for endpoint in self.endpoints:
            try:
                status, body = request(endpoint + path, method="POST", data=data, headers={"Content-Type": "application/json"},
                                       timeout=self.timeout, validate_certs=self.validate_certs, **self.tls)
            except REQUEST_ERRORS as error:
                tried.append((endpoint, error_text(error)))
                if isinstance(error, HTTPError) and not is_transient(error):
                    raise EtcdGatewayError("etcd at %s refused POST %s: %s." % (endpoint, path, tried[-1][1]), tried)
                continue
            try:
                return json.loads(to_text(body, errors="surrogate_or_strict"))
            except ValueError:
                raise EtcdGatewayError("etcd at %s answered POST %s (HTTP %s) with something that is not JSON: %r; "
                                       "is this an etcd client port?" % (endpoint, path, status, body[:200]), tried)
        raise EtcdGatewayError("No etcd endpoint answered POST %s: %s." % (
            path, "; ".join("%s (%s)" % attempt for attempt in tried)), tried)

    def get_prefix(self, prefix):
        """Every key starting with prefix and its value, both decoded as UTF-8."""
        start = to_bytes(prefix, errors="surrogate_or_strict")
        answer = self.call("/v3/kv/range", {"key": _b64(start or b"\0"), "range_end": _b64(prefix_range_end(start))})
        found = {}
        for kv in answer.get("kvs", []):
            key, value = base64.b64decode(kv.get("key", "")), base64.b64decode(kv.get("value", ""))
            try:
                found[key.decode("utf-8")] = value.decode("utf-8")
            except UnicodeDecodeError:
                raise EtcdGatewayError("The etcd key %r (or its value) under %r is not UTF-8 text." % (key, prefix))
        return found

    def put(self, key, value, lease=None):
        """Set key to value (text), attached to lease when given; returns the gateway's answer."""
        payload = {"key": _b64(key), "value": _b64(value)}
        if lease:
            payload["lease"] = str(lease)
        return self.call("/v3/kv/put", payload)

    def lease_grant(self, ttl):
        """A new lease of ttl seconds; its ID (int)."""
        answer = self.call("/v3/lease/grant", {"TTL": int(ttl)})
        if answer.get("error") or "ID" not in answer:
            raise EtcdGatewayError("etcd granted no lease: %s." % (answer.get("error") or answer))
        return int(answer["ID"])
