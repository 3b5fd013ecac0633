#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether HAProxy serves the configuration its last reload loaded, read from its master CLI."""

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_reload_status
short_description: Read from HAProxy's master CLI whether its last reload took effect (changes nothing)
version_added: 0.1.0
description:
  - HAProxy in master-worker mode (Debian's unit, C(haproxy -Ws ... -S /run/haproxy-master.sock)) reloads
    by re-executing the master, which loads the new configuration and forks a new worker. When the new
    configuration cannot be loaded although C(haproxy -c) accepted it (a bind on a port another process
    holds, an address that is not on the host), the master keeps the old worker, which goes on serving
    the old configuration, and C(systemctl reload) still succeeds.
  - This module reads the master's process list (C(show proc)) over the master CLI. No current worker
    whose reload counter is zero (a worker counts the reloads since it started) means the last reload
    failed and the running configuration is older than the last one loaded; the module then reports
    RV(pending).
  - With O(since), the status returned by an earlier call (before the reload), it waits until the master
    has reloaded after it, then fails unless a new worker serves the new configuration. The message names
    each bind of O(binds) that no HAProxy process listens on, and which process holds its port.
  - Works with HAProxy 2.6 (Debian 12) and 3.0 (Debian 13); never changes anything and always returns
    C(changed=false). In check mode O(since) is not waited for (nothing was reloaded).
options:
  master_socket:
    description:
      - The master CLI's Unix socket (HAProxy's C(-S) option).
    type: path
    default: /run/haproxy-master.sock
  since:
    description:
      - RV(status) of an earlier call. The module waits for the reload that followed it and fails unless it took effect.
    type: dict
  binds:
    description:
      - The binds of the new configuration, for the failure message (each C(address:port), optionally
        followed by bind options, and the service it belongs to).
    type: list
    elements: dict
    default: []
    suboptions:
      address:
        description: The bind as written in haproxy.cfg, for example C(10.0.0.10:3306) or C(*:443 ssl crt /etc/haproxy/certs/x.pem).
        type: str
        required: true
      service:
        description: The section the bind belongs to.
        type: str
        default: ""
  timeout:
    description:
      - Seconds to wait for the master to answer (and, with O(since), to report the reload).
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Reads the same as in a normal run; O(since) is not waited for.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
author:
  - filesync.cluster maintainers (@filesync)
"""

EXAMPLES = r"""
- name: Read HAProxy's processes before the reload
  filesync.cluster.haproxy_reload_status:
  register: before

- name: Reload HAProxy
  ansible.builtin.service:
    name: haproxy
    state: reloaded

- name: Fail unless the new configuration serves
  filesync.cluster.haproxy_reload_status:
    since: "{{ before.status }}"
    binds:
      - {address: "10.0.0.10:3306", service: galera}
"""

RETURN = r"""
status:
  description: The master's process list.
  returned: always
  type: dict
  sample:
    master: 1162
    reloads: 5
    failed: 0
    workers: [{pid: 1271, reloads: 0}]
    old_workers: [{pid: 1233, reloads: 1}]
pending:
  description:
    - True when the last reload failed, so that HAProxy still serves an older configuration than the one
      it was last asked to load (a run should reload it again).
  returned: always
  type: bool
"""

import ipaddress
import os
import re
import socket
import time

from ansible.module_utils.basic import AnsibleModule

_LISTEN = "0A"
_PROC_LINE = re.compile(r"^(\d+)\s+(\S+)\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?")


class Unanswered(Exception):
    pass


def ask(path, command, timeout=5.0):
    """One command on the master CLI; its whole answer."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(path)
        conn.sendall(command.encode("ascii") + b"\n")
        conn.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError as error:
        raise Unanswered(str(error)) from error
    finally:
        conn.close()
    return data.decode("utf-8", "replace")


def parse_proc(text):
    """show proc -> {master, reloads, failed, workers, old_workers}. HAProxy 2.6 and 3.0 print:
    <pid> master <reloads> [failed: <n>] <uptime> <version>, then sections '# workers', '# old workers', '# programs'."""
    status = {"master": None, "reloads": None, "failed": None, "workers": [], "old_workers": []}
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            name = stripped.lstrip("#").strip()
            section = {"workers": "workers", "old workers": "old_workers"}.get(name) if not name.startswith("<") else None
            continue
        match = _PROC_LINE.match(stripped)
        if not match:
            continue
        pid, kind, reloads, failed = int(match.group(1)), match.group(2), int(match.group(3)), match.group(4)
        if kind == "master":
            status.update(master=pid, reloads=reloads, failed=int(failed) if failed is not None else None)
        elif kind == "worker" and section:
            status[section].append({"pid": pid, "reloads": reloads})
    if status["master"] is None:
        raise Unanswered("no master in the answer to 'show proc': %r" % text[:200])
    return status


def pending(status):
    """The last reload failed: no current worker was started by it (a worker's counter counts the reloads
    since it started; the master's failed counter is only reported, as versions count it differently)."""
    return not [w for w in status["workers"] if w["reloads"] == 0]


def _listeners():
    """(family, address, port) -> socket inode, for every listening TCP socket of this network namespace."""
    out = {}
    for name, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        try:
            with open(name) as table:
                rows = table.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            if family == 4:
                ip = ipaddress.IPv4Address(raw[::-1])
            else:
                ip = ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            out[(family, ip, int(port, 16))] = fields[9]
    return out


