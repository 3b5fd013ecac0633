#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove that SeaTable's nginx routing file sends every base to a dtable-server that answers."""

from __future__ import annotations

DOCUMENTATION = r"""
module: dtable_route_check
short_description: Check the nginx routing of a SeaTable cluster that routes bases by the first character of their UUID
version_added: 0.1.0
description:
  - SeaTable 5.3 and later route each base to a dtable-server by the first
    character of its UUID (C(0) to C(9), C(a) to C(f)) through an nginx proxy
    (port 5000), whose routing file this collection writes. This module reads
    that file on the node where it runs and proves that it routes every base
    to a server that answers.
  - Reads the C(upstream NAME { server ADDRESS; }) blocks and the
    C(map $dtable_uuid $dtable_server_upstream { ... }) block, in which a
    line C("~^X" NAME;) routes the first character X and a line with a whole
    UUID (36 characters) routes that one base (an override). Comment lines
    (starting with C(#)) and every other line are ignored.
  - Fails, naming each problem, when a first character has no route or more
    than one, when a route or an override names an upstream the file does not
    define, when an upstream has no C(server) line or more than one, or when
    an upstream does not answer C(GET <proxy_url>/dtable-server-node/NAME/ping/)
    with 2xx through the proxy.
  - Warns about an upstream that no first character is routed to.
  - Proxy variables of the environment (C(http_proxy)) are not used and
    redirects are not followed, as these are addresses inside the cluster.
  - Changes nothing, so it runs the same in check mode and always returns C(changed=false).
options:
  path:
    description:
      - The deployed nginx routing file on the node where the module runs.
    type: path
    required: true
  proxy_url:
    description:
      - The nginx proxy that serves the routing file, as seen from that node.
    type: str
    default: http://127.0.0.1:5000
  timeout:
    description:
      - Seconds each ping may take.
    type: int
    default: 5
  validate_certs:
    description:
      - Verify the proxy's certificate when O(proxy_url) is https.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads and pings the same as in a normal run; there is nothing to change.
  diff_mode:
    support: none
    description: The module only reads and pings, so it has no diff to show.
author:
  - filesync.cluster maintainers (@filesync)
"""

EXAMPLES = r"""
- name: Prove that every base reaches a dtable-server
  filesync.cluster.dtable_route_check:
    path: /etc/nginx/conf.d/dtable-routes.conf

- name: Check through the proxy's address and use the facts
  filesync.cluster.dtable_route_check:
    path: /etc/nginx/conf.d/dtable-routes.conf
    proxy_url: http://10.0.0.20:5000
    timeout: 10

- name: Show which first characters each dtable-server serves
  ansible.builtin.debug:
    var: dtable_routes.routes
"""

