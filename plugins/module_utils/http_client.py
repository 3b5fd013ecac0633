# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP inside the cluster for the collection's modules: one request, a probe, and how to judge and report errors.

Only the standard library and ansible.module_utils.urls.
"""

from __future__ import annotations

import socket
from http.client import HTTPException
from urllib.error import HTTPError, URLError

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import open_url

# What a server that is down, starting or cut off from its cluster does: refuse,
# reset, time out, or answer 502/503/504 (etcd's gateway: 503 for "no leader").
TRANSIENT_STATUS = (502, 503, 504)
TRANSIENT_REASONS = (ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError,
                     socket.timeout, TimeoutError)
# What open_url and reading its answer raise: HTTP error answers, refused or
# broken connections, TLS and file errors, answers that are not HTTP, bad URLs.
REQUEST_ERRORS = (URLError, OSError, HTTPException, ValueError)


def error_text(error):
    """A short, readable account of what open_url (or reading its answer) raised."""
    if isinstance(error, HTTPError):
        try:
            body = to_text(error.read(), errors="surrogate_or_replace").strip()
        except (OSError, HTTPException, ValueError):  # the body is a courtesy
            body = ""
        finally:
            error.close()
        return "HTTP %s%s" % (error.code, ": %s" % body[:500] if body else "")
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    return to_text(reason) or type(reason).__name__


def is_transient(error):
    """Whether an error from open_url is what a starting or restarting server does (worth another try)."""
    if isinstance(error, HTTPError):
        return error.code in TRANSIENT_STATUS
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, TRANSIENT_REASONS)


def request(url, method="GET", data=None, headers=None, timeout=10, validate_certs=True, **tls):
    """One HTTP request; returns (status, body bytes) of a 2xx answer, raises what open_url raises otherwise.

    Redirects are not followed (a redirect is an answer to report), and no
    proxy from the environment is used: these are addresses inside the cluster.
    """
    response = open_url(url, data=data, headers=headers, method=method, timeout=timeout, validate_certs=validate_certs,
                        use_proxy=False, follow_redirects="none", **tls)
    try:
        return response.getcode(), response.read()
    finally:
        response.close()


def probe(url, timeout=10, validate_certs=True):
    """GET url: None when it answers 2xx, else what went wrong (text)."""
    try:
        request(url, timeout=timeout, validate_certs=validate_certs)
    except REQUEST_ERRORS as error:
        return error_text(error)
    return None