def _socket_owners():
    """socket inode -> {(pid, command name)}, as far as /proc lets this user see."""
    owners = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % entry) as comm:
                name = comm.read().strip()
            fds = os.listdir("/proc/%s/fd" % entry)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%s/fd/%s" % (entry, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                owners.setdefault(target[8:-1], set()).add((int(entry), name))
    return owners


def parse_bind(text):
    """'10.0.0.1:443 ssl crt x' -> (family, ip or None for any, port), or None where it is not a TCP address:port."""
    word = text.split()[0] if text.split() else ""
    family = None
    if "@" in word:
        prefix, word = word.split("@", 1)
        if prefix not in ("ipv4", "ipv6", "tcp", "tcp4", "tcp6"):
            return None
        family = 6 if prefix.endswith("6") else 4 if prefix.endswith("4") else None
    if ":" not in word:
        return None
    host, port = word.rsplit(":", 1)
    if not port.isdigit():
        return None
    host = host.strip("[]")
    if host in ("", "*"):
        return (family or 4, None, int(port))
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.getaddrinfo(host, None)[0][4][0])
        except (OSError, ValueError, IndexError):
            return None
    if ip.is_unspecified:
        return (ip.version, None, int(port))
    return (ip.version, ip, int(port))


def _conflicts(bind, key):
    family, ip, port = bind
    lfamily, lip, lport = key
    if lport != port:
        return False
    if lip.is_unspecified or ip is None:
        return lfamily == family or (lfamily == 6 and lip.is_unspecified)
    return lfamily == family and lip == ip


def missing_binds(binds, haproxy_pids):
    """For each bind no HAProxy process listens on: a sentence naming it and what holds its port."""
    listeners, owners = _listeners(), None
    out = []
    for bind in binds:
        parsed = parse_bind(bind["address"])
        if parsed is None:
            continue
        family, ip, port = parsed
        exact = (family, ip if ip is not None else ipaddress.ip_address("0.0.0.0" if family == 4 else "::"), port)
        if owners is None:
            owners = _socket_owners()
        if any(pid in haproxy_pids for pid, _name in owners.get(listeners.get(exact, ""), ())):
            continue
        label = "bind %s%s" % (bind["address"].split()[0], " of '%s'" % bind["service"] if bind.get("service") else "")
        held = set().union(*[owners.get(inode, set()) for key, inode in listeners.items() if _conflicts(parsed, key)])
        others = sorted(owner for owner in held if owner[0] not in haproxy_pids)
        if others:
            out.append("%s: port %d is held by %s" % (label, port, ", ".join("%s (PID %d)" % (name, pid) for pid, name in others)))
        elif ip is not None:
            out.append("%s: nothing listens there (is %s an address of this host?)" % (label, ip))
        else:
            out.append("%s: nothing listens there" % label)
    return out


def wait_for_reload(module, path, since, deadline):
    last = "no answer yet"
    while True:
        try:
            status = parse_proc(ask(path, "show proc"))
        except Unanswered as error:  # the master re-executes itself while it reloads
            last = str(error)
        else:
            if status["master"] != since.get("master") or status["reloads"] > (since.get("reloads") or 0):
                return status
            last = "the master still counts %s reloads" % status["reloads"]
        if time.time() > deadline:
            module.fail_json(msg="HAProxy's master (%s) did not report the reload within %d s (%s). Check that HAProxy "
                                 "runs (journalctl -u haproxy) and run the play again." % (path, module.params["timeout"], last))
        time.sleep(0.2)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            master_socket=dict(type="path", default="/run/haproxy-master.sock"),
            since=dict(type="dict"),
            binds=dict(type="list", elements="dict", default=[], options=dict(
                address=dict(type="str", required=True),
                service=dict(type="str", default=""),
            )),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path = params["master_socket"]
    if not os.path.exists(path):
        module.fail_json(msg="HAProxy's master CLI socket %s does not exist: HAProxy is not running, or not with it. Debian's "
                             "haproxy unit opens it (EXTRAOPTS=\"-S /run/haproxy-master.sock\"); if /etc/default/haproxy sets "
                             "EXTRAOPTS, keep -S there, or set haproxy_master_socket to the path it uses." % path)
    since = params["since"]
    if since is None or module.check_mode:
        deadline = time.time() + params["timeout"]
        while True:
            try:
                status = parse_proc(ask(path, "show proc"))
                break
            except Unanswered as error:  # a reload under way: the master re-executes itself
                if time.time() > deadline:
                    module.fail_json(msg="HAProxy's master CLI %s does not answer 'show proc' (%s): check that HAProxy runs "
                                         "(journalctl -u haproxy)." % (path, error))
                time.sleep(0.2)
        module.exit_json(changed=False, status=status, pending=pending(status))

    status = wait_for_reload(module, path, since, time.time() + params["timeout"])
    if not pending(status):
        module.exit_json(changed=False, status=status, pending=False)
    pids = {status["master"]} | {w["pid"] for w in status["workers"] + status["old_workers"]}
    serving = ", ".join(str(w["pid"]) for w in status["workers"]) or "none"
    missing = missing_binds(params["binds"], pids)
    why = ("; ".join(missing) + ". Free the address or change the bind, then run the play again"
           if missing else "no bind of the new configuration is missing: journalctl -u haproxy says why. Fix it, then run "
                           "the play again")
    module.fail_json(
        msg="HAProxy did not load the new configuration: the reload failed (the master counts %s failed reload(s)) and the "
            "previous configuration still serves (worker PID %s). %s: it reloads HAProxy until a reload succeeds."
            % (status["failed"] if status["failed"] is not None else "at least one", serving, why),
        status=status, pending=True, missing=missing)


if __name__ == "__main__":
    main()