RETURN = r"""
routes:
  description: First character of the base UUID to the upstream it is routed to (the first line wins, as in nginx).
  returned: always
  type: dict
  sample: {"0": dtable-server-01, "1": dtable-server-02}
overrides:
  description: Base UUID to the upstream it is routed to, for the bases routed one by one.
  returned: always
  type: dict
  sample: {"4f1c2d3e-0000-4000-8000-000000000001": dtable-server-02}
servers:
  description: Upstream name to its C(server) address.
  returned: always
  type: dict
  sample: {"dtable-server-01": "172.18.0.3:5000", "dtable-server-02": "172.18.0.4:5000"}
prefixes_by_server:
  description: Upstream name to the sorted first characters routed to it (an empty list for an unused upstream).
  returned: always
  type: dict
  sample: {"dtable-server-01": ["0", "2"], "dtable-server-02": ["1", "3"]}
problems:
  description: Every problem found, each naming the line, first character, base or upstream concerned.
  returned: when a check failed
  type: list
  elements: str
  sample: ["no route for the first characters 3, b"]
ansible_facts:
  description: The routing, for later tasks.
  returned: on success
  type: complex
  contains:
    dtable_routes:
      description: RV(routes), RV(overrides) and RV(servers) under those names.
      type: dict
      sample: {"routes": {"0": dtable-server-01}, "overrides": {}, "servers": {"dtable-server-01": "172.18.0.3:5000"}}
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.filesync.cluster.plugins.module_utils.http_client import probe

FIRST_CHARACTERS = "0123456789abcdef"
NAME = r"[A-Za-z0-9_.-]+"
UPSTREAM = re.compile(r"upstream\s+(%s)\s*\{$" % NAME)
SERVER = re.compile(r"server\s+(\S+?)(?:\s+[^;]*)?;$")
MAP = re.compile(r"map\s+\$dtable_uuid\s+\$dtable_server_upstream\s*\{$")
PREFIX_ROUTE = re.compile(r'"~\^([^"]*)"\s+(%s)\s*;$' % NAME)
OVERRIDE = re.compile(r'"?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"?\s+(%s)\s*;$' % NAME)


def parse(lines):
    """The upstreams, prefix routes and overrides of the routing file, and the problems seen while reading."""
    servers, addresses, routes, overrides, problems = {}, {}, [], {}, []
    block = None  # ("upstream", name), ("map", None) or None
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line == "}":
            block = None
            continue
        if block is None:
            upstream, routing = UPSTREAM.match(line), MAP.match(line)
            if upstream:
                block = ("upstream", upstream.group(1))
                if block[1] in addresses:
                    problems.append("upstream %s is defined twice (line %d)" % (block[1], number))
                addresses.setdefault(block[1], [])
            elif routing:
                block = ("map", None)
            continue
        if block[0] == "upstream":
            server = SERVER.match(line)
            if server:
                addresses[block[1]].append(server.group(1))
            continue
        route, override = PREFIX_ROUTE.match(line), OVERRIDE.match(line)
        if route:
            routes.append((number, route.group(1), route.group(2)))
        elif override:
            uuid = override.group(1).lower()
            if uuid in overrides:
                problems.append("base %s is routed twice (line %d)" % (uuid, number))
            overrides.setdefault(uuid, override.group(2))
    for name, found in addresses.items():
        if len(found) != 1:
            problems.append("upstream %s has %d server lines; each dtable-server's upstream needs exactly one" % (name, len(found)))
        servers[name] = found[0] if found else None
    return servers, routes, overrides, problems


def check_routes(servers, routes, overrides, problems):
    """Every first character exactly once, every route to a defined upstream; the routes as character -> upstream."""
    by_character, lines = {}, {}
    for number, prefix, name in routes:
        if prefix not in FIRST_CHARACTERS or len(prefix) != 1:
            problems.append('line %d routes "~^%s"; a route is one first character, 0-9 or a-f' % (number, prefix))
            continue
        lines.setdefault(prefix, []).append(number)
        by_character.setdefault(prefix, name)
        if name not in servers:
            problems.append("first character %s (line %d) is routed to %s, which is no upstream of the file" % (prefix, number, name))
    missing = [character for character in FIRST_CHARACTERS if character not in lines]
    if missing:
        problems.append("no route for the first character%s %s" % ("s" if len(missing) > 1 else "", ", ".join(missing)))
    for character in FIRST_CHARACTERS:
        if len(lines.get(character, [])) > 1:
            problems.append("first character %s is routed %d times (lines %s)"
                            % (character, len(lines[character]), ", ".join(str(n) for n in lines[character])))
    for uuid, name in sorted(overrides.items()):
        if name not in servers:
            problems.append("base %s is routed to %s, which is no upstream of the file" % (uuid, name))
    return by_character


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            proxy_url=dict(type="str", default="http://127.0.0.1:5000"),
            timeout=dict(type="int", default=5),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["timeout"] < 1:
        module.fail_json(msg="timeout must be at least 1; got %d." % params["timeout"])
    if not re.match(r"https?://[^/]", params["proxy_url"]):
        module.fail_json(msg="proxy_url must be http(s)://host:port, such as http://127.0.0.1:5000; got %s." % params["proxy_url"])
    try:
        with open(params["path"], "rb") as handle:
            lines = handle.read().decode("utf-8").splitlines()
    except FileNotFoundError:
        module.fail_json(msg="The routing file %s does not exist on this node: deploy the nginx routing first, or correct path."
                             % params["path"])
    except (OSError, UnicodeError) as error:
        module.fail_json(msg="Cannot read the routing file %s as UTF-8 text: %s." % (params["path"], error))

    servers, routes, overrides, problems = parse(lines)
    if not servers and not routes:
        module.fail_json(msg="%s holds no upstream block and no map $dtable_uuid $dtable_server_upstream block: is it the "
                             "routing file the collection writes?" % params["path"])
    by_character = check_routes(servers, routes, overrides, problems)
    prefixes = {name: sorted(c for c, target in by_character.items() if target == name) for name in servers}
    for name in sorted(servers):
        if not prefixes[name]:
            module.warn("Upstream %s in %s serves no first character: only overrides (if any) reach it." % (name, params["path"]))
        ping = "%s/dtable-server-node/%s/ping/" % (params["proxy_url"].rstrip("/"), name)
        error = probe(ping, timeout=params["timeout"], validate_certs=params["validate_certs"])
        if error:
            problems.append("dtable-server %s did not answer GET %s (%s)" % (name, ping, error))

    result = dict(changed=False, routes=dict(sorted(by_character.items())), overrides=overrides, servers=servers,
                  prefixes_by_server=prefixes)
    if problems:
        module.fail_json(msg="The routing in %s is not sound: %s." % (params["path"], "; ".join(problems)), problems=problems, **result)
    result["ansible_facts"] = dict(dtable_routes=dict(routes=result["routes"], overrides=overrides, servers=servers))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
